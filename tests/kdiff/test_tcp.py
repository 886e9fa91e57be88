# SPDX-License-Identifier: MIT
"""TCP scenarios (spec §5)."""

from kdiff import (ACK, FIN, PSH, RST, SYN, C4, S4, TcpFlow, tcp_opts)


def test_tcp_handshake_data_fin_time_wait(kd):
    sc = kd.scenario()
    f = TcpFlow(sc, C4, S4, 40000, 80)
    f.handshake(copts=tcp_opts(mss=1460, sackperm=True, wscale=7),
                sopts=tcp_opts(mss=1460, sackperm=True, wscale=7))
    f.data(100)
    f.close()
    sc.finish()
    # Spec §5.4/§5.7: final ACK after both FINs -> TIME_WAIT, 120 s, ASSURED.
    assert sc.kernel_has("TIME_WAIT", "sport=40000", "[ASSURED]"), sc.kernel_table
    kd.check(sc)

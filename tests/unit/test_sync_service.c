/* SPDX-License-Identifier: MIT */
/*
 * ctrackd's -Y options (lib/sync/service.c): each accepted or refused as
 * docs/sync.md says, numbered.  No sockets are opened (no start).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "ctrack/sync.h"

struct ocase {
	const char *opt;
	int want;
};

static const struct ocase cases[] = {
    /* 1 */ {"mode=ftfw", 0},
    /* 2 */ {"mode=NOTRACK", 0},
    /* 3 */ {"mode=alarm", 0},
    /* 4 */ {"mode=tcp", -EINVAL},
    /* 5 */ {"udp=192.168.1.1,192.168.1.2", 0},
    /* 6 */
    {"udp=192.168.1.1,192.168.1.2,port=3781,iface=eth1,checksum=off,sndbuf=1249280,"
     "rcvbuf=1249280,default",
     0},
    /* 7 */ {"udp=192.168.1.1", -EINVAL},
    /* 8 */ {"udp=192.168.1.1,not-an-address", -EINVAL},
    /* 9 */ {"udp=192.168.1.1,192.168.1.2,colour=blue", -EINVAL},
    /* 10 */ {"mcast=225.0.0.50,192.168.100.100,port=3780,iface=eth2", 0},
    /* 11 */ {"filter-proto=accept:tcp,sctp,dccp", 0},
    /* 12 */ {"filter-proto=accept:tcp,carrier-pigeon", -EINVAL},
    /* 13 */ {"filter-proto=maybe:tcp", -EINVAL},
    /* 14 */ {"filter-addr=ignore:127.0.0.1,192.168.0.0/16,2001:db8::/32", 0},
    /* 15 */ {"filter-addr=ignore:10.0.0.0/33", -EINVAL},
    /* 16 */ {"filter-state=accept:ESTABLISHED,syn_sent,TIME_WAIT", 0},
    /* 17 */ {"filter-state=accept:DANCING", -EINVAL},
    /* 18 */ {"disable-external-cache", 0},
    /* 19 */ {"commit-timeout=180", 0},
    /* 20 */ {"commit-timeout=soon", -EINVAL},
    /* 21 */ {"resend-queue=131072", 0},
    /* 22 */ {"ack-window=", -EINVAL},
    /* 23 */ {"key=00112233445566778899aabbccddeeff", 0},
    /* 24 */ {"key=0011", -EINVAL},
    /* 25 */ {"key=zz112233445566778899aabbccddeeff", -EINVAL},
    /* 26 */ {"control=/run/ctrack/ctrack-sync.sock", 0},
    /* 27 */
    {"control=/a/path/that/is/far/too/long/for/a/unix/socket/address/because/they/"
     "stop/at/one/hundred/and/eight/bytes/including/the/terminating/nul",
     -EINVAL},
    /* 28 */ {"unknown-option=1", -EINVAL},
    /* 29 */ {"udp=10.0.0.1,10.0.0.2", 0},	 /* the fourth channel (5, 6, 10, 29) */
    /* 30 */ {"udp=10.0.0.3,10.0.0.4", -EINVAL}, /* a fifth */
};

static void test_options(void **state)
{
	struct sync_service *s;

	(void)state;
	assert_int_equal(sync_service_new(NULL, &s), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = sync_service_option(s, cases[i].opt);

		if (got != cases[i].want)
			fail_msg("case %zu (%s): %d, want %d", i + 1, cases[i].opt, got,
				 cases[i].want);
	}
	sync_service_free(s);
}

/* Starting without a channel is refused with a reason, before any socket. */
static void test_start_needs_channel(void **state)
{
	struct sync_service *s;
	char err[128] = "";

	(void)state;
	assert_int_equal(sync_service_new(NULL, &s), 0);
	assert_int_equal(sync_service_start(s, 0, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "channel"));
	assert_int_equal(sync_service_timeout_ms(s, 0), -1);
	sync_service_free(s);
	sync_service_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_options),
	    cmocka_unit_test(test_start_needs_channel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the FTP helper's command parser (untrusted payload
 * from both ends of a control connection).
 *
 * Input: byte 0 selects the direction (bit 0: reply) and the family
 * (bit 1: IPv6); the rest is the TCP payload.  The payload is copied into
 * an exact-size heap buffer so ASan sees any read past its end.
 * Invariants checked: the result is one of the three values; on a match the
 * address/port text lies inside the payload and is nonempty; EPSV reports
 * the sender's own address; the parse is deterministic.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "helper_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t own4[16] = {10, 0, 1, 2};
	static const uint8_t own6[16] = {0xfd, 0, 0, 1, [15] = 2};
	struct ct_ftp_match m, m2;
	enum ct_ftp_parse_result r;
	enum ct_dir dir;
	uint8_t l3num, *buf;
	const uint8_t *own;
	size_t len;

	if (size < 2)
		return 0;
	dir = (data[0] & 1) ? CT_DIR_REPLY : CT_DIR_ORIGINAL;
	l3num = (data[0] & 2) ? 10 : 2;
	own = l3num == 10 ? own6 : own4;
	len = size - 1;
	buf = malloc(len);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, len);
	r = ct_ftp_parse(buf, len, dir, l3num, own, &m);
	if (r != CT_FTP_MATCH && r != CT_FTP_NO_MATCH && r != CT_FTP_PARTIAL)
		abort();
	if (r == CT_FTP_MATCH) {
		if (m.len == 0 || m.off > len || m.len > len - m.off)
			abort();
		if (m.type == CT_FTP_EPSV && memcmp(m.addr, own, 16) != 0)
			abort();
		if ((dir == CT_DIR_ORIGINAL) != (m.type == CT_FTP_PORT || m.type == CT_FTP_EPRT))
			abort();
	}
	if (ct_ftp_parse(buf, len, dir, l3num, own, &m2) != r ||
	    (r == CT_FTP_MATCH && memcmp(&m, &m2, sizeof(m)) != 0))
		abort();
	free(buf);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the conntrackd message decoder: the input is a
 * datagram as a peer could send it.  Every framed message is decoded; a
 * conntrack message that decodes must re-encode to a message that decodes
 * to the same content (the decoder accepts only what the encoder can say),
 * and must turn into an entry spec the table accepts or refuses cleanly
 * (insert into a small live table, then delete).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctrack/ct.h"
#include "ctrack/sync.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ct_table *T;

static void check_ct(const uint8_t *msg, uint16_t len)
{
	struct sync_ct c, d;
	struct sync_hdr h;
	struct ct_conn_spec spec;
	struct ct_conn *conn;
	enum sync_drop why;
	uint8_t out[SYNC_MSG_MAX];
	int n;

	if (sync_ct_decode(msg, len, &c, &why))
		return;
	if (sync_hdr_decode(msg, len, &h, &why))
		abort(); /* the header decoded once already */
	n = sync_ct_encode(&c, h.type, h.flags, h.seq, out, sizeof(out));
	if (n < 0 || sync_ct_decode(out, (size_t)n, &d, &why))
		abort();
	if (d.have != c.have || memcmp(&d.orig, &c.orig, sizeof(c.orig)) || d.status != c.status)
		abort();
	if (sync_ct_to_spec(&c, 30, &spec) == 0 && ct_conn_insert(T, &spec, 0, &conn) == 0)
		ct_conn_delete(T, conn, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	if (!T) {
		struct ct_table_config cfg = {.max = 1024};

		if (ct_table_new(&cfg, &T))
			abort();
	}
	while (off < size) {
		uint16_t len;
		enum sync_drop why;
		struct sync_hdr h;
		struct sync_exp e;

		if (sync_frame(data + off, size - off, &len, &why))
			break;
		if (sync_hdr_decode(data + off, len, &h, &why) == 0) {
			if (h.type <= SYNC_T_CT_DEL)
				check_ct(data + off, len);
			else if (h.type <= SYNC_T_EXP_DEL)
				(void)sync_exp_decode(data + off, len, &e, &why);
		}
		off += len;
	}
	if (ct_table_count(T))
		abort();
	return 0;
}

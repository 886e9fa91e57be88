/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the control-protocol decoder and handler: the input
 * is a byte stream as a client could send it.  Each framed message is
 * decoded; decoded requests are applied to a live table (with a few entries
 * and an empty ruleset), as ctrackd does.  Invariants: the decoder never
 * reads past the message, string attributes are NUL-terminated inside it,
 * every request gets exactly one DONE or ERROR, and the table stays
 * consistent (its count matches an iteration).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctrack/ct.h"
#include "ctrack/ctl.h"
#include "ctrack/nft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_replies(const struct ctl_buf *out, uint32_t seq)
{
	size_t off = 0;
	int finals = 0;

	while (off < out->len) {
		struct ctl_msg m;
		uint32_t n;

		if (ctl_frame(out->data + off, out->len - off, &n) || n > out->len - off)
			abort();
		if (ctl_decode(out->data + off, n, &m))
			abort(); /* we must be able to read what we write */
		if (m.seq != seq)
			abort();
		if (m.type == CTL_REP_DONE || m.type == CTL_REP_ERROR)
			finals++;
		off += n;
	}
	if (finals != 1)
		abort();
}

static void seed_table(struct ct_table *t)
{
	struct ct_conn_spec s;

	memset(&s, 0, sizeof(s));
	s.orig.l3num = 2;
	s.orig.proto = 6;
	s.orig.src[0] = 1;
	s.orig.dst[0] = 2;
	s.orig.src_l4 = 10;
	s.orig.dst_l4 = 20;
	s.timeout_s = 100;
	s.proto_state = CT_TCP_ESTABLISHED;
	(void)ct_conn_insert(t, &s, 0, NULL);
	s.orig.proto = 17;
	(void)ct_conn_insert(t, &s, 0, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_table_config cfg = {.max = 64};
	struct ct_table *t;
	struct nft_ruleset *rs = NULL;
	struct ctl_buf out;
	size_t off = 0;

	if (ct_table_new(&cfg, &t))
		return 0;
	(void)nft_ruleset_new(NULL, &rs);
	seed_table(t);
	ctl_buf_init(&out);
	while (off < size) {
		struct ctl_server srv = {.t = t, .rs = rs, .now = off * 1000000000ull};
		struct ctl_msg m;
		struct ct_iter it;
		uint32_t n, cnt = 0;

		if (ctl_frame(data + off, size - off, &n))
			break;
		if (n > size - off)
			break;
		ctl_buf_reset(&out);
		if (ctl_decode(data + off, n, &m) == 0 && m.type < CTL_REQ_MAX_ &&
		    m.type != CTL_REQ_SUBSCRIBE) {
			if (ctl_handle(&srv, &m, &out) == 0)
				check_replies(&out, m.seq);
		}
		ct_iter_init(&it);
		while (ct_iter_next(t, &it, srv.now))
			cnt++;
		if (cnt > ct_table_count(t))
			abort();
		off += n;
	}
	ctl_buf_free(&out);
	nft_ruleset_free(rs);
	ct_table_free(t);
	return 0;
}

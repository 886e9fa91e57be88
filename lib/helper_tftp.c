/* SPDX-License-Identifier: MIT */
/*
 * The TFTP helper (spec §9.4, RFC 1350): a read or write request expects
 * the server's answer, which comes from a new port: UDP from the reply
 * tuple's source address, any port, to the client's address and port.
 *
 * As the kernel's nf_conntrack_tftp: the opcode is read from every packet
 * of the entry whatever its direction or ctinfo (a retransmitted RRQ
 * replaces the identical expectation); DATA, ACK and ERROR do nothing.
 */
#include <string.h>

#include "helper_priv.h"

enum tftp_opcode {
	TFTP_RRQ = 1,
	TFTP_WRQ = 2,
	TFTP_DATA = 3,
	TFTP_ACK = 4,
	TFTP_ERROR = 5,
};

static enum ct_verdict tftp_help(struct ct_table *t, struct ct_conn *c, struct ct_pkt *p,
				 uint64_t now)
{
	const uint8_t *op;
	struct ct_tuple reply;
	struct ct_expect_spec s;

	/* The opcode follows the 8-byte UDP header; a shorter packet is left alone. */
	if ((uint64_t)p->l4_off + 8 + 2 > p->len || p->l4_len < 8 + 2)
		return CT_V_ACCEPT;
	op = p->data + p->l4_off + 8;
	switch ((enum tftp_opcode)(op[0] << 8 | op[1])) {
	case TFTP_RRQ:
	case TFTP_WRQ:
		break;
	default:
		return CT_V_ACCEPT;
	}
	ct_conn_tuple(c, CT_DIR_REPLY, &reply);
	ct_expect_spec_init(&s, 0, c->l3num, reply.src, reply.dst, 17, NULL, reply.dst_l4);
	if ((c->status & (CT_S_SRC_NAT | CT_S_DST_NAT)) && t->nat_helper && t->nat_helper->tftp)
		return t->nat_helper->tftp(t, c, p, &s, now);
	return ct_expect_create(t, c, &s, now) == 0 ? CT_V_ACCEPT : CT_V_DROP;
}

const struct ct_helper ct_helper_tftp = {
    .name = "tftp",
    .proto = 17,
    .max_expected = 1,
    .timeout_s = 300,
    .help = tftp_help,
};

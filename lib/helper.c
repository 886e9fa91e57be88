/* SPDX-License-Identifier: MIT */
/*
 * The helper registry, helper assignment and the helper step of confirm
 * (spec §9.2).
 *
 * Since 6.0 a helper is attached only explicitly (nft `ct helper set`,
 * iptables `CT --helper`), only to an unconfirmed entry, and its function
 * runs in the confirm hook (priority INT_MAX, after NAT) for every packet
 * of the entry except ICMP errors seen in the reply direction.
 */
#include <errno.h>
#include <string.h>

#include "helper_priv.h"
#include "seqadj.h"

/* Registry order gives the ids stored in ct_ext_data.helper (index + 1). */
static const struct ct_helper *const helpers[] = {
    &ct_helper_ftp,
    &ct_helper_tftp,
};

#define N_HELPERS (sizeof(helpers) / sizeof(helpers[0]))
_Static_assert(N_HELPERS < 255, "helper ids fit ct_ext_data.helper");

const struct ct_helper *ct_helper_by_id(uint8_t id)
{
	if (id == 0 || id > N_HELPERS)
		return NULL;
	return helpers[id - 1];
}

const struct ct_helper *ct_helper_by_name(const char *name)
{
	for (size_t i = 0; name && i < N_HELPERS; i++)
		if (strcmp(helpers[i]->name, name) == 0)
			return helpers[i];
	return NULL;
}

uint8_t ct_helper_id(const struct ct_helper *h)
{
	for (size_t i = 0; i < N_HELPERS; i++)
		if (helpers[i] == h)
			return (uint8_t)(i + 1);
	return 0;
}

const struct ct_helper *ct_conn_helper(const struct ct_table *t, const struct ct_conn *c)
{
	if (!(c->ext & CT_EXT_HELPER))
		return NULL;
	return ct_helper_by_id(ct_conn_ext(t, c)->helper);
}

bool ct_helper_exists(const char *name, uint8_t l4proto)
{
	const struct ct_helper *h = ct_helper_by_name(name);

	return h && h->proto == l4proto;
}

/*
 * nft_ct_helper_obj_eval: nothing happens for a confirmed entry, a
 * protocol other than the object's, or an entry that already carries a
 * helper.  An entry that is already NATed also gets the seqadj extension.
 */
int ct_conn_set_helper(struct ct_table *t, struct ct_conn *c, const char *name, uint8_t l4proto)
{
	const struct ct_helper *h = ct_helper_by_name(name);
	struct ct_ext_data *e;

	if (!h)
		return -ENOENT;
	if (h->proto != l4proto)
		return -EPROTONOSUPPORT;
	if (ct_conn_confirmed(c) || (c->status & CT_S_TEMPLATE) || c->proto != l4proto)
		return -EINVAL;
	if ((c->status & CT_S_HELPER) || (c->ext & CT_EXT_HELPER))
		return -EEXIST;
	e = ct_ext_add(t, c, CT_EXT_HELPER);
	e->helper = ct_helper_id(h);
	memset(e->helper_data, 0, sizeof(e->helper_data));
	/* Unconfirmed: the NEW event carries it, no separate event bit. */
	c->status |= CT_S_HELPER;
	if (c->status & (CT_S_SRC_NAT | CT_S_DST_NAT))
		ct_seqadj_init(t, c);
	return 0;
}

int ct_helper_confirm(struct ct_table *t, struct ct_pkt *p, uint64_t now)
{
	struct ct_conn *c = p->ct;
	const struct ct_helper *h;

	/* A dying entry (killed under this packet) must not gain expectations. */
	if (!c || p->ctinfo == CT_INFO_RELATED_REPLY || (c->status & CT_S_DYING))
		return 0;
	h = ct_conn_helper(t, c);
	/*
	 * An ICMP error in the original direction reaches the kernel's helper
	 * too, which then reads the quoted header as its own protocol and
	 * finds nothing; skipping other protocols is the same outcome.
	 */
	if (h && p->proto == h->proto && h->help(t, c, p, now) != CT_V_ACCEPT)
		return -EPERM;
	/* Then the sequence adjustment a NAT helper asked for (counted drop). */
	if ((c->status & CT_S_SEQ_ADJUST) && p->proto == 6 && !ct_seqadj_apply(t, c, p)) {
		t->stats.drop++;
		return -EPERM;
	}
	return 0;
}

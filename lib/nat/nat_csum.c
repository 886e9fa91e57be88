/* SPDX-License-Identifier: MIT */
/*
 * Checksum updates for rewritten headers (spec §10.5).
 *
 * The kernel updates checksums incrementally (RFC 1624 eqn. 3,
 * HC' = ~(~HC + ~m + m')), in 32-bit one's complement arithmetic whose
 * running total is never zero, so the folded sum is never 0x0000 and the
 * stored checksum never 0xffff.  Keeping the same edge gives the same bytes
 * on the wire as Linux (an RFC 1071 recomputation could give 0xffff where
 * Linux writes 0x0000).
 */
#include "nat_priv.h"

void nat_csum_replace(uint8_t *field, const uint8_t *old, const uint8_t *new, uint32_t len)
{
	uint32_t sum = (uint16_t)~nat_rd16(field);

	for (uint32_t i = 0; i + 1 < len; i += 2) {
		sum += (uint16_t)~nat_rd16(old + i);
		sum += nat_rd16(new + i);
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	/*
	 * Only an all-zero input folds to 0 here; the kernel's 32-bit
	 * complement of the old checksum is never zero, so its fold is
	 * 0xffff ("negative zero") in that case.
	 */
	if (sum == 0)
		sum = 0xffff;
	nat_wr16(field, (uint16_t)~sum);
}

/* CRC32c (Castagnoli), reflected polynomial 0x82F63B78, bitwise: SCTP NAT is rare. */
static uint32_t crc32c_update(uint32_t crc, const uint8_t *b, uint32_t len)
{
	while (len--) {
		crc ^= *b++;
		for (int k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
	}
	return crc;
}

/* RFC 4960 appendix B: CRC over the packet with the checksum field as zero. */
uint32_t nat_sctp_crc(const uint8_t *l4, uint32_t len)
{
	static const uint8_t zero[4];
	uint32_t crc = 0xffffffffu;

	if (len < 12)
		return 0;
	crc = crc32c_update(crc, l4, 8);
	crc = crc32c_update(crc, zero, 4);
	crc = crc32c_update(crc, l4 + 12, len - 12);
	return ~crc;
}

/* SPDX-License-Identifier: MIT */
/*
 * The client side of ctrackd's control socket, shared by the tools that
 * talk to it (ctrack-nft, ctrack-sysctl).  Socket I/O lives here, in the
 * tools, not in lib/: the library only encodes and decodes messages.
 */
#ifndef CTRACK_TOOLS_CTL_CLIENT_H
#define CTRACK_TOOLS_CTL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ctrack/ctl.h"

struct ctl_client {
	int fd;
	uint8_t *rbuf;   /* received bytes not yet consumed (owned, freed by close) */
	size_t rlen, rcap, consumed;
};

/* Connect to the Unix socket at path: 0, or -errno (-ENAMETOOLONG for a long path). */
int ctl_client_open(struct ctl_client *c, const char *path);
void ctl_client_close(struct ctl_client *c);

/*
 * Send the request in req (finished here) and wait for the DONE or ERROR
 * answering it: 0 with the reply in *rep (its strings valid until the next
 * call), or -errno (-E2BIG: the request does not fit a message; -EBADMSG:
 * the daemon sent something undecodable; -ECONNRESET: it hung up).
 */
int ctl_client_call(struct ctl_client *c, struct ctl_buf *req, struct ctl_msg *rep);

#endif

/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_client.h"

int ctl_client_open(struct ctl_client *c, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(path);

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, n + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(c->fd);
		c->fd = -1;
		return err;
	}
	return 0;
}

void ctl_client_close(struct ctl_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->rbuf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static int send_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read more bytes: 0, or -errno (-ECONNRESET on end of stream). */
static int fill(struct ctl_client *c)
{
	ssize_t r;

	if (c->rcap - c->rlen < 65536) {
		size_t cap = c->rcap ? c->rcap * 2 : 131072;
		uint8_t *nb = realloc(c->rbuf, cap);

		if (!nb)
			return -ENOMEM;
		c->rbuf = nb;
		c->rcap = cap;
	}
	do
		r = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ECONNRESET;
	c->rlen += (size_t)r;
	return 0;
}

int ctl_client_call(struct ctl_client *c, struct ctl_buf *req, struct ctl_msg *rep)
{
	uint32_t seq;
	int err;

	if (ctl_msg_end(req))
		return -E2BIG;
	/* The header's sequence number, network order at bytes 8..11. */
	seq = (uint32_t)req->data[8] << 24 | (uint32_t)req->data[9] << 16 |
	      (uint32_t)req->data[10] << 8 | req->data[11];
	err = send_all(c->fd, req->data, req->len);
	ctl_buf_reset(req);
	if (err)
		return err;
	for (;;) {
		uint32_t n;

		if (c->consumed) {
			memmove(c->rbuf, c->rbuf + c->consumed, c->rlen - c->consumed);
			c->rlen -= c->consumed;
			c->consumed = 0;
		}
		err = c->rlen ? ctl_frame(c->rbuf, c->rlen, &n) : -EAGAIN;
		if (err && err != -EAGAIN)
			return err;
		if (err || n > c->rlen) {
			err = fill(c);
			if (err)
				return err;
			continue;
		}
		c->consumed = n;
		if (ctl_decode(c->rbuf, n, rep))
			return -EBADMSG;
		if (rep->seq == seq && (rep->type == CTL_REP_DONE || rep->type == CTL_REP_ERROR))
			return 0;
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * Sync channels: UDP unicast and IPv4 multicast sockets with conntrackd's
 * channel options (address, port, interface, checksum, socket buffers).
 *
 * This is the one file under lib/ that does I/O (sockets only; no clock,
 * no printing), so that ctrackd's hooks stay small: the replication logic
 * itself (ftfw.c, cache.c) stays I/O-free.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctrack/sync.h"

#ifndef SO_NO_CHECK
#define SO_NO_CHECK 11
#endif

int sync_chan_open(const struct sync_chan_cfg *c)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(c->port)};
	int one = 1, fd, err;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto err;
	/* conntrackd: "Checksum on" clears SO_NO_CHECK, off sets it. */
	one = c->checksum ? 0 : 1;
	if (setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)) < 0)
		goto err;
	if (c->sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &c->sndbuf, sizeof(int)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &c->sndbuf, sizeof(int)) < 0)
		goto err;
	if (c->rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &c->rcvbuf, sizeof(int)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &c->rcvbuf, sizeof(int)) < 0)
		goto err;
	if (c->iface[0] &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c->iface, (socklen_t)strlen(c->iface)) < 0)
		goto err;
	if (c->mcast) {
		struct ip_mreq mr;
		unsigned char loop = 0;

		/* Bound to the group's port on any address: every group datagram arrives. */
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto err;
		memcpy(&mr.imr_multiaddr, c->peer, 4);
		memcpy(&mr.imr_interface, c->local, 4);
		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0 ||
		    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr.imr_interface,
			       sizeof(mr.imr_interface)) < 0 ||
		    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) < 0)
			goto err;
	} else {
		memcpy(&sa.sin_addr, c->local, 4);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto err;
	}
	return fd;
err:
	err = -errno;
	close(fd);
	return err;
}

int sync_chan_send(int fd, const struct sync_chan_cfg *c, const uint8_t *buf, size_t len)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(c->port)};

	memcpy(&to.sin_addr, c->peer, 4);
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* One datagram; *from_addr gets the sender.  Bytes, 0 when none is waiting, or -errno. */
ssize_t sync_chan_recv(int fd, uint8_t *buf, size_t cap, uint8_t from_addr[4])
{
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&from, &fl);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	memcpy(from_addr, &from.sin_addr, 4);
	return n;
}

bool sync_chan_link_up(const struct sync_chan_cfg *c)
{
	struct ifreq ifr;
	int fd;
	bool up = true;

	if (!c->iface[0])
		return true;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, c->iface, strnlen(c->iface, IFNAMSIZ - 1));
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
		up = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
	close(fd);
	return up;
}

int sync_chan_mtu(const struct sync_chan_cfg *c)
{
	struct ifreq ifr;
	int fd, mtu = 0;

	if (!c->iface[0])
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, c->iface, strnlen(c->iface, IFNAMSIZ - 1));
	if (ioctl(fd, SIOCGIFMTU, &ifr) == 0)
		mtu = ifr.ifr_mtu;
	close(fd);
	return mtu;
}

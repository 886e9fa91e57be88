/* SPDX-License-Identifier: MIT */
/*
 * ctrack-sync: drive ctrackd's state replication as conntrackd's client
 * mode does, so keepalived-style scripts (primary-backup.sh) work with
 * the same letters:
 *
 *   ctrack-sync [-C SOCKET] -c [ct|expect]      commit the external cache
 *               -f [internal|external]           flush caches
 *               -n                               request a resync from the peer
 *               -B                               bulk send our entries
 *               -i [ct] / -e [ct]                dump the internal / external cache
 *               -s                               statistics
 *
 * It sends one text command over ctrackd's sync control socket (the -Y
 * control= path, default /run/ctrack/ctrack-sync.sock) and prints the
 * reply until the daemon closes the connection, as conntrackd -C does.
 * Exit status: 0, or 1 when the daemon cannot be reached.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCK "/run/ctrack/ctrack-sync.sock"

static void usage(FILE *f)
{
	fprintf(f, "usage: ctrack-sync [-C SOCKET] {-c | -f [internal|external] | -n | -B |\n"
		   "                   -i | -e | -s}\n");
}

/* The optional word after a flag (conntrackd's "-c ct", "-f external"). */
static const char *opt_word(int argc, char **argv, int *i, const char *const *words)
{
	if (*i + 1 < argc)
		for (const char *const *w = words; *w; w++)
			if (!strcmp(argv[*i + 1], *w))
				return argv[++*i];
	return NULL;
}

int main(int argc, char **argv)
{
	static const char *const ctexp[] = {"ct", "expect", NULL};
	static const char *const caches[] = {"internal", "external", NULL};
	const char *sock = DEFAULT_SOCK;
	char cmd[64] = "";
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[65536];
	ssize_t n;
	int fd;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *w;

		if (!strcmp(a, "-C") && i + 1 < argc) {
			sock = argv[++i];
		} else if (!strcmp(a, "-c")) {
			w = opt_word(argc, argv, &i, ctexp);
			/* Expectations are not replicated into the table yet: nothing to commit. */
			snprintf(cmd, sizeof(cmd), w && !strcmp(w, "expect") ? "stats" : "commit");
		} else if (!strcmp(a, "-f")) {
			w = opt_word(argc, argv, &i, caches);
			snprintf(cmd, sizeof(cmd), "flush%s%s", w ? " " : "", w ? w : "");
		} else if (!strcmp(a, "-n")) {
			snprintf(cmd, sizeof(cmd), "resync");
		} else if (!strcmp(a, "-B")) {
			snprintf(cmd, sizeof(cmd), "bulk");
		} else if (!strcmp(a, "-i") || !strcmp(a, "-e")) {
			(void)opt_word(argc, argv, &i, ctexp);
			snprintf(cmd, sizeof(cmd), "dump %s",
				 a[1] == 'i' ? "internal" : "external");
		} else if (!strcmp(a, "-s")) {
			snprintf(cmd, sizeof(cmd), "stats");
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!cmd[0]) {
		usage(stderr);
		return 2;
	}
	if (strlen(sock) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ctrack-sync: socket path too long\n");
		return 1;
	}
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr,
			"ctrack-sync: cannot connect to %s: %s (is ctrackd running with -Y?)\n",
			sock, strerror(errno));
		return 1;
	}
	cmd[strlen(cmd)] = '\n'; /* cmd is NUL-filled past its text: still terminated */
	if (send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "ctrack-sync: %s\n", strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return 0;
}

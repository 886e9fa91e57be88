/* SPDX-License-Identifier: MIT */
/*
 * ctrack-sysctl: ctrackd's conntrack settings by their sysctl names, as
 * procps' sysctl reads and writes the kernel's.
 *
 *   ctrack-sysctl [-n|-N] [-e] NAME...              read
 *   ctrack-sysctl [-q] [-w] NAME=VALUE...           write (-w optional, as sysctl)
 *   ctrack-sysctl -a                                every setting ctrackd has
 *   options: --socket PATH (else $CTRACK_SOCKET, else /run/ctrack/ctrackd.sock)
 *
 * Names: net.netfilter.nf_conntrack_* (also nf_conntrack_count, read-only),
 * net.ipv4.ipfrag_* and net.netfilter.ctrack_compat_rst_unack (ctrackd's
 * own), with dots or slashes; a prefix such as `net.netfilter` lists what is
 * under it.  Output "NAME = VALUE"; errors are sysctl's ("cannot stat
 * /proc/sys/...", `setting key "NAME": Invalid argument`), with sysctl's
 * exit statuses, including its quirk of exiting 0 after refusing to write a
 * read-only key.  Installed or linked as `sysctl`, messages carry that name.
 *
 * Values are read as the kernel reads them (leading blanks, an optional
 * sign, decimal, 0x hex or 0 octal, trailing blanks) and sent in decimal;
 * sysctl echoes a written value as it was given.  Effects are the kernel's:
 * nf_conntrack_acct and nf_conntrack_timestamp apply to entries created
 * afterwards, timeouts to entries when they next see a packet.
 * nf_conntrack_max can be changed (as in the kernel's initial namespace)
 * but never beyond the table ctrackd preallocated (ctrackd -m): the error
 * says so.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctrack/ct.h"
#include "ctrack/ctl.h"
#include "common/ctl_client.h"

static const char *prog = "sysctl";
static struct ctl_client cli = {.fd = -1};
static uint32_t next_seq = 1;
static bool opt_values, opt_names, opt_quiet, opt_ignore;

/* ---- the settings' full names ---- */

#define MAX_NAMES 96

static char names[MAX_NAMES][80];
static size_t nnames;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Every name ctrackd answers to, sorted as sysctl -a sorts them. */
static void load_names(void)
{
	const char *n;

	for (size_t i = 0; (n = ct_setting_name(i)) && nnames < MAX_NAMES - 1; i++)
		snprintf(names[nnames++], sizeof(names[0]), "%s%s",
			 strncmp(n, "ipfrag_", 7) ? "net.netfilter." : "net.ipv4.", n);
	snprintf(names[nnames++], sizeof(names[0]), "net.netfilter.nf_conntrack_count");
	qsort(names, nnames, sizeof(names[0]), cmp_str);
}

/* ---- the control socket ---- */

static int daemon_connect(const char *path)
{
	int err = ctl_client_open(&cli, path);

	if (err == -ENAMETOOLONG)
		fprintf(stderr, "%s: socket path too long: %s\n", prog, path);
	else if (err)
		fprintf(stderr, "%s: cannot connect to ctrackd at %s: %s\n", prog, path,
			strerror(-err));
	return err ? -1 : 0;
}

/* One request, its DONE or ERROR in *rep (valid until the next call); -1: I/O failed. */
static int call(struct ctl_buf *req, struct ctl_msg *rep)
{
	int err = ctl_client_call(&cli, req, rep);

	if (err && err != -E2BIG)
		fprintf(stderr, "%s: ctrackd: %s\n", prog, strerror(-err));
	return err ? -1 : 0;
}

/* ---- reading and writing ---- */

/* "net/netfilter/x" -> "net.netfilter.x" (sysctl prints dots). */
static void dotted(const char *in, char *out, size_t n)
{
	snprintf(out, n, "%s", in);
	for (char *p = out; *p; p++)
		if (*p == '/')
			*p = '.';
}

static int cannot_stat(const char *key)
{
	char path[200];

	if (opt_ignore)
		return 0;
	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	for (char *p = path + 10; *p; p++)
		if (*p == '.')
			*p = '/';
	fprintf(stderr, "%s: cannot stat %s: No such file or directory\n", prog, path);
	return 1;
}

static bool known(const char *full)
{
	for (size_t i = 0; i < nnames; i++)
		if (!strcmp(names[i], full))
			return true;
	return false;
}

/* Print one setting: 0, 1 (error printed), -1 (daemon gone). */
static int read_one(const char *full)
{
	struct ctl_buf b;
	struct ctl_msg rep;
	int rc;

	ctl_buf_init(&b);
	ctl_msg_begin(&b, CTL_REQ_SETTING_GET, next_seq++);
	ctl_put_str(&b, CTL_A_NAME, full);
	rc = call(&b, &rep);
	ctl_buf_free(&b);
	if (rc)
		return -1;
	if (rep.type == CTL_REP_ERROR)
		return cannot_stat(full);
	if (opt_names)
		printf("%s\n", full);
	else if (opt_values)
		printf("%lld\n", (long long)rep.value);
	else
		printf("%s = %lld\n", full, (long long)rep.value);
	fflush(stdout); /* interleaved with errors as sysctl's */
	return 0;
}

/* A read: one key, or every key under a prefix ("net.netfilter"). */
static int do_read(const char *arg)
{
	char key[160];
	size_t kl;
	int rc = 0, found = 0;

	dotted(arg, key, sizeof(key));
	if (known(key))
		return read_one(key);
	kl = strlen(key);
	while (kl && key[kl - 1] == '.')
		key[--kl] = 0;
	for (size_t i = 0; i < nnames; i++) {
		if (!kl || (!strncmp(names[i], key, kl) && names[i][kl] == '.')) {
			int r = read_one(names[i]);

			found++;
			if (r < 0)
				return -1;
			rc |= r;
		}
	}
	return found ? rc : cannot_stat(key);
}

/*
 * The value as the kernel's proc_get_long reads it: blanks, an optional
 * '-', a number in base 0 (decimal, 0x hex, 0 octal), trailing blanks.
 * Into decimal text for the daemon; false if the kernel would refuse it.
 */
static bool kernel_number(const char *v, char *out, size_t n)
{
	bool neg = false;
	unsigned long long x;
	char *end;

	while (*v == ' ' || *v == '\t' || *v == '\n')
		v++;
	if (*v == '-') {
		neg = true;
		v++;
	}
	if (*v < '0' || *v > '9')
		return false;
	errno = 0;
	x = strtoull(v, &end, 0);
	if (errno)
		return false;
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (*end)
		return false;
	snprintf(out, n, "%s%llu", neg ? "-" : "", x);
	return true;
}

/* NAME=VALUE: 0, 1 (error), -1 (daemon gone). */
static int do_write(const char *arg)
{
	const char *eq = strchr(arg, '=');
	char raw[160], key[160], num[40];
	struct ctl_buf b;
	struct ctl_msg rep;
	int rc;

	snprintf(raw, sizeof(raw), "%.*s", (int)(eq - arg), arg);
	dotted(raw, key, sizeof(key));
	if (!known(key))
		return cannot_stat(key);
	if (!kernel_number(eq + 1, num, sizeof(num))) {
		fprintf(stderr, "%s: setting key \"%s\": %s\n", prog, key, strerror(EINVAL));
		return 1;
	}
	ctl_buf_init(&b);
	ctl_msg_begin(&b, CTL_REQ_SETTING_SET, next_seq++);
	ctl_put_str(&b, CTL_A_NAME, key);
	ctl_put_str(&b, CTL_A_TEXT, num);
	rc = call(&b, &rep);
	ctl_buf_free(&b);
	if (rc)
		return -1;
	if (rep.type == CTL_REP_ERROR) {
		if (rep.err == EPERM) {
			/*
			 * A read-only key: sysctl finds it not writable, warns
			 * with whatever errno holds then (EINVAL, as observed)
			 * and carries on without failing.
			 */
			fprintf(stderr, "%s: setting key \"%s\": %s\n", prog, key, strerror(EINVAL));
			return 0;
		}
		fprintf(stderr, "%s: setting key \"%s\": %s\n", prog, key,
			strerror(rep.err == ENOSPC ? EINVAL : (int)rep.err));
		if (ctl_has(&rep, CTL_A_TEXT))
			fprintf(stderr, "%s: %s\n", prog, rep.text);
		return 1;
	}
	if (!opt_quiet) {
		/* echoed as given, less trailing blanks (sysctl strips them) */
		int vl = (int)strlen(eq + 1);

		while (vl && (eq[vl] == ' ' || eq[vl] == '\t'))
			vl--;
		if (opt_values)
			printf("%.*s\n", vl, eq + 1);
		else
			printf("%s = %.*s\n", key, vl, eq + 1);
		fflush(stdout);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"\nUsage:\n %s [options] [variable[=value] ...]\n\n"
		"Options:\n"
		"  -a, -A, -X, --all    display all conntrack settings of ctrackd\n"
		"  -e, --ignore         ignore unknown variables errors\n"
		"  -N, --names          print variable names without values\n"
		"  -n, --values         print only values of the given variable(s)\n"
		"  -q, --quiet          do not echo variable set\n"
		"  -w, --write          enable writing a value to variable\n"
		"      --socket PATH    ctrackd's control socket\n"
		"  -h, --help           display this help and exit\n",
		prog);
}

int main(int argc, char **argv)
{
	const char *sock = getenv("CTRACK_SOCKET");
	const char *slash = strrchr(argv[0], '/');
	bool all = false, write_mode = false;
	int first = argc, rc = 0;

	prog = slash ? slash + 1 : argv[0];
	if (!sock || !*sock)
		sock = CTL_DEFAULT_SOCK;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--socket") && i + 1 < argc) {
			sock = argv[++i];
			continue;
		}
		if (!strncmp(a, "--socket=", 9)) {
			sock = a + 9;
			continue;
		}
		if (!strcmp(a, "--all"))
			all = true;
		else if (!strcmp(a, "--ignore"))
			opt_ignore = true;
		else if (!strcmp(a, "--names"))
			opt_names = true;
		else if (!strcmp(a, "--values"))
			opt_values = true;
		else if (!strcmp(a, "--quiet"))
			opt_quiet = true;
		else if (!strcmp(a, "--write"))
			write_mode = true;
		else if (!strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (a[0] == '-' && a[1] && a[1] != '-') {
			for (const char *c = a + 1; *c; c++) {
				switch (*c) {
				case 'a':
				case 'A':
				case 'X':
					all = true;
					break;
				case 'e':
					opt_ignore = true;
					break;
				case 'N':
					opt_names = true;
					break;
				case 'n':
					opt_values = true;
					break;
				case 'q':
					opt_quiet = true;
					break;
				case 'w':
					write_mode = true;
					break;
				case 'h':
					usage(stdout);
					return 0;
				default:
					fprintf(stderr, "%s: invalid option -- '%c'\n", prog, *c);
					usage(stderr);
					return 1;
				}
			}
		} else {
			first = i;
			break;
		}
	}
	load_names();
	if (!all && first == argc) {
		usage(stderr);
		return 1;
	}
	if (daemon_connect(sock))
		return 1;
	if (all) {
		for (size_t i = 0; i < nnames; i++) {
			int r = read_one(names[i]);

			if (r < 0)
				return 1;
			rc |= r;
		}
		return rc;
	}
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		int r;

		if (strchr(a, '=')) {
			r = do_write(a);
		} else if (write_mode) {
			fprintf(stderr, "%s: command line(0): invalid syntax, continuing...\n", prog);
			rc = 1;
			continue;
		} else {
			r = do_read(a);
		}
		if (r < 0)
			return 1;
		rc |= r;
	}
	ctl_client_close(&cli);
	return rc;
}

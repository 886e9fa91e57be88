/* SPDX-License-Identifier: MIT */
/*
 * ctrack-nft: check and list nftables rulesets without a kernel.
 *
 *   ctrack-nft [-c] [-s] [-p] -f FILE [list ruleset]
 *   ctrack-nft SCRIPT [-s] [-p]      (conformance-runner form: apply, then list)
 *
 * FILE is applied to an empty ruleset all or nothing; errors go to stderr in
 * nft's format and the exit status is 1.  `include "x"` is resolved here:
 * absolute paths as given, relative ones against the including script's
 * directory and then the current directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrack/nft.h"

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return -errno;
	for (;;) {
		if (n + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(b, cap);

			if (!nb) {
				free(b);
				fclose(f);
				return -ENOMEM;
			}
			b = nb;
		}
		size_t r = fread(b + n, 1, cap - n, f);

		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	*buf = b;
	*len = n;
	return 0;
}

static int loader(void *arg, const char *name, char **buf, size_t *len)
{
	const char *dir = arg;
	char path[4096];

	if (name[0] == '/' || !dir)
		return read_file(name, buf, len);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!read_file(path, buf, len))
		return 0;
	return read_file(name, buf, len);
}

static void usage(void)
{
	fprintf(stderr, "usage: ctrack-nft [-c] [-s] [-p] -f FILE [list ruleset]\n"
			"       ctrack-nft SCRIPT [-s] [-p]\n");
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	bool check = false, list = false, positional = false;
	unsigned flags = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-c") || !strcmp(a, "--check"))
			check = true;
		else if (!strcmp(a, "-s") || !strcmp(a, "--stateless"))
			flags |= NFT_LIST_STATELESS;
		else if (!strcmp(a, "-p") || !strcmp(a, "--numeric-protocol"))
			flags |= NFT_LIST_NUMERIC_PROTO;
		else if (!strcmp(a, "-f") || !strcmp(a, "--file")) {
			if (++i >= argc) {
				usage();
				return 2;
			}
			file = argv[i];
		} else if (!strcmp(a, "list") && i + 1 < argc && !strcmp(argv[i + 1], "ruleset")) {
			list = true;
			i++;
		} else if (a[0] != '-' && !file) {
			file = a;
			positional = true;
		} else {
			usage();
			return 2;
		}
	}
	if (!file) {
		usage();
		return 2;
	}
	if (positional)
		list = true;

	char *buf, *err = NULL, *dir = strdup(file), *slash;
	size_t len;
	int rc = read_file(file, &buf, &len);

	if (rc) {
		fprintf(stderr, "Error: Could not open file \"%s\": %s\n", file, strerror(-rc));
		free(dir);
		return 1;
	}
	slash = dir ? strrchr(dir, '/') : NULL;
	if (slash)
		*slash = 0;
	struct nft_config cfg = { .load = loader, .load_arg = slash ? dir : NULL };
	struct nft_ruleset *rs;

	if (nft_ruleset_new(&cfg, &rs)) {
		fprintf(stderr, "Error: out of memory\n");
		return 1;
	}
	rc = nft_ruleset_apply(rs, file, buf, len, check, &err);
	free(buf);
	if (rc) {
		if (err)
			fputs(err, stderr);
		else
			fprintf(stderr, "Error: %s\n", strerror(-rc));
		free(err);
		nft_ruleset_free(rs);
		free(dir);
		return 1;
	}
	if (list && !check) {
		char *out;

		if (nft_ruleset_list(rs, flags, &out)) {
			fprintf(stderr, "Error: out of memory\n");
			rc = 1;
		} else {
			fputs(out, stdout);
			free(out);
		}
	}
	nft_ruleset_free(rs);
	free(dir);
	return rc ? 1 : 0;
}

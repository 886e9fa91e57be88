/* SPDX-License-Identifier: MIT */
/* ctrack-bench: clock, resident memory, machine description, CPU pinning. */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Second field of /proc/self/statm: resident pages. */
size_t bench_rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

static void read_first_line(const char *path, const char *key, char *out, size_t outlen)
{
	char line[512];
	FILE *f = fopen(path, "r");

	snprintf(out, outlen, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		size_t len;
		char *p;

		if (key && strncmp(line, key, strlen(key)) != 0)
			continue;
		p = key ? strchr(line, ':') : line;
		if (!p)
			continue;
		if (key)
			p++;
		while (*p == ' ' || *p == '\t')
			p++;
		p[strcspn(p, "\n")] = '\0';
		/* Truncation of a long CPU name is fine. */
		len = strlen(p) < outlen - 1 ? strlen(p) : outlen - 1;
		memcpy(out, p, len);
		out[len] = '\0';
		break;
	}
	fclose(f);
}

void bench_print_machine(void)
{
	char model[256], thp[128], kernel[128], load[128];

	read_first_line("/proc/cpuinfo", "model name", model, sizeof(model));
	read_first_line("/sys/kernel/mm/transparent_hugepage/enabled", NULL, thp, sizeof(thp));
	read_first_line("/proc/sys/kernel/osrelease", NULL, kernel, sizeof(kernel));
	read_first_line("/proc/loadavg", NULL, load, sizeof(load));
	printf("machine:  %ld CPUs (nproc), %s, Linux %s, THP %s\n",
	       sysconf(_SC_NPROCESSORS_ONLN), model, kernel, thp);
	/* Other work on a 2-CPU machine moves every figure: say how busy it was. */
	printf("load:     %s (/proc/loadavg)\n", load);
#ifdef __VERSION__
	printf("compiler: %s%s%s\n", __VERSION__,
#ifdef __OPTIMIZE__
	       ", optimized",
#else
	       ", NOT optimized",
#endif
#if defined(__SANITIZE_ADDRESS__)
	       ", ASan (figures meaningless)"
#else
	       ""
#endif
	);
#endif
	/* bench/run.sh passes the exact compile line. */
	if (getenv("CTRACK_BENCH_FLAGS"))
		printf("flags:    %s\n", getenv("CTRACK_BENCH_FLAGS"));
}

/* Aggregate busy and total jiffies of the first line of /proc/stat. */
static bool cpu_jiffies(unsigned long long *busy, unsigned long long *total)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return false;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 5)
		return false;
	*total = 0;
	for (int i = 0; i < 8; i++)
		*total += v[i];
	*busy = *total - v[3] - v[4]; /* idle, iowait */
	return true;
}

/*
 * How busy the CPUs are right now, in percent, measured over half a second
 * while this process sleeps: the load average trails by a minute and counts
 * our own earlier runs, this does not.  -1 if /proc/stat is unreadable.
 */
double bench_busy_pct(void)
{
	unsigned long long b0, t0, b1, t1;
	struct timespec ts = {0, 500000000};

	if (!cpu_jiffies(&b0, &t0))
		return -1;
	nanosleep(&ts, NULL);
	if (!cpu_jiffies(&b1, &t1) || t1 == t0)
		return -1;
	return 100.0 * (double)(b1 - b0) / (double)(t1 - t0);
}

void bench_print_busy(const char *when, double busy)
{
	if (busy < 0)
		return;
	printf("busy:     %.0f %% of the CPUs used by other work (0.5 s sample at %s)\n", busy, when);
	if (busy > BENCH_BUSY_PCT)
		printf("WARNING:  the machine is busy: the figures are unreliable; run again when it "
		       "is idle\n");
}

void bench_cpu_mark(struct bench_cpu_mark *m)
{
	struct timespec ts;

	m->busy = m->total = 0;
	cpu_jiffies(&m->busy, &m->total);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	m->self_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Share of all CPUs' time between two marks that went to other processes:
 * busy time minus our own.  A pinned single-threaded run on 2 CPUs uses 50 %
 * itself; what else ran shows here.
 */
double bench_other_pct(const struct bench_cpu_mark *a, const struct bench_cpu_mark *b)
{
	double hz = (double)sysconf(_SC_CLK_TCK), total_ns, busy_ns, self_ns, other;

	if (b->total <= a->total || hz <= 0)
		return -1;
	total_ns = (double)(b->total - a->total) * 1e9 / hz;
	busy_ns = (double)(b->busy - a->busy) * 1e9 / hz;
	self_ns = (double)(b->self_ns - a->self_ns);
	other = 100.0 * (busy_ns - self_ns) / total_ns;
	return other < 0 ? 0 : other;
}

int bench_pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		return -errno;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
	if (n <= 0)
		return 0;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

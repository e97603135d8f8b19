/*
 * Step 8: the job's own cgroup, so that memory (swap included), process
 * count and CPU share bound the job alone, every descendant is accounted,
 * and the whole job can be killed at once.
 *
 * Detected at run time:
 *  - pure cgroup v2 (/sys/fs/cgroup/cgroup.controllers): one directory
 *    /sys/fs/cgroup/symbi-exec/job-ID with memory.max, memory.swap.max,
 *    pids.max, cpu.max; killed through cgroup.kill.
 *  - hybrid or v1: symbi-exec/job-ID in each of the memory, pids and
 *    cpu hierarchies, plus the controller-less cgroup2 at
 *    /sys/fs/cgroup/unified when present, for its cgroup.kill and
 *    cpu.stat; without it (or them), the freezer hierarchy to kill and
 *    cpuacct to count CPU time.
 * A limit that no cgroup carries falls back to an rlimit (limits.c).
 * The paths are all under /sys/fs/cgroup, writable by root alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../shared/log.h"
#include "helper.h"

#define CG_ROOT "/sys/fs/cgroup"
#define CPU_PERIOD_US 100000

static const char *const v1_names[CGD_COUNT] = {
	[CGD_UNIFIED] = "unified", [CGD_MEMORY] = "memory",
	[CGD_PIDS] = "pids",       [CGD_CPU] = "cpu",
	[CGD_CPUACCT] = "cpuacct", [CGD_FREEZER] = "freezer",
};

static int cg_write(const char *dir, const char *file, const char *val)
{
	char path[256];
	int fd, rc = 0;
	size_t len = strlen(val);

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return -1;
	if (write(fd, val, len) != (ssize_t)len)
		rc = -1;
	close(fd);
	return rc;
}

static int cg_write_u64(const char *dir, const char *file, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cg_write(dir, file, buf);
}

static bool has_file(const char *dir, const char *file)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

/* The number after key (or the first number when key is NULL). */
static int cg_read_u64(const char *dir, const char *file, const char *key,
		       uint64_t *out)
{
	char path[256], line[256];
	size_t klen = key ? strlen(key) : 0;
	FILE *f;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (dir[0] == '\0' || (f = fopen(path, "re")) == NULL)
		return -1;
	while (rc == -1 && fgets(line, sizeof(line), f)) {
		if (key && (strncmp(line, key, klen) != 0 || line[klen] != ' '))
			continue;
		*out = strtoull(line + klen, NULL, 10);
		rc = 0;
	}
	fclose(f);
	return rc;
}

static int make_dir(struct cgroup *cg, int d, const char *root,
		    const char *name)
{
	char parent[96];

	/* 0755 despite the helper's umask: the job may read its limits. */
	snprintf(parent, sizeof(parent), "%s/symbi-exec", root);
	if ((mkdir(parent, 0755) == -1 && errno != EEXIST) ||
	    chmod(parent, 0755) == -1)
		return -1;
	snprintf(cg->dir[d], sizeof(cg->dir[d]), "%s/%s", parent, name);
	/* EEXIST for a fresh random name: co-mounted hierarchies (cpu and
	 * cpuacct) share the directory. */
	if (mkdir(cg->dir[d], 0755) == -1 && errno != EEXIST) {
		cg->dir[d][0] = '\0';
		return -1;
	}
	return chmod(cg->dir[d], 0755);
}

/* Whether the space-separated list holds word. */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static void enable_v2_controllers(const char *dir)
{
	static const char *const ctl[] = {"memory", "pids", "cpu"};
	char path[256], on[256] = "", plus[16];
	FILE *f;

	/* Only what is missing: a write, even a no-op one, makes the kernel
	 * drain the subtree's dying cgroups first. */
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(on, sizeof(on), f) == NULL)
			on[0] = '\0';
		fclose(f);
	}
	/* One at a time: an unavailable controller must not stop the
	 * others; its limit then falls back. */
	for (size_t i = 0; i < sizeof(ctl) / sizeof(*ctl); i++) {
		if (has_word(on, ctl[i]))
			continue;
		snprintf(plus, sizeof(plus), "+%s", ctl[i]);
		(void)cg_write(dir, "cgroup.subtree_control", plus);
	}
}

static void write_v2_limits(struct cgroup *cg, const struct limits *lim)
{
	const char *d = cg->dir[CGD_UNIFIED];
	char cpu[64];

	cg->mem = cg_write_u64(d, "memory.max",
			       lim->v[LIM_MEMORY_MB] << 20) == 0;
	/* Absent without swap accounting: then there is no swap to use. */
	if (has_file(d, "memory.swap.max") &&
	    cg_write(d, "memory.swap.max", "0") == -1)
		cg->mem = false;
	cg->pids = cg_write_u64(d, "pids.max", lim->v[LIM_PROCESSES]) == 0;
	snprintf(cpu, sizeof(cpu), "%" PRIu64 " %d",
		 lim->v[LIM_CPU_MILLICORES] * (CPU_PERIOD_US / 1000),
		 CPU_PERIOD_US);
	cg->cpu = cg_write(d, "cpu.max", cpu) == 0;
}

/* memsw must stay >= limit, so limit first (memsw starts unlimited). */
static void write_v1_limits(struct cgroup *cg, const struct limits *lim)
{
	const char *m = cg->dir[CGD_MEMORY], *c = cg->dir[CGD_CPU];
	uint64_t bytes = lim->v[LIM_MEMORY_MB] << 20;

	cg->mem = m[0] && cg_write_u64(m, "memory.limit_in_bytes", bytes) == 0;
	if (cg->mem && has_file(m, "memory.memsw.limit_in_bytes"))
		cg->mem = cg_write_u64(m, "memory.memsw.limit_in_bytes",
				       bytes) == 0;
	cg->pids = cg->dir[CGD_PIDS][0] &&
		   cg_write_u64(cg->dir[CGD_PIDS], "pids.max",
				lim->v[LIM_PROCESSES]) == 0;
	cg->cpu = c[0] && cg_write_u64(c, "cpu.cfs_period_us",
				       CPU_PERIOD_US) == 0 &&
		  cg_write_u64(c, "cpu.cfs_quota_us",
			       lim->v[LIM_CPU_MILLICORES] *
				       (CPU_PERIOD_US / 1000)) == 0;
}

static void create_v2(struct cgroup *cg, const char *name)
{
	enable_v2_controllers(CG_ROOT);
	if (mkdir(CG_ROOT "/symbi-exec", 0755) == 0 || errno == EEXIST)
		enable_v2_controllers(CG_ROOT "/symbi-exec");
	if (make_dir(cg, CGD_UNIFIED, CG_ROOT, name) == -1)
		log_audit(LOG_WARNING, "cannot create cgroup %s/symbi-exec/%s:"
			  " %s", CG_ROOT, name, strerror(errno));
}

/* The controller-less cgroup2 of a hybrid host kills (cgroup.kill) and
 * counts CPU time (cpu.stat) by itself: then the freezer and cpuacct
 * hierarchies are two fewer to create, join and remove per job. */
static bool unified_covers(const struct cgroup *cg, int d)
{
	const char *u = cg->dir[CGD_UNIFIED];

	if (u[0] == '\0')
		return false;
	return (d == CGD_FREEZER && has_file(u, "cgroup.kill")) ||
	       (d == CGD_CPUACCT && has_file(u, "cpu.stat"));
}

static void create_v1(struct cgroup *cg, const char *name)
{
	for (int d = 0; d < CGD_COUNT; d++) {
		char root[64];

		if (unified_covers(cg, d))
			continue;
		snprintf(root, sizeof(root), CG_ROOT "/%s", v1_names[d]);
		if (has_file(root, "cgroup.procs") &&
		    make_dir(cg, d, root, name) == -1)
			log_audit(LOG_WARNING, "cannot create cgroup %s/%s: %s",
				  root, name, strerror(errno));
	}
}

void cg_create(struct job *j)
{
	struct cgroup *cg = &j->cg;
	const struct limits *lim = &j->dec.lim;
	bool enforce = j->pol.native.enforce_resource_limits;

	cg->v2 = has_file(CG_ROOT, "cgroup.controllers");
	if (cg->v2)
		create_v2(cg, j->work_name);
	else
		create_v1(cg, j->work_name);
	cg->fd = -1;
	if (cg->dir[CGD_UNIFIED][0])
		cg->fd = open(cg->dir[CGD_UNIFIED],
			      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!enforce)
		return;
	if (cg->v2 && cg->dir[CGD_UNIFIED][0])
		write_v2_limits(cg, lim);
	else if (!cg->v2)
		write_v1_limits(cg, lim);
	if (!cg->mem || !cg->pids || !cg->cpu)
		log_audit(LOG_NOTICE, "job=%s: no cgroup for%s%s%s; fallback "
			  "in use", j->job_id, cg->mem ? "" : " memory "
			  "(RLIMIT_AS)", cg->pids ? "" : " processes "
			  "(RLIMIT_NPROC)", cg->cpu ? "" : " cpu cores (none)");
}

/* In the job child, as root, before the drop. A v1 hierarchy is joined
 * through "tasks", which moves the calling thread alone (and the child
 * has one): then the kernel need not take its global threadgroup lock
 * for writing, and that waits for an RCU grace period, 7 to 15 ms on an
 * idle host. cgroup2 has no such file across domains: cg_clone avoids
 * the move there. */
int cg_join(const struct cgroup *cg)
{
	for (int d = 0; d < CGD_COUNT; d++) {
		const char *file = d == CGD_UNIFIED ? "cgroup.procs" : "tasks";

		if (!cg->dir[d][0] || (d == CGD_UNIFIED && cg->cloned_in))
			continue;
		if (cg_write(cg->dir[d], file, "0") == -1)
			return -1;
	}
	return 0;
}

/* clone3 as fork, the child born in the job's cgroup2 directory when the
 * kernel can (CLONE_INTO_CGROUP, Linux 5.7); else the child's cg_join
 * moves it. */
pid_t cg_clone(struct cgroup *cg, struct clone_args *ca)
{
	pid_t pid;

	cg->cloned_in = cg->fd >= 0;
	if (cg->cloned_in) {
		ca->flags |= CLONE_INTO_CGROUP;
		ca->cgroup = (uint64_t)cg->fd;
		pid = (pid_t)syscall(SYS_clone3, ca, sizeof(*ca));
		if (pid != -1 || (errno != E2BIG && errno != EINVAL))
			return pid;
		ca->flags &= ~(uint64_t)CLONE_INTO_CGROUP;
		ca->cgroup = 0; /* nonzero is E2BIG to a kernel without it */
		cg->cloned_in = false;
	}
	return (pid_t)syscall(SYS_clone3, ca, sizeof(*ca));
}

/* Send sig to every pid listed; returns how many were listed. */
static int signal_listed(const char *dir, int sig)
{
	char path[256], line[32];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		long pid = strtol(line, NULL, 10);

		if (pid > 1) {
			(void)kill((pid_t)pid, sig);
			n++;
		}
	}
	fclose(f);
	return n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Without cgroup.kill a fork loop could outrun one pass over the pids:
 * freeze first, kill, thaw (the kills land on thaw). */
static void kill_frozen(const char *dir)
{
	char state[16] = "", path[256];
	FILE *f;

	if (cg_write(dir, "freezer.state", "FROZEN") == -1)
		return;
	snprintf(path, sizeof(path), "%s/freezer.state", dir);
	for (int i = 0; i < 100 && strncmp(state, "FROZEN", 6) != 0; i++) {
		if ((f = fopen(path, "re")) == NULL)
			break;
		if (fgets(state, sizeof(state), f) == NULL)
			state[0] = '\0';
		fclose(f);
		if (strncmp(state, "FROZEN", 6) != 0)
			sleep_ms(1);
	}
	(void)signal_listed(dir, SIGKILL);
	(void)cg_write(dir, "freezer.state", "THAWED");
}

void cg_kill(const struct cgroup *cg)
{
	const char *u = cg->dir[CGD_UNIFIED];

	if (u[0] && cg_write(u, "cgroup.kill", "1") == 0)
		return;
	if (cg->dir[CGD_FREEZER][0])
		kill_frozen(cg->dir[CGD_FREEZER]);
	for (int d = 0; d < CGD_COUNT; d++) {
		if (!cg->dir[d][0])
			continue;
		for (int i = 0; i < 100 && signal_listed(cg->dir[d], SIGKILL) > 0;
		     i++)
			sleep_ms(1);
	}
}

/* One pass: a process forked meanwhile misses the warning, not the
 * SIGKILL that follows it. Every hierarchy lists every process of the
 * job, so the first one made suffices. */
bool cg_signal(const struct cgroup *cg, int sig)
{
	for (int d = 0; d < CGD_COUNT; d++)
		if (cg->dir[d][0]) {
			(void)signal_listed(cg->dir[d], sig);
			return true;
		}
	return false;
}

bool cg_oom_killed(const struct cgroup *cg)
{
	uint64_t n = 0;

	if (cg->v2)
		(void)cg_read_u64(cg->dir[CGD_UNIFIED], "memory.events",
				  "oom_kill", &n);
	else
		(void)cg_read_u64(cg->dir[CGD_MEMORY], "memory.oom_control",
				  "oom_kill", &n);
	return n > 0;
}

int cg_cpu_ms(const struct cgroup *cg, uint64_t *ms)
{
	uint64_t v;

	if (cg->v2 || cg->dir[CGD_CPUACCT][0] == '\0') {
		if (cg_read_u64(cg->dir[CGD_UNIFIED], "cpu.stat", "usage_usec",
				&v) == -1)
			return -1;
		*ms = v / 1000;
		return 0;
	}
	if (cg_read_u64(cg->dir[CGD_CPUACCT], "cpuacct.usage", NULL, &v))
		return -1;
	*ms = v / 1000000;
	return 0;
}

/* After the job is empty; the kernel may need a moment to let go. */
void cg_destroy(struct cgroup *cg)
{
	if (cg->fd >= 0)
		close(cg->fd);
	cg->fd = -1;
	for (int d = 0; d < CGD_COUNT; d++) {
		int i;

		if (!cg->dir[d][0])
			continue;
		for (i = 0; i < 100; i++) {
			if (rmdir(cg->dir[d]) == 0 || errno == ENOENT)
				break;
			sleep_ms(10);
		}
		if (i == 100)
			log_audit(LOG_WARNING, "cannot remove cgroup %s: %s",
				  cg->dir[d], strerror(errno));
		cg->dir[d][0] = '\0';
	}
}

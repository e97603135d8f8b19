/*
 * Step 8: the job's own cgroup, so that memory (swap included), process
 * count and CPU share bound the job alone, every descendant is accounted,
 * and the whole job can be killed at once. Where it goes is decided by
 * cg_choose_parent (cgroup_parent.c): below the caller's own cgroup.
 *
 * Detected at run time:
 *  - pure cgroup v2 (/sys/fs/cgroup/cgroup.controllers): one directory
 *    with memory.max, memory.swap.max, pids.max, cpu.max where its parent
 *    passes those controllers down; killed through cgroup.kill. Below the
 *    caller's own cgroup (a leaf holding the caller: no-internal-process
 *    rule) it has none, and the limits fall back.
 *  - hybrid or v1: a directory in each of the memory, pids and cpu
 *    hierarchies, plus one in the controller-less cgroup2 at
 *    /sys/fs/cgroup/unified when present, for its cgroup.kill and
 *    cpu.stat; without it, the job is killed pid by pid (pids.max bounds
 *    a fork loop) and its CPU time comes from wait4.
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
#include "../shared/util.h"
#include "helper.h"

#define CPU_PERIOD_US 100000
#define CG_FILE (CG_PATH + 32)

/* No stdio: cg_join runs it in a job child that may share the helper's
 * memory (vchild.c's rule). */
static int cg_write(const char *dir, const char *file, const char *val)
{
	char path[CG_FILE];
	int fd, rc = 0;
	size_t len = strlen(val);

	if (path_join(path, sizeof(path), dir, file) == -1)
		return -1;
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
	char path[CG_FILE];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

/* The number after key (or the first number when key is NULL). */
static int cg_read_u64(const char *dir, const char *file, const char *key,
		       uint64_t *out)
{
	char path[CG_FILE], line[256];
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

static int cg_read_line(const char *dir, const char *file, char *buf,
			size_t cap)
{
	char path[CG_FILE];
	FILE *f;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	buf[0] = '\0';
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(buf, (int)cap, f) != NULL)
			rc = 0;
		fclose(f);
	}
	return rc;
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

/* Pass memory, pids and cpu down from dir, one of ours, when it has
 * them and does not yet: a write, even a no-op one, makes the kernel
 * drain the subtree's dying cgroups first. One at a time: an unavailable
 * controller must not stop the others; its limit then falls back. */
static void enable_v2_controllers(const char *dir)
{
	static const char *const ctl[] = {"memory", "pids", "cpu"};
	char have[256], on[256], plus[16];

	(void)cg_read_line(dir, "cgroup.controllers", have, sizeof(have));
	(void)cg_read_line(dir, "cgroup.subtree_control", on, sizeof(on));
	for (size_t i = 0; i < sizeof(ctl) / sizeof(*ctl); i++) {
		if (!has_word(have, ctl[i]) || has_word(on, ctl[i]))
			continue;
		snprintf(plus, sizeof(plus), "+%s", ctl[i]);
		(void)cg_write(dir, "cgroup.subtree_control", plus);
	}
}

/* 0755 despite the helper's umask: the job may read its limits. */
static int make_dir(const char *dir)
{
	if (mkdir(dir, 0755) == -1)
		return errno == EEXIST ? 0 : -1;
	return chmod(dir, 0755);
}

/* A parent of ours: every missing level below the hierarchy's mount
 * made, controllers passed down on v2 from its top level on (never from
 * the mount, the root cgroup, whose subtree_control is not ours). */
static int make_parent(const struct cgroup *cg, int d)
{
	char path[CG_PATH], *p = path + strlen(CG_ROOT), c;

	snprintf(path, sizeof(path), "%s", cg->parent[d]);
	/* Past the mount: CG_ROOT on v2, CG_ROOT/NAME otherwise. */
	if (!cg->v2 && (p = strchr(p + 1, '/')) == NULL)
		return -1;
	for (p++;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (make_dir(path) == -1)
			return -1;
		if (cg->v2)
			enable_v2_controllers(path);
		if (c == '\0')
			return 0;
		*p = c;
	}
}

static void write_v2_limits(struct cgroup *cg, const struct limits *lim,
			    bool cpu_binds)
{
	const char *d = cg->dir[CGD_UNIFIED];
	char cpu[64];

	cg->mem = cg_write_u64(d, "memory.max",
			       lim->v[LIM_MEMORY_MB] << 20) == 0;
	/* Absent without swap accounting: then there is no swap to use. */
	if (cg->mem && has_file(d, "memory.swap.max") &&
	    cg_write(d, "memory.swap.max", "0") == -1)
		cg->mem = false;
	cg->pids = cg_write_u64(d, "pids.max", lim->v[LIM_PROCESSES]) == 0;
	if (!cpu_binds)
		return;
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

/* On the caller's per-user parent (an admin's cgroup_parent): the
 * totals of all the caller's jobs together. */
static void write_user_totals(const struct cgroup *cg, int d,
			      const struct policy *pol)
{
	uint64_t mem = pol->native.user_max_memory_mb << 20;
	uint64_t procs = pol->native.user_max_processes;
	const char *p = cg->parent[d];
	bool v2 = d == CGD_UNIFIED && cg->v2;

	if (mem && (v2 || d == CGD_MEMORY) &&
	    cg_write_u64(p, v2 ? "memory.max" : "memory.limit_in_bytes",
			 mem) == -1)
		log_audit(LOG_WARNING, "cannot set the user's memory total "
			  "on %s: %s", p, strerror(errno));
	if (mem && d == CGD_MEMORY &&
	    has_file(p, "memory.memsw.limit_in_bytes"))
		(void)cg_write_u64(p, "memory.memsw.limit_in_bytes", mem);
	if (procs && (v2 || d == CGD_PIDS) &&
	    cg_write_u64(p, "pids.max", procs) == -1)
		log_audit(LOG_WARNING, "cannot set the user's process total "
			  "on %s: %s", p, strerror(errno));
}

/* The job's directory in hierarchy d, symbi-exec-job-ID, named for
 * whoever looks at the caller's cgroup. */
static void make_job_dir(struct cgroup *cg, int d, const struct job *j)
{
	char *dir = cg->dir[d], name[CG_PATH];
	int n;

	/* A delegated scope exists: only its controllers are ours to pass
	 * on; the slices above it are systemd's. */
	if (cg->delegated && d == CGD_UNIFIED)
		enable_v2_controllers(cg->parent[d]);
	else if (cg->ours[d] && make_parent(cg, d) == -1) {
		log_audit(LOG_WARNING, "cannot create cgroup %s: %s",
			  cg->parent[d], strerror(errno));
		return;
	}
	if (cg->per_user)
		write_user_totals(cg, d, &j->pol);
	/* Built apart: cg lies inside *j, and gcc cannot tell that dir and
	 * j->work_name do not overlap (-Werror=restrict at -O1). */
	n = snprintf(name, sizeof(name), "%s/" CG_JOB_PREFIX "%s",
		     cg->parent[d], j->work_name);
	if (n >= 0 && n < CG_PATH)
		memcpy(dir, name, (size_t)n + 1);
	if (n < 0 || n >= CG_PATH || mkdir(dir, 0755) == -1) {
		log_audit(LOG_WARNING, "cannot create cgroup %s: %s", dir,
			  n >= CG_PATH ? "path too long" : strerror(errno));
		dir[0] = '\0';
	} else if (chmod(dir, 0755) == -1) {
		(void)rmdir(dir);
		dir[0] = '\0';
	}
}

/* Where the job's cgroup has no memory controller (below a caller's
 * leaf on v2), the nearest enclosing cgroup's OOM kill count, to tell
 * afterwards whether the job's end was one. */
static void note_enclosing_oom(struct cgroup *cg)
{
	char dir[CG_PATH], *slash;

	snprintf(dir, sizeof(dir), "%s", cg->dir[CGD_UNIFIED]);
	while ((slash = strrchr(dir, '/')) != NULL &&
	       (size_t)(slash - dir) > strlen(CG_ROOT)) {
		*slash = '\0';
		if (cg_read_u64(dir, "memory.events", "oom_kill",
				&cg->oom_base) == 0) {
			snprintf(cg->oom_dir, sizeof(cg->oom_dir), "%s", dir);
			return;
		}
	}
}

static void log_fallback(const struct job *j)
{
	const struct cgroup *cg = &j->cg;

	if (cg->v2 && !cg->ours[CGD_UNIFIED] && cg->dir[CGD_UNIFIED][0])
		log_audit(LOG_NOTICE, "job=%s: the caller's cgroup %s holds "
			  "processes, so its child %s gets no controllers "
			  "(no-internal-process rule); the enclosing limits "
			  "hold, the job's own fall back", j->job_id,
			  cg->parent[CGD_UNIFIED], cg->dir[CGD_UNIFIED]);
	log_audit(LOG_NOTICE, "job=%s: no cgroup for%s%s%s; fallback "
		  "in use", j->job_id, cg->mem ? "" : " memory "
		  "(RLIMIT_AS)", cg->pids ? "" : " processes "
		  "(RLIMIT_NPROC)", cg->cpu ? "" : " cpu cores (none)");
}

/* A CPU quota of at least every online CPU bounds nothing: the job
 * could not use more even if it widened its affinity (the caller's
 * affinity is the caller's choice, so it does not count). Then the job
 * neither gets nor joins a directory in the cpu hierarchy, nor a
 * cpu.max: a mkdir, two writes, a join and an rmdir less per job. */
static bool cpu_quota_binds(const struct limits *lim)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n <= 0 || lim->v[LIM_CPU_MILLICORES] < (uint64_t)n * 1000;
}

void cg_create(struct job *j)
{
	struct cgroup *cg = &j->cg;
	const struct limits *lim = &j->dec.lim;
	bool cpu_binds = cpu_quota_binds(lim);

	if (!cpu_binds)
		cg->parent[CGD_CPU][0] = '\0';
	for (int d = 0; d < CGD_COUNT; d++)
		if (cg->parent[d][0])
			make_job_dir(cg, d, j);
	cg->fd = -1;
	if (cg->dir[CGD_UNIFIED][0])
		cg->fd = open(cg->dir[CGD_UNIFIED],
			      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->v2 && cg->dir[CGD_UNIFIED][0] &&
	    !has_file(cg->dir[CGD_UNIFIED], "memory.events"))
		note_enclosing_oom(cg);
	if (!j->pol.native.enforce_resource_limits)
		return;
	if (cg->v2 && cg->dir[CGD_UNIFIED][0])
		write_v2_limits(cg, lim, cpu_binds);
	else if (!cg->v2)
		write_v1_limits(cg, lim);
	if (!cpu_binds)
		cg->cpu = true; /* nothing to bound */
	if (!cg->mem || !cg->pids || !cg->cpu)
		log_fallback(j);
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

/* As cg_clone, but a child sharing our memory (vchild.c), in the new
 * namespaces ns_flags asks for (0: none): tier none's job and tier
 * isolated's first process. 0, or -1 when it cannot be (the caller
 * copies with cg_clone instead). */
int cg_share(struct cgroup *cg, struct vchild *vc, uint64_t ns_flags,
	     int (*fn)(void *), void *arg)
{
	cg->cloned_in = cg->fd >= 0;
	if (vchild_spawn_ns(vc, cg->fd, ns_flags, fn, arg) == 0)
		return 0;
	cg->cloned_in = false;
	return -1;
}

/* Send sig to every pid listed (0: only count them); returns how many
 * were listed, or -1 when the list cannot be read. */
static int signal_listed(const char *dir, int sig)
{
	char path[CG_FILE], line[32];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
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

/* Without cgroup.kill, pid by pid until the cgroups are empty: pids.max
 * keeps a fork loop from outrunning the passes. */
void cg_kill(const struct cgroup *cg)
{
	const char *u = cg->dir[CGD_UNIFIED];

	if (u[0] && cg_write(u, "cgroup.kill", "1") == 0)
		return;
	for (int d = 0; d < CGD_COUNT; d++) {
		if (!cg->dir[d][0])
			continue;
		for (int i = 0;
		     i < 100 && signal_listed(cg->dir[d], SIGKILL) > 0; i++)
			sleep_ms(1);
	}
}

/* One pass: a process forked meanwhile misses the warning, not the
 * SIGKILL that follows it. Every hierarchy lists every process of the
 * job, so the first one made suffices. */
/* The kernel's word that no process is left: "populated 0" in the
 * unified cgroup's cgroup.events (which counts its descendants too),
 * else an empty cgroup.procs in every v1 one. A file that cannot be read
 * proves nothing. Without any cgroup the helper's reaping is the proof:
 * it is the subreaper of every process of the job. */
static bool cg_empty(const struct cgroup *cg)
{
	uint64_t populated;

	if (cg->dir[CGD_UNIFIED][0])
		return cg_read_u64(cg->dir[CGD_UNIFIED], "cgroup.events",
				   "populated", &populated) == 0 &&
		       populated == 0;
	for (int d = 0; d < CGD_COUNT; d++)
		if (cg->dir[d][0] && signal_listed(cg->dir[d], 0) != 0)
			return false;
	return true;
}

bool cg_gone(const struct cgroup *cg)
{
	if (cg_empty(cg))
		return true;
	cg_kill(cg);
	for (int i = 0; i < 100; i++) {
		if (cg_empty(cg))
			return true;
		sleep_ms(10);
	}
	return false;
}

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

	if (cg->oom_dir[0])
		return cg_read_u64(cg->oom_dir, "memory.events", "oom_kill",
				   &n) == 0 && n > cg->oom_base;
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

	if (cg_read_u64(cg->dir[CGD_UNIFIED], "cpu.stat", "usage_usec",
			&v) == -1)
		return -1;
	*ms = v / 1000;
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

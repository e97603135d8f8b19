/*
 * The job's rlimits, set in the job child before the privilege drop.
 * CPU seconds, file size and open files always go through rlimits;
 * RLIMIT_AS and RLIMIT_NPROC only stand in for a cgroup that could not
 * be made (RLIMIT_AS stops runtimes that reserve address space, and
 * RLIMIT_NPROC counts every process of the user, not just the job's).
 */
#include <sys/resource.h>

#include "helper.h"

/* A hard limit the caller already lowered cannot be raised back (no
 * CAP_SYS_RESOURCE is assumed): the lower value is the tighter bound,
 * so keep it. The current limit is the caller's (inv_restore_rlimits
 * ran), known without a getrlimit: the invocation recorded every limit
 * set here (RLIMIT_CORE goes to 0 directly). */
static int set_limit(const struct job *j, int res, rlim_t soft, rlim_t hard)
{
	struct rlimit now, rl;

	if (inv_caller_rlimit(&j->inv, res, &now) == -1)
		return -1;
	if (now.rlim_max != RLIM_INFINITY && hard > now.rlim_max)
		hard = now.rlim_max;
	rl.rlim_max = hard;
	rl.rlim_cur = soft < hard ? soft : hard;
	return setrlimit(res, &rl);
}

int limits_apply(const struct job *j)
{
	static const struct rlimit no_core = {0, 0};
	const uint64_t *v = j->dec.lim.v;

	/* 0 is below any hard limit: no need to read it first. */
	if (setrlimit(RLIMIT_CORE, &no_core) == -1)
		return -1;
	if (!j->pol.native.enforce_resource_limits)
		return 0;
	/* SIGXCPU at the soft limit, SIGKILL after the grace period. */
	if (set_limit(j, RLIMIT_CPU, v[LIM_CPU_SECONDS],
		      v[LIM_CPU_SECONDS] + v[LIM_KILL_GRACE_S]) == -1 ||
	    set_limit(j, RLIMIT_FSIZE, v[LIM_FILE_SIZE_MB] << 20,
		      v[LIM_FILE_SIZE_MB] << 20) == -1 ||
	    set_limit(j, RLIMIT_NOFILE, v[LIM_OPEN_FILES], v[LIM_OPEN_FILES]))
		return -1;
	if (!j->cg.mem && set_limit(j, RLIMIT_AS, v[LIM_MEMORY_MB] << 20,
				    v[LIM_MEMORY_MB] << 20) == -1)
		return -1;
	if (!j->cg.pids && set_limit(j, RLIMIT_NPROC, v[LIM_PROCESSES],
				     v[LIM_PROCESSES]) == -1)
		return -1;
	return 0;
}

/*
 * Step 9: start the job. The child sets itself up in a fixed order (new
 * session, cgroup, tier setup, rlimits, signals, umask, descriptors,
 * privilege drop, parent-death signal, the terminal, work directory, tier
 * seal) and execs the checked file. Any failure travels back through a
 * close-on-exec pipe as (step, errno); EOF on that pipe means the exec
 * succeeded, and only then does the client hear "allowed".
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../shared/util.h"
#include "helper.h"

enum step {
	STEP_SETSID = 1,
	STEP_CGROUP,
	STEP_TIER,
	STEP_RLIMIT,
	STEP_SIGNALS,
	STEP_FDS,
	STEP_PRIV,
	STEP_PARENT,
	STEP_TTY,
	STEP_CHDIR,
	STEP_SEAL,
	STEP_EXEC,
	STEP_COUNT,
};

/* The policy's umask (077 unless it says otherwise), or the caller's. */
static mode_t job_umask(const struct job *j)
{
	int m = policy_job_umask(&j->pol);

	return m < 0 ? j->inv.umask : (mode_t)m;
}

static const char *const step_names[STEP_COUNT] = {
	[STEP_SETSID] = "setsid",       [STEP_CGROUP] = "joining the cgroup",
	[STEP_TIER] = "tier setup",     [STEP_RLIMIT] = "setting rlimits",
	[STEP_SIGNALS] = "signals",     [STEP_FDS] = "closing descriptors",
	[STEP_PRIV] = "privilege drop", [STEP_PARENT] = "parent check",
	[STEP_TTY] = "controlling terminal",
	[STEP_CHDIR] = "chdir",         [STEP_SEAL] = "tier seal",
	[STEP_EXEC] = "exec",
};

struct exec_status {
	int32_t step;
	int32_t err;
};

static void __attribute__((noreturn)) report(int fd, int step)
{
	struct exec_status st = {step, errno};

	if (write(fd, &st, sizeof(st)) != sizeof(st))
		_exit(126);
	_exit(127);
}

/* Everything above 2 goes but the few the child still needs (small
 * numbers: the helper holds a handful of descriptors). */
static int close_other_fds(const int keep[4])
{
	int hi = 2;

	for (int i = 0; i < 4; i++)
		hi = keep[i] > hi ? keep[i] : hi;
	for (int fd = 3; fd < hi; fd++)
		if (fd != keep[0] && fd != keep[1] && fd != keep[2] &&
		    fd != keep[3])
			(void)close(fd);
	return close_range((unsigned)hi + 1, ~0u, 0);
}

static void __attribute__((noreturn))
run_child(struct job *j, int st, pid_t helper)
{
	/* Under a tier's fork (the namespace init, ns.c): the init joined
	 * the cgroup and is our parent, pid 1; the work directory is
	 * mounted at its host path, and no directory fd came through. */
	bool in_ns = j->ops->fork != NULL;
	const int keep[4] = {st, j->exe_fd, in_ns ? -1 : j->work_fd,
			     j->pty_fd};

	if (setsid() == -1)
		report(st, STEP_SETSID);
	if (!in_ns && cg_join(&j->cg) == -1)
		report(st, STEP_CGROUP);
	if (j->ops->child_setup && j->ops->child_setup(j) == -1)
		report(st, STEP_TIER);
	if (inv_restore_rlimits(&j->inv) == -1 || limits_apply(j) == -1)
		report(st, STEP_RLIMIT);
	if (inv_default_signals() == -1)
		report(st, STEP_SIGNALS);
	umask(job_umask(j));
	if (close_other_fds(keep) == -1)
		report(st, STEP_FDS);
	/* Another account's job never holds the caller's session keyring. */
	if (priv_drop(&j->user.c) == -1 ||
	    (j->user.c.uid != j->inv.caller.uid && keys_new_session() == -1))
		report(st, STEP_PRIV);
	/* After the uid change: a credential change clears it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
	    getppid() != (in_ns ? 1 : helper)) {
		errno = ESRCH;
		report(st, STEP_PARENT);
	}
	if (pty_take(j) == -1)
		report(st, STEP_TTY);
	if (j->dec.workdir || in_ns ? chdir(j->v.workdir) : fchdir(j->work_fd))
		report(st, STEP_CHDIR);
	if (j->ops->child_seal && j->ops->child_seal(j) == -1)
		report(st, STEP_SEAL);
	priv_exec(j->exe_fd, j->argv, j->envp);
	report(st, STEP_EXEC);
}

struct child_arg {
	struct job *j;
	int st;
	pid_t helper;
};

static int child_main(void *p)
{
	const struct child_arg *a = p;

	run_child(a->j, a->st, a->helper);
}

/* The job's main process (or the tier's stand-in for it), -1 with j->v
 * filled. */
static pid_t fork_job(struct job *j, int p[2], pid_t helper)
{
	struct child_arg ca = {j, p[1], helper};
	struct clone_args cl = {.exit_signal = SIGCHLD};
	pid_t pid;

	if (j->ops->fork)
		return j->ops->fork(j, child_main, &ca);
	pid = cg_clone(&j->cg, &cl);
	if (pid == 0) {
		close(p[0]);
		run_child(j, p[1], helper);
	}
	if (pid == -1)
		set_message(&j->v, 125, "cannot start the job: clone3: %s",
			    strerror(errno));
	return pid;
}

static void describe_failure(struct job *j, const struct exec_status *st)
{
	const char *why = strerror(st->err);

	switch (st->step) {
	case STEP_PRIV:
		set_message(&j->v, 125, "privilege drop failed: %s", why);
		break;
	case STEP_CHDIR:
		set_message(&j->v, 125, "cannot use work directory %s: %s",
			    j->v.workdir, why);
		break;
	case STEP_EXEC:
		set_message(&j->v, st->err == ENOENT ? 127 : 126,
			    "cannot execute %s: %s", j->exe_path, why);
		break;
	default:
		set_message(&j->v, 125, "cannot start the job (%s): %s",
			    st->step > 0 && st->step < STEP_COUNT
				    ? step_names[st->step] : "?",
			    why);
	}
}

/* The exec status: 0 bytes (EOF) when the exec succeeded; -1 with
 * ETIMEDOUT when the job's timeout expired first (the user can stop the
 * child before its exec, or make its chdir hang). */
static ssize_t read_status(const struct job *j, int fd,
			   struct exec_status *st)
{
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	uint64_t end = supervise_deadline(j), now;
	ssize_t n;

	for (;;) {
		if ((now = now_ms()) >= end) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&pf, 1, (int)(end - now > INT_MAX ? INT_MAX
							   : end - now));
		if (n == -1 && errno != EINTR)
			return -1;
		if (n > 0)
			break;
	}
	do
		n = read(fd, st, sizeof(*st));
	while (n == -1 && errno == EINTR);
	return n;
}

int spawn_job(struct job *j)
{
	struct exec_status st = {0, 0};
	pid_t helper = getpid();
	int p[2], err;
	ssize_t n;
	bool late;

	if (pipe2(p, O_CLOEXEC) == -1) {
		set_message(&j->v, 125, "cannot start the job: pipe: %s",
			    strerror(errno));
		return -1;
	}
	j->start_ms = now_ms();
	j->pid = fork_job(j, p, helper);
	close(p[1]);
	if (j->pid == -1) {
		close(p[0]);
		j->pid = 0;
		return -1;
	}
	j->pidfd = (int)syscall(SYS_pidfd_open, j->pid, 0);
	err = errno;
	n = read_status(j, p[0], &st);
	late = n == -1 && errno == ETIMEDOUT;
	close(p[0]);
	if (n == 0 && j->pidfd != -1)
		return 0;
	if (j->pidfd == -1 || n == -1) {
		(void)kill(j->pid, SIGKILL);
		cg_kill(&j->cg);
	}
	if (j->pidfd == -1) {
		set_message(&j->v, 125, "pidfd_open: %s", strerror(err));
	} else if (late) {
		set_message(&j->v, 125, "the job did not start within its "
			    "timeout of %llu s", (unsigned long long)
			    j->dec.lim.v[LIM_TIMEOUT_S]);
	} else if (n != sizeof(st)) {
		set_message(&j->v, 125, "cannot start the job: lost its "
			    "status");
	} else {
		describe_failure(j, &st);
	}
	(void)waitpid(j->pid, NULL, 0);
	j->pid = 0;
	return -1;
}

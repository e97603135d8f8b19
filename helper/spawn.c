/*
 * Step 9: start the job. The child sets itself up in a fixed order (new
 * session, cgroup, tier setup, rlimits, signals, umask, descriptors,
 * privilege drop, parent-death signal, the terminal, work directory, the
 * caller's scheduling policy, tier seal) and execs the checked file.
 * Any failure travels back through a close-on-exec pipe as (step,
 * errno); EOF on that pipe means the exec succeeded, and only then does
 * the client hear "allowed".
 *
 * In tier none the child shares the helper's memory until that exec
 * (vchild.c: its rule binds everything run_child calls). The helper
 * meanwhile only waits on the pipe, bounded by the job's timeout, and
 * reads no errno (the child's is ours too; at worst a step's reported
 * errno could be one of the helper's, never anything else).
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
#include "seccomp.h"

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
	[STEP_SETID] = "set-id filter",
	[STEP_SCHED] = "scheduling policy",
	[STEP_EXEC] = "exec",
	[STEP_JOB] = "starting the job process",
	[STEP_INIT] = "starting the namespace init",
};

struct exec_status {
	int32_t step;
	int32_t err;
};

void spawn_report(int fd, int step)
{
	struct exec_status st = {step, errno};

	if (write(fd, &st, sizeof(st)) != sizeof(st))
		_exit(126);
	_exit(127);
}

#define KEEP_FDS 6

/* Everything above 2 goes but the few the child still needs (small
 * numbers: the helper holds a handful of descriptors). */
static int close_other_fds(const int keep[KEEP_FDS])
{
	int hi = 2;

	for (int i = 0; i < KEEP_FDS; i++)
		hi = keep[i] > hi ? keep[i] : hi;
	for (int fd = 3; fd < hi; fd++) {
		bool kept = false;

		for (int i = 0; i < KEEP_FDS; i++)
			kept = kept || fd == keep[i];
		if (!kept)
			(void)close(fd);
	}
	return close_range((unsigned)hi + 1, ~0u, 0);
}

void spawn_mask_signals(bool all)
{
	const uint64_t set = all ? ~(uint64_t)0 : 0;

	(void)syscall(SYS_rt_sigprocmask, SIG_SETMASK, &set, NULL,
		      sizeof(set));
}

static void __attribute__((noreturn))
run_child(struct job *j, int st, pid_t helper)
{
	/* Under a tier's fork (the namespaces' child, ns.c): born in the
	 * cgroup, pid 1 with no parent in its pid namespace; the work
	 * directory is mounted at its host path, and no directory fd came
	 * through. Its exec is the tier's (the init, which starts the job). */
	bool in_ns = j->ops->fork != NULL;
	int keep[KEEP_FDS] = {st, j->exe_fd, in_ns ? -1 : j->work_fd,
			      j->pty_fd, -1, -1};

	if (j->ops->child_keep)
		j->ops->child_keep(j, &keep[4]);
	if (setsid() == -1)
		spawn_report(st, STEP_SETSID);
	if (!in_ns && cg_join(&j->cg) == -1)
		spawn_report(st, STEP_CGROUP);
	if (j->ops->child_setup && j->ops->child_setup(j) == -1)
		spawn_report(st, STEP_TIER);
	if (inv_restore_rlimits(&j->inv) == -1 || limits_apply(j) == -1)
		spawn_report(st, STEP_RLIMIT);
	if (inv_default_signals() == -1)
		spawn_report(st, STEP_SIGNALS);
	umask(job_umask(j));
	if (close_other_fds(keep) == -1)
		spawn_report(st, STEP_FDS);
	/* The memory we may share is the helper's: with fs.suid_dumpable 2
	 * the uid change leaves it dumpable as root, and a signal the
	 * caller sends before the exec would write it to a core. So every
	 * signal waits from before the drop until we are non-dumpable; the
	 * exec gives the job its own dumpable state. Another account's job
	 * never holds the caller's session keyring. */
	spawn_mask_signals(true);
	if (priv_drop(&j->user.c) == -1 ||
	    (j->user.c.uid != j->inv.caller.uid && keys_new_session() == -1) ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		spawn_report(st, STEP_PRIV);
	spawn_mask_signals(false);
	/* After the uid change: a credential change clears it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
	    getppid() != (in_ns ? 0 : helper)) {
		errno = ESRCH;
		spawn_report(st, STEP_PARENT);
	}
	if (pty_take(j, !in_ns) == -1)
		spawn_report(st, STEP_TTY);
	if (j->dec.workdir || in_ns ? chdir(j->v.workdir) : fchdir(j->work_fd))
		spawn_report(st, STEP_CHDIR);
	/* As the job's account (invocation.c says why), and late: the setup
	 * above runs at the helper's SCHED_OTHER, not real-time; before the
	 * seals, whose filters need not know the call. */
	if (inv_restore_sched(&j->inv) == -1)
		spawn_report(st, STEP_SCHED);
	if (j->ops->child_seal && j->ops->child_seal(j) == -1)
		spawn_report(st, STEP_SEAL);
	/* A job of another account makes no set-id file its caller could
	 * run as that account (the judge's no_setid); last, so the tier's
	 * own filter may stack under it, and the namespace init runs under
	 * it too. */
	if (j->dec.no_setid && seccomp_load_setid_filter() == -1)
		spawn_report(st, STEP_SETID);
	if (j->ops->child_exec)
		j->ops->child_exec(j, st);
	else
		priv_exec(j->exe_fd, j->argv, j->envp);
	spawn_report(st, STEP_EXEC);
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
 * filled. ca lives in our caller's frame: a child sharing our memory
 * reads it after we return. */
static pid_t fork_job(struct job *j, struct child_arg *ca, int p[2],
		      struct vchild *vc)
{
	struct clone_args cl = {.exit_signal = SIGCHLD};
	pid_t pid;

	if (j->ops->fork)
		return j->ops->fork(j, child_main, ca);
	/* Sharing our memory until its exec: no copy of the helper's page
	 * tables, no copy-on-write faults on either side. */
	if (cg_share(&j->cg, vc, 0, child_main, ca) == 0)
		return vc->pid;
	pid = cg_clone(&j->cg, &cl);
	if (pid == 0) {
		close(p[0]);
		run_child(j, p[1], ca->helper);
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
	case STEP_SCHED:
		set_message(&j->v, 125, "cannot run the job under the caller's "
			    "scheduling policy %s%s, priority %d: %s",
			    inv_sched_name(j->inv.sched),
			    j->inv.sched & SCHED_RESET_ON_FORK
				    ? "|SCHED_RESET_ON_FORK" : "",
			    j->inv.sched_param.sched_priority, why);
		break;
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
	case STEP_INIT:
		set_message(&j->v, 125, "isolated: the namespace init could "
			    "not start after the job process did (it was "
			    "killed): %s", why);
		break;
	default:
		set_message(&j->v, 125, "cannot start the job (%s): %s",
			    st->step > 0 && st->step < STEP_COUNT
				    ? step_names[st->step] : "?",
			    why);
	}
}

/* The exec status: 0 bytes (EOF) when the exec succeeded (or the child
 * died first); -2 when the job's timeout expired first (the user can
 * stop the child before its exec, or make its chdir hang); -1 when the
 * pipe failed. No errno is read: a child sharing our memory shares it
 * until its exec, so every failure is retried until the deadline. */
static ssize_t read_status(const struct job *j, int fd,
			   struct exec_status *st)
{
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	uint64_t end = supervise_deadline(j), now;
	ssize_t n;

	for (;;) {
		if ((now = now_ms()) >= end)
			return -2;
		if (poll(&pf, 1, (int)(end - now > INT_MAX ? INT_MAX
							    : end - now)) > 0)
			break;
	}
	do
		n = read(fd, st, sizeof(*st));
	while (n == -1 && now_ms() < end);
	return n;
}

/* A job that did not start: killed (stopped by its caller, it would not
 * exit on its own), reaped, and the stack it shared released. */
static void abandon_start(struct job *j, struct vchild *vc)
{
	if (j->pidfd != -1)
		(void)syscall(SYS_pidfd_send_signal, j->pidfd, SIGKILL, NULL, 0);
	else
		(void)kill(j->pid, SIGKILL);
	cg_kill(&j->cg);
	(void)waitpid(j->pid, NULL, 0);
	vchild_release(vc);
	j->pid = 0;
}

static void describe_start_failure(struct job *j, ssize_t n,
				   const struct exec_status *st, int err)
{
	if (j->pidfd == -1) {
		set_message(&j->v, 125, "pidfd_open: %s", strerror(err));
	} else if (n == -2) {
		set_message(&j->v, 125, "the job did not start within its "
			    "timeout of %llu s", (unsigned long long)
			    j->dec.lim.v[LIM_TIMEOUT_S]);
	} else if (n != sizeof(*st)) {
		set_message(&j->v, 125, "cannot start the job: lost its "
			    "status");
	} else {
		describe_failure(j, st);
	}
}

int spawn_job(struct job *j)
{
	struct exec_status st = {0, 0};
	struct child_arg ca = {.j = j, .helper = getpid()};
	struct vchild vc = {.pid = -1, .pidfd = -1, .stack = NULL};
	int p[2], err = 0;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) == -1) {
		set_message(&j->v, 125, "cannot start the job: pipe: %s",
			    strerror(errno));
		return -1;
	}
	ca.st = p[1];
	j->start_ms = now_ms();
	j->pid = fork_job(j, &ca, p, &vc);
	close(p[1]);
	if (j->pid == -1) {
		close(p[0]);
		j->pid = 0;
		return -1;
	}
	/* A shared child came with its pidfd; only a fork's errno is ours
	 * to read. */
	j->pidfd = vc.pidfd;
	if (vc.pid == -1) {
		j->pidfd = (int)syscall(SYS_pidfd_open, j->pid, 0);
		err = errno;
	}
	n = read_status(j, p[0], &st);
	close(p[0]);
	if (n == 0 && j->pidfd != -1) {
		vchild_release(&vc); /* EOF: it exec'd or exited */
		return 0;
	}
	abandon_start(j, &vc);
	describe_start_failure(j, n, &st, err);
	return -1;
}

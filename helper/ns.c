/*
 * Namespaces and the init of an isolated job (contract in ns.h).
 *
 * The namespaces' child is made by clone3 (vchild_spawn_ns through the
 * tier's share hook: the pidfd, the cgroup and the namespaces in one
 * call) with CLONE_VM on a stack of its own and without CLONE_VFORK: it
 * shares the helper's memory until it execs the init, and the helper,
 * meanwhile, only waits for the init's first report until the start
 * deadline (the job's timeout, at most NS_SETUP_TIMEOUT_MS), touching
 * nothing the child uses (the child's arguments live in ns_spawn's
 * frame until then; errno is shared too, so the wait goes by return
 * values alone). Without CLONE_VFORK, a child stopped after the drop
 * (its uid is then the caller's) cannot hold the helper past the
 * deadline. The child runs on a stale cached thread id and the
 * helper's glibc state, and keeps vchild.c's rule: no allocation
 * (mounts_prepare and build_exec made everything before), no stdio, no
 * library state written; a caller who kills it after the drop, or the
 * helper at the deadline, leaves nothing of the helper's half-updated.
 * Where vchild.c cannot share (fs.suid_dumpable 1, no clone3 entry for
 * the machine, an old kernel), it is a copy instead (the clone hook).
 * The job process it starts last shares the same memory until its own
 * exec (CLONE_VFORK: the child waits meanwhile), under the same rule;
 * the init's first report comes only after both exec'd, and the init
 * is reaped only after every process of its namespace is gone.
 *
 * Why not a fork: a copy of the helper's page tables, copy-on-write
 * faults on both sides for the job's whole life (each 12 to 22 us on a
 * virtual machine), and its teardown when the job ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../init/init.h"
#include "../shared/util.h"
#include "helper.h"
#include "mounts.h"
#include "ns.h"

/* How long the helper waits for the namespace to be built. Mounting
 * only touches the host's own trees and descriptors the helper opened,
 * but a stuck file system must not hang the helper forever. */
#define NS_SETUP_TIMEOUT_MS 30000

/* The job's exec and the init's argv (init/init.h): built in the
 * helper before the clone, so the child only writes the job's pid in. */
struct ns_exec {
	int exe_fd, pty_fd;
	char *const *argv, *const *envp; /* the job's */
	char rep[21], job[21];           /* REPORT, JOB: dec_u64 */
	char *init_argv[INIT_ARGC + 1];
};

/* ---- inside: the namespaces' child ----------------------------------- */

/* status 0: msg says it all (init/main.c's reports carry an errno). */
static void send_report(int fd, int kind, const char *msg)
{
	struct init_report r = {.kind = kind};

	(void)copy_str(r.msg, sizeof(r.msg), msg);
	/* The helper may be gone (EPIPE); nothing else to tell then. */
	(void)!write(fd, &r, sizeof(r));
}

static int loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = -1;

	if (s == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return rc;
}

/* Also in the child: no stdio (helper/vchild.c's rule). */
static int setup_fail(char *err, size_t errlen, const char *what)
{
	const char *why = errno_text(errno);

	err[0] = '\0';
	(void)cat_str(err, errlen, "isolated: cannot ");
	(void)cat_str(err, errlen, what);
	(void)cat_str(err, errlen, ": ");
	(void)cat_str(err, errlen, why);
	return -1;
}

/* Steps 1 to 3 of ns.h, as root. */
static int child_setup(const struct ns_config *cfg,
		       const struct mount_trees *trees, char *err,
		       size_t errlen)
{
	/* The helper is our parent: if it dies, so do we, and with us
	 * the whole pid namespace. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return setup_fail(err, errlen, "set up the namespace init");
	(void)prctl(PR_SET_NAME, "symbi-init");
	if (cfg->enter_cgroup && cfg->enter_cgroup(cfg->ctx) == -1)
		return setup_fail(err, errlen, "join the job's cgroup");
	/* Only now: a cgroup namespace is rooted where it is created. */
	if (unshare(CLONE_NEWCGROUP) == -1)
		return setup_fail(err, errlen, "make the cgroup namespace");
	if (sethostname(NS_HOSTNAME, strlen(NS_HOSTNAME)) == -1)
		return setup_fail(err, errlen, "set the hostname");
	if (!cfg->share_net && loopback_up() == -1)
		return setup_fail(err, errlen, "bring up loopback");
	return mounts_build_root(cfg->mounts, trees, err, errlen);
}

/* What the child reads, in ns_spawn's frame until the child is done. */
struct ns_child {
	const struct ns_config *cfg;
	struct mount_trees trees;
	int rep;
	int (*fn)(void *);
	void *arg;
};

static int child_main(void *p)
{
	const struct ns_child *c = p;
	char err[sizeof(((struct init_report *)0)->msg)];

	if (child_setup(c->cfg, &c->trees, err, sizeof(err)) == -1) {
		send_report(c->rep, INIT_FAILED, err);
		_exit(125);
	}
	return c->fn(c->arg);
}

/* The job process, pid 2, sharing our memory until its exec (vchild.c's
 * rule; we wait, CLONE_VFORK): a process group of its own, in the
 * foreground of the terminal, so ^C and ^Z reach the job and not the
 * init (SIGTTOU, which tcsetpgrp from a background group raises, is
 * blocked with every other signal); then the job's empty signal mask
 * and the checked file. */
struct ns_start {
	const struct ns_exec *x;
	int st;
};

static int job_main(void *p)
{
	const struct ns_start *s = p;
	pid_t self;

	if (setpgid(0, 0) == -1)
		spawn_report(s->st, STEP_TTY);
	if (s->x->pty_fd >= 0) {
		self = getpid();
		if (ioctl(s->x->pty_fd, TIOCSPGRP, &self) == -1 ||
		    close(s->x->pty_fd) == -1)
			spawn_report(s->st, STEP_TTY);
	}
	spawn_mask_signals(false);
	priv_exec(s->x->exe_fd, s->x->argv, s->x->envp);
	spawn_report(s->st, STEP_EXEC);
}

/* The helper may have died before our parent-death signal was set
 * (spawn.c sets it after the drop, and getppid() says nothing across a
 * pid namespace): its end of the report pipe tells. */
static bool helper_gone(int rep)
{
	struct pollfd p = {.fd = rep, .events = 0};

	return poll(&p, 1, 0) != 0;
}

void ns_exec_init(const struct ns_job *nj, int status_fd)
{
	static char *const no_env[] = {NULL};
	/* The job process's stack: ours is vchild.c's, 256 KB. */
	char stack[16384] __attribute__((aligned(16)));
	struct ns_start s = {.x = nj->exec, .st = status_fd};
	struct ns_exec *x = nj->exec;
	pid_t pid;

	/* Every signal waits for the init's signalfd (init/init.h). */
	spawn_mask_signals(true);
	if (helper_gone(nj->child_report_fd)) {
		errno = ESRCH;
		spawn_report(status_fd, STEP_PARENT);
	}
	send_report(nj->child_report_fd, INIT_STARTING, "");
	pid = clone(job_main, stack + sizeof(stack),
		    CLONE_VM | CLONE_VFORK | SIGCHLD, &s);
	if (pid == -1)
		spawn_report(status_fd, STEP_JOB);
	dec_u64(x->job, (uint64_t)pid);
	if (fcntl(nj->child_report_fd, F_SETFD, 0) == -1)
		spawn_report(status_fd, STEP_INIT);
	execveat(nj->init_fd, "", x->init_argv, no_env, AT_EMPTY_PATH);
	spawn_report(status_fd, STEP_INIT);
}

/* ---- outside: the helper --------------------------------------------- */

/* What the child execs, but the job's pid, which it fills in. */
static struct ns_exec *build_exec(const struct ns_config *cfg, int rep)
{
	struct ns_exec *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->exe_fd = cfg->exe_fd;
	x->pty_fd = cfg->pty_fd;
	x->argv = cfg->argv;
	x->envp = cfg->envp;
	dec_u64(x->rep, (uint64_t)rep);
	x->init_argv[0] = (char *)INIT_NAME;
	x->init_argv[INIT_ARG_REPORT] = x->rep;
	x->init_argv[INIT_ARG_JOB] = x->job;
	x->init_argv[INIT_ARG_TTY] =
		(char *)(cfg->pty_fd >= 0 ? INIT_TTY : INIT_NO_TTY);
	return x;
}

/* The child shares our memory (vchild_spawn_ns, born in the job's
 * cgroup); where it cannot (fs.suid_dumpable 1, no clone3 entry for
 * the machine, an old kernel), a copy of us, as tier none's job. */
static pid_t start_child(const struct ns_config *cfg, struct ns_child *c,
			 struct vchild *vc, int *pidfd)
{
	/* No CLONE_NEWCGROUP here: the child unshares it after joining
	 * the job's cgroup (step 1). No CLONE_NEWUSER: the helper is
	 * root, and a user namespace would only add kernel surface. */
	uint64_t ns = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC |
		      CLONE_NEWUTS | (cfg->share_net ? 0 : CLONE_NEWNET);
	struct clone_args ca;
	pid_t pid;

	if (cfg->share(vc, ns, child_main, c, cfg->ctx) == 0) {
		*pidfd = vc->pidfd;
		return vc->pid;
	}
	memset(&ca, 0, sizeof(ca));
	ca.flags = ns | CLONE_PIDFD;
	ca.pidfd = (uint64_t)(uintptr_t)pidfd;
	ca.exit_signal = SIGCHLD;
	pid = cfg->clone(&ca, cfg->ctx);
	if (pid == 0)
		_exit(child_main(c));
	return pid;
}

static int start_timeout(const struct ns_config *cfg)
{
	if (cfg->start_timeout_ms > 0 &&
	    cfg->start_timeout_ms < NS_SETUP_TIMEOUT_MS)
		return cfg->start_timeout_ms;
	return NS_SETUP_TIMEOUT_MS;
}

/* While the child may still run in our memory: wait for its next
 * report until end (now_ms). 1 with a report, 0 when the pipe ended
 * (the child is gone or going), -1 at the deadline. Nothing but return
 * values: errno is the child's too. */
static int await_report(int fd, uint64_t end, struct init_report *r)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint64_t now;
	ssize_t n;

	while ((now = now_ms()) < end) {
		if (poll(&p, 1, (int)(end - now)) <= 0)
			continue;
		n = read(fd, r, sizeof(*r));
		if (n == (ssize_t)sizeof(*r)) {
			r->msg[sizeof(r->msg) - 1] = '\0';
			return 1;
		}
		if (n >= 0)
			return 0;
	}
	return -1;
}

/* The child, the init or not yet, is killed and reaped (which also
 * tells us it no longer runs in our memory). */
static void kill_child(struct ns_job *nj)
{
	int status;

	(void)syscall(SYS_pidfd_send_signal, nj->pidfd, SIGKILL, NULL, 0);
	while (waitpid(nj->init_pid, &status, __WALL) == -1 && errno == EINTR)
		;
}

/* The pipe ended without a report: the child exited. With 126 or 127
 * it reported why on spawn.c's status pipe, which the caller reads;
 * anything else, it died. Waits until it is gone from our memory. */
static bool child_reported(const struct ns_job *nj)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)nj->init_pid, &si, WEXITED | WNOWAIT) ==
		       -1 &&
	       errno == EINTR)
		;
	return si.si_code == CLD_EXITED &&
	       (si.si_status == 126 || si.si_status == 127);
}

/* The init's READY (its first report: it comes after its exec, so the
 * child has left our memory), after its parent's STARTING. A failure
 * once the job process may have run says so, for the audit line. */
static int await_init(const struct ns_config *cfg, struct ns_job *nj,
		      char *err, size_t errlen)
{
	uint64_t end = now_ms() + (uint64_t)start_timeout(cfg);
	const char *then = "";
	struct init_report r;
	int got;

	while ((got = await_report(nj->report_fd, end, &r)) == 1 &&
	       r.kind == INIT_STARTING)
		then = " (after the job process started; it was killed)";
	if (got == 1 && r.kind == INIT_READY)
		return 0;
	if (got == 0 && child_reported(nj))
		return 0;
	/* Gone first: nothing half set up lives on while the words are
	 * written. */
	kill_child(nj);
	if (got == 1 && r.kind == INIT_FAILED && r.status > 0)
		snprintf(err, errlen, "%s: %s%s", r.msg, strerror(r.status),
			 then);
	else if (got == 1 && r.kind == INIT_FAILED)
		snprintf(err, errlen, "%s%s", r.msg, then);
	else
		snprintf(err, errlen, "isolated: the namespace init died "
			 "or the job did not start in time%s", then);
	ns_job_close(nj);
	return -1;
}

/* Everything the child needs, made before it exists; -1 with err. */
static int prepare(const struct ns_config *cfg, struct ns_child *c,
		   struct ns_job *nj, int rep[2], char *err, size_t errlen)
{
	if (mounts_prepare(cfg->mounts, &c->trees, err, errlen) == -1)
		return -1;
	if (pipe2(rep, O_CLOEXEC) == -1) {
		mounts_release(&c->trees);
		return setup_fail(err, errlen, "make the init's pipe");
	}
	nj->exec = build_exec(cfg, rep[1]);
	if (nj->exec == NULL) {
		mounts_release(&c->trees);
		close(rep[0]);
		close(rep[1]);
		return setup_fail(err, errlen, "prepare the namespaces");
	}
	return 0;
}

int ns_spawn(const struct ns_config *cfg, int (*child_fn)(void *), void *arg,
	     struct ns_job *nj, char *err, size_t errlen)
{
	struct ns_child c = {.cfg = cfg, .fn = child_fn, .arg = arg};
	struct vchild vc = {.pid = -1, .pidfd = -1};
	int rep[2], rc;
	pid_t pid;

	nj->init_pid = 0;
	nj->exited = false;
	nj->pidfd = nj->report_fd = -1;
	nj->exec = NULL;
	if (prepare(cfg, &c, nj, rep, err, errlen) == -1)
		return -1;
	c.rep = nj->child_report_fd = rep[1];
	nj->init_fd = cfg->init_fd;
	nj->report_fd = rep[0];
	pid = start_child(cfg, &c, &vc, &nj->pidfd);
	close(rep[1]);
	if (pid == -1) {
		setup_fail(err, errlen, "make the namespaces");
		ns_job_close(nj);
		rc = -1;
	} else {
		nj->init_pid = pid;
		rc = await_init(cfg, nj, err, errlen);
	}
	/* The child has exec'd or is gone: ours again. */
	vchild_release(&vc);
	mounts_release(&c.trees);
	free(nj->exec);
	nj->exec = NULL;
	return rc;
}

static int read_report(int fd, struct init_report *r)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	memset(r, 0, sizeof(*r));
	if (poll(&p, 1, 0) <= 0 || read(fd, r, sizeof(*r)) != (ssize_t)sizeof(*r))
		return -1;
	return 0;
}

/* One report, kept if it is the job's end. */
static int next_report(struct ns_job *nj)
{
	struct init_report r;

	if (nj->report_fd == -1 || read_report(nj->report_fd, &r) == -1)
		return -1;
	if (r.kind == INIT_EXITED) {
		nj->exited = true;
		nj->status = r.status;
	}
	return r.kind;
}

int ns_job_state(struct ns_job *nj)
{
	switch (next_report(nj)) {
	case INIT_STOPPED:
		return NS_STOPPED;
	case INIT_CONTINUED:
		return NS_CONTINUED;
	case -1:
	case INIT_EXITED:
		return -1;
	default:
		return 0;
	}
}

int ns_job_status(struct ns_job *nj, int init_status)
{
	while (!nj->exited && next_report(nj) != -1)
		;
	return nj->exited ? nj->status : init_status;
}

void ns_job_close(struct ns_job *nj)
{
	if (nj->pidfd != -1)
		close(nj->pidfd);
	if (nj->report_fd != -1)
		close(nj->report_fd);
	nj->pidfd = nj->report_fd = -1;
}

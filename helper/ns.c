/*
 * Namespaces and the init of an isolated job (contract in ns.h).
 *
 * The init is made by a raw clone3 used like fork (no new stack): glibc
 * 2.36 has no clone3 wrapper, and clone3 gives the pidfd and the
 * namespaces in one call. glibc's cached thread id is stale in such a
 * child, so the init and the job process before its exec stick to plain
 * system calls (nothing there raises a signal or takes a pthread lock).
 *
 * The job process shares the init's memory until its exec (vchild.c):
 * a fork would copy the page tables of the whole helper the init was
 * cloned from. The init waits meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mounts.h"
#include "ns.h"

/* How long the helper waits for the namespace to be built. Mounting
 * only touches the host's own trees and descriptors the helper opened,
 * but a stuck file system must not hang the helper forever. */
#define NS_SETUP_TIMEOUT_MS 30000

enum report_kind {
	REPORT_READY = 1,
	REPORT_FAILED = 2,
	REPORT_EXITED = 3,
	REPORT_STOPPED = 4,   /* job control: the job process stopped */
	REPORT_CONTINUED = 5, /* ... and was continued */
};

/* One write each, well under PIPE_BUF, so never torn. */
struct report {
	int32_t kind;
	int32_t status; /* REPORT_EXITED: the job's wait status */
	char msg[256];  /* REPORT_FAILED: why */
};

static void forwarded_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGCONT);
}

/* ---- inside: the init ------------------------------------------------ */

static void send_report(int fd, int kind, int status, const char *msg)
{
	struct report r = {.kind = kind, .status = status};

	snprintf(r.msg, sizeof(r.msg), "%s", msg);
	/* The helper may be gone (EPIPE); nothing else to tell then. */
	(void)!write(fd, &r, sizeof(r));
}

static _Noreturn void init_fail(int rep, const char *msg)
{
	send_report(rep, REPORT_FAILED, 0, msg);
	_exit(125);
}

static int loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = -1;

	if (s == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return rc;
}

static int setup_fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "isolated: cannot %s: %s", what,
		 strerror(errno));
	return -1;
}

/* Steps 1 to 3 of ns.h, as root. */
static int init_setup(const struct ns_config *cfg, struct mount_trees *trees,
		      char *err, size_t errlen)
{
	/* The helper is our parent: if it dies, so do we, and with us
	 * the whole pid namespace. A new session: the caller's terminal
	 * is not ours. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || setsid() == -1)
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

struct job_start {
	int rep;
	int (*fn)(void *);
	void *arg;
	const sigset_t *mask;
};

/* Step 4, the job process: its descriptor table is its own, so the
 * report pipe closes for it alone. */
static int job_main(void *p)
{
	const struct job_start *s = p;

	close(s->rep);
	sigprocmask(SIG_SETMASK, s->mask, NULL);
	return s->fn(s->arg);
}

/* Step 5: nothing of the helper's left but the report pipe; the job's
 * account; a signalfd for SIGCHLD and the forwarded signals, returned. */
static int become_init(const struct ns_config *cfg, int rep, char *err,
		       size_t errlen)
{
	sigset_t set;
	int sfd;

	if (close_range(0, (unsigned)rep - 1, 0) == -1 ||
	    close_range((unsigned)rep + 1, ~0u, 0) == -1)
		return setup_fail(err, errlen, "close the init's descriptors");
	if (cfg->drop == NULL) {
		errno = EINVAL;
		return setup_fail(err, errlen, "drop the init's privileges");
	}
	if (cfg->drop(cfg->ctx) == -1)
		return setup_fail(err, errlen, "drop the init's privileges");
	/* A change of credentials resets the parent-death signal; the
	 * lifeline (POLLERR on rep) covers the moment in between. Not
	 * dumpable: the job, same uid, cannot ptrace us or read /proc/1. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0) == -1)
		return setup_fail(err, errlen, "set up the namespace init");
	forwarded_signals(&set);
	sigaddset(&set, SIGCHLD);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd == -1)
		return setup_fail(err, errlen, "make the init's signalfd");
	return sfd;
}

/* A pid 1 cannot die of its own signals: a signal death becomes 128+N,
 * and the report carries the real status. */
static _Noreturn void job_ended(int rep, int status)
{
	send_report(rep, REPORT_EXITED, status, "");
	_exit(WIFEXITED(status) ? WEXITSTATUS(status)
				: 128 + WTERMSIG(status));
}

/* Reap; for a job with a terminal, also tell the helper when the job
 * process stops or continues (^Z), as SIGCHLD tells it in tier none.
 * Only then: the helper reads the reports as they come, so that a job
 * stopping itself in a loop cannot fill the pipe and block us. */
static void reap(int rep, pid_t job, bool job_control)
{
	int flags = WNOHANG | (job_control ? WUNTRACED | WCONTINUED : 0);
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, flags)) > 0) {
		if (pid != job)
			continue;
		if (WIFSTOPPED(status))
			send_report(rep, REPORT_STOPPED, status, "");
		else if (WIFCONTINUED(status))
			send_report(rep, REPORT_CONTINUED, 0, "");
		else
			job_ended(rep, status);
	}
}

static void forward(pid_t job, int sig)
{
	/* The job may not have made its own process group yet. */
	if (kill(-job, sig) == -1)
		(void)kill(job, sig);
}

static _Noreturn void init_loop(int sfd, int rep, pid_t job,
				bool job_control)
{
	struct pollfd p[2] = {{.fd = sfd, .events = POLLIN},
			      {.fd = rep, .events = 0}};
	struct signalfd_siginfo si;

	for (;;) {
		/* Events 0 on the pipe's write end: POLLERR alone, when
		 * its reader (the helper) is gone. */
		if (poll(p, 2, -1) == -1 && errno != EINTR)
			_exit(125);
		if (p[1].revents)
			_exit(125);
		if (!(p[0].revents & POLLIN) ||
		    read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if (si.ssi_signo == SIGCHLD)
			reap(rep, job, job_control);
		else
			forward(job, (int)si.ssi_signo);
	}
}

static _Noreturn void init_main(const struct ns_config *cfg,
				struct mount_trees *trees, struct job_start *s)
{
	char err[256];
	int rep = s->rep;
	pid_t job;
	int sfd;

	if (init_setup(cfg, trees, err, sizeof(err)) == -1)
		init_fail(rep, err);
	job = vchild_start(job_main, s);
	if (job == -1) {
		setup_fail(err, sizeof(err), "start the job");
		init_fail(rep, err);
	}
	sfd = become_init(cfg, rep, err, sizeof(err));
	if (sfd == -1) {
		kill(job, SIGKILL);
		init_fail(rep, err);
	}
	send_report(rep, REPORT_READY, 0, "");
	init_loop(sfd, rep, job, cfg->report_stops);
}

/* ---- outside: the helper --------------------------------------------- */

static int read_report(int fd, int timeout_ms, struct report *r)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	memset(r, 0, sizeof(*r));
	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	n = read(fd, r, sizeof(*r));
	if (n != (ssize_t)sizeof(*r))
		return -1;
	r->msg[sizeof(r->msg) - 1] = '\0';
	return 0;
}

static int await_ready(const struct ns_config *cfg, struct ns_job *nj,
		       char *err, size_t errlen)
{
	int timeout = NS_SETUP_TIMEOUT_MS;
	struct report r;
	int status;

	if (cfg->start_timeout_ms > 0 && cfg->start_timeout_ms < timeout)
		timeout = cfg->start_timeout_ms;
	if (read_report(nj->report_fd, timeout, &r) == 0 &&
	    r.kind == REPORT_READY)
		return 0;
	if (r.kind == REPORT_FAILED)
		snprintf(err, errlen, "%s", r.msg);
	else
		snprintf(err, errlen, "isolated: the namespace init died "
			 "or the job did not start in time");
	(void)syscall(SYS_pidfd_send_signal, nj->pidfd, SIGKILL, NULL, 0);
	(void)waitpid(nj->init_pid, &status, 0);
	ns_job_close(nj);
	return -1;
}

static pid_t clone_init(const struct ns_config *cfg, int *pidfd)
{
	struct clone_args ca;

	memset(&ca, 0, sizeof(ca));
	/* No CLONE_NEWCGROUP here: the init unshares it after joining
	 * the job's cgroup (step 1). No CLONE_NEWUSER: the helper is
	 * root, and a user namespace would only add kernel surface. */
	ca.flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC |
		   CLONE_NEWUTS | CLONE_PIDFD |
		   (cfg->share_net ? 0 : CLONE_NEWNET);
	ca.pidfd = (uint64_t)(uintptr_t)pidfd;
	ca.exit_signal = SIGCHLD;
	return cfg->clone(&ca, cfg->ctx);
}

static pid_t start_init(const struct ns_config *cfg, struct mount_trees *trees,
			int (*child_fn)(void *), void *arg, int rep[2],
			int *pidfd)
{
	struct job_start s = {.rep = rep[1], .fn = child_fn, .arg = arg};
	sigset_t block, mask;
	pid_t pid;

	/* Blocked before the clone, so the init queues signals from its
	 * first instant (blocked signals are never ignored, even by a pid
	 * namespace's init) and its signalfd finds them. */
	forwarded_signals(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &mask);
	pid = clone_init(cfg, pidfd);
	if (pid == 0) {
		close(rep[0]);
		s.mask = &mask;
		init_main(cfg, trees, &s);
	}
	sigprocmask(SIG_SETMASK, &mask, NULL);
	return pid;
}

int ns_spawn(const struct ns_config *cfg, int (*child_fn)(void *), void *arg,
	     struct ns_job *nj, char *err, size_t errlen)
{
	struct mount_trees trees;
	int rep[2], e;
	pid_t pid;

	nj->init_pid = 0;
	nj->exited = false;
	nj->pidfd = nj->report_fd = -1;
	if (mounts_prepare(cfg->mounts, &trees, err, errlen) == -1)
		return -1;
	if (pipe2(rep, O_CLOEXEC) == -1) {
		mounts_release(&trees);
		return setup_fail(err, errlen, "make the init's pipe");
	}
	pid = start_init(cfg, &trees, child_fn, arg, rep, &nj->pidfd);
	e = errno;
	mounts_release(&trees);
	close(rep[1]);
	nj->report_fd = rep[0];
	if (pid == -1) {
		errno = e;
		setup_fail(err, errlen, "make the namespaces");
		ns_job_close(nj);
		return -1;
	}
	nj->init_pid = pid;
	return await_ready(cfg, nj, err, errlen);
}

/* One report, kept if it is the job's end. */
static int next_report(struct ns_job *nj)
{
	struct report r;

	if (nj->report_fd == -1 || read_report(nj->report_fd, 0, &r) == -1)
		return -1;
	if (r.kind == REPORT_EXITED) {
		nj->exited = true;
		nj->status = r.status;
	}
	return r.kind;
}

int ns_job_state(struct ns_job *nj)
{
	switch (next_report(nj)) {
	case REPORT_STOPPED:
		return NS_STOPPED;
	case REPORT_CONTINUED:
		return NS_CONTINUED;
	case -1:
	case REPORT_EXITED:
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

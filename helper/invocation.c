/*
 * Step 1: invocation hygiene. Everything the caller could have set up
 * around the exec of a setuid program is checked or reset here, before
 * any other code runs: argv, the scheduling policy, signals,
 * descriptors, environment, umask, rlimits, interval timers, the OOM
 * score, dumpability, and the real uid (so the caller can neither
 * signal nor trace the helper). The helper also leaves the caller's
 * process group: a terminal's ^C, ^Z or hangup must not reach it (the
 * client forwards those over the socket instead).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../shared/log.h"
#include "helper.h"

extern char **environ;

static char *empty_environ[] = {NULL};

static void check_argv(int argc, char **argv)
{
	/* Linux turns an empty argv into {"", NULL}: refuse that too. */
	if (argc < 1 || argv == NULL || argv[0] == NULL || argv[0][0] == '\0')
		die("started with an empty argument list");
}

/* The scheduling policy survives the exec, and a real-time one
 * (SCHED_FIFO, SCHED_RR: any user her RLIMIT_RTPRIO allows) turns the
 * kernel against the root helper: past the caller's RLIMIT_RTTIME of
 * running without a sleep, the kernel sends a real-time process SIGXCPU,
 * then SIGKILL, whatever its uids, so a caller who could not signal the
 * helper herself would end it mid-setup, its cgroups, work directory and
 * record left behind; and a real-time root helper runs ahead of every
 * ordinary process of the host. So the helper runs as SCHED_OTHER, the
 * first thing it does, whatever the policy (SCHED_IDLE would leave it
 * behind the whole host with the job half made; this also clears
 * SCHED_RESET_ON_FORK, which only root may), and fix_rlimits lifts
 * RLIMIT_RTTIME or refuses a finite one (the watchdog may be armed
 * already from the moments before). The caller's policy is recorded
 * for the job: inv_restore_sched. Her nice value stays: within
 * RLIMIT_NICE, it is hers to give. */
static void leave_realtime(struct invocation *inv)
{
	static const struct sched_param other = {.sched_priority = 0};

	inv->sched = sched_getscheduler(0);
	if (inv->sched == -1)
		die("cannot read the scheduling policy: %s", strerror(errno));
	if (inv->sched == SCHED_OTHER)
		return; /* the usual case: priority 0, nothing to change */
	if (sched_getparam(0, &inv->sched_param) == -1 ||
	    sched_setscheduler(0, SCHED_OTHER, &other) == -1)
		die("cannot leave the scheduling policy %s: %s",
		    inv_sched_name(inv->sched), strerror(errno));
}

const char *inv_sched_name(int policy)
{
	switch (policy & ~SCHED_RESET_ON_FORK) {
	case SCHED_OTHER:
		return "SCHED_OTHER";
	case SCHED_FIFO:
		return "SCHED_FIFO";
	case SCHED_RR:
		return "SCHED_RR";
	case SCHED_BATCH:
		return "SCHED_BATCH";
	case SCHED_IDLE:
		return "SCHED_IDLE";
	case SCHED_DEADLINE:
		return "SCHED_DEADLINE";
	default:
		return "an unknown policy";
	}
}

/* In the job child, after the privilege drop: the caller's scheduling
 * policy back, as the job's account, so that the kernel judges it
 * against that account's RLIMIT_RTPRIO (the caller's, which the helper
 * leaves alone) as it would her own sched_setscheduler: root grants no
 * priority she could not take herself. A refusal fails the job (-1 with
 * errno) instead of running it under another policy than the one she
 * started it under: a job that wanted real time and silently runs
 * without it misses its deadlines in ways she cannot see, and a caller
 * who wants it gone says so with chrt(1). Where the job's cgroup cannot
 * hold a real-time task (RT group scheduling with no runtime for it),
 * the job fails the same way. Tiers docker and gvisor never get here:
 * the engine starts their containers. 0 when there is nothing to
 * restore. */
int inv_restore_sched(const struct invocation *inv)
{
	if (inv->sched == SCHED_OTHER)
		return 0;
	return sched_setscheduler(0, inv->sched, &inv->sched_param);
}

/* What a caller can arm before the exec that survives it and signals
 * the helper whatever its uids (kernel execve(2), setitimer(2),
 * timer_create(2), fcntl(2), PR_SET_PDEATHSIG in prctl(2)):
 * - setitimer's ITIMER_REAL, VIRTUAL and PROF do survive, and their
 *   SIGALRM, SIGVTALRM, SIGPROF, sent by the kernel with no permission
 *   check, terminate by default: she would end the root helper at the
 *   instant she picks, its job past its timeout, its cleanup cut. They
 *   are disarmed here, first. One that fired before, while she kept the
 *   signal blocked, is still pending: drained so the unblock in
 *   reset_signals does not deliver it.
 * - POSIX timers (timer_create) do not survive: execve deletes them
 *   (exit_itimers in begin_new_exec).
 * - F_SETOWN/F_SETSIG with O_ASYNC on fd 0-3 (the only ones let in)
 *   stays on the open file, but the kernel's sigio_perm checks the
 *   creds of whoever called F_SETOWN against the target's: once the
 *   helper's uids are all 0 her SIGIO/SIGURG no longer reach it, like
 *   her kill(2); before that, nothing is made yet.
 * - The parent-death signal is cleared by the kernel on a set-uid exec
 *   (and again by leave_foreground).
 * - RLIMIT_CPU counts the CPU she burnt before the exec: fix_rlimits
 *   lifts it or refuses what is left of it.
 * - RLIMIT_RTTIME, for a real-time process: leave_realtime. */
static void disarm_timers(void)
{
	static const int which[] = {ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF};
	const struct itimerval off = {{0, 0}, {0, 0}};
	const struct timespec now = {0, 0};
	sigset_t timer_sigs, pending;

	for (size_t i = 0; i < sizeof(which) / sizeof(*which); i++)
		if (setitimer(which[i], &off, NULL) == -1)
			die("setitimer: %s", strerror(errno));
	sigemptyset(&timer_sigs);
	sigaddset(&timer_sigs, SIGALRM);
	sigaddset(&timer_sigs, SIGVTALRM);
	sigaddset(&timer_sigs, SIGPROF);
	/* Only a blocked signal can be pending here (an unblocked one was
	 * delivered when it fired, before anything was made), so
	 * sigtimedwait takes it; one pending instance each at most. */
	if (sigpending(&pending) == -1)
		die("sigpending: %s", strerror(errno));
	while (sigismember(&pending, SIGALRM) ||
	       sigismember(&pending, SIGVTALRM) ||
	       sigismember(&pending, SIGPROF)) {
		if (sigtimedwait(&timer_sigs, NULL, &now) == -1 ||
		    sigpending(&pending) == -1)
			die("cannot drain a timer's pending signal: %s",
			    strerror(errno));
	}
}

/* Only once root, and without leaving the caller's session. The kernel
 * checks kill(2) before it queues the signal, so a SIGSTOP the caller
 * sends as setresuid(0, 0, 0) runs can be allowed under the old real uid
 * and land any time after, even after a setsid. Within one session the
 * kernel always lets SIGCONT through, so staying in it means the caller
 * can always undo such a stop; SIGCONT is all the session allows, and
 * it only resumes. A process group of its own keeps the terminal's ^C,
 * ^Z and hangup away (they go to the foreground group), and should the
 * caller die while the helper is stopped, the kernel sends the orphaned
 * group SIGHUP and SIGCONT. */
static void leave_foreground(void)
{
	if (getpgrp() != getpid() && setpgid(0, 0) == -1)
		die("setpgid: %s (must be started by symbi-exec)",
		    strerror(errno));
	/* From here on the helper outlives a dead client to clean up after
	 * it. */
	if (prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) == -1)
		die("PR_SET_PDEATHSIG: %s", strerror(errno));
}

/* A caller can leave SIGCHLD ignored (waits then lose exit statuses) or
 * signals blocked; start from the defaults. Ignored: SIGPIPE (a closed
 * stderr must not kill the supervisor before its cleanup), SIGXFSZ (a
 * write past the caller's RLIMIT_FSIZE, a hard limit root without
 * CAP_SYS_RESOURCE cannot raise, fails instead of killing the helper
 * with the job's directory and cgroups made) and the terminal's
 * signals, which a stray process group could still send. The job child
 * resets all of them before its exec. */
static const int ignored[] = {SIGPIPE, SIGXFSZ, SIGINT,  SIGQUIT,
			      SIGTSTP, SIGTTIN, SIGTTOU, SIGHUP};

static bool helper_ignores(int s)
{
	for (size_t i = 0; i < sizeof(ignored) / sizeof(*ignored); i++)
		if (ignored[i] == s)
			return true;
	return false;
}

/* The signals the caller left ignored, bit s-1 for signal s, from the
 * SigIgn line of /proc/self/status (trusted as the descriptor listing
 * below is: a caller cannot mount another /proc and still exec the
 * helper setuid). 0, or -1 when it cannot be read or parsed. */
static int ignored_at_exec(uint64_t *mask)
{
	static const char key[] = "\nSigIgn:\t";
	char buf[4096], *p, *end;
	size_t len = 0;
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	while (len < sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	p = strstr(buf, key);
	if (p == NULL)
		return -1; /* a long Groups line pushed it past buf, or no /proc */
	p += sizeof(key) - 1;
	errno = 0;
	*mask = strtoull(p, &end, 16);
	return errno == 0 && end == p + 16 && *end == '\n' ? 0 : -1;
}

/* Signal s back to its default through the kernel's own call: glibc's
 * sigaction refuses its two internal signals (32 and 33) with EINVAL,
 * yet they reach the helper ignored whenever an ancestor of the caller
 * was started by glibc's posix_spawn, which ignores them in the child
 * it starts. A kernel sigaction all zero is SIG_DFL, no flags, an empty
 * mask, on every architecture's layout. */
static void default_disposition(int s)
{
	unsigned char ksa[64];

	memset(ksa, 0, sizeof(ksa));
	(void)syscall(SYS_rt_sigaction, s, ksa, NULL, sizeof(uint64_t));
}

/* An exec leaves every signal at its default or ignored: the kernel
 * drops handlers, flags and masks, only SIG_IGN survives. So resetting
 * the ignored ones gives the state a reset of all 64 would, in a few
 * system calls instead of 64 (about 1.75 us each here); when SigIgn
 * cannot be read, every signal is reset. */
static void reset_signals(void)
{
	uint64_t ign = ~(uint64_t)0;
	sigset_t all;
	struct sigaction sa;

	(void)ignored_at_exec(&ign);
	for (int s = 1; s < NSIG && s <= 64; s++)
		if ((ign >> (s - 1) & 1) && !helper_ignores(s) &&
		    s != SIGKILL && s != SIGSTOP)
			default_disposition(s);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	for (size_t i = 0; i < sizeof(ignored) / sizeof(*ignored); i++)
		(void)sigaction(ignored[i], &sa, NULL);
	sigfillset(&all);
	(void)sigprocmask(SIG_UNBLOCK, &all, NULL);
}

/* In a child about to exec the job: after reset_signals every signal
 * is at its default but those ignored above (a handler would not
 * survive the exec anyway), so they alone go back, and nothing stays
 * blocked: 7 system calls, not 64. */
int inv_default_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (size_t i = 0; i < sizeof(ignored) / sizeof(*ignored); i++)
		if (sigaction(ignored[i], &sa, NULL) == -1)
			return -1;
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL);
}

/* For a setuid program, glibc reopens a closed fd 0 as /dev/full
 * write-only and a closed fd 1 or 2 as /dev/null read-only before main.
 * Exactly those stand-ins mean "closed": a real </dev/null or >/dev/null
 * has the other access mode. */
static bool glibc_stand_in(int fd)
{
	int want_acc = fd == 0 ? O_WRONLY : O_RDONLY;
	dev_t want_dev = makedev(1, fd == 0 ? 7 : 3);
	int fl = fcntl(fd, F_GETFL);
	struct stat st;

	return fl != -1 && (fl & O_ACCMODE) == want_acc &&
	       fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
	       st.st_rdev == want_dev;
}

/* stderr may be closed: this refusal goes to syslog only. */
static void check_stdio(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) == -1 || glibc_stand_in(fd)) {
			log_audit(LOG_WARNING, "refused: fd %d is not open", fd);
			_exit(125);
		}
	}
}

static void check_socket(void)
{
	struct stat st;
	int domain = 0, type = 0;
	socklen_t len = sizeof(int);

	if (fstat(3, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(3, SOL_SOCKET, SO_DOMAIN, &domain, &len) == -1 ||
	    domain != AF_UNIX ||
	    (len = sizeof(int),
	     getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len) == -1) ||
	    type != SOCK_SEQPACKET)
		die("must be started by symbi-exec (fd 3 is not its socket)");
	if (fcntl(3, F_SETFD, FD_CLOEXEC) == -1)
		die("fd 3: %s", strerror(errno));
}

static void refuse_fd(int fd)
{
	die("descriptor %d is open: must be started by symbi-exec", fd);
}

static int check_fds_proc(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);

		if (e->d_name[0] == '.' || *end != '\0' || fd == dirfd(d))
			continue;
		if (fd > 3)
			refuse_fd((int)fd);
	}
	closedir(d);
	return 0;
}

/* Without /proc: probe every descriptor the hard limit allows. */
static void check_fds(void)
{
	struct rlimit rl;
	rlim_t max = 1 << 20;

	if (check_fds_proc() == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max < max)
		max = rl.rlim_max;
	for (rlim_t fd = 4; fd < max; fd++)
		if (fcntl((int)fd, F_GETFD) != -1)
			refuse_fd((int)fd);
}

static void save_environment(struct invocation *inv)
{
	inv->environ = environ;
	environ = empty_environ;
}

#define OOM_ADJ "/proc/self/oom_score_adj"

/* Anyone may raise her own oom_score_adj, up to 1000, and it survives
 * the exec: the helper would be a host OOM's first victim, killed with
 * its job's cgroups and directories made. Root (CAP_SYS_RESOURCE) puts
 * its own back to 0; the kernel ignores the file offset, so one
 * descriptor reads and writes. The job starts with the helper's 0, not
 * the caller's value: its child shares the helper's memory until the
 * exec (vchild.c), and the kernel gives a value written there to every
 * process sharing that memory, the helper too (__set_oom_adj). */
static void reset_oom_score(void)
{
	char buf[16];
	int fd = open(OOM_ADJ, O_RDWR | O_CLOEXEC);
	ssize_t n = fd == -1 ? -1 : read(fd, buf, sizeof(buf) - 1);
	char *end;
	long v;

	if (n == -1)
		die("%s: cannot be read: %s", OOM_ADJ, strerror(errno));
	if (n == 0)
		die("%s: empty", OOM_ADJ);
	buf[n] = '\0';
	v = strtol(buf, &end, 10);
	if (end == buf || *end != '\n' || v < -1000 || v > 1000)
		die("%s: unexpected contents", OOM_ADJ);
	if (v != 0 && write(fd, "0", 1) != 1)
		die("%s: cannot reset %ld to 0: %s", OOM_ADJ, v,
		    strerror(errno));
	close(fd);
}

struct rlim_need {
	int res;
	const char *name;
	rlim_t min; /* hard limit the helper needs; 0: none */
};

static const struct rlim_need rlim_needs[] = {
	{RLIMIT_CPU, "RLIMIT_CPU", 10},
	{RLIMIT_FSIZE, "RLIMIT_FSIZE", 1u << 20}, /* job records, audit lines */
	{RLIMIT_AS, "RLIMIT_AS", 256u << 20},
	{RLIMIT_DATA, "RLIMIT_DATA", 256u << 20},
	{RLIMIT_STACK, "RLIMIT_STACK", 2u << 20},
	{RLIMIT_NOFILE, "RLIMIT_NOFILE", 64},
	{RLIMIT_NPROC, "RLIMIT_NPROC", 0},
	/* Only infinity: see leave_realtime. */
	{RLIMIT_RTTIME, "RLIMIT_RTTIME", RLIM_INFINITY},
};

_Static_assert(sizeof(rlim_needs) / sizeof(*rlim_needs) == RLIM_NEEDS,
	       "struct invocation records one rlimit per rlim_needs entry");

/* Three limits end the helper with a signal mid-job: a write past
 * RLIMIT_FSIZE to the audit fallback file, which is the helper's own;
 * RLIMIT_CPU, which counts the CPU time the caller's process used
 * before the exec (she can burn all but a moment of it); and
 * RLIMIT_RTTIME, whose count a real-time caller started
 * (leave_realtime). Where root may (CAP_SYS_RESOURCE), none bounds the
 * helper; the job gets the caller's limits back. */
static bool lift(const struct rlim_need *n)
{
	const struct rlimit inf = {RLIM_INFINITY, RLIM_INFINITY};

	return (n->res == RLIMIT_FSIZE || n->res == RLIMIT_CPU ||
		n->res == RLIMIT_RTTIME) &&
	       setrlimit(n->res, &inf) == 0;
}

/* The CPU seconds the process has used, the caller's before the exec
 * included. */
static rlim_t cpu_used(void)
{
	struct timespec t;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) == -1)
		die("CLOCK_PROCESS_CPUTIME_ID: %s", strerror(errno));
	return (rlim_t)t.tv_sec + 1;
}

/* A hard limit too low for the helper to do its job safely; for
 * RLIMIT_CPU, what is left of it. */
static bool too_low(const struct rlim_need *n, rlim_t max)
{
	if (max == RLIM_INFINITY)
		return false;
	if (n->res == RLIMIT_CPU)
		return max < n->min || max - n->min < cpu_used();
	return max < n->min;
}

/* Soft limits the caller lowered are raised back; hard limits cannot be
 * raised (no CAP_SYS_RESOURCE on some hosts), so a hard limit too low
 * for the helper to do its job safely is refused by name. Each limit
 * changed is marked, so the job child restores it without reading them
 * all back. */
static void fix_rlimits(struct invocation *inv)
{
	inv->rlim_raised = 0;
	for (size_t i = 0; i < RLIM_NEEDS; i++) {
		const struct rlim_need *n = &rlim_needs[i];
		struct rlimit rl;

		if (getrlimit(n->res, &rl) == -1)
			die("getrlimit %s: %s", n->name, strerror(errno));
		inv->rlim[i] = rl;
		if (lift(n)) {
			inv->rlim_raised |= 1u << i;
			continue;
		}
		if (too_low(n, rl.rlim_max))
			die("the hard limit %s of %llu is too low to run safely",
			    n->name, (unsigned long long)rl.rlim_max);
		if (rl.rlim_cur == rl.rlim_max)
			continue; /* nothing to raise */
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(n->res, &rl) == -1)
			die("setrlimit %s: %s", n->name, strerror(errno));
		inv->rlim_raised |= 1u << i;
	}
}

/* In the job child: the caller's own limits, before the policy's (the
 * helper raised soft ones, and RLIMIT_FSIZE's, RLIMIT_CPU's and
 * RLIMIT_RTTIME's hard ones where it could, for itself; fix_rlimits
 * marked each, and nothing else in the helper sets a limit, so the
 * others are the caller's still). Returns 0 or -1 with errno. */
int inv_restore_rlimits(const struct invocation *inv)
{
	for (size_t i = 0; i < RLIM_NEEDS; i++)
		if ((inv->rlim_raised & (1u << i)) &&
		    setrlimit(rlim_needs[i].res, &inv->rlim[i]) == -1)
			return -1;
	return 0;
}

/* After inv_restore_rlimits: the limit res now has, as the caller left
 * it, without a getrlimit. 0, or -1 (EINVAL) when it is not one of
 * those recorded. */
int inv_caller_rlimit(const struct invocation *inv, int res,
		      struct rlimit *rl)
{
	for (size_t i = 0; i < RLIM_NEEDS; i++)
		if (rlim_needs[i].res == res) {
			*rl = inv->rlim[i];
			return 0;
		}
	errno = EINVAL;
	return -1;
}

static void record_caller(struct invocation *inv)
{
	struct creds *c = &inv->caller;
	int n;

	c->uid = getuid();
	c->gid = getgid();
	n = getgroups(HELPER_MAX_GROUPS, c->groups);
	if (n < 0)
		die("too many supplementary groups (at most %d)",
		    HELPER_MAX_GROUPS);
	c->ngroups = (size_t)n;
	inv->ppid = getppid();
}

void inv_sanitize(int argc, char **argv, struct invocation *inv)
{
	check_argv(argc, argv);
	leave_realtime(inv);
	disarm_timers();
	reset_signals();
	check_stdio();
	check_socket();
	check_fds();
	save_environment(inv);
	inv->umask = umask(077);
	fix_rlimits(inv);
	reset_oom_score();
	record_caller(inv);
	priv_take_root(inv->ppid);
	leave_foreground();
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		die("PR_SET_DUMPABLE: %s", strerror(errno));
}

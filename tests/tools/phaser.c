/*
 * phaser: the caller against the helper at each phase of the helper's
 * life, for tests/97-adversarial-phases.t only (never installed). It
 * starts the helper as the real client does (socketpair SOCK_SEQPACKET,
 * the socket on fd 3, nothing else open) and learns the very moment the
 * exec took effect (a close-on-exec pipe reaches EOF), then attacks the
 * helper as the calling user: kill(2) with SIGSTOP (then SIGCONT),
 * SIGCONT, SIGTERM and SIGKILL; ptrace PTRACE_ATTACH and PTRACE_SEIZE;
 * open /proc/PID/mem for reading and for writing; open /proc/PID/exe
 * for writing.
 *
 *   phaser [OPTIONS] HELPER MODE [-- COMMAND [ARG...]]
 *
 * What must hold. ptrace and the /proc opens fail with EPERM or EACCES
 * at every phase (the exec of a setuid program leaves it non-dumpable
 * with an effective uid of root). kill(2) may work only in the instant
 * after the exec before the helper makes its real uid 0 (step 1): then
 * SIGTERM and SIGKILL must end the helper with nothing run, and a
 * SIGSTOP must be undone by the caller's SIGCONT. The helper stays in
 * the caller's session (a process group of its own), where the kernel
 * always lets SIGCONT through: a SIGCONT is accepted at every phase, and
 * must change nothing (the helper then serves its request as usual); a
 * refused SIGCONT is counted (cont-refused), and a helper still stopped
 * 1 s later is STUCK.
 * From then on every other signal fails with EPERM. Any other error
 * (EFAULT, ETXTBSY ...) means a permission check was passed, and is a
 * violation too.
 *
 * Modes:
 *   hold     the request is withheld: once the helper is root and waits
 *            for it, every attack; then the request is sent and the job
 *            must run normally (with -m: it wrote into the marker dir).
 *   spray    -N runs; run i fires one attack (they take turns) at a
 *            delay spread evenly over 0..-U microseconds after the exec
 *            (at least twice the time a control run takes from the exec
 *            to its verdict, so a slow machine still reaches the job),
 *            the request already sent; then -B more runs at the edge:
 *            SIGSTOP and SIGCONT pair after pair from the fork until a
 *            SIGSTOP is refused, so that one lands as the helper makes
 *            its real uid 0; the request is sent after that. Each run
 *            must end as said above. Counted: attacks accepted before
 *            root, refused while the helper checked and set up (no
 *            verdict yet), refused once the job ran, target gone,
 *            SIGCONT accepted (at any phase: cont-accepted); edge
 *            runs; runs where a SIGSTOP was accepted and the SIGCONT
 *            right after it refused (cont-refused, edge-cont-refused),
 *            of those the helpers seen stopped, and resumed by
 *            themselves (the slowest in resume-max-ms); and those STUCK
 *            (still stopped after 1 s).
 *   storm    one run: every attack, round after round, from the request
 *            until the helper has exited; each round counted by the
 *            phase it hit: setup (no verdict yet), running, timeout
 *            (from 20 ms before the job's deadline until its processes
 *            are reaped), reporting (job gone, no result yet), cleanup
 *            (result sent, helper not yet gone: it removes the work
 *            directory and cgroups after the result). The job must end
 *            as -x says.
 *   cleanup  first a control: the attacks that work on any process of
 *            the caller's own (kill SIGSTOP and SIGKILL, ptrace attach
 *            and seize, /proc/PID/mem for reading and writing) are made
 *            on a child of phaser's, and must all succeed (so a refusal
 *            below is the kernel's, not a broken harness). Then one
 *            helper run: once the job has ended, the child the helper
 *            forks to empty the work directory (its name, real,
 *            effective and saved uid 0, file-system uid the caller's) is
 *            found and every attack is made on it, round after round
 *            until it is gone: each must fail with EPERM or EACCES; the
 *            helper must still answer normally.
 *
 * Options: -q (helper's stdout and stderr to /dev/null), -v (spray: one
 * line a run), -m DIR (marker directory), -t TIER, -l LIMIT=VALUE (the
 * request), -N RUNS, -U MICROSECONDS, -B RUNS (spray), -x timeout|exit:N
 * (how the job must end; default exit:0), -T SECONDS (deadline for one
 * helper run, default 30).
 *
 * Exit status 0: everything held; 1: a violation (described on stdout);
 * 2: usage or setup error. A helper left stopped for good is reported
 * on a line "STUCK pid=N" so that root can end it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared/proto.h"
#include "shared/util.h"
#include "tests/tools/lib/toolkit.h"

enum attack {
	A_MEM_R,
	A_MEM_W,
	A_EXE_W,
	A_ATTACH,
	A_SEIZE,
	A_STOP,
	A_CONT,
	A_TERM,
	A_KILL,
	A_COUNT,
};

static const char *const attack_names[A_COUNT] = {
	[A_MEM_R] = "open /proc/PID/mem O_RDONLY",
	[A_MEM_W] = "open /proc/PID/mem O_RDWR",
	[A_EXE_W] = "open /proc/PID/exe O_WRONLY",
	[A_ATTACH] = "PTRACE_ATTACH",
	[A_SEIZE] = "PTRACE_SEIZE",
	[A_STOP] = "kill SIGSTOP",
	[A_CONT] = "kill SIGCONT",
	[A_TERM] = "kill SIGTERM",
	[A_KILL] = "kill SIGKILL",
};

/* RESUMED: a SIGSTOP accepted, the caller's SIGCONT right after it
 * refused, and the helper left the stopped state by itself within 1 s;
 * STUCK: it did not. */
enum hit { REFUSED, ACCEPTED, GONE, PASSED, RESUMED, STUCK };

struct opts {
	const char *helper;
	const char *mode;
	const char *marker_dir;
	bool quiet, verbose;
	unsigned runs, boundary_runs;
	unsigned max_us;
	int deadline_s;
	bool expect_timeout;
	int expect_exit;
	struct request req;
};

static unsigned violations;

static const char usage_text[] =
	"usage: phaser [-q] [-v] [-m DIR] [-t TIER] [-l LIMIT=VALUE] [-N RUNS]\n"
	"              [-U MICROSECONDS] [-B RUNS] [-x timeout|exit:N]\n"
	"              [-T SECONDS]\n"
	"              HELPER hold|spray|storm|cleanup [-- COMMAND...]\n";

static void __attribute__((format(printf, 1, 2)))
violation(const char *fmt, ...)
{
	va_list ap;

	violations++;
	printf("VIOLATION: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Busy-wait: finer than any sleep. */
static void spin_until(uint64_t t)
{
	while (tk_now_ns() < t)
		;
}

/* ------------------------------------------------------------ /proc */

/* The state letter of /proc/PID/stat, or 0 when it cannot be read. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	char st = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) != NULL &&
	    p[1] == ' ')
		st = p[2];
	fclose(f);
	return st;
}

/* The real, effective, saved and file-system uids of /proc/PID/status;
 * false when they cannot be read. */
static bool proc_uids(pid_t pid, unsigned long uid[4])
{
	char path[64], line[256];
	bool got = false;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fp = fopen(path, "re");
	if (fp == NULL)
		return false;
	while (fgets(line, sizeof(line), fp)) {
		char *p = line + 4, *end;
		int i;

		if (strncmp(line, "Uid:", 4) != 0)
			continue;
		for (i = 0; i < 4; i++, p = end) {
			errno = 0;
			uid[i] = strtoul(p, &end, 10);
			if (end == p || errno != 0)
				break;
		}
		got = i == 4;
		break;
	}
	fclose(fp);
	return got;
}

/* All four uids of /proc/PID/status are 0. */
static bool proc_all_root(pid_t pid)
{
	unsigned long u[4];

	return proc_uids(pid, u) && u[0] == 0 && u[1] == 0 && u[2] == 0 &&
	       u[3] == 0;
}

static bool proc_comm_is(pid_t pid, const char *want)
{
	char path[64], comm[64];
	FILE *f;
	bool same = false;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	if (fgets(comm, sizeof(comm), f)) {
		comm[strcspn(comm, "\n")] = '\0';
		same = strcmp(comm, want) == 0;
	}
	fclose(f);
	return same;
}

/* The helper's children, up to max; their number. */
static int children_of(pid_t pid, pid_t *out, int max)
{
	char path[80], tok[24];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
		 (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	while (n < max && fscanf(f, "%23s", tok) == 1) {
		uint64_t c;

		if (parse_u64(tok, INT32_MAX, &c) == 0)
			out[n++] = (pid_t)c;
	}
	fclose(f);
	return n;
}

/* Children of the helper that are not the helper's own forks (those keep
 * its name: the job child before its exec, the work directory cleaner). */
static int job_children(pid_t helper)
{
	pid_t c[256];
	int n = children_of(helper, c, 256), jobs = 0;

	for (int i = 0; i < n; i++)
		if (!proc_comm_is(c[i], "symbi-exec-help"))
			jobs++;
	return jobs;
}

/* ---------------------------------------------------------- attacks */

/* What became of helpers whose SIGSTOP got through and whose SIGCONT
 * right after it did not. */
static unsigned seen_stopped;   /* observed in state T meanwhile */
static unsigned resume_max_ms;  /* the slowest to leave it */

/* A SIGSTOP of the caller's was accepted and the SIGCONT right after it
 * refused (the helper became root and left the caller's session in
 * between): RESUMED once /proc/PID/stat leaves state T (or the process
 * is gone) within 1 s, STUCK if it is still stopped then. */
static enum hit await_self_resume(pid_t pid)
{
	uint64_t start = tk_now_ns(), end = start + 1000000000u;
	bool stopped = false;

	for (;;) {
		uint64_t t = tk_now_ns();

		/* Not seen stopped within 5 ms: the stop never took. */
		if (proc_state(pid) == 'T')
			stopped = true;
		else if (stopped || t >= start + 5000000u)
			break;
		if (t >= end)
			return STUCK;
		usleep(200);
	}
	if (stopped) {
		unsigned ms = (unsigned)((tk_now_ns() - start) / 1000000u);

		seen_stopped++;
		if (ms > resume_max_ms)
			resume_max_ms = ms;
	}
	return RESUMED;
}

static int try_open(pid_t pid, const char *what, int flags)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* A trace that worked is undone at once, so the run goes on. */
static int try_ptrace(pid_t pid, enum __ptrace_request req)
{
	int st;

	if (ptrace(req, pid, NULL, NULL) == -1)
		return -1;
	if (req == PTRACE_SEIZE)
		(void)ptrace(PTRACE_INTERRUPT, pid, NULL, NULL);
	(void)waitpid(pid, &st, __WALL);
	(void)ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return 0;
}

/* The one attack the helper accepts at every phase: SIGCONT within the
 * caller's session. */
static bool harmless(enum attack a, enum hit h)
{
	return a == A_CONT && h == ACCEPTED;
}

static enum hit attack(pid_t pid, enum attack a, int *err)
{
	int rc;

	errno = 0;
	switch (a) {
	case A_MEM_R: rc = try_open(pid, "mem", O_RDONLY); break;
	case A_MEM_W: rc = try_open(pid, "mem", O_RDWR); break;
	case A_EXE_W: rc = try_open(pid, "exe", O_WRONLY); break;
	case A_ATTACH: rc = try_ptrace(pid, PTRACE_ATTACH); break;
	case A_SEIZE: rc = try_ptrace(pid, PTRACE_SEIZE); break;
	case A_STOP: rc = kill(pid, SIGSTOP); break;
	case A_CONT: rc = kill(pid, SIGCONT); break;
	case A_TERM: rc = kill(pid, SIGTERM); break;
	default: rc = kill(pid, SIGKILL); break;
	}
	*err = errno;
	if (rc == 0) {
		/* A zombie has no memory left to open: not an access. */
		if (a <= A_SEIZE && proc_state(pid) == 'Z')
			return GONE;
		if (a == A_STOP && kill(pid, SIGCONT) == -1) {
			*err = errno;
			return await_self_resume(pid);
		}
		return ACCEPTED;
	}
	if (*err == EPERM || *err == EACCES)
		return REFUSED;
	if (*err == ESRCH || *err == ENOENT)
		return GONE;
	return PASSED;
}

/* Every attack once; false (and a report) if one was not refused. */
static bool attack_all(pid_t pid, const char *phase, bool verbose)
{
	bool ok = true;
	int err;

	for (int a = 0; a < A_COUNT; a++) {
		enum hit h = attack(pid, (enum attack)a, &err);

		if (verbose)
			printf("%s: %s: %s\n", phase, attack_names[a],
			       h == REFUSED ? strerror(err) :
			       h == GONE    ? "target gone" :
			       harmless(a, h) ? "accepted (same session)" :
					      "NOT REFUSED");
		if (h == REFUSED || h == GONE || harmless(a, h))
			continue;
		ok = false;
		printf("VIOLATION: %s: %s %s (%s)\n", phase, attack_names[a],
		       h == STUCK ? "stopped the helper for good" :
		       h == PASSED ? "got past the permission check" :
				     "succeeded",
		       strerror(err));
		if (h == STUCK)
			printf("STUCK pid=%d\n", (int)pid);
		violations++;
	}
	fflush(stdout);
	return ok;
}

/* ------------------------------------------------------------ helper */

struct helper {
	pid_t pid;
	int sock;
	int exec_fd;      /* EOF once the exec took effect */
	uint64_t exec_ns; /* when it was seen */
};

/* Start the helper exactly as the client does, with a pipe that tells
 * when its exec took effect. */
static void spawn_start(const struct opts *o, struct helper *h)
{
	char *argv[] = { (char *)"symbi-exec-helper", NULL };
	int ex[2];

	if (pipe2(ex, O_CLOEXEC) < 0)
		tk_fail("pipe2");
	h->pid = tk_spawn(o->helper, argv, o->quiet, ex[1], &h->sock);
	close(ex[1]);
	h->exec_fd = ex[0];
}

/* Until the exec of the helper took effect. */
static void wait_exec(const struct opts *o, struct helper *h)
{
	ssize_t n;
	char c;

	do
		n = read(h->exec_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	h->exec_ns = tk_now_ns();
	close(h->exec_fd);
	if (n != 0) {
		errno = ENOEXEC;
		tk_fail(o->helper);
	}
}

static void spawn_helper(const struct opts *o, struct helper *h)
{
	spawn_start(o, h);
	wait_exec(o, h);
}

static void send_request(const struct opts *o, int sock)
{
	static uint8_t buf[PROTO_MAX_MSG];

	tk_send(sock, buf, tk_encode(&o->req, buf, sizeof(buf)));
}

/* Messages until EOF or the deadline; then the helper must exit. */
static void collect(const struct opts *o, struct helper *h,
		    struct tk_outcome *out)
{
	tk_collect(h->sock, h->pid, o->deadline_s, out);
	h->sock = -1;
	out->marker = tk_marker_seen(o->marker_dir);
}

/* The job ran and ended as expected, and the helper exited 0. */
static bool ran(const struct opts *o, const struct tk_outcome *out)
{
	if (out->hung || !out->exited || out->code != 0 ||
	    !out->verdict_seen || out->verdict != 0 || !out->result_seen)
		return false;
	if (o->marker_dir && !out->marker)
		return false;
	if (o->expect_timeout)
		return out->res.timed_out &&
		       out->res.killed_reason == KILL_TIMEOUT;
	return !out->res.timed_out && out->res.signal == 0 &&
	       out->res.exit_code == o->expect_exit;
}

static void describe(const char *what, const struct tk_outcome *out)
{
	printf("%s: verdict=", what);
	if (out->verdict_seen)
		printf("%d", out->verdict);
	else
		printf("none");
	if (out->result_seen)
		printf(" result=exit:%d,signal:%d,timed_out:%d,killed:%d",
		       (int)out->res.exit_code, (int)out->res.signal,
		       out->res.timed_out, out->res.killed_reason);
	printf(" helper=%s:%d%s marker=%s", out->exited ? "exit" : "signal",
	       out->code, out->hung ? " HUNG" : "",
	       out->marker ? "yes" : "no");
	if (out->message[0])
		printf(" (%s)", out->message);
	putchar('\n');
	fflush(stdout);
}

/* ------------------------------------------------------------- hold */

static int run_hold(const struct opts *o)
{
	struct helper h;
	struct tk_outcome out = { .verdict = -1 };
	int i;

	spawn_helper(o, &h);
	/* Root, and asleep: blocked reading the request. */
	for (i = 0; i < 500; i++) {
		if (proc_all_root(h.pid) && proc_state(h.pid) == 'S')
			break;
		usleep(10000);
	}
	usleep(50000);
	if (!proc_all_root(h.pid) || proc_state(h.pid) != 'S') {
		printf("hold: the helper never waited for the request\n");
		return 2;
	}
	attack_all(h.pid, "before the request", true);
	if (proc_state(h.pid) != 'S')
		violation("before the request: the helper is in state %c "
			  "after the attacks", proc_state(h.pid));
	send_request(o, h.sock);
	collect(o, &h, &out);
	describe("hold", &out);
	if (!ran(o, &out))
		violation("hold: the job did not run as it should");
	return violations ? 1 : 0;
}

/* ------------------------------------------------------------ spray */

struct spray_count {
	unsigned runs, before_root, checks, job, gone, cont;
	unsigned edge, cont_refused, edge_cont_refused, resumed, stuck;
	unsigned long long edge_pairs;
};

/* SIGSTOP and SIGCONT, pair after pair, from the fork on, until a
 * SIGSTOP is refused (the helper has made its real uid 0): the last
 * SIGSTOP that got through lands as close to that moment as the caller
 * can make it. When a SIGSTOP got through and its SIGCONT did not, the
 * helper must resume by itself: RESUMED or STUCK. */
static enum hit stop_cont_storm(pid_t pid, int *err, unsigned *pairs)
{
	for (*pairs = 0;; ++*pairs) {
		if (kill(pid, SIGSTOP) == -1) {
			*err = errno;
			return errno == EPERM ? REFUSED :
			       errno == ESRCH ? GONE : PASSED;
		}
		if (kill(pid, SIGCONT) == -1) {
			*err = errno;
			return await_self_resume(pid);
		}
	}
}

/* One run: the request, then attack a at delay_ns after the exec; or
 * (edge) a SIGSTOP/SIGCONT storm across the helper's change of uid. */
static void spray_one(const struct opts *o, enum attack a, uint64_t delay_ns,
		      struct spray_count *k, bool edge)
{
	struct helper h;
	struct tk_outcome out = { .verdict = -1 };
	enum hit hit;
	struct pollfd p;
	bool answered, good;
	unsigned pairs = 0;
	int err;

	/* At the edge the storm starts at the fork, and the request goes
	 * after it: the helper reads it later. */
	spawn_start(o, &h);
	if (edge) {
		hit = stop_cont_storm(h.pid, &err, &pairs);
		wait_exec(o, &h);
		if (hit != STUCK)
			send_request(o, h.sock);
	} else {
		wait_exec(o, &h);
		send_request(o, h.sock);
		spin_until(h.exec_ns + delay_ns);
		hit = attack(h.pid, a, &err);
	}
	p = (struct pollfd){ .fd = h.sock, .events = POLLIN };
	answered = poll(&p, 1, 0) > 0;
	k->runs++;
	if (o->verbose)
		printf("spray %s %s%llu%s: %s%s\n", attack_names[a],
		       edge ? "in a storm, pairs=" : "at ",
		       (unsigned long long)(edge ? pairs : delay_ns),
		       edge ? "" : " ns",
		       hit == ACCEPTED ? "accepted" :
		       hit == REFUSED  ? "refused" :
		       hit == GONE     ? "gone" :
		       hit == RESUMED  ? "CONT refused, resumed by itself" :
		       hit == STUCK    ? "STUCK" : "other",
		       answered ? " (verdict sent)" : "");
	if (edge) {
		k->edge++;
		k->edge_pairs += pairs;
		k->edge_cont_refused += hit == RESUMED || hit == STUCK;
	}
	k->cont_refused += hit == RESUMED || hit == STUCK;
	k->resumed += hit == RESUMED;
	k->stuck += hit == STUCK;
	if (hit == STUCK) {
		printf("VIOLATION: spray %s %s %llu: accepted, but the "
		       "SIGCONT right after it was refused (%s), and the "
		       "helper was still stopped, as root, 1 s later\n"
		       "STUCK pid=%d\n",
		       attack_names[a], edge ? "in a STOP/CONT storm, pair" :
		       "at ns", (unsigned long long)(edge ? pairs : delay_ns),
		       strerror(err), (int)h.pid);
		fflush(stdout);
		violations++;
		close(h.sock);
		return;
	}
	collect(o, &h, &out);
	if (hit == ACCEPTED && (a == A_TERM || a == A_KILL)) {
		k->before_root++;
		/* Ended before it did anything: no answer, no job. */
		good = !out.hung && out.signaled &&
		       out.code == (a == A_TERM ? SIGTERM : SIGKILL) &&
		       !out.verdict_seen && !out.marker;
	} else if (hit == ACCEPTED && a == A_STOP) {
		k->before_root++;
		good = ran(o, &out);
	} else if (harmless(a, hit)) {
		/* At any phase: it only resumes. */
		k->cont++;
		good = ran(o, &out);
	} else if (hit == RESUMED) {
		/* Stopped as it became root, resumed by itself: the request
		 * (sent after) must be served as usual. */
		good = ran(o, &out);
	} else if (hit == REFUSED || hit == GONE) {
		if (!edge && hit == GONE)
			k->gone++;
		else if (!edge && answered)
			k->job++;
		else if (!edge)
			k->checks++;
		good = ran(o, &out);
	} else {
		good = false;
	}
	if (!good) {
		char what[160];

		snprintf(what, sizeof(what), "VIOLATION: spray %s %s %llu "
			 "(%s%s%s)", attack_names[a],
			 edge ? "storm pairs" : "at ns",
			 (unsigned long long)(edge ? pairs : delay_ns),
			 hit == ACCEPTED ? "accepted" :
			 hit == RESUMED	 ? "CONT refused, resumed by itself" :
			 hit == PASSED	 ? "passed the permission check" :
			 hit == GONE	 ? "target gone" : "refused",
			 hit == PASSED ? ": " : "",
			 hit == PASSED ? strerror(err) : "");
		describe(what, &out);
		violations++;
	}
}

/* How long this machine's helper takes from its exec to the verdict,
 * in ns: one run without attacks. A loaded machine is slower, and the
 * spray must still reach the running job. */
static uint64_t time_to_verdict(const struct opts *o)
{
	struct helper h;
	struct tk_outcome out = { .verdict = -1 };
	struct pollfd p;
	uint64_t took;

	spawn_helper(o, &h);
	send_request(o, h.sock);
	p = (struct pollfd){ .fd = h.sock, .events = POLLIN };
	(void)poll(&p, 1, o->deadline_s * 1000);
	took = tk_now_ns() - h.exec_ns;
	collect(o, &h, &out);
	if (!ran(o, &out))
		violation("spray: control: the job did not run as it should");
	return took;
}

static int run_spray(const struct opts *o)
{
	struct spray_count k = { 0 };
	unsigned per = o->runs / A_COUNT, i;
	uint64_t step, span = (uint64_t)o->max_us * 1000, verdict;
	int a;

	if (per == 0)
		per = 1;
	verdict = time_to_verdict(o);
	if (span < 2 * verdict)
		span = 2 * verdict;
	printf("spray verdict-after-us=%llu span-us=%llu\n",
	       (unsigned long long)(verdict / 1000),
	       (unsigned long long)(span / 1000));
	step = span / per;
	for (i = 0; i < per; i++)
		for (a = 0; a < A_COUNT; a++)
			spray_one(o, (enum attack)a, step * i, &k, false);
	for (i = 0; i < o->boundary_runs; i++)
		spray_one(o, A_STOP, 0, &k, true);
	printf("spray runs=%u before-root=%u during-checks=%u job-running=%u "
	       "gone=%u cont-accepted=%u edge=%u edge-pairs=%llu "
	       "cont-refused=%u edge-cont-refused=%u seen-stopped=%u "
	       "resumed=%u resume-max-ms=%u stuck=%u violations=%u\n",
	       k.runs, k.before_root, k.checks, k.job, k.gone, k.cont, k.edge,
	       k.edge_pairs, k.cont_refused, k.edge_cont_refused,
	       seen_stopped, k.resumed, resume_max_ms, k.stuck, violations);
	return violations ? 1 : 0;
}

/* ------------------------------------------------------------ storm */

enum phase { PH_SETUP, PH_RUNNING, PH_TIMEOUT, PH_REPORT, PH_CLEANUP,
	     PH_COUNT };

static const char *const phase_names[PH_COUNT] = {
	"setup", "running", "timeout", "reporting", "cleanup",
};

static int run_storm(const struct opts *o)
{
	struct helper h;
	struct tk_outcome out = { .verdict = -1 };
	unsigned rounds[PH_COUNT] = { 0 };
	uint64_t sent_ns, timeout_ns = 0;
	int pidfd, ph;
	bool going = true;

	if (o->req.lim.set & (1u << LIM_TIMEOUT_S))
		timeout_ns = o->req.lim.v[LIM_TIMEOUT_S] * 1000000000u;
	spawn_helper(o, &h);
	while (!proc_all_root(h.pid))
		if (proc_state(h.pid) == 0)
			break;
	send_request(o, h.sock);
	/* The helper's deadline counts from its fork, a little later. */
	sent_ns = tk_now_ns();
	pidfd = pidfd_open(h.pid, 0);
	if (pidfd < 0)
		tk_fail("pidfd_open");
	while (going) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };

		going = poll(&p, 1, 0) == 0;
		while (tk_read_message(h.sock, 0, &out))
			;
		if (out.result_seen)
			ph = PH_CLEANUP;
		else if (!out.verdict_seen)
			ph = PH_SETUP;
		else if (job_children(h.pid) > 0)
			ph = timeout_ns &&
			     tk_now_ns() + 20000000u >= sent_ns + timeout_ns
				? PH_TIMEOUT : PH_RUNNING;
		else
			ph = PH_REPORT;
		if (!attack_all(h.pid, phase_names[ph], false))
			printf("... in phase %s\n", phase_names[ph]);
		rounds[ph]++;
		if (ph == PH_RUNNING)
			usleep(2000);
	}
	close(pidfd);
	collect(o, &h, &out);
	describe("storm", &out);
	if (!ran(o, &out))
		violation("storm: the job did not end as it should");
	printf("storm rounds:");
	for (ph = 0; ph < PH_COUNT; ph++)
		printf(" %s=%u", phase_names[ph], rounds[ph]);
	printf(" violations=%u\n", violations);
	return violations ? 1 : 0;
}

/* ---------------------------------------------------------- cleanup */

/* The helper's child that is the work directory cleaner, once the job
 * has ended (after its result): the helper's name, real, effective and
 * saved uid 0 and the caller's file-system uid (it took only the user's
 * file credentials). Its uids into uid. */
static pid_t find_cleaner(pid_t helper, uid_t me, struct tk_outcome *out,
			  int sock, unsigned long uid[4])
{
	pid_t c[64];
	bool job_seen = false;
	uint64_t end = tk_now_ns() + 30000000000u;

	while (tk_now_ns() < end) {
		int n = children_of(helper, c, 64);

		while (tk_read_message(sock, 0, out))
			;
		if (proc_state(helper) == 0 || proc_state(helper) == 'Z')
			return 0;
		if (job_children(helper) > 0) {
			job_seen = true;
			continue;
		}
		if (!job_seen)
			continue;
		for (int i = 0; i < n; i++)
			if (proc_comm_is(c[i], "symbi-exec-help") &&
			    proc_uids(c[i], uid) && uid[0] == 0 &&
			    uid[1] == 0 && uid[2] == 0 && uid[3] == me)
				return c[i];
	}
	return 0;
}

/* The attacks that work on any process of one's own (CONT and TERM are
 * kill(2) as STOP and KILL are; /proc/PID/exe for writing needs write
 * access to the program file as well). */
static const enum attack own_attacks[] = {
	A_MEM_R, A_MEM_W, A_ATTACH, A_SEIZE, A_STOP, A_KILL,
};
#define N_OWN (sizeof(own_attacks) / sizeof(own_attacks[0]))

/* The control: those attacks on a child of phaser's own, the same user:
 * the number that succeeded (all, when the harness can tell). */
static unsigned control_own(void)
{
	unsigned accepted = 0;
	pid_t pid = fork();
	int err, st;

	if (pid < 0)
		tk_fail("fork");
	if (pid == 0)
		for (;;)
			pause();
	for (size_t i = 0; i < N_OWN; i++) {
		enum attack a = own_attacks[i];
		enum hit hit = attack(pid, a, &err);

		printf("control: %s on a process of the caller's own: %s\n",
		       attack_names[a], hit == ACCEPTED ? "succeeded" :
		       hit == GONE ? "target gone" : strerror(err));
		accepted += hit == ACCEPTED;
	}
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, &st, 0);
	return accepted;
}

/* Every attack on the cleaner, round after round, until it has exited;
 * the first round is described line by line. */
static void attack_cleaner(pid_t cleaner)
{
	unsigned rounds = 0, refused = 0, gone = 0, first = 0;
	int pidfd = pidfd_open(cleaner, 0), err;
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	if (pidfd < 0)
		tk_fail("pidfd_open (cleaner)");
	do {
		for (int a = 0; a < A_COUNT; a++) {
			enum hit hit = attack(cleaner, (enum attack)a, &err);

			if (rounds == 0)
				printf("cleaner: %s: %s\n", attack_names[a],
				       hit == REFUSED ? strerror(err) :
				       hit == GONE ? "target gone" :
						     "NOT REFUSED");
			if (hit == REFUSED) {
				refused++;
				first += rounds == 0;
			} else if (hit == GONE) {
				gone++;
			} else {
				violation("cleaner: %s was not refused (%s)",
					  attack_names[a], strerror(err));
			}
		}
		rounds++;
	} while (poll(&p, 1, 0) == 0);
	close(pidfd);
	printf("cleaner rounds=%u first-round-refused=%u refused=%u gone=%u\n",
	       rounds, first, refused, gone);
}

static int run_cleanup(const struct opts *o)
{
	struct helper h;
	struct tk_outcome out = { .verdict = -1 };
	unsigned long uid[4];
	pid_t cleaner;

	printf("cleanup control-accepted=%u of %u\n", control_own(),
	       (unsigned)N_OWN);
	spawn_helper(o, &h);
	send_request(o, h.sock);
	cleaner = find_cleaner(h.pid, getuid(), &out, h.sock, uid);
	if (cleaner == 0) {
		printf("cleanup: no work directory cleaner seen\n");
		collect(o, &h, &out);
		describe("cleanup", &out);
		return 2;
	}
	printf("cleanup: the cleaner is pid %d, uids %lu %lu %lu %lu\n",
	       (int)cleaner, uid[0], uid[1], uid[2], uid[3]);
	attack_cleaner(cleaner);
	collect(o, &h, &out);
	describe("cleanup", &out);
	if (!ran(o, &out))
		violation("cleanup: the job did not end as it should");
	return violations ? 1 : 0;
}

/* ------------------------------------------------------------- main */

/* 0 included (parse_u64 refuses it). */
static uint64_t number(const char *s, uint64_t max)
{
	uint64_t v;

	if (strcmp(s, "0") == 0)
		return 0;
	if (parse_u64(s, max, &v) == -1)
		tk_usage();
	return v;
}

static void set_limit(struct request *r, const char *arg)
{
	const char *value;
	int id = tk_limit_arg(arg, &value);

	r->lim.set |= 1u << id;
	r->lim.v[id] = number(value, UINT32_MAX);
	if (r->lim.v[id] == 0)
		tk_usage();
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	char **command;
	int c;

	*o = (struct opts){ .runs = 270, .boundary_runs = 100, .max_us = 4000,
			    .deadline_s = 30 };
	proto_request_init(&o->req);
	while ((c = getopt(argc, argv, "+qvm:t:l:N:U:B:x:T:")) != -1) {
		switch (c) {
		case 'q': o->quiet = true; break;
		case 'v': o->verbose = true; break;
		case 'm': o->marker_dir = optarg; break;
		case 't': tk_set_tier(&o->req, optarg); break;
		case 'l': set_limit(&o->req, optarg); break;
		case 'N': o->runs = (unsigned)number(optarg, 100000); break;
		case 'U': o->max_us = (unsigned)number(optarg, 10000000); break;
		case 'B': o->boundary_runs = (unsigned)number(optarg, 100000); break;
		case 'x':
			if (strcmp(optarg, "timeout") == 0)
				o->expect_timeout = true;
			else if (strncmp(optarg, "exit:", 5) == 0)
				o->expect_exit = (int)number(optarg + 5, 255);
			else
				tk_usage();
			break;
		case 'T': o->deadline_s = (int)number(optarg, 3600); break;
		default: tk_usage();
		}
	}
	command = tk_operands(argv + optind, &o->helper, &o->mode);
	if (tk_add_command(&o->req, command) == -1)
		tk_usage();
}

int main(int argc, char **argv)
{
	static struct opts o;

	tk_usage_text = usage_text;
	parse_opts(argc, argv, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.marker_dir)
		tk_marker_seen(o.marker_dir);
	if (strcmp(o.mode, "hold") == 0)
		return run_hold(&o);
	if (strcmp(o.mode, "spray") == 0)
		return run_spray(&o);
	if (strcmp(o.mode, "storm") == 0)
		return run_storm(&o);
	if (strcmp(o.mode, "cleanup") == 0)
		return run_cleanup(&o);
	tk_usage();
}

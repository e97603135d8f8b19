/*
 * symbi-exec-init: pid 1 of an isolated job's namespaces (contract in
 * init/init.h). The helper builds the namespaces and the new root in a
 * child that shares its memory, takes the job's limits, credentials and
 * seccomp filter there (spawn.c's job child), starts the job process
 * and then execs this program over itself: so no copy of the helper
 * lives on as pid 1 for the job's whole life, nothing here is
 * privileged, and the job's exec does not wait for this one.
 *
 * It only reaps every process of the namespace, forwards SIGINT,
 * SIGTERM, SIGHUP, SIGQUIT and SIGCONT to the job's group, reports stops
 * and continues of the job process when it has a terminal, and exits
 * when the job process ends, reporting its wait status (a pid 1 cannot
 * die of the job's signal: the report carries it, the exit code is
 * 128+N). If the helper goes (the report pipe's reader), it exits, and
 * the kernel kills the namespace.
 *
 * No C library (init/sys.h says why): its own entry point, system calls
 * and the four string functions a compiler may call. It allocates
 * nothing, reads no environment (it gets none) and no file, and fails
 * closed: a bad argument or a failed step is exit 125, with a report
 * (the errno in it; the helper words it) when it has a report pipe.
 */
#include <asm/signal.h>
#include <linux/auxvec.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/poll.h>
#include <linux/prctl.h>
#include <linux/signalfd.h>
#include <linux/wait.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "init/init.h"
#include "init/sys.h"

/* The kernel's sigset for rt_sigprocmask and signalfd4: 64 bits. */
typedef uint64_t kset;
#define KSET_BIT(sig) ((kset)1 << ((sig)-1))

struct job {
	int rep;
	bool tty;
	long pid;
};

/* ---- what the compiler may call, and the stack protector's ---------- */

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *to = d;
	const unsigned char *from = s;

	if (to < from)
		while (n--)
			*to++ = *from++;
	else
		while (n--)
			to[n] = from[n];
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	return memmove(d, s, n);
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

/* -fstack-protector's canary, from the kernel's AT_RANDOM bytes before
 * any protected function runs (init_start is not one). The names are
 * the compiler's. */
uintptr_t __stack_chk_guard; /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
_Noreturn void __stack_chk_fail(void); /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */

_Noreturn void __stack_chk_fail(void) /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
{
	for (;;)
		SYS(__NR_exit_group, 127, 0, 0, 0, 0, 0);
}

/* ---- small helpers ----------------------------------------------------- */

static _Noreturn void die(int code)
{
	for (;;)
		SYS(__NR_exit_group, code, 0, 0, 0, 0, 0);
}

static bool same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* Strict decimal, 0 <= value <= max; -1 otherwise. */
static long parse_num(const char *s, long max)
{
	long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (max - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static void send_report(int rep, int kind, int status, const char *msg)
{
	struct init_report r;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.status = status;
	for (i = 0; msg[i] && i + 1 < sizeof(r.msg); i++)
		r.msg[i] = msg[i];
	/* The helper may be gone (EPIPE): nothing else to tell then. */
	(void)SYS(__NR_write, rep, &r, sizeof(r), 0, 0, 0);
}

/* rc is a failed call's return value, -errno. */
static _Noreturn void fail(int rep, const char *what, long rc)
{
	if (rep >= 0)
		send_report(rep, INIT_FAILED, (int)-rc, what);
	die(125);
}

/* ---- arguments --------------------------------------------------------- */

static void parse_args(long argc, char **argv, struct job *j)
{
	long rep;

	if (argc != INIT_ARGC)
		die(125);
	rep = parse_num(argv[INIT_ARG_REPORT], 1 << 30);
	if (rep < 0)
		die(125);
	j->rep = (int)rep;
	j->pid = parse_num(argv[INIT_ARG_JOB], 1 << 30);
	j->tty = same(argv[INIT_ARG_TTY], INIT_TTY);
	if (j->pid < 2 ||
	    (!j->tty && !same(argv[INIT_ARG_TTY], INIT_NO_TTY)))
		fail(j->rep, "isolated: the namespace init got bad arguments",
		     -EINVAL);
}

/* JOB must be our child, or we would wait for ever: asked of the
 * kernel without reaping it. */
static void check_child(const struct job *j)
{
	unsigned char info[128]; /* a siginfo_t, unread */
	long rc = SYS(__NR_waitid, P_PID, j->pid, info,
		      WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT, 0,
		      0);

	if (rc < 0)
		fail(j->rep, "isolated: the namespace init's job process is "
			     "not its child", rc);
}

/* ---- pid 1 ------------------------------------------------------------- */

/* Every descriptor but a and b (a < b) goes: the job's streams too, so
 * that their end is the job's. */
static long keep_only(int a, int b)
{
	long rc = 0;

	if (a > 0)
		rc = SYS(__NR_close_range, 0, a - 1, 0, 0, 0, 0);
	if (rc == 0 && b > a + 1)
		rc = SYS(__NR_close_range, a + 1, b - 1, 0, 0, 0, 0);
	if (rc == 0)
		rc = SYS(__NR_close_range, b + 1, ~0u, 0, 0, 0, 0);
	return rc;
}

static bool exited(int status)
{
	return (status & 0x7f) == 0;
}

static bool stopped(int status)
{
	return (status & 0xff) == 0x7f;
}

static _Noreturn void job_ended(int rep, int status)
{
	send_report(rep, INIT_EXITED, status, "");
	die(exited(status) ? (status >> 8) & 0xff : 128 + (status & 0x7f));
}

/* Reap everything; for a job with a terminal, report the job process's
 * stops and continues (^Z) as SIGCHLD tells a parent. Only then: the
 * helper reads reports as they come, so a job stopping itself in a loop
 * cannot fill the pipe and block us. */
static void reap(const struct job *j)
{
	int flags = WNOHANG | (j->tty ? WUNTRACED | WCONTINUED : 0);
	int status = 0;
	long pid;

	while ((pid = SYS(__NR_wait4, -1, &status, flags, NULL, 0, 0)) > 0) {
		if (pid != j->pid)
			continue;
		if (status == 0xffff)
			send_report(j->rep, INIT_CONTINUED, 0, "");
		else if (stopped(status))
			send_report(j->rep, INIT_STOPPED, status, "");
		else
			job_ended(j->rep, status);
	}
}

static void forward(long job, int sig)
{
	if (SYS(__NR_kill, -job, sig, 0, 0, 0, 0) < 0)
		(void)SYS(__NR_kill, job, sig, 0, 0, 0, 0);
}

static _Noreturn void serve(const struct job *j, int sfd)
{
	/* Events 0 on the pipe's write end: POLLERR alone, once its reader
	 * (the helper) is gone. */
	struct pollfd p[2] = {{.fd = sfd, .events = POLLIN},
			      {.fd = j->rep, .events = 0}};
	struct signalfd_siginfo si;
	long rc;

	for (;;) {
		rc = SYS(__NR_ppoll, p, 2, NULL, NULL, 0, 0);
		if (rc < 0 && rc != -EINTR)
			die(125);
		if (p[1].revents)
			die(125);
		if (!(p[0].revents & POLLIN) ||
		    SYS(__NR_read, sfd, &si, sizeof(si), 0, 0, 0) !=
			    (long)sizeof(si))
			continue;
		if (si.ssi_signo == SIGCHLD)
			reap(j);
		else
			forward(j->pid, (int)si.ssi_signo);
	}
}

/* The forwarded signals and SIGCHLD, read from a signalfd, and nothing
 * else blocked: the helper's child blocked every signal before the job
 * process existed, so whatever came since waits here, the job's end
 * included. */
static int take_signals(int rep)
{
	kset set = KSET_BIT(SIGINT) | KSET_BIT(SIGTERM) | KSET_BIT(SIGHUP) |
		   KSET_BIT(SIGQUIT) | KSET_BIT(SIGCONT) | KSET_BIT(SIGCHLD);
	long rc = SYS(__NR_signalfd4, -1, &set, sizeof(set), O_CLOEXEC, 0, 0);

	if (rc >= 0 && SYS(__NR_rt_sigprocmask, SIG_SETMASK, &set, NULL,
			   sizeof(set), 0, 0) < 0)
		rc = -EINVAL;
	if (rc < 0)
		fail(rep, "isolated: the namespace init cannot take its "
			  "signals", rc);
	return (int)rc;
}

static _Noreturn void init_main(long argc, char **argv)
{
	struct job j;
	int sfd;

	/* First: the job, our uid, must not ptrace us or write our memory
	 * through /proc/1/mem. The kernel made us non-dumpable at the exec
	 * (we are installed 0711, unreadable to the account that execs
	 * us); this keeps us so where an installation left us readable.
	 * Then the name the job sees for pid 1 (an exec by descriptor names
	 * the process after the file, or after its number on older
	 * kernels). */
	if (SYS(__NR_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0, 0) < 0)
		die(125);
	(void)SYS(__NR_prctl, PR_SET_NAME, "symbi-init", 0, 0, 0, 0);
	parse_args(argc, argv, &j);
	check_child(&j);
	sfd = take_signals(j.rep);
	if (keep_only(j.rep < sfd ? j.rep : sfd, j.rep < sfd ? sfd : j.rep))
		fail(j.rep, "isolated: the namespace init cannot close its "
			    "descriptors", -EBADF);
	send_report(j.rep, INIT_READY, 0, "");
	reap(&j);
	serve(&j, sfd);
}

/* ---- entry ------------------------------------------------------------- */

/* sp: argc, argv..., NULL, envp..., NULL, auxv pairs. Sets the canary,
 * then runs init_main, which never returns. */
__attribute__((used, noreturn, no_stack_protector)) void
init_start(long *sp);

__attribute__((used, noreturn, no_stack_protector)) void init_start(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	unsigned long *aux;

	while (*envp)
		envp++;
	for (aux = (unsigned long *)(envp + 1); aux[0] != AT_NULL; aux += 2)
		if (aux[0] == AT_RANDOM)
			memcpy(&__stack_chk_guard, (const void *)aux[1],
			       sizeof(__stack_chk_guard));
	init_main(argc, argv);
}

#if defined(__x86_64__)
__asm__(".text\n"
	".global _start\n"
	".type _start, @function\n"
	"_start:\n"
	"	endbr64\n"
	"	xor %ebp, %ebp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call init_start\n"
	"	hlt\n");
#elif defined(__aarch64__)
__asm__(".text\n"
	".global _start\n"
	".type _start, %function\n"
	"_start:\n"
	"	mov x29, #0\n"
	"	mov x30, #0\n"
	"	mov x0, sp\n"
	"	bl init_start\n"
	"	brk #0\n");
#endif

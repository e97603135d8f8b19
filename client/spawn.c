/*
 * Exec of symbi-exec-helper with exactly fds 0-3, from a child that
 * shares the client's memory until its exec (CLONE_VM | CLONE_VFORK, as
 * posix_spawn does, on a stack of its own in helper_spawn's frame): no
 * copy of the client's page tables and no copy-on-write faults on
 * either side (each 12 to 22 us on a virtual machine), and the client
 * waits until the exec happened or failed, so the failure's errno comes
 * back in the shared arguments, not through a pipe. The client has no
 * signal handler (run.c reads its signals from a signalfd, and must
 * stay so), so nothing of the client's can run in the child; the child
 * calls only system calls' wrappers, and is not instrumented by the
 * address sanitizer (its redzones would stay marked in the parent's
 * frame after the exec).
 */
#include "client/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "paths.h"
#include "shared/log.h"

extern char **environ;

/* What the child reads, in helper_spawn's frame; failed and step are
 * its answer: the errno of what failed (0 when the exec succeeded) and
 * which step it was. The terminal's slave replaces the stdio
 * descriptors in tty_mask. */
enum spawn_step { STEP_FDS, STEP_EXEC };
struct spawn_args {
	int sock, out, err, tty;
	unsigned tty_mask;
	bool capture;
	const sigset_t *mask;
	int failed;
	enum spawn_step step;
};

#define CHILD_CODE __attribute__((no_sanitize_address))

static CHILD_CODE void __attribute__((noreturn))
child_fail(struct spawn_args *a)
{
	a->failed = errno ? errno : EIO;
	_exit(125);
}

/* Every source is first moved above the targets (0 to 3), so no dup2
 * below can overwrite a descriptor still to be placed. */
static CHILD_CODE int move_high(int fd, struct spawn_args *a)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, 4);

	if (high < 0)
		child_fail(a);
	return high;
}

static CHILD_CODE int child_exec(void *p)
{
	struct spawn_args *a = p;
	char *const argv[] = { (char *)"symbi-exec-helper", NULL };
	int sock = move_high(a->sock, a);

	if (a->capture) {
		int out = move_high(a->out, a), err = move_high(a->err, a);

		if (dup2(out, 1) < 0 || dup2(err, 2) < 0)
			child_fail(a);
	}
	if (a->tty >= 0) {
		int tty = move_high(a->tty, a);

		for (int fd = 0; fd <= 2; fd++)
			if ((a->tty_mask & (1u << fd)) && dup2(tty, fd) < 0)
				child_fail(a);
	}
	/* dup2 leaves the new descriptor without FD_CLOEXEC. */
	if (dup2(sock, 3) < 0 || close_range(4, ~0U, 0) < 0 ||
	    sigprocmask(SIG_SETMASK, a->mask, NULL) < 0)
		child_fail(a);
	a->step = STEP_EXEC;
	execve(HELPER_PATH, argv, environ);
	child_fail(a);
}

static void make_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0)
		die("cannot create a pipe: %s", strerror(errno));
}

void helper_spawn(struct helper *h, bool capture, const struct term *t,
		  const sigset_t *mask)
{
	/* The child's stack until its exec: fcntl, dup2 and execve. */
	char stack[16384] __attribute__((aligned(16)));
	int sv[2], out[2] = { -1, -1 }, err[2] = { -1, -1 };
	struct spawn_args a;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die("cannot create the helper socket: %s", strerror(errno));
	if (capture) {
		make_pipe(out);
		make_pipe(err);
	}
	a = (struct spawn_args){ .sock = sv[1], .out = out[1], .err = err[1],
				 .tty = t ? t->slave : -1,
				 .tty_mask = t ? t->mask : 0,
				 .capture = capture, .mask = mask,
				 .step = STEP_FDS };
	h->pid = clone(child_exec, stack + sizeof(stack),
		       CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
	if (h->pid < 0)
		die("cannot start the helper: %s", strerror(errno));
	if (a.failed) {
		while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (a.step == STEP_FDS)
			die("cannot pass the helper its descriptors: %s",
			    strerror(a.failed));
		die("cannot execute %s: %s", HELPER_PATH, strerror(a.failed));
	}
	close(sv[1]);
	if (capture) {
		close(out[1]);
		close(err[1]);
	}
	h->sock = sv[0];
	h->out = out[0];
	h->err = err[0];
	h->pidfd = pidfd_open(h->pid, 0);
}

void helper_reap(struct helper *h, bool block)
{
	/* Closing the socket first tells a helper still waiting to stop. */
	if (h->sock >= 0)
		close(h->sock);
	while (waitpid(h->pid, NULL, block ? 0 : WNOHANG) < 0 && errno == EINTR)
		;
	if (h->pidfd >= 0)
		close(h->pidfd);
	h->pidfd = h->sock = -1;
}

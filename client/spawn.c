/*
 * Exec of symbi-exec-helper with exactly fds 0-3, from a child that
 * shares the client's memory until its exec (CLONE_VM | CLONE_VFORK, as
 * posix_spawn does, on a stack of its own in helper_spawn's frame): no
 * copy of the client's page tables and no copy-on-write faults on
 * either side (each 12 to 22 us on a virtual machine), and the client
 * waits until the exec happened or failed, so the failure's errno comes
 * back in the shared arguments, not through a pipe. The client has no
 * signal handler (run.c reads its signals from a signalfd), so nothing
 * of the client's can run in the child; the child calls only the
 * system calls' wrappers.
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

/* What the child reads, in helper_spawn's frame; err is its answer:
 * the errno of what failed, 0 when the exec succeeded. The terminal's
 * slave replaces the stdio descriptors in tty_mask. */
struct spawn_args {
	int sock, out, err, tty;
	unsigned tty_mask;
	bool capture;
	const sigset_t *mask;
	int failed;
};

static void __attribute__((noreturn)) child_fail(struct spawn_args *a)
{
	a->failed = errno ? errno : EIO;
	_exit(125);
}

/* Every source is first moved above the targets, so no dup2 below can
 * overwrite a descriptor still to be placed. */
static int move_high(int fd, struct spawn_args *a)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);

	if (high < 0)
		child_fail(a);
	return high;
}

static int child_exec(void *p)
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
	if (dup2(sock, 3) < 0)
		child_fail(a);
	closefrom(4);
	if (sigprocmask(SIG_SETMASK, a->mask, NULL) < 0)
		child_fail(a);
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
	a = (struct spawn_args){ sv[1], out[1], err[1], t ? t->slave : -1,
				 t ? t->mask : 0, capture, mask, 0 };
	h->pid = clone(child_exec, stack + sizeof(stack),
		       CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
	if (h->pid < 0)
		die("cannot start the helper: %s", strerror(errno));
	if (a.failed) {
		while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
			;
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

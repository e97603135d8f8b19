/* Fork and exec of symbi-exec-helper with exactly fds 0-3. */
#include "client/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "paths.h"
#include "shared/log.h"

extern char **environ;

/* Descriptors the child passes on, and where the exec status goes;
 * tty replaces the stdio descriptors in tty_mask. */
struct child_fds {
	int sock, out, err, status, tty;
	unsigned tty_mask;
};

/* Tell the parent why the helper could not start, then leave. Only
 * async-signal-safe calls from here on in the child. */
static void __attribute__((noreturn)) child_fail(int status_fd)
{
	int e = errno;

	(void)!write(status_fd, &e, sizeof(e));
	_exit(125);
}

/* Every source is first moved above the targets, so no dup2 below can
 * overwrite a descriptor still to be placed. */
static int move_high(int fd, int status_fd)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);

	if (high < 0)
		child_fail(status_fd);
	return high;
}

static void __attribute__((noreturn))
child_exec(struct child_fds f, bool capture, const sigset_t *mask)
{
	char *const argv[] = { (char *)"symbi-exec-helper", NULL };
	int status = move_high(f.status, f.status);
	int sock = move_high(f.sock, status);

	if (capture) {
		int out = move_high(f.out, status), err = move_high(f.err, status);

		if (dup2(out, 1) < 0 || dup2(err, 2) < 0)
			child_fail(status);
	}
	if (f.tty >= 0) {
		int tty = move_high(f.tty, status);

		for (int fd = 0; fd <= 2; fd++)
			if ((f.tty_mask & (1u << fd)) && dup2(tty, fd) < 0)
				child_fail(status);
	}
	/* dup2 leaves the new descriptors without FD_CLOEXEC; the status
	 * pipe keeps it, so a successful exec closes it. */
	if (dup2(sock, 3) < 0 || dup3(status, 4, O_CLOEXEC) < 0)
		child_fail(status);
	closefrom(5);
	if (sigprocmask(SIG_SETMASK, mask, NULL) < 0)
		child_fail(4);
	execve(HELPER_PATH, argv, environ);
	child_fail(4);
}

static void make_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0)
		die("cannot create a pipe: %s", strerror(errno));
}

/* EOF: the exec succeeded; an int: the errno of the failure. */
static void check_exec_status(int status_fd, pid_t pid)
{
	int e = 0;
	ssize_t n;

	do
		n = read(status_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(status_fd);
	if (n == 0)
		return;
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(e))
		e = EIO;
	die("cannot execute %s: %s", HELPER_PATH, strerror(e));
}

void helper_spawn(struct helper *h, bool capture, const struct term *t,
		  const sigset_t *mask)
{
	int sv[2], out[2] = { -1, -1 }, err[2] = { -1, -1 }, st[2];
	struct child_fds f;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die("cannot create the helper socket: %s", strerror(errno));
	if (capture) {
		make_pipe(out);
		make_pipe(err);
	}
	make_pipe(st);
	f = (struct child_fds){ sv[1], out[1], err[1], st[1], t ? t->slave : -1,
				t ? t->mask : 0 };
	h->pid = fork();
	if (h->pid < 0)
		die("cannot fork: %s", strerror(errno));
	if (h->pid == 0)
		child_exec(f, capture, mask);
	close(sv[1]);
	close(st[1]);
	if (capture) {
		close(out[1]);
		close(err[1]);
	}
	h->sock = sv[0];
	h->out = out[0];
	h->err = err[0];
	check_exec_status(st[0], h->pid);
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

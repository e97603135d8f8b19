/* The job's pseudo-terminal and the relay (contract in term.h). */
#include "client/term.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "shared/log.h"

/* What exit() restores: die() can come from anywhere. */
static struct term *restore_at_exit;

static void restore_on_exit(void)
{
	if (restore_at_exit)
		term_restore(restore_at_exit);
}

static int first_tty(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (isatty(fds[i]))
			return fds[i];
	return -1;
}

/* Where the user's terminal is, and which of the job's descriptors the
 * new one replaces. Output goes to a descriptor that is the terminal,
 * so the echo of what the user types never lands in a pipe. */
static void find_user_terminal(struct term *t)
{
	static const int modes[] = { 0, 1, 2 }, outs[] = { 1, 2, 0 };
	int fd, out;

	t->mask = 0;
	for (fd = 0; fd <= 2; fd++)
		if (isatty(fd))
			t->mask |= 1u << fd;
	if (t->mask == 0) /* --pty without a terminal: all three */
		t->mask = 7;
	t->tty = first_tty(modes, 3);
	t->in = t->mask & 1 ? STDIN_FILENO : -1;
	out = first_tty(outs, 3);
	t->out = out >= 0 ? out : STDOUT_FILENO;
}

void term_open(struct term *t)
{
	char name[128];

	find_user_terminal(t);
	t->raw = false;
	t->mid_line = false;
	t->len = 0;
	t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->master < 0 || grantpt(t->master) != 0 ||
	    unlockpt(t->master) != 0 ||
	    ptsname_r(t->master, name, sizeof(name)) != 0)
		die("cannot allocate a terminal for the job: %s",
		    strerror(errno));
	t->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->slave < 0)
		die("cannot open %s: %s", name, strerror(errno));
	/* The job starts with the user's modes (echo, erase, ^C...). */
	if (t->tty >= 0 && tcgetattr(t->tty, &t->saved) == 0)
		(void)tcsetattr(t->slave, TCSANOW, &t->saved);
	term_winsize(t);
	if (fcntl(t->master, F_SETFL, O_NONBLOCK) < 0)
		die("cannot set up the job's terminal: %s", strerror(errno));
}

static bool foreground(const struct term *t)
{
	return t->tty >= 0 && tcgetpgrp(t->tty) == getpgrp();
}

void term_winsize(const struct term *t)
{
	struct winsize ws;

	if (t->tty >= 0 && t->master >= 0 &&
	    ioctl(t->tty, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(t->master, TIOCSWINSZ, &ws);
}

void term_take(struct term *t)
{
	struct termios raw;

	term_winsize(t);
	if (t->raw || t->in < 0 || !isatty(t->in) || !foreground(t))
		return;
	/* Read again: the shell may have changed them while we were
	 * stopped. */
	if (tcgetattr(t->in, &t->saved) != 0)
		return;
	raw = t->saved;
	cfmakeraw(&raw);
	if (tcsetattr(t->in, TCSADRAIN, &raw) != 0)
		return;
	t->raw = true;
	log_set_crlf(isatty(STDERR_FILENO));
	if (!restore_at_exit) {
		restore_at_exit = t;
		atexit(restore_on_exit);
	}
	/* A closed terminal must not kill the client in raw mode. */
	signal(SIGPIPE, SIG_IGN);
}

void term_restore(struct term *t)
{
	if (!t->raw)
		return;
	(void)tcsetattr(t->in, TCSADRAIN, &t->saved);
	t->raw = false;
	log_set_crlf(false);
}

bool term_can_suspend(const struct term *t)
{
	pid_t pgrp = getpgrp();

	return foreground(t) && getpgid(getppid()) != pgrp;
}

bool term_reading(const struct term *t)
{
	if (t->in < 0 || t->master < 0 || t->len > 0)
		return false;
	return isatty(t->in) ? t->raw && foreground(t) : true;
}

void term_from_user(struct term *t)
{
	ssize_t n = read(t->in, t->buf, sizeof(t->buf));

	if (n > 0) {
		t->len = (size_t)n;
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		/* A pipe's end becomes the terminal's end-of-file (^D). */
		if (!isatty(t->in)) {
			t->buf[0] = 4;
			t->len = 1;
		}
		t->in = -1;
	}
	term_to_job(t);
}

void term_to_job(struct term *t)
{
	ssize_t n;

	while (t->len > 0 && t->master >= 0) {
		n = write(t->master, t->buf, t->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN)
				t->len = 0; /* the job's side is gone */
			return;
		}
		memmove(t->buf, t->buf + n, t->len - (size_t)n);
		t->len -= (size_t)n;
	}
}

/* All of it, even to a non-blocking descriptor; a closed one drops it. */
static void write_all(int fd, const char *p, size_t n)
{
	struct pollfd pf = { .fd = fd, .events = POLLOUT };
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && errno == EAGAIN) {
			(void)poll(&pf, 1, -1);
		} else if (!(w < 0 && errno == EINTR)) {
			return;
		}
	}
}

bool term_from_job(struct term *t)
{
	char buf[16384];
	ssize_t n = read(t->master, buf, sizeof(buf));

	if (n > 0) {
		write_all(t->out, buf, (size_t)n);
		t->mid_line = buf[n - 1] != '\n';
		return true;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	/* EIO: every descriptor of the slave is closed. */
	close(t->master);
	t->master = -1;
	return false;
}

void term_drain(struct term *t)
{
	struct pollfd pf = { .fd = t->master, .events = POLLIN };

	while (t->master >= 0 && poll(&pf, 1, 0) > 0 && term_from_job(t))
		;
}

void term_end_line(struct term *t)
{
	if (t->mid_line)
		write_all(t->out, "\n", 1);
	t->mid_line = false;
}

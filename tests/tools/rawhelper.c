/*
 * rawhelper: start the helper as the client does, but with the setup
 * chosen on the command line, send a well-formed request to run COMMAND,
 * and report what comes back. With no option the setup is sound and the
 * job runs: the tests use that as the control for each hostile setup.
 *
 * usage: rawhelper [-f seqpacket|stream|pipe|none] [-c FD]... [-x FD] [-0]
 *                  [-t MS] [-b] HELPER COMMAND [ARG...]
 *   -f  what the helper finds on fd 3 (default seqpacket)
 *   -c  close FD (0, 1 or 2) in the helper
 *   -x  leave FD open (on /dev/null) in the helper: a stray descriptor
 *   -0  exec the helper with argc 0
 *   -t  arm ITIMER_REAL, ITIMER_VIRTUAL and ITIMER_PROF to fire once after
 *       MS milliseconds (of time, of CPU time) in the process that execs
 *       the helper: they survive the exec
 *   -b  exec the helper with SIGALRM, SIGVTALRM and SIGPROF blocked (a
 *       timer that fires during the exec leaves its signal pending)
 * Prints "verdict N: MESSAGE" and "result exit=N signal=N" as they arrive,
 * then "helper-status N"; exits with that status (128+N for a signal).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared/proto.h"
#include "tests/tools/lib/toolkit.h"

extern char **environ;

enum chan { CHAN_SEQPACKET, CHAN_STREAM, CHAN_PIPE, CHAN_NONE };

struct setup {
	enum chan chan;
	int close_fd[3];
	int nclose;
	int stray_fd; /* -1: none */
	int argc0;
	long timer_ms; /* 0: no timer */
	int block_timer_sigs;
};

static struct request req;
static uint8_t msg[PROTO_MAX_MSG];
static pid_t helper_pid;

static const char usage_text[] =
	"usage: rawhelper [-f seqpacket|stream|pipe|none] "
	"[-c FD]... [-x FD] [-0] [-t MS] [-b] HELPER COMMAND [ARG...]\n";

static int fd_arg(const char *s)
{
	char *end;
	long fd;

	errno = 0;
	fd = strtol(s, &end, 10);
	if (errno || end == s || *end || fd < 0 || fd > 1023)
		tk_usage();
	return (int)fd;
}

static enum chan parse_chan(const char *s)
{
	if (strcmp(s, "seqpacket") == 0)
		return CHAN_SEQPACKET;
	if (strcmp(s, "stream") == 0)
		return CHAN_STREAM;
	if (strcmp(s, "pipe") == 0)
		return CHAN_PIPE;
	if (strcmp(s, "none") == 0)
		return CHAN_NONE;
	tk_usage();
}

static void parse_args(int argc, char **argv, struct setup *s)
{
	int c;

	memset(s, 0, sizeof(*s));
	s->stray_fd = -1;
	while ((c = getopt(argc, argv, "+f:c:x:0t:b")) != -1) {
		switch (c) {
		case 'f': s->chan = parse_chan(optarg); break;
		case 'c':
			if (s->nclose == 3)
				tk_usage();
			s->close_fd[s->nclose++] = fd_arg(optarg);
			break;
		case 'x': s->stray_fd = fd_arg(optarg); break;
		case '0': s->argc0 = 1; break;
		case 't': s->timer_ms = fd_arg(optarg); break;
		case 'b': s->block_timer_sigs = 1; break;
		default: tk_usage();
		}
	}
	if (argc - optind < 2)
		tk_usage();
}

/* Move fd above the range the helper's layout uses, close-on-exec. */
static int park(int fd)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);

	if (high < 0)
		tk_fail("fcntl");
	close(fd);
	return high;
}

/* ends[0] stays here, ends[1] becomes the helper's fd 3. */
static void make_channel(enum chan chan, int ends[2])
{
	int r = 0;

	ends[0] = ends[1] = -1;
	if (chan == CHAN_SEQPACKET)
		r = socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ends);
	else if (chan == CHAN_STREAM)
		r = socketpair(AF_UNIX, SOCK_STREAM, 0, ends);
	else if (chan == CHAN_PIPE) {
		int p[2];

		r = pipe(p);
		ends[0] = p[1];
		ends[1] = p[0];
	}
	if (r != 0)
		tk_fail("channel");
	if (chan != CHAN_NONE) {
		ends[0] = park(ends[0]);
		ends[1] = park(ends[1]);
	}
}

/* In the child about to exec: what -t and -b ask for. */
static void arm_timers(const struct setup *s)
{
	static const int which[] = {ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF};
	struct itimerval it = {{0, 0}, {s->timer_ms / 1000,
					(s->timer_ms % 1000) * 1000}};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigaddset(&set, SIGVTALRM);
	sigaddset(&set, SIGPROF);
	if (s->block_timer_sigs && sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		_exit(124);
	for (size_t i = 0; s->timer_ms > 0 && i < 3; i++)
		if (setitimer(which[i], &it, NULL) != 0)
			_exit(124);
}

static void exec_helper(const struct setup *s, int theirs, const char *path)
{
	char *argv[] = { "symbi-exec-helper", NULL };
	char *none[] = { NULL };
	int i, fd;

	if (theirs >= 0 && dup2(theirs, 3) != 3)
		_exit(121);
	if (theirs < 0)
		close(3);
	/* Exactly fds 0-3, as the client leaves them, plus what -x adds. */
	closefrom(4);
	if (s->stray_fd >= 0) {
		fd = open("/dev/null", O_RDONLY);
		if (fd < 0 || dup2(fd, s->stray_fd) < 0)
			_exit(122);
		if (fd != s->stray_fd)
			close(fd);
	}
	for (i = 0; i < s->nclose; i++)
		close(s->close_fd[i]);
	arm_timers(s);
	execve(path, s->argc0 ? none : argv, environ);
	_exit(123);
}

static void send_request(int fd, enum chan chan, char **cmd)
{
	size_t len;

	proto_request_init(&req);
	req.mode = MODE_RUN;
	for (; *cmd; cmd++)
		if (proto_request_add_arg(&req, *cmd) != 0)
			tk_fail("request too large");
	len = proto_encode_request(&req, msg, sizeof(msg));
	if (len == 0)
		tk_fail("encode");
	if (chan == CHAN_SEQPACKET)
		(void)proto_send(fd, msg, len);
	else
		(void)!write(fd, msg, len);
	if (chan == CHAN_STREAM)
		shutdown(fd, SHUT_WR);
}

static void print_message(const uint8_t *m, size_t len)
{
	static struct verdict v;
	static struct result r;

	switch (proto_peek_type(m, len)) {
	case MSG_VERDICT:
		if (proto_decode_verdict(m, len, &v) == 0)
			printf("verdict %u: %s\n", v.status, v.message);
		else
			printf("verdict malformed\n");
		break;
	case MSG_RESULT:
		if (proto_decode_result(m, len, &r) == 0)
			printf("result exit=%d signal=%d\n", r.exit_code,
			       r.signal);
		else
			printf("result malformed\n");
		break;
	default:
		printf("message type %d\n", proto_peek_type(m, len));
	}
	fflush(stdout);
}

static void read_replies(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	long n;

	while (poll(&p, 1, 30000) > 0) {
		n = proto_recv(fd, msg, sizeof(msg));
		if (n <= 0)
			break;
		print_message(msg, (size_t)n);
	}
}

static void on_alarm(int sig)
{
	(void)sig;
	kill(helper_pid, SIGKILL);
	_exit(99);
}

static int wait_helper(void)
{
	int st;

	signal(SIGALRM, on_alarm);
	alarm(30);
	while (waitpid(helper_pid, &st, 0) < 0)
		if (errno != EINTR)
			tk_fail("waitpid");
	alarm(0);
	st = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	printf("helper-status %d\n", st);
	return st;
}

int main(int argc, char **argv)
{
	struct setup s;
	int ends[2];

	tk_usage_text = usage_text;
	parse_args(argc, argv, &s);
	signal(SIGPIPE, SIG_IGN);
	make_channel(s.chan, ends);
	fflush(stdout);
	helper_pid = fork();
	if (helper_pid < 0)
		tk_fail("fork");
	if (helper_pid == 0)
		exec_helper(&s, ends[1], argv[optind]);
	if (ends[1] >= 0)
		close(ends[1]);
	if (ends[0] >= 0) {
		send_request(ends[0], s.chan, argv + optind + 1);
		if (s.chan == CHAN_SEQPACKET)
			read_replies(ends[0]);
		close(ends[0]);
	}
	return wait_helper();
}

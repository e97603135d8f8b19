/* toolkit: see toolkit.h. */
#include <dirent.h>
#include <err.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/tools/lib/toolkit.h"

extern char **environ;

const char *tk_usage_text = "";

void tk_usage(void)
{
	fputs(tk_usage_text, stderr);
	exit(2);
}

void tk_fail(const char *what)
{
	err(2, "%s", what); /* TOOL: from program_invocation_short_name */
}

uint64_t tk_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Milliseconds until end, 0 once it has passed (never a negative poll
 * timeout, which would wait for ever). */
static int ms_until(uint64_t end)
{
	uint64_t now = tk_now_ns();

	return now < end ? (int)((end - now) / 1000000) : 0;
}

/* ------------------------------------------------------------- spawn */

/* The job's output goes to stderr, apart from the tool's report on
 * stdout. */
static void child_stdio(bool quiet)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0)
		_exit(126);
	dup2(null, 0);
	if (quiet) {
		dup2(null, 1);
		dup2(null, 2);
	} else {
		dup2(2, 1);
	}
}

/* Out of the way of fds 3 and 4 first: placing one cannot overwrite the
 * other, and no fd is dup2'd onto itself (a no-op that would leave it
 * close-on-exec). */
static int move_up(int fd)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);

	if (high < 0)
		_exit(126);
	return high;
}

static void __attribute__((noreturn))
exec_helper(const char *helper, char *const argv[], bool quiet, int sock,
	    int exec_fd)
{
	child_stdio(quiet);
	sock = move_up(sock);
	if (exec_fd >= 0)
		exec_fd = move_up(exec_fd);
	if (dup2(sock, 3) < 0 ||
	    (exec_fd >= 0 && dup3(exec_fd, 4, O_CLOEXEC) < 0))
		_exit(126);
	closefrom(exec_fd >= 0 ? 5 : 4);
	execve(helper, argv, environ);
	if (exec_fd >= 0)
		(void)!write(4, "x", 1); /* not EOF: the exec failed */
	_exit(127);
}

pid_t tk_spawn(const char *helper, char *const argv[], bool quiet,
	       int exec_fd, int *sock)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		tk_fail("socketpair");
	pid = fork();
	if (pid < 0)
		tk_fail("fork");
	if (pid == 0)
		exec_helper(helper, argv, quiet, sv[1], exec_fd);
	close(sv[1]);
	*sock = sv[0];
	return pid;
}

/* ---------------------------------------------------------- traffic */

size_t tk_encode(const struct request *r, uint8_t *buf, size_t cap)
{
	size_t n = proto_encode_request(r, buf, cap);

	if (n == 0)
		errx(2, "the request does not encode");
	return n;
}

void tk_send(int sock, const uint8_t *buf, size_t len)
{
	(void)!send(sock, buf, len, MSG_NOSIGNAL);
}

static void note_verdict(const uint8_t *buf, size_t n, struct tk_outcome *out)
{
	static struct verdict v;

	if (proto_decode_verdict(buf, n, &v) != 0)
		return;
	out->verdict_seen = true;
	out->verdict = v.status;
	snprintf(out->message, sizeof(out->message), "%s", v.message);
}

bool tk_read_message(int sock, int ms, struct tk_outcome *out)
{
	static uint8_t buf[PROTO_MAX_MSG];
	struct pollfd p = { .fd = sock, .events = POLLIN };
	long n;

	if (sock < 0 || poll(&p, 1, ms) <= 0)
		return false;
	n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);
	if (n <= 0)
		return false;
	switch (proto_peek_type(buf, (size_t)n)) {
	case MSG_VERDICT:
		note_verdict(buf, (size_t)n, out);
		break;
	case MSG_RESULT:
		if (proto_decode_result(buf, (size_t)n, &out->res) == 0)
			out->result_seen = true;
		break;
	case MSG_LISTING:
		out->listing_seen = true;
		break;
	default:
		break;
	}
	return true;
}

/* The client is gone: the helper must exit by itself, in time. */
static void reap(pid_t pid, struct tk_outcome *out)
{
	struct pollfd p = { .fd = pidfd_open(pid, 0), .events = POLLIN };
	int status;

	if (p.fd < 0)
		tk_fail("pidfd_open");
	if (poll(&p, 1, 10000) <= 0) {
		out->hung = true;
		kill(pid, SIGKILL); /* works only for root */
	}
	close(p.fd);
	if (waitpid(pid, &status, 0) < 0)
		tk_fail("waitpid");
	out->exited = WIFEXITED(status);
	out->signaled = WIFSIGNALED(status);
	out->code = out->exited ? WEXITSTATUS(status) : WTERMSIG(status);
}

void tk_collect(int sock, pid_t pid, int deadline_s, struct tk_outcome *out)
{
	uint64_t end = tk_now_ns() + (uint64_t)deadline_s * 1000000000u;

	while (tk_now_ns() < end && tk_read_message(sock, ms_until(end), out))
		;
	close(sock); /* a helper still running now sees its client gone */
	reap(pid, out);
}

/* Anything in the marker directory means a job ran. */
bool tk_marker_seen(const char *dir)
{
	DIR *d;
	struct dirent *e;
	bool seen = false;

	if (!dir)
		return false;
	d = opendir(dir);
	if (!d)
		tk_fail(dir);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		seen = true;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	return seen;
}

/* ---------------------------------------------------------- options */

void tk_set_tier(struct request *r, const char *name)
{
	int t = tier_from_name(name);

	if (t < 0)
		tk_usage();
	r->tier = (uint8_t)t;
	r->flags |= REQ_TIER_SET;
}

int tk_limit_arg(const char *arg, const char **value)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : 0;
	int id;

	for (id = 0; eq && id < LIM_COUNT; id++)
		if (strncmp(arg, limit_name(id), len) == 0 &&
		    limit_name(id)[len] == '\0') {
			*value = eq + 1;
			return id;
		}
	tk_usage();
}

char **tk_operands(char **args, const char **helper, const char **mode)
{
	if (!args[0] || !args[1])
		tk_usage();
	*helper = args[0];
	*mode = args[1];
	args += 2;
	return *args && strcmp(*args, "--") == 0 ? args + 1 : args;
}

int tk_add_command(struct request *r, char **words)
{
	if (!*words)
		return proto_request_add_arg(r, "/bin/true");
	for (; *words; words++)
		if (proto_request_add_arg(r, *words) == -1)
			return -1;
	return 0;
}

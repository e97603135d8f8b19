/* Unit tests of shared/log.c: syslog lines, never blocking. TAP. */
#include <errno.h>
#include <poll.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "shared/log.h"

#include "tests/unit/tap.h"

static char dir[] = "/tmp/test_log.XXXXXX";
static char listen_path[128];

/* A datagram socket bound at path, like a syslog daemon's /dev/log. */
static int listener(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("listener");
		exit(1);
	}
	return fd;
}

/* One datagram within a second, NUL-terminated; its length or -1. */
static long recv_line(int fd, char *buf, size_t cap)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 1000) != 1)
		return -1;
	n = recv(fd, buf, cap - 1, MSG_DONTWAIT);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool matches(const char *s, const char *re)
{
	regex_t r;
	bool m;

	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	m = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return m;
}

static void test_lines(int lfd)
{
	char line[4096], re[256];
	long n;

	log_audit(LOG_INFO, "allow user=%s cmd=%s", "alice", "python3");
	n = recv_line(lfd, line, sizeof(line));
	snprintf(re, sizeof(re),
		 "^<86>[A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] "
		 "symbi-test\\[%ld\\]: allow user=alice cmd=python3$",
		 (long)getpid());
	ok(n > 0 && matches(line, re), "LOG_INFO line is well formed: %s", line);

	log_audit(LOG_WARNING, "deny");
	n = recv_line(lfd, line, sizeof(line));
	ok(n > 0 && strncmp(line, "<84>", 4) == 0, "LOG_WARNING gives <84>");

	log_audit(LOG_INFO, "a\nforged line\r\x1b[2J\x7f end");
	n = recv_line(lfd, line, sizeof(line));
	ok(n > 0 && strstr(line, ": a?forged line??[2J? end") &&
		   !strpbrk(line, "\n\r\x1b\x7f"),
	   "control characters become '?'");

	log_audit(LOG_INFO, "high \x9b[2J \xc3\xa9 end");
	n = recv_line(lfd, line, sizeof(line));
	ok(n > 0 && strstr(line, ": high ?[2J ?? end"),
	   "bytes >= 0x80 become '?' in an audit line: %s", line);

	memset(line, 'L', 3000);
	line[3000] = '\0';
	log_audit(LOG_INFO, "%s", line);
	n = recv_line(lfd, line, sizeof(line));
	ok(n > 0 && n <= 1024 && line[n - 1] == 'L',
	   "a long line is truncated to at most 1024 bytes (%ld)", n);
}

/* The log socket is found by diffing /proc/self/fd around its creation
 * in main; here it is replaced by another socket with the same number, as
 * a program's closefrom() followed by socketpair() would do. */
static void test_fd_reuse(int lfd, int logfd)
{
	char line[256];
	int sv[2];
	struct pollfd p;

	if (logfd < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0) {
		ok(false, "find the log socket");
		return;
	}
	close(logfd);
	dup2(sv[0], logfd);
	log_audit(LOG_INFO, "after reuse");
	p = (struct pollfd){ .fd = sv[1], .events = POLLIN };
	ok(poll(&p, 1, 200) == 0,
	   "a reused descriptor number is not written to");
	ok(recv_line(lfd, line, sizeof(line)) > 0 && strstr(line, "after reuse"),
	   "the line still reaches syslog on a fresh socket");
	close(sv[0]);
	close(sv[1]);
	close(logfd);
}

static void test_no_listener(void)
{
	char path[256];
	double t;

	snprintf(path, sizeof(path), "%s/nobody-here", dir);
	log_set_socket_path(path);
	errno = 1234;
	t = now();
	for (int i = 0; i < 1000; i++)
		log_audit(LOG_INFO, "nobody listens %d", i);
	t = now() - t;
	ok(t < 1.0, "1000 lines with no listener return promptly (%.3f s)", t);
	ok(errno == 1234, "log_audit leaves errno alone");
}

/* In a child under alarm(), so a blocking send fails the test rather than
 * hanging it. */
static void test_full_queue(void)
{
	char path[256];
	int fd, status;
	pid_t pid;
	double t;

	snprintf(path, sizeof(path), "%s/full", dir);
	fd = listener(path);
	log_set_socket_path(path);
	t = now();
	pid = fork();
	if (pid == 0) {
		alarm(10);
		for (int i = 0; i < 20000; i++)
			log_audit(LOG_INFO, "filling the queue, line %d", i);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	t = now() - t;
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && t < 5.0,
	   "20000 lines to a reader that never reads never block (%.3f s)", t);
	close(fd);
}

/* Run fn in a child with stderr on a pipe; returns what it wrote. */
static int capture_stderr(void (*fn)(void), char *out, size_t cap,
			  int *status)
{
	int p[2];
	pid_t pid;
	ssize_t n, total = 0;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		fn();
		_exit(0);
	}
	close(p[1]);
	while ((n = read(p[0], out + total, cap - 1 - (size_t)total)) > 0)
		total += n;
	out[total] = '\0';
	close(p[0]);
	waitpid(pid, status, 0);
	return 0;
}

static void warn_something(void)
{
	log_warn("--max-memory=%d exceeds the ceiling\x1b[31m", 4096);
}

static void warn_raw(void)
{
	log_set_crlf(true);
	log_warn("in raw mode");
	log_set_crlf(false);
	log_warn("restored");
}

static void die_something(void)
{
	die("cannot read %s", "policy");
}

static void test_warn_and_die(int lfd)
{
	char err[1024], line[1024];
	int status;

	capture_stderr(warn_something, err, sizeof(err), &status);
	ok(strcmp(err, "symbi-test: --max-memory=4096 exceeds the ceiling?[31m\n") ==
		   0,
	   "log_warn writes one sanitized line");
	capture_stderr(warn_raw, err, sizeof(err), &status);
	ok(strcmp(err, "symbi-test: in raw mode\r\nsymbi-test: restored\n") == 0,
	   "a terminal in raw mode gets CR LF, LF again after");
	capture_stderr(die_something, err, sizeof(err), &status);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 125,
	   "die exits with status 125");
	ok(strcmp(err, "symbi-test: cannot read policy\n") == 0,
	   "die writes its message on stderr");
	ok(recv_line(lfd, line, sizeof(line)) > 0 &&
		   strncmp(line, "<84>", 4) == 0 &&
		   strstr(line, ": cannot read policy"),
	   "die logs LOG_WARNING to syslog: %s", line);
}

/* log_utc against the C library's gmtime_r: every day from 1970 to
 * 2200 at a second that moves through the day, and the edges. */
static void test_utc(void)
{
	const time_t edges[] = { 0, 86399, 951782400, 951868799, 4107542399,
				 4107542400, 2147483647, 1796342400 };
	unsigned bad = 0, n = 0;
	struct tm a, b;

	for (time_t t = 0; t < (time_t)84000 * 86400; t += 86400 + 7 * 3607) {
		log_utc(t, &a);
		gmtime_r(&t, &b);
		bad += a.tm_year != b.tm_year || a.tm_mon != b.tm_mon ||
		       a.tm_mday != b.tm_mday || a.tm_hour != b.tm_hour ||
		       a.tm_min != b.tm_min || a.tm_sec != b.tm_sec;
		n++;
	}
	for (size_t i = 0; i < sizeof(edges) / sizeof(*edges); i++) {
		log_utc(edges[i], &a);
		gmtime_r(&edges[i], &b);
		bad += a.tm_year != b.tm_year || a.tm_mon != b.tm_mon ||
		       a.tm_mday != b.tm_mday || a.tm_hour != b.tm_hour ||
		       a.tm_min != b.tm_min || a.tm_sec != b.tm_sec;
		n++;
	}
	ok(bad == 0 && n > 20000, "log_utc agrees with gmtime_r (%u of %u "
	   "times differ)", bad, n);
}

/* Descriptor numbers open now, as a bitmap of the first 1024. */
static void open_fds(unsigned char *map)
{
	memset(map, 0, 1024);
	for (int fd = 0; fd < 1024; fd++) {
		struct stat st;

		map[fd] = fstat(fd, &st) == 0;
	}
}

int main(void)
{
	unsigned char before[1024], after[1024];
	char line[256];
	int lfd, logfd = -1;

	printf("1..17\n");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(listen_path, sizeof(listen_path), "%s/log", dir);
	lfd = listener(listen_path);
	log_init("symbi-test");
	log_set_socket_path(listen_path);

	open_fds(before);
	log_audit(LOG_INFO, "first");
	open_fds(after);
	for (int fd = 0; fd < 1024; fd++)
		if (after[fd] && !before[fd])
			logfd = fd;
	ok(recv_line(lfd, line, sizeof(line)) > 0 && logfd >= 0,
	   "first line arrives; one socket was opened (fd %d)", logfd);
	test_lines(lfd);
	test_fd_reuse(lfd, logfd);
	test_warn_and_die(lfd);
	test_no_listener();
	test_full_queue();
	test_utc();
	unlink(listen_path);
	unlink(strcat(strcpy(line, dir), "/full"));
	rmdir(dir);
	if (test_no != 17)
		printf("# ran %d tests, planned 17\n", test_no);
	return failures || test_no != 17;
}

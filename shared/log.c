/*
 * stderr and syslog without allocation or blocking: lines are formatted on
 * the stack and sent once over a non-blocking datagram socket. A setuid
 * helper must not hang because a syslog daemon is slow or absent, nor
 * leave a half-written trail: a line that cannot be sent goes to the
 * helper's fallback file, or (the client) is dropped.
 */
#include "shared/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 1024 /* RFC 3164's limit for one syslog packet */

static const char *log_prog = "symbi-exec";
static struct sockaddr_un log_addr = { .sun_family = AF_UNIX,
				       .sun_path = "/dev/log" };
static int log_fd = -1;
static void (*log_die_hook)(const char *text);
static bool log_crlf;
static const char *log_fallback; /* NULL: none (the client) */
static dev_t log_dev;
static ino_t log_ino;

void log_init(const char *prog)
{
	if (prog && *prog)
		log_prog = prog;
}

void log_set_socket_path(const char *path)
{
	size_t n = strnlen(path, sizeof(log_addr.sun_path));

	/* A path that does not fit names no socket: lines are dropped. */
	if (n == sizeof(log_addr.sun_path))
		n = 0;
	memcpy(log_addr.sun_path, path, n);
	log_addr.sun_path[n] = '\0';
}

/* Control characters could forge extra lines or terminal escapes. An
 * audit line is printable ASCII only (ascii): a byte >= 0x80 could be a C1
 * control or a character a log viewer shows as another; user strings come
 * to it already encoded (the helper's audit_str), so this is a last net.
 * The caller's own stderr keeps UTF-8 (names in their locale). */
static void sanitize(char *s, bool ascii)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || (ascii && c >= 0x80))
			*s = '?';
	}
}

/* vsnprintf into buf[cap], truncating; returns the length written. */
__attribute__((format(printf, 3, 0)))
static size_t format_into(char *buf, size_t cap, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, cap, fmt, ap);

	if (n < 0) {
		buf[0] = '\0';
		return 0;
	}
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

__attribute__((format(printf, 1, 0)))
static void vwarn(const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX * 2];
	int saved = errno;
	size_t n = (size_t)snprintf(line, sizeof(line) - 2, "%s: ", log_prog);

	if (n >= sizeof(line) - 2)
		n = 0;
	n += format_into(line + n, sizeof(line) - 2 - n, fmt, ap);
	sanitize(line, false);
	if (log_crlf)
		line[n++] = '\r';
	line[n++] = '\n';
	write_all(STDERR_FILENO, line, n);
	errno = saved;
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

/* Our socket, still ours: a program that closes descriptors it does not
 * know about (closefrom) may have let the number be reused for another
 * socket, and a log line must never go down the client's socket. */
static bool log_fd_is_ours(void)
{
	struct stat st;

	return log_fd >= 0 && fstat(log_fd, &st) == 0 &&
	       st.st_dev == log_dev && st.st_ino == log_ino;
}

static int log_socket(void)
{
	struct stat st;

	if (log_fd_is_ours())
		return log_fd;
	log_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (log_fd < 0)
		return -1;
	if (fstat(log_fd, &st) < 0) {
		close(log_fd);
		log_fd = -1;
		return -1;
	}
	log_dev = st.st_dev;
	log_ino = st.st_ino;
	return log_fd;
}

static int year_days(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 366 : 365;
}

static int month_days(int m, long y)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30,
				       31, 31, 30, 31, 30, 31 };

	return mdays[m] + (m == 1 && year_days(y) == 366);
}

/* gmtime_r's fields of t, counted here: glibc's gmtime_r loads the zone
 * file on its first call even for UTC (/etc/localtime through stdio:
 * 7 system calls and about 10 page faults in a helper that needs no
 * zone). Times before 1970 read as 1970. */
void log_utc(time_t t, struct tm *tm)
{
	long days = t > 0 ? (long)(t / 86400) : 0, y = 1970;
	long secs = t > 0 ? (long)(t % 86400) : 0;
	int m = 0;

	while (days >= year_days(y))
		days -= year_days(y++);
	while (days >= month_days(m, y))
		days -= month_days(m++, y);
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = (int)(y - 1900);
	tm->tm_mon = m;
	tm->tm_mday = (int)days + 1;
	tm->tm_hour = (int)(secs / 3600);
	tm->tm_min = (int)(secs / 60 % 60);
	tm->tm_sec = (int)(secs % 60);
}

/* RFC 3164 header "<pri>Mmm dd hh:mm:ss prog[pid]: ", in UTC because
 * localtime may read (and allocate for) the zone file. */
static size_t audit_header(char *buf, size_t cap, int prio)
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr",
					    "May", "Jun", "Jul", "Aug",
					    "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	int n;

	log_utc(time(NULL), &tm);
	n = snprintf(buf, cap, "<%d>%s %2d %02d:%02d:%02d %s[%ld]: ",
		     LOG_AUTHPRIV | (prio & LOG_PRIMASK),
		     months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, log_prog,
		     (long)getpid());
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

void log_set_fallback(const char *path)
{
	log_fallback = path;
}

static bool root_only(int fd, bool dir)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_uid == 0 && !(st.st_mode & 077) &&
	       (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

/* The fallback file for appending, or -1: its directory is made when
 * missing (its parent must exist), never followed through a symlink. */
static int open_fallback(void)
{
	char dir[512];
	const char *slash = log_fallback ? strrchr(log_fallback, '/') : NULL;
	int dfd, fd = -1;

	if (!slash || slash == log_fallback ||
	    (size_t)(slash - log_fallback) >= sizeof(dir))
		return -1;
	memcpy(dir, log_fallback, (size_t)(slash - log_fallback));
	dir[slash - log_fallback] = '\0';
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd == -1 && errno == ENOENT && mkdir(dir, 0700) == 0)
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd == -1)
		return -1;
	if (root_only(dfd, true))
		fd = openat(dfd, slash + 1, O_WRONLY | O_APPEND | O_CREAT |
						    O_NOFOLLOW | O_CLOEXEC,
			    0600);
	close(dfd);
	if (fd != -1 && !root_only(fd, false)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* line without its "<pri>", and a newline, in one write (so that
 * concurrent helpers' lines never interleave): false unless the file
 * took all of it. */
static bool append_fallback(const char *line, size_t n)
{
	const char *text = memchr(line, '>', n);
	char buf[LOG_LINE_MAX + 1];
	int fd = open_fallback();
	size_t len;
	ssize_t w;

	if (fd == -1)
		return false;
	text = text ? text + 1 : line;
	len = n - (size_t)(text - line);
	if (len > LOG_LINE_MAX)
		len = LOG_LINE_MAX;
	memcpy(buf, text, len);
	buf[len++] = '\n';
	do
		w = write(fd, buf, len);
	while (w < 0 && errno == EINTR);
	close(fd);
	return w == (ssize_t)len;
}

/* Lines the file did not take (the disk full, or a caller's hard
 * RLIMIT_FSIZE the helper could not lift: SIGXFSZ is ignored, so the
 * write fails with EFBIG): counted, said with the next line it takes,
 * and from then on log_audit_writable says no. */
static size_t fallback_lost;

static void keep_line(const char *line, size_t n)
{
	char note[128];
	int k;

	if (fallback_lost) {
		k = snprintf(note, sizeof(note), "<%d>%s: %zu audit lines lost: "
			     "the fallback file did not take them",
			     LOG_AUTHPRIV | LOG_ERR, log_prog, fallback_lost);
		if (k > 0 && (size_t)k < sizeof(note) &&
		    append_fallback(note, (size_t)k))
			fallback_lost = 0;
	}
	if (!append_fallback(line, n))
		fallback_lost++;
}

/* Room in the fallback file for a job's lines under this process's
 * RLIMIT_FSIZE (a caller's hard limit root could not lift). */
#define FALLBACK_ROOM ((uint64_t)64 << 10)

static bool fallback_has_room(int fd)
{
	struct rlimit rl;
	struct stat st;

	if (fstat(fd, &st) == -1 || getrlimit(RLIMIT_FSIZE, &rl) == -1)
		return false;
	return rl.rlim_cur == RLIM_INFINITY ||
	       (uint64_t)st.st_size + FALLBACK_ROOM <= (uint64_t)rl.rlim_cur;
}

bool log_audit_writable(void)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && log_addr.sun_path[0] &&
		  connect(fd, (const struct sockaddr *)&log_addr,
			  sizeof(log_addr)) == 0;

	if (fd >= 0)
		close(fd);
	if (!ok && (fd = open_fallback()) != -1) {
		ok = fallback_lost == 0 && fallback_has_room(fd);
		close(fd);
	}
	return ok;
}

/* While the helper acts as a user (priv_fs_enter), the fallback file,
 * root's alone, cannot be opened: lines for it wait here until
 * log_hold(false); more than fit are counted, and the count is logged. */
#define HELD_MAX 4
static bool held;
static char held_line[HELD_MAX][LOG_LINE_MAX];
static size_t held_len[HELD_MAX], held_n, held_lost;

static void to_fallback(const char *line, size_t n)
{
	if (!held) {
		keep_line(line, n);
	} else if (held_n < HELD_MAX) {
		memcpy(held_line[held_n], line, n);
		held_len[held_n++] = n;
	} else {
		held_lost++;
	}
}

void log_hold(bool on)
{
	char lost[96];

	held = on;
	if (on)
		return;
	for (size_t i = 0; i < held_n; i++)
		keep_line(held_line[i], held_len[i]);
	if (held_lost) {
		int n = snprintf(lost, sizeof(lost), "<%d>%s: %zu audit lines "
				 "lost while acting as a user",
				 LOG_AUTHPRIV | LOG_ERR, log_prog, held_lost);

		if (n > 0 && (size_t)n < sizeof(lost))
			keep_line(lost, (size_t)n);
	}
	held_n = held_lost = 0;
}

__attribute__((format(printf, 2, 0)))
static void vaudit(int prio, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int saved = errno;
	size_t n = audit_header(line, sizeof(line), prio);
	int fd;

	n += format_into(line + n, sizeof(line) - n, fmt, ap);
	sanitize(line, true);
	fd = log_socket();
	if (!(fd >= 0 && log_addr.sun_path[0] &&
	      sendto(fd, line, n, MSG_DONTWAIT | MSG_NOSIGNAL,
		     (const struct sockaddr *)&log_addr,
		     sizeof(log_addr)) == (ssize_t)n) &&
	    log_fallback)
		to_fallback(line, n);
	errno = saved;
}

void log_audit(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vaudit(prio, fmt, ap);
	va_end(ap);
}

void log_set_crlf(bool on)
{
	log_crlf = on;
}

void log_set_die_hook(void (*hook)(const char *text))
{
	log_die_hook = hook;
}

void die(const char *fmt, ...)
{
	void (*hook)(const char *text);
	char text[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	format_into(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_warn("%s", text);
	log_audit(LOG_WARNING, "%s", text);
	hook = log_die_hook;
	log_die_hook = NULL; /* a die() inside the hook must not loop */
	if (hook)
		hook(text);
	_exit(125);
}

/* The docker engine's API over its unix socket: see engine.h. */
#include "helper/engine.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "shared/enginesock.h"

/* An inspect answer carries the job's argv and environment twice, JSON
 * escaped (up to 6 bytes a byte): a full request fits with room. */
#define ENGINE_MAX_REPLY (2u << 20)

static char reply_buf[ENGINE_MAX_REPLY + 1];

static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

/* A blocking connect and send bounded by SO_SNDTIMEO: on a unix socket
 * a full backlog waits at most that long. The socket is trusted like the
 * policy (enginesock.h) and reached through its checked descriptor. */
static int engine_connect(const char *host, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
			      .tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000 };
	char why[160];
	int checked = engine_socket_open(host, why, sizeof(why)), fd = -1;

	if (checked == -1)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d", checked);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd != -1 &&
	    (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	     connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)) {
		close(fd);
		fd = -1;
	}
	close(checked);
	return fd;
}

static int send_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read to the engine's close; more than the cap is an error, not a
 * truncated answer. Returns the length, or -1. */
static ssize_t read_all(int fd, const struct timespec *deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t used = 0;
	ssize_t n;
	int left, rc;

	for (;;) {
		left = ms_left(deadline);
		rc = poll(&pfd, 1, left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			errno = rc == 0 ? ETIMEDOUT : errno;
			return -1;
		}
		n = read(fd, reply_buf + used, ENGINE_MAX_REPLY + 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > ENGINE_MAX_REPLY) {
			errno = EMSGSIZE;
			return -1;
		}
	}
	reply_buf[used] = '\0';
	return (ssize_t)used;
}

/* "HTTP/1.x NNN ...\r\n", headers, "\r\n\r\n", body. */
static int parse_reply(size_t len, struct engine_reply *r)
{
	const char *s = reply_buf, *end;

	if (len < 13 || strncmp(s, "HTTP/1.", 7) != 0 || s[8] != ' ' ||
	    s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' ||
	    s[11] < '0' || s[11] > '9' || s[12] != ' ' ||
	    strlen(s) != len)
		return -1;
	end = strstr(s, "\r\n\r\n");
	if (!end)
		return -1;
	r->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	r->body = end + 4;
	r->len = len - (size_t)(r->body - s);
	return 0;
}

int engine_request(const char *host, const char *method, const char *path,
		   int timeout_ms, struct engine_reply *r)
{
	struct timespec deadline;
	char req[512];
	ssize_t len;
	int fd, n;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	/* HTTP/1.0: the engine answers unchunked and closes when done. */
	n = snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: docker\r\n"
		     "Content-Length: 0\r\n\r\n", method, path);
	if (n < 0 || (size_t)n >= sizeof(req)) {
		errno = EINVAL;
		return -1;
	}
	fd = engine_connect(host, timeout_ms);
	if (fd < 0)
		return -1;
	len = send_all(fd, req, (size_t)n) == 0 ? read_all(fd, &deadline) : -1;
	close(fd);
	if (len < 0)
		return -1;
	if (parse_reply((size_t)len, r) != 0) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/* Past the string whose opening quote is at s: after its closing quote,
 * or NULL if it does not end. */
static const char *skip_string(const char *s)
{
	for (s++; *s; s++) {
		if (*s == '\\' && s[1])
			s++;
		else if (*s == '"')
			return s + 1;
	}
	return NULL;
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

const char *engine_json_member(const char *obj, const char *key)
{
	size_t klen = strlen(key);
	const char *s, *k;
	bool want_key = true;
	int depth = 1;

	if (*obj != '{')
		return NULL;
	for (s = obj + 1; *s && depth > 0;) {
		if (*s == '"') {
			k = s + 1;
			s = skip_string(s);
			if (!s)
				return NULL;
			if (depth == 1 && want_key) {
				want_key = false;
				if ((size_t)(s - 1 - k) == klen &&
				    strncmp(k, key, klen) == 0 &&
				    *(s = skip_space(s)) == ':')
					return skip_space(s + 1);
			}
			continue;
		}
		if (*s == '{' || *s == '[')
			depth++;
		else if (*s == '}' || *s == ']')
			depth--;
		else if (*s == ',' && depth == 1)
			want_key = true;
		s++;
	}
	return NULL;
}

/* Whether value is a JSON string whose text, as the engine wrote it,
 * escapes and all, contains needle. */
static bool json_string_has(const char *value, const char *needle)
{
	const char *end;

	if (!value || *value != '"' || !(end = skip_string(value)))
		return false;
	return memmem(value + 1, (size_t)(end - 1 - (value + 1)), needle,
		      strlen(needle)) != NULL;
}

bool engine_exec_failed(const char *state)
{
	static const char *const marks[] = {
		"container process: exec: ",         /* runc */
		"error finding executable ",         /* runsc: not found */
		"creating process: failed to load ", /* runsc: not executable */
	};
	const char *error = engine_json_member(state, "Error");
	size_t i;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (json_string_has(error, marks[i]))
			return true;
	return false;
}

/* Bounded capture of the job's stdout or stderr for --json. */
#include "client/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Buffered reads go straight into the buffer, so the bytes are copied
 * once; this much empties a full pipe of the default size. */
#define CAPTURE_READ 65536

/* A streamed pipe's size, and so the most one read takes: a job writing
 * fast then blocks less often on a full pipe, and the client wakes up
 * less often per byte. 100 MB of output took 80 ms with the default
 * 64 KiB, 54 ms with 256 KiB, 52 ms with 1 MiB (pipe-max-size): not
 * worth 4 times the share of the user's pipe-user-pages-soft, past which
 * the kernel shrinks every new pipe of theirs. */
#define CAPTURE_CHUNK (256 * 1024)

void capture_init(struct capture *c, int fd, uint64_t limit)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->limit = limit;
}

void capture_init_sink(struct capture *c, int fd, uint64_t limit,
		       capture_sink *sink, void *arg)
{
	capture_init(c, fd, limit);
	c->sink = sink;
	c->sink_arg = arg;
	/* Best effort: a smaller pipe costs speed, not correctness (and a
	 * user past pipe-user-pages-soft is refused). */
	if (fd >= 0)
		(void)fcntl(fd, F_SETPIPE_SZ, CAPTURE_CHUNK);
}

static size_t bound_of(const struct capture *c)
{
	return c->limit < SIZE_MAX ? (size_t)c->limit : SIZE_MAX;
}

/* Grow geometrically, never past the bound. On allocation failure the
 * rest of the stream is treated as past the bound: the job's result
 * matters more than its output. */
static size_t room_for(struct capture *c, size_t want)
{
	size_t bound = bound_of(c);
	size_t need, next;
	char *p;

	if (c->len >= bound)
		return 0;
	if (want > bound - c->len)
		want = bound - c->len;
	need = c->len + want;
	if (need <= c->alloc)
		return want;
	next = c->alloc ? c->alloc : (bound < 4096 ? bound : 4096);
	while (next < need)
		next = next > bound / 2 ? bound : next * 2;
	p = realloc(c->buf, next);
	if (!p) {
		c->limit = c->len;
		return 0;
	}
	c->buf = p;
	c->alloc = next;
	return want;
}

static void capture_close(struct capture *c)
{
	close(c->fd);
	c->fd = -1;
}

/* The first bytes of p[n] that fit under the bound go to the sink. */
static void pass_on(struct capture *c, const char *p, size_t n)
{
	size_t bound = bound_of(c);
	size_t keep = c->len < bound ? bound - c->len : 0;

	if (keep > n)
		keep = n;
	if (keep > 0)
		c->sink(c->sink_arg, p, keep);
	c->len += keep;
	if (keep < n)
		c->truncated = true;
}

int capture_read(struct capture *c)
{
	/* What a sink takes, and what comes past the bound. */
	static char chunk[CAPTURE_CHUNK];
	size_t room = c->sink ? 0 : room_for(c, CAPTURE_READ);
	char *dst = room > 0 ? c->buf + c->len : chunk;
	ssize_t n;

	do
		n = read(c->fd, dst, room > 0 ? room : sizeof(chunk));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return 1;
	if (n <= 0) {
		int saved = errno;

		capture_close(c);
		errno = saved;
		return n == 0 ? 0 : -1;
	}
	if (room > 0)
		c->len += (size_t)n;
	else if (c->sink)
		pass_on(c, chunk, (size_t)n);
	else
		c->truncated = true;
	return 1;
}

void capture_free(struct capture *c)
{
	if (c->fd >= 0)
		capture_close(c);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Bounded capture of the job's stdout or stderr for --json. */
#include "client/capture.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads go straight into the buffer, so the bytes are copied once; this
 * much empties a full pipe of the default size. */
#define CAPTURE_READ 65536

void capture_init(struct capture *c, int fd, uint64_t limit)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->limit = limit;
}

/* Grow geometrically, never past the bound. On allocation failure the
 * rest of the stream is treated as past the bound: the job's result
 * matters more than its output. */
static size_t room_for(struct capture *c, size_t want)
{
	size_t bound = c->limit < SIZE_MAX ? (size_t)c->limit : SIZE_MAX;
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

int capture_read(struct capture *c)
{
	static char discard[CAPTURE_READ]; /* what comes past the bound */
	size_t room = room_for(c, CAPTURE_READ);
	char *dst = room > 0 ? c->buf + c->len : discard;
	ssize_t n;

	do
		n = read(c->fd, dst, room > 0 ? room : sizeof(discard));
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

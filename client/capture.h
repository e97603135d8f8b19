/*
 * Bounded capture of one pipe for --json: keep the first `limit` bytes,
 * drain and discard the rest so the job never blocks on a full pipe, and
 * never hold more than the bound. The kept bytes either collect in a
 * buffer (stderr) or are handed to a sink as they are read (stdout), so
 * that the client holds none of them.
 */
#ifndef SYMBI_CLIENT_CAPTURE_H
#define SYMBI_CLIENT_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Takes the next n kept bytes; p is valid during the call only. */
typedef void capture_sink(void *arg, const char *p, size_t n);

struct capture {
	int fd;		   /* read end; -1 once closed */
	char *buf;	   /* without a sink: the bytes kept */
	size_t len, alloc; /* len: the bytes kept, buffered or passed on */
	uint64_t limit;
	bool truncated;
	capture_sink *sink;
	void *sink_arg;
};

/* Buffered: the kept bytes collect in c->buf. */
void capture_init(struct capture *c, int fd, uint64_t limit);

/* Streamed: the kept bytes go to sink(arg, ...) as they are read. The
 * pipe is enlarged, where the system allows, so each read takes more. */
void capture_init_sink(struct capture *c, int fd, uint64_t limit,
		       capture_sink *sink, void *arg);

/* One read(2) from a readable fd. Returns 1 while open, 0 at end of file
 * (fd closed), -1 on a read error (fd closed too; errno set). */
int capture_read(struct capture *c);

void capture_free(struct capture *c);

#endif

/*
 * Bounded capture of one pipe for --json: keep the first `limit` bytes,
 * drain and discard the rest so the job never blocks on a full pipe, and
 * never hold more than the bound.
 */
#ifndef SYMBI_CLIENT_CAPTURE_H
#define SYMBI_CLIENT_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct capture {
	int fd; /* read end; -1 once closed */
	char *buf;
	size_t len, alloc;
	uint64_t limit;
	bool truncated;
};

void capture_init(struct capture *c, int fd, uint64_t limit);

/* One read(2) from a readable fd. Returns 1 while open, 0 at end of file
 * (fd closed), -1 on a read error (fd closed too; errno set). */
int capture_read(struct capture *c);

void capture_free(struct capture *c);

#endif

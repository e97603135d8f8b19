/*
 * Bounds-checked little-endian writer and reader for the wire protocol.
 *
 * Both latch: after the first failure every further call is a no-op (getters
 * clear their outputs), so a caller may chain many calls and test buf_*_ok
 * once at the end. Only shared/proto*.c should need this.
 */
#ifndef SYMBI_BUF_H
#define SYMBI_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf_writer {
	uint8_t *out;
	size_t cap;
	size_t len;
	bool err;
};

struct buf_reader {
	const uint8_t *in;
	size_t len;
	size_t off;
	bool err;
};

void buf_writer_init(struct buf_writer *w, uint8_t *out, size_t cap);
void buf_put_u8(struct buf_writer *w, uint8_t v);
void buf_put_u16(struct buf_writer *w, uint16_t v);
void buf_put_u32(struct buf_writer *w, uint32_t v);
void buf_put_u64(struct buf_writer *w, uint64_t v);
/* u32 length + bytes of the NUL-terminated s; refuses strings longer than
 * max (and PROTO_MAX_STR) by latching the error. */
void buf_put_str(struct buf_writer *w, const char *s, size_t max);
/* Overwrite a u32 already written at offset at (a length fixed up later). */
void buf_patch_u32(struct buf_writer *w, size_t at, uint32_t v);
bool buf_writer_ok(const struct buf_writer *w);

void buf_reader_init(struct buf_reader *r, const uint8_t *in, size_t len);
void buf_get_u8(struct buf_reader *r, uint8_t *v);
void buf_get_u16(struct buf_reader *r, uint16_t *v);
void buf_get_u32(struct buf_reader *r, uint32_t *v);
void buf_get_u64(struct buf_reader *r, uint64_t *v);
/* Copies one string into dst[cap] NUL-terminated; refuses an embedded NUL,
 * a length above PROTO_MAX_STR, or one that does not fit (len + 1 > cap).
 * *used gets len + 1 (0 on failure); used may be NULL. */
void buf_get_str(struct buf_reader *r, char *dst, size_t cap, size_t *used);
/* True when nothing failed and every byte was consumed. */
bool buf_reader_done(const struct buf_reader *r);
bool buf_reader_ok(const struct buf_reader *r);

#endif

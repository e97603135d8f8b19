/* Bounds-checked little-endian writer and reader: see buf.h. */
#include "shared/buf.h"

#include <string.h>

#include "shared/proto.h"

void buf_writer_init(struct buf_writer *w, uint8_t *out, size_t cap)
{
	w->out = out;
	w->cap = out ? cap : 0;
	w->len = 0;
	w->err = false;
}

/* Reserve n bytes; NULL (and the error latched) if they do not fit. */
static uint8_t *buf_reserve(struct buf_writer *w, size_t n)
{
	uint8_t *p;

	if (w->err || n > w->cap - w->len) {
		w->err = true;
		return NULL;
	}
	p = w->out + w->len;
	w->len += n;
	return p;
}

static void buf_put_le(struct buf_writer *w, uint64_t v, size_t n)
{
	uint8_t *p = buf_reserve(w, n);
	size_t i;

	if (!p)
		return;
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void buf_put_u8(struct buf_writer *w, uint8_t v)
{
	buf_put_le(w, v, 1);
}

void buf_put_u16(struct buf_writer *w, uint16_t v)
{
	buf_put_le(w, v, 2);
}

void buf_put_u32(struct buf_writer *w, uint32_t v)
{
	buf_put_le(w, v, 4);
}

void buf_put_u64(struct buf_writer *w, uint64_t v)
{
	buf_put_le(w, v, 8);
}

void buf_put_str(struct buf_writer *w, const char *s, size_t max)
{
	size_t n;
	uint8_t *p;

	if (max > PROTO_MAX_STR)
		max = PROTO_MAX_STR;
	if (!s || (n = strnlen(s, max + 1)) > max) {
		w->err = true;
		return;
	}
	buf_put_u32(w, (uint32_t)n);
	p = buf_reserve(w, n);
	if (p && n)
		memcpy(p, s, n);
}

void buf_patch_u32(struct buf_writer *w, size_t at, uint32_t v)
{
	size_t i;

	if (w->err || at > w->len || w->len - at < 4) {
		w->err = true;
		return;
	}
	for (i = 0; i < 4; i++)
		w->out[at + i] = (uint8_t)(v >> (8 * i));
}

bool buf_writer_ok(const struct buf_writer *w)
{
	return !w->err;
}

void buf_reader_init(struct buf_reader *r, const uint8_t *in, size_t len)
{
	r->in = in;
	r->len = in ? len : 0;
	r->off = 0;
	r->err = false;
}

/* Consume n bytes; NULL (and the error latched) if fewer are left. */
static const uint8_t *buf_take(struct buf_reader *r, size_t n)
{
	const uint8_t *p;

	if (r->err || n > r->len - r->off) {
		r->err = true;
		return NULL;
	}
	p = r->in + r->off;
	r->off += n;
	return p;
}

static uint64_t buf_get_le(struct buf_reader *r, size_t n)
{
	const uint8_t *p = buf_take(r, n);
	uint64_t v = 0;
	size_t i;

	if (!p)
		return 0;
	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void buf_get_u8(struct buf_reader *r, uint8_t *v)
{
	*v = (uint8_t)buf_get_le(r, 1);
}

void buf_get_u16(struct buf_reader *r, uint16_t *v)
{
	*v = (uint16_t)buf_get_le(r, 2);
}

void buf_get_u32(struct buf_reader *r, uint32_t *v)
{
	*v = (uint32_t)buf_get_le(r, 4);
}

void buf_get_u64(struct buf_reader *r, uint64_t *v)
{
	*v = buf_get_le(r, 8);
}

void buf_get_str(struct buf_reader *r, char *dst, size_t cap, size_t *used)
{
	uint32_t n;
	const uint8_t *p;

	if (used)
		*used = 0;
	if (cap)
		dst[0] = '\0';
	buf_get_u32(r, &n);
	if (!r->err && (n > PROTO_MAX_STR || (size_t)n >= cap))
		r->err = true;
	p = buf_take(r, n);
	if (!p)
		return;
	if (memchr(p, '\0', n)) {
		r->err = true;
		return;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
	if (used)
		*used = (size_t)n + 1;
}

bool buf_reader_done(const struct buf_reader *r)
{
	return !r->err && r->off == r->len;
}

bool buf_reader_ok(const struct buf_reader *r)
{
	return !r->err;
}

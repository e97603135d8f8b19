/* The --json result object: lossy UTF-8 strings and the fields of SPEC. */
#include "client/json.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define FFFD "\xef\xbf\xbd" /* U+REPLACEMENT CHARACTER */

/* Room an escape may need: "\u00XX" is 6 bytes, a sequence 4. */
#define ESCAPE_ROOM 8

/* ---- UTF-8 ---------------------------------------------------------- */

/* A sequence cut short by the end of the bytes, well formed so far. */
#define SEQ_SHORT (-1)

/* Unicode's table of well-formed UTF-8 (3-7): per lead byte, the
 * sequence's length (0: never a lead) and its second byte's range, which
 * is what rules out overlong forms, UTF-16 surrogates and code points
 * above U+10FFFF. Later bytes are 80..BF. */
static const struct {
	unsigned char len, lo, hi;
} leads[256] = {
	/* clang-format off */
	[0xc2 ... 0xdf] = { 2, 0x80, 0xbf },
	[0xe0] = { 3, 0xa0, 0xbf },
	[0xe1 ... 0xec] = { 3, 0x80, 0xbf },
	[0xed] = { 3, 0x80, 0x9f },
	[0xee ... 0xef] = { 3, 0x80, 0xbf },
	[0xf0] = { 4, 0x90, 0xbf },
	[0xf1 ... 0xf3] = { 4, 0x80, 0xbf },
	[0xf4] = { 4, 0x80, 0x8f },
	/* clang-format on */
};

static bool in_range(unsigned char c, unsigned char lo, unsigned char hi)
{
	return (unsigned char)(c - lo) <= (unsigned char)(hi - lo);
}

/* The sequence at s[0..left), s[0] >= 0x80: its length when well formed;
 * SEQ_SHORT when left ends it early; else 0. Unless well formed, *skip is
 * the length of its maximal subpart (at least 1), one U+FFFD. */
static int utf8_sequence(const unsigned char *s, size_t left, size_t *skip)
{
	size_t need = leads[s[0]].len, i;
	unsigned char lo = leads[s[0]].lo, hi = leads[s[0]].hi;

	*skip = 1;
	if (need == 0)
		return 0;
	for (i = 1; i < need; i++) {
		*skip = i;
		if (i == left)
			return SEQ_SHORT;
		if (!in_range(s[i], lo, hi))
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return (int)need;
}

/* ---- output ----------------------------------------------------------- */

void json_out_init(struct json_out *o, int fd)
{
	o->fd = fd;
	o->error = 0;
	o->len = 0;
}

/* A non-blocking stdout (a descriptor the caller shares) is waited on
 * rather than failed: the result matters more than the wait. */
static void write_all(struct json_out *o, const char *p, size_t n)
{
	struct pollfd pw = { .fd = o->fd, .events = POLLOUT };
	ssize_t w;

	while (n > 0 && o->error == 0) {
		w = write(o->fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && errno == EAGAIN) {
			(void)poll(&pw, 1, -1);
		} else if (w == 0 || errno != EINTR) {
			o->error = w == 0 ? EIO : errno;
		}
	}
}

int json_out_flush(struct json_out *o)
{
	write_all(o, o->buf, o->len);
	o->len = 0;
	if (o->error == 0)
		return 0;
	errno = o->error;
	return -1;
}

static void out_put(struct json_out *o, const void *s, size_t n)
{
	if (n > sizeof(o->buf) - o->len) {
		(void)json_out_flush(o);
		if (n >= sizeof(o->buf)) {
			write_all(o, s, n);
			return;
		}
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void out_str(struct json_out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
out_printf(struct json_out *o, const char *fmt, ...)
{
	char s[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	if (n > 0)
		out_put(o, s,
			(size_t)n < sizeof(s) ? (size_t)n : sizeof(s) - 1);
}

/* ---- the encoder ------------------------------------------------------- */

static bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* 16 bytes at a time: GCC's generic vectors become SSE2 or NEON, no
 * intrinsics. Byte compares do in one operation for 16 bytes what SWAR
 * arithmetic on 8-byte words needs a dozen for: plain ASCII went through
 * at 17 GB/s this way, at 5 GB/s with SWAR words. */
typedef signed char bytes16 __attribute__((vector_size(16)));

/* Index of the first set byte of 16 that are 0 or 0xff, or 16. */
static size_t first_set(bytes16 mask)
{
	uint64_t half[2];

	memcpy(half, &mask, sizeof(half));
	if (half[0])
		return (size_t)__builtin_ctzll(le64toh(half[0])) / 8;
	if (half[1])
		return 8 + (size_t)__builtin_ctzll(le64toh(half[1])) / 8;
	return 16;
}

/* Copies the leading bytes of src[0..n) that need no escape to dst (room
 * bytes at most) and returns how many. A block is stored before it is
 * tested, so a plain block costs one load and one store; bytes stored
 * past a special one are overwritten by what follows. Signed: bytes
 * from 0x80 up (UTF-8, to be checked) are negative, so "below 0x20"
 * takes them too. */
static size_t copy_plain(unsigned char *dst, size_t room,
			 const unsigned char *src, size_t n)
{
	size_t i = 0, max = n < room ? n : room, k;
	bytes16 v;

	for (; i + 16 <= max; i += 16) {
		memcpy(&v, src + i, sizeof(v));
		memcpy(dst + i, &v, sizeof(v));
		k = first_set((v < 0x20) | (v == 0x7f) | (v == '"') |
			      (v == '\\'));
		if (k < 16)
			return i + k;
	}
	while (i < max && plain(src[i])) {
		dst[i] = src[i];
		i++;
	}
	return i;
}

/* An ASCII byte that needs an escape, into d (ESCAPE_ROOM bytes). */
static size_t escape_ascii(char *d, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e = 0;

	switch (c) {
	case '"': e = '"'; break;
	case '\\': e = '\\'; break;
	case '\n': e = 'n'; break;
	case '\r': e = 'r'; break;
	case '\t': e = 't'; break;
	default: break; /* other controls and DEL: \u00XX */
	}
	d[0] = '\\';
	if (e) {
		d[1] = e;
		return 2;
	}
	d[1] = 'u';
	d[2] = '0';
	d[3] = '0';
	d[4] = hex[c >> 4];
	d[5] = hex[c & 15];
	return 6;
}

/* The length of the well-formed sequence at s, s[0] >= 0x80 and 4 bytes
 * readable, or 0: utf8_sequence without the cases of a short input. */
static size_t well_formed(const unsigned char *s)
{
	size_t need = leads[s[0]].len;

	if (need == 0 || !in_range(s[1], leads[s[0]].lo, leads[s[0]].hi) ||
	    (need > 2 && !in_range(s[2], 0x80, 0xbf)) ||
	    (need > 3 && !in_range(s[3], 0x80, 0xbf)))
		return 0;
	return need;
}

/* The well-formed UTF-8 sequences at the start of p[0..left), copied as
 * long as o has room for one more: text in another script is one such
 * run after another, not worth a trip through copy_plain each. */
static size_t copy_utf8(struct json_out *o, const unsigned char *p, size_t left)
{
	size_t i = 0, n;

	while (i + 4 <= left && p[i] >= 0x80 && sizeof(o->buf) - o->len >= 4 &&
	       (n = well_formed(p + i)) > 0) {
		memcpy(o->buf + o->len, p + i, 4); /* 4: a fixed-size copy */
		o->len += n;
		i += n;
	}
	return i;
}

/* The special byte at p[0] and what follows it that copy_plain cannot
 * take, into o (which has ESCAPE_ROOM). Returns the bytes consumed, 0
 * for a sequence that the next piece may complete (only when !last). */
static size_t encode_special(struct json_out *o, const unsigned char *p,
			     size_t left, bool last)
{
	size_t skip, n;
	int seq;

	if (p[0] < 0x80) {
		o->len += escape_ascii(o->buf + o->len, p[0]);
		return 1;
	}
	n = copy_utf8(o, p, left);
	if (n > 0)
		return n;
	seq = utf8_sequence(p, left, &skip);
	if (seq > 0) { /* copy_utf8 leaves the last 3 bytes */
		memcpy(o->buf + o->len, p, (size_t)seq);
		o->len += (size_t)seq;
		return (size_t)seq;
	}
	if (seq == SEQ_SHORT && !last)
		return 0;
	memcpy(o->buf + o->len, FFFD, 3);
	o->len += 3;
	return skip;
}

/* Encodes p[0..len) into o. Returns the bytes consumed: all, unless !last
 * and they end inside a sequence that may still complete. */
static size_t encode(struct json_out *o, const unsigned char *p, size_t len,
		     bool last)
{
	size_t i = 0, n;

	while (i < len) {
		if (sizeof(o->buf) - o->len < ESCAPE_ROOM)
			(void)json_out_flush(o);
		n = copy_plain((unsigned char *)o->buf + o->len,
			       sizeof(o->buf) - o->len, p + i, len - i);
		o->len += n;
		i += n;
		if (i == len || sizeof(o->buf) - o->len < ESCAPE_ROOM)
			continue;
		n = encode_special(o, p + i, len - i, last);
		if (n == 0)
			break;
		i += n;
	}
	return i;
}

/* The held bytes completed from p: returns how many bytes of p went, all
 * of them when the sequence is still short (and held again). */
static size_t put_held(struct json_text *t, const unsigned char *p, size_t len)
{
	unsigned char seq[8];
	size_t k = t->nheld, take = len < 4 ? len : 4, used;

	memcpy(seq, t->held, k);
	memcpy(seq + k, p, take);
	used = encode(t->o, seq, k + take, false);
	t->nheld = 0;
	if (used >= k)
		return used - k;
	/* Short still: seq is one sequence's first 3 bytes at most. */
	memcpy(t->held, seq, k + take);
	t->nheld = k + take;
	return len;
}

void json_text_put(struct json_text *t, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t used;

	if (t->o->error != 0)
		return; /* nothing more can be written: spare the work */
	if (t->nheld > 0) {
		used = put_held(t, p, len);
		if (used == len)
			return;
		p += used;
		len -= used;
	}
	used = encode(t->o, p, len, false);
	t->nheld = len - used;
	memcpy(t->held, p + used, t->nheld);
}

void json_text_end(struct json_text *t)
{
	(void)encode(t->o, t->held, t->nheld, true);
	t->nheld = 0;
}

/* ---- the object -------------------------------------------------------- */

void json_write_string(struct json_out *o, const char *s, size_t len)
{
	out_put(o, "\"", 1);
	(void)encode(o, (const unsigned char *)s, len, true);
	out_put(o, "\"", 1);
}

static void stream_close(struct json_out *o, const struct json_stream *s)
{
	if (s->truncated)
		out_printf(o, "\\n... [output truncated at %" PRIu64 " bytes]",
			   s->limit);
	out_put(o, "\"", 1);
}

void json_write_stream(struct json_out *o, const struct json_stream *s)
{
	out_put(o, "\"", 1);
	(void)encode(o, (const unsigned char *)s->data, s->len, true);
	stream_close(o, s);
}

static void put_key(struct json_out *o, const char *key)
{
	out_printf(o, ",\"%s\":", key);
}

static void put_bool(struct json_out *o, const char *key, bool v)
{
	put_key(o, key);
	out_str(o, v ? "true" : "false");
}

static void put_u64(struct json_out *o, const char *key, uint64_t v)
{
	put_key(o, key);
	out_printf(o, "%" PRIu64, v);
}

static void put_name_or_null(struct json_out *o, const char *key,
			     const char *name)
{
	put_key(o, key);
	if (name)
		json_write_string(o, name, strlen(name));
	else
		out_str(o, "null");
}

void json_report_begin(struct json_out *o, struct json_text *stdout_text)
{
	stdout_text->o = o;
	stdout_text->nheld = 0;
	out_str(o, "{\"stdout\":\"");
}

void json_report_end(struct json_text *stdout_text, const struct json_report *r)
{
	struct json_out *o = stdout_text->o;
	const struct result *res = r->res;
	bool killed = res->signal != 0;

	json_text_end(stdout_text);
	stream_close(o, &r->out);
	put_key(o, "stderr");
	json_write_stream(o, &r->err);
	put_key(o, "exit_code");
	out_printf(o, "%" PRId32, killed ? -1 : res->exit_code);
	put_bool(o, "success",
		 !killed && !res->timed_out && res->exit_code == 0);
	put_u64(o, "execution_time_ms", res->wall_ms);
	put_bool(o, "stdout_truncated", r->out.truncated);
	put_bool(o, "stderr_truncated", r->err.truncated);
	put_name_or_null(o, "tier", r->tier);
	put_bool(o, "timed_out", res->timed_out);
	put_key(o, "signal");
	if (killed)
		out_printf(o, "%" PRId32, res->signal);
	else
		out_str(o, "null");
	put_u64(o, "cpu_time_ms", res->cpu_ms);
	put_u64(o, "max_rss_kb", res->max_rss_kb);
	put_name_or_null(o, "killed_reason",
			 kill_reason_name(res->killed_reason));
	if (r->workdir)
		put_name_or_null(o, "workdir", r->workdir);
	if (r->error)
		put_name_or_null(o, "error", r->error);
	out_str(o, "}\n");
}

/* The --json result object: lossy UTF-8 strings and the fields of SPEC. */
#include "client/json.h"

#include <endian.h>
#include <inttypes.h>
#include <string.h>

/* The second byte's range depends on the lead byte: it is what rules out
 * overlong forms, UTF-16 surrogates and code points above U+10FFFF. */
static void second_byte_range(unsigned char lead, unsigned char *lo,
			      unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (lead == 0xe0)
		*lo = 0xa0;
	else if (lead == 0xed)
		*hi = 0x9f;
	else if (lead == 0xf0)
		*lo = 0x90;
	else if (lead == 0xf4)
		*hi = 0x8f;
}

static size_t sequence_length(unsigned char lead)
{
	if (lead >= 0xc2 && lead <= 0xdf)
		return 2;
	if (lead >= 0xe0 && lead <= 0xef)
		return 3;
	if (lead >= 0xf0 && lead <= 0xf4)
		return 4;
	return 0;
}

/* Bytes of the well-formed sequence at s[0..left), or 0 when it is ill
 * formed; then *skip is the length of its maximal subpart (at least 1),
 * which becomes one U+FFFD. */
static size_t utf8_valid(const unsigned char *s, size_t left, size_t *skip)
{
	size_t need = sequence_length(s[0]), i;
	unsigned char lo, hi;

	*skip = 1;
	if (need == 0)
		return 0;
	second_byte_range(s[0], &lo, &hi);
	for (i = 1; i < need; i++) {
		if (i == left || s[i] < lo || s[i] > hi) {
			*skip = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need;
}

/* Output goes through a buffer of our own: the common case is a run of
 * verbatim bytes broken by one short escape (a newline every line), and a
 * stdio call per piece costs more than the bytes themselves. */
struct out {
	FILE *f;
	size_t len;
	char buf[65536];
};

static void out_flush(struct out *o)
{
	if (o->len > 0)
		fwrite(o->buf, 1, o->len, o->f);
	o->len = 0;
}

static void out_put(struct out *o, const void *s, size_t n)
{
	if (n > sizeof(o->buf) - o->len) {
		out_flush(o);
		if (n >= sizeof(o->buf)) {
			fwrite(s, 1, n, o->f);
			return;
		}
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void put_control(struct out *o, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

	out_put(o, u, sizeof(u));
}

static void put_escaped_ascii(struct out *o, unsigned char c)
{
	switch (c) {
	case '"': out_put(o, "\\\"", 2); break;
	case '\\': out_put(o, "\\\\", 2); break;
	case '\n': out_put(o, "\\n", 2); break;
	case '\r': out_put(o, "\\r", 2); break;
	case '\t': out_put(o, "\\t", 2); break;
	default: put_control(o, c); /* and DEL */
	}
}

static bool ascii_verbatim(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* 16 bytes at a time; GCC's generic vectors become SSE2 or NEON. */
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

/* Length of the run of ASCII that needs no escape. Signed, bytes from
 * 0x80 up are negative: "below 0x20" takes them too. */
static size_t ascii_run(const unsigned char *p, size_t len)
{
	size_t i = 0, n;
	bytes16 v;

	for (; i + 16 <= len; i += 16) {
		memcpy(&v, p + i, sizeof(v));
		n = first_set((v < 0x20) | (v == 0x7f) | (v == '"') |
			      (v == '\\'));
		if (n < 16)
			return i + n;
	}
	while (i < len && ascii_verbatim(p[i]))
		i++;
	return i;
}

/* Length of the run that passes unchanged: verbatim ASCII and well-formed
 * UTF-8 sequences. */
static size_t verbatim_run(const unsigned char *p, size_t len)
{
	size_t i = 0, n, skip;

	for (;;) {
		i += ascii_run(p + i, len - i);
		if (i == len || p[i] < 0x80 ||
		    (n = utf8_valid(p + i, len - i, &skip)) == 0)
			return i;
		i += n;
	}
}

static void put_escaped(FILE *f, const char *s, size_t len)
{
	static struct out o; /* 64 KiB: too big for the stack */
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, skip;

	o.f = f;
	while (i < len) {
		n = verbatim_run(p + i, len - i);
		out_put(&o, p + i, n);
		i += n;
		if (i == len)
			break;
		if (p[i] < 0x80) {
			put_escaped_ascii(&o, p[i++]);
		} else {
			(void)utf8_valid(p + i, len - i, &skip);
			out_put(&o, "\xef\xbf\xbd", 3); /* U+FFFD */
			i += skip;
		}
	}
	out_flush(&o);
}

void json_write_string(FILE *f, const char *s, size_t len)
{
	putc('"', f);
	put_escaped(f, s, len);
	putc('"', f);
}

void json_write_stream(FILE *f, const struct json_stream *s)
{
	putc('"', f);
	put_escaped(f, s->data, s->len);
	if (s->truncated)
		fprintf(f, "\\n... [output truncated at %" PRIu64 " bytes]",
			s->limit);
	putc('"', f);
}

static void put_key(FILE *f, const char *key, bool first)
{
	fprintf(f, "%s\"%s\":", first ? "{" : ",", key);
}

static void put_bool(FILE *f, const char *key, bool v)
{
	put_key(f, key, false);
	fputs(v ? "true" : "false", f);
}

static void put_u64(FILE *f, const char *key, uint64_t v)
{
	put_key(f, key, false);
	fprintf(f, "%" PRIu64, v);
}

static void put_name_or_null(FILE *f, const char *key, const char *name)
{
	put_key(f, key, false);
	if (name)
		json_write_string(f, name, strlen(name));
	else
		fputs("null", f);
}

void json_write_report(FILE *f, const struct json_report *r)
{
	const struct result *res = r->res;
	bool killed = res->signal != 0;

	put_key(f, "stdout", true);
	json_write_stream(f, &r->out);
	put_key(f, "stderr", false);
	json_write_stream(f, &r->err);
	put_key(f, "exit_code", false);
	fprintf(f, "%" PRId32, killed ? -1 : res->exit_code);
	put_bool(f, "success", !killed && !res->timed_out &&
				       res->exit_code == 0);
	put_u64(f, "execution_time_ms", res->wall_ms);
	put_bool(f, "stdout_truncated", r->out.truncated);
	put_bool(f, "stderr_truncated", r->err.truncated);
	put_name_or_null(f, "tier", r->tier);
	put_bool(f, "timed_out", res->timed_out);
	put_key(f, "signal", false);
	if (killed)
		fprintf(f, "%" PRId32, res->signal);
	else
		fputs("null", f);
	put_u64(f, "cpu_time_ms", res->cpu_ms);
	put_u64(f, "max_rss_kb", res->max_rss_kb);
	put_name_or_null(f, "killed_reason",
			 kill_reason_name(res->killed_reason));
	fputs("}\n", f);
}

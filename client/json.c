/* The --json result object: lossy UTF-8 strings and the fields of SPEC. */
#include "client/json.h"

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

static void put_escaped_ascii(FILE *f, unsigned char c)
{
	switch (c) {
	case '"': fputs("\\\"", f); break;
	case '\\': fputs("\\\\", f); break;
	case '\n': fputs("\\n", f); break;
	case '\r': fputs("\\r", f); break;
	case '\t': fputs("\\t", f); break;
	default:
		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			putc(c, f);
	}
}

static void put_escaped(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, skip;

	while (i < len) {
		if (p[i] < 0x80) {
			put_escaped_ascii(f, p[i++]);
		} else if ((n = utf8_valid(p + i, len - i, &skip)) > 0) {
			fwrite(p + i, 1, n, f);
			i += n;
		} else {
			fputs("\xef\xbf\xbd", f); /* U+FFFD */
			i += skip;
		}
	}
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

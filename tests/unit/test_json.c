/*
 * client/json.c: lossy UTF-8, escapes, the truncation marker, text that
 * arrives in pieces (a UTF-8 sequence split between them), and whole
 * reports read back by a real JSON parser (python3's json module).
 * The Makefile links unit tests with shared/ and policy/ only, so the
 * client module is compiled in here.
 */
#include "client/json.c"

#include <signal.h>
#include <stdlib.h>

static int test_no;
static int failures;

static void ok(bool cond, const char *desc)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++test_no, desc);
	if (!cond)
		failures++;
}

static struct json_out out; /* 64 KiB: too big for the stack */
static FILE *out_file;

/* The encoder writes to a descriptor: a temporary file here. */
static void out_start(void)
{
	out_file = tmpfile();
	if (!out_file) {
		perror("tmpfile");
		exit(1);
	}
	json_out_init(&out, fileno(out_file));
}

/* Everything written since out_start, NUL-terminated; the caller frees. */
static char *out_take(void)
{
	long size;
	char *buf;

	if (json_out_flush(&out) != 0 || fseek(out_file, 0, SEEK_END) != 0 ||
	    (size = ftell(out_file)) < 0 || fseek(out_file, 0, SEEK_SET) != 0 ||
	    !(buf = malloc((size_t)size + 1)) ||
	    fread(buf, 1, (size_t)size, out_file) != (size_t)size) {
		perror("reading the encoder's output back");
		exit(1);
	}
	buf[size] = '\0';
	fclose(out_file);
	return buf;
}

static char *encode_string(const char *s, size_t len)
{
	out_start();
	json_write_string(&out, s, len);
	return out_take();
}

static char *encode_stream(const struct json_stream *st)
{
	out_start();
	json_write_stream(&out, st);
	return out_take();
}

/* s[len] through json_text_put in pieces of the given sizes (the last
 * one repeated), quoted as json_write_string quotes. */
static char *encode_pieces(const unsigned char *s, size_t len,
			   const size_t *sizes, size_t nsizes)
{
	struct json_text t = { .o = &out };
	size_t i = 0, k = 0, n;

	out_start();
	out_put(&out, "\"", 1);
	while (i < len) {
		n = sizes[k < nsizes - 1 ? k++ : k];
		if (n > len - i)
			n = len - i;
		json_text_put(&t, s + i, n);
		i += n;
	}
	json_text_end(&t);
	out_put(&out, "\"", 1);
	return out_take();
}

static void check_string(const char *in, size_t len, const char *want,
			 const char *desc)
{
	char *got = encode_string(in, len);
	bool same = strcmp(got, want) == 0;

	if (!same)
		printf("# got:  %s\n# want: %s\n", got, want);
	ok(same, desc);
	free(got);
}

#define CHECK(in, want, desc) check_string(in, sizeof(in) - 1, want, desc)
#define FFFD "\xef\xbf\xbd"

static void test_valid_utf8(void)
{
	CHECK("hello, world", "\"hello, world\"", "ASCII passes unchanged");
	CHECK("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf",
	      "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"",
	      "2-, 3- and 4-byte sequences up to U+10FFFF pass unchanged");
	CHECK("\xed\x9f\xbf\xee\x80\x80", "\"\xed\x9f\xbf\xee\x80\x80\"",
	      "U+D7FF and U+E000, next to the surrogates, pass");
	CHECK("", "\"\"", "empty string");
}

static void test_invalid_utf8(void)
{
	CHECK("a\x80z", "\"a" FFFD "z\"", "lone continuation byte");
	CHECK("\xc0\xaf", "\"" FFFD FFFD "\"",
	      "overlong 2-byte form (C0, C1 leads)");
	CHECK("\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\"",
	      "overlong 3-byte form");
	CHECK("\xf0\x80\x80\xaf", "\"" FFFD FFFD FFFD FFFD "\"",
	      "overlong 4-byte form");
	CHECK("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"",
	      "UTF-16 surrogate U+D800");
	CHECK("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"",
	      "code point above U+10FFFF");
	CHECK("\xf5\xf8\xfe\xff", "\"" FFFD FFFD FFFD FFFD "\"",
	      "bytes F5..FF never appear");
	CHECK("a\xe2\x82", "\"a" FFFD "\"",
	      "sequence cut at the end: one U+FFFD");
	CHECK("\xe2\x82" "A", "\"" FFFD "A\"",
	      "sequence cut by ASCII: one U+FFFD, ASCII kept");
	CHECK("\xf0\x9f\x98!", "\"" FFFD "!\"",
	      "4-byte sequence missing its last byte");
	CHECK("\xc3\xc3\xa9", "\"" FFFD "\xc3\xa9\"",
	      "lead byte followed by a new lead: the second decodes");
}

static void test_escapes(void)
{
	CHECK("\"\\", "\"\\\"\\\\\"", "quote and backslash");
	CHECK("\n\r\t", "\"\\n\\r\\t\"", "newline, return, tab");
	CHECK("\x01\x1f\x7f\b\f", "\"\\u0001\\u001f\\u007f\\u0008\\u000c\"",
	      "other control characters as \\u00XX");
	CHECK("a\0b", "\"a\\u0000b\"", "embedded NUL");
}

static void test_truncation_marker(void)
{
	struct json_stream st = { "abc", 3, true, 3 };
	char *got = encode_stream(&st);

	ok(strcmp(got, "\"abc\\n... [output truncated at 3 bytes]\"") == 0,
	   "truncated stream ends with the marker");
	free(got);
	st.truncated = false;
	got = encode_stream(&st);
	ok(strcmp(got, "\"abc\"") == 0, "complete stream has no marker");
	free(got);
}

/* The byte-at-a-time encoder the fast paths replaced, kept as the
 * reference they must match. */
static void reference_escape_ascii(FILE *f, unsigned char c)
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
			fputc(c, f);
	}
}

static void reference_escape(FILE *f, const unsigned char *p, size_t len)
{
	size_t i = 0, skip;
	int n;

	fputc('"', f);
	while (i < len) {
		if (p[i] < 0x80) {
			reference_escape_ascii(f, p[i++]);
		} else if ((n = utf8_sequence(p + i, len - i, &skip)) > 0) {
			fwrite(p + i, 1, (size_t)n, f);
			i += (size_t)n;
		} else {
			fputs(FFFD, f);
			i += skip;
		}
	}
	fputc('"', f);
}

static char *reference(const unsigned char *in, size_t len)
{
	char *want = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&want, &size);

	reference_escape(f, in, len);
	fclose(f);
	return want;
}

static bool same_strings(char *got, char *want)
{
	bool same = strcmp(got, want) == 0;

	free(got);
	free(want);
	return same;
}

static bool same_as_reference(const unsigned char *in, size_t len)
{
	return same_strings(encode_string((const char *)in, len),
			    reference(in, len));
}

/* Every byte value at every position of a 40-byte line (the 16-byte scan
 * and its tail), then random mixes weighted towards bytes that matter. */
static void test_fast_paths(void)
{
	static const unsigned char pick[] = { 'a', 'a', 'a', 'a', 0, '\n',
					      '"', '\\', 0x1f, 0x20, 0x7e,
					      0x7f, 0x80, 0xbf, 0xc2, 0xe0,
					      0xed, 0xf0, 0xf4, 0xff };
	unsigned char line[40];
	bool all_bytes = true, random_mix = true;
	size_t pos, i, len;
	int b, round;

	for (pos = 0; pos < sizeof(line); pos++)
		for (b = 0; b < 256; b++) {
			memset(line, 'a', sizeof(line));
			line[pos] = (unsigned char)b;
			all_bytes &= same_as_reference(line, sizeof(line));
		}
	ok(all_bytes, "each byte at each position of a line encodes as the "
		      "byte-at-a-time reference does");
	srandom(6);
	for (round = 0; round < 20000; round++) {
		len = (size_t)random() % sizeof(line);
		for (i = 0; i < len; i++)
			line[i] = random() % 4 ? pick[random() % sizeof(pick)]
					       : (unsigned char)random();
		random_mix &= same_as_reference(line, len);
	}
	ok(random_mix, "20000 random strings encode as the reference does");
}

/* Text in pieces encodes as the same bytes in one piece: a UTF-8
 * sequence cut between two reads of the pipe is held, not replaced. */
static void test_pieces(void)
{
	static const unsigned char mix[] =
		"a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n\xe2\x82!\xf0\x9f\x98"
		"\xc3\xc3\xa9\x80\xed\xa0\x80\xf4\x90\"\\\x7f\xe2";
	static const unsigned char pick[] = { 'a', '\n', '"', 0x80, 0x82,
					      0x9f, 0xa9, 0xac, 0xbf, 0xc3,
					      0xe2, 0xed, 0xf0, 0xf4, 0xff };
	size_t len = sizeof(mix) - 1, cut, sizes[2], i, n;
	unsigned char buf[64];
	bool split2 = true, bytewise, random_mix = true;
	int round;

	for (cut = 0; cut <= len; cut++) {
		sizes[0] = cut ? cut : len;
		sizes[1] = len;
		split2 &= same_strings(encode_pieces(mix, len, sizes, 2),
				       reference(mix, len));
	}
	ok(split2, "text cut in two at each byte encodes as in one piece");
	sizes[0] = 1;
	bytewise = same_strings(encode_pieces(mix, len, sizes, 1),
				reference(mix, len));
	ok(bytewise, "text put byte by byte encodes as in one piece");
	srandom(7);
	for (round = 0; round < 20000; round++) {
		n = (size_t)random() % sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = pick[random() % sizeof(pick)];
		sizes[0] = 1 + (size_t)random() % 5;
		sizes[1] = 1 + (size_t)random() % 9;
		random_mix &= same_strings(encode_pieces(buf, n, sizes, 2),
					   reference(buf, n));
	}
	ok(random_mix, "20000 random texts in random pieces encode as the "
		       "reference does");
}

/* More than the output buffer holds, escapes and sequences at every
 * offset of it: its flushes lose and repeat nothing. */
static void test_big(void)
{
	static const char *const parts[] = { "plain text ", "\n", "\xe2\x82\xac\xe6\x97\xa5\xe6\x9c\xac",
					     "\xf0\x9f\x98\x80", "\x01", "\xff" };
	size_t len = 300000, i = 0, n, sizes[1] = { 65536 };
	unsigned char *big = malloc(len);
	const char *part;

	srandom(8);
	while (big && i < len) {
		part = parts[random() % 6];
		n = strlen(part) < len - i ? strlen(part) : len - i;
		memcpy(big + i, part, n);
		i += n;
	}
	ok(big && same_strings(encode_string((char *)big, len),
			       reference(big, len)),
	   "300 kB of mixed text encodes as the reference does");
	ok(big && same_strings(encode_pieces(big, len, sizes, 1),
			       reference(big, len)),
	   "... and so in pieces of 64 KiB");
	free(big);
}

/* A reader gone: the error is kept and reported at the flush, and what
 * follows is dropped without a fault. */
static void test_write_error(void)
{
	struct json_text t;
	int p[2];
	int rc, e;

	signal(SIGPIPE, SIG_IGN);
	if (pipe(p) != 0) {
		ok(false, "pipe");
		return;
	}
	close(p[0]);
	json_out_init(&out, p[1]);
	json_report_begin(&out, &t);
	(void)json_out_flush(&out);
	json_text_put(&t, "more", 4);
	rc = json_out_flush(&out);
	e = errno;
	close(p[1]);
	ok(rc == -1 && e == EPIPE && out.len == 0,
	   "a failed write is reported (EPIPE) and later output dropped");
}

static const char bad_bytes[] = "ok\xe2\x82\xac \x80\xc0\xaf\xe0\x80\xaf"
				"\xed\xa0\x80\xf4\x90\x80\x80\xf5\xe2\x82"
				"A\x01\x1f\x7f\"\\\n";

/* The report as the client writes it: stdout in pieces of `piece` bytes,
 * to fd. */
static void write_report(int fd, const struct json_report *r, size_t piece)
{
	struct json_text t;
	size_t i, n;

	json_out_init(&out, fd);
	json_report_begin(&out, &t);
	for (i = 0; i < r->out.len; i += n) {
		n = r->out.len - i < piece ? r->out.len - i : piece;
		json_text_put(&t, r->out.data + i, n);
	}
	json_report_end(&t, r);
	(void)json_out_flush(&out);
}

/* Writes r into python3, which checks it with the expression check. */
static bool python_accepts(const struct json_report *r, const char *check)
{
	char cmd[2048];
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys\n"
		 "d=json.load(sys.stdin)\n"
		 "bad=bytes.fromhex(sys.argv[1]).decode(\"utf-8\",\"replace\")\n"
		 "keys=\"stdout stderr exit_code success execution_time_ms "
		 "stdout_truncated stderr_truncated tier timed_out signal "
		 "cpu_time_ms max_rss_kb killed_reason\".split()\n"
		 "assert list(d)==keys, list(d)\n"
		 "assert %s, d' ",
		 check);
	for (size_t i = 0; i < sizeof(bad_bytes) - 1; i++)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%02x",
			 (unsigned char)bad_bytes[i]);
	p = popen(cmd, "w");
	if (!p)
		return false;
	write_report(fileno(p), r, 7);
	st = pclose(p);
	return st == 0;
}

static void test_reports(void)
{
	struct result res = { .exit_code = 3, .wall_ms = 12, .cpu_ms = 5,
			      .max_rss_kb = 2048 };
	struct json_report r = {
		.out = { bad_bytes, sizeof(bad_bytes) - 1, false, 100 },
		.err = { "warn\n", 5, true, 5 },
		.tier = "none",
		.res = &res,
	};

	ok(python_accepts(&r,
			  "d[\"stdout\"]==bad and "
			  "d[\"stderr\"]==\"warn\\n\\n... [output truncated at "
			  "5 bytes]\" and d[\"exit_code\"]==3 and "
			  "d[\"success\"] is False and d[\"signal\"] is None and "
			  "d[\"killed_reason\"] is None and d[\"tier\"]==\"none\" "
			  "and d[\"stderr_truncated\"] and not "
			  "d[\"stdout_truncated\"] and d[\"execution_time_ms\"]==12 "
			  "and d[\"cpu_time_ms\"]==5 and d[\"max_rss_kb\"]==2048"),
	   "report with invalid UTF-8 parses; stdout equals python's own "
	   "lossy decoding");
	res = (struct result){ .exit_code = -1, .signal = 9, .timed_out = 1,
			       .killed_reason = KILL_TIMEOUT, .wall_ms = 1000 };
	ok(python_accepts(&r, "d[\"exit_code\"]==-1 and d[\"signal\"]==9 and "
			      "d[\"timed_out\"] is True and "
			      "d[\"killed_reason\"]==\"timeout\" and "
			      "d[\"success\"] is False"),
	   "timed-out job: exit_code -1, signal 9, killed_reason timeout");
	/* r reads res through a pointer, which cppcheck does not follow. */
	// cppcheck-suppress [redundantAssignment, unreadVariable]
	res = (struct result){ .exit_code = 0 };
	r.err = (struct json_stream){ "", 0, false, 5 };
	ok(python_accepts(&r, "d[\"success\"] is True and d[\"exit_code\"]==0 "
			      "and d[\"stderr\"]==\"\""),
	   "clean exit: success true");
}

int main(void)
{
	printf("1..32\n");
	test_valid_utf8();
	test_invalid_utf8();
	test_escapes();
	test_truncation_marker();
	test_fast_paths();
	test_pieces();
	test_big();
	test_write_error();
	test_reports();
	return failures ? 1 : 0;
}

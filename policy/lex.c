/*
 * Tokenizer of the policy's TOML subset. Columns count characters (UTF-8
 * code points), as an editor shows them. Everything outside the subset is
 * reported here by name (literal strings, multi-line strings, inline
 * tables) so the administrator learns what to write instead.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "policy/lex.h"

void lex_init(struct lexer *lx, const char *text, size_t len, char *out,
	      size_t out_len, size_t out_cap, struct policy_errors *errs)
{
	memset(lx, 0, sizeof(*lx));
	lx->s = text;
	lx->len = len;
	lx->line = 1;
	lx->col = 1;
	lx->out = out;
	lx->out_len = out_len;
	lx->out_cap = out_cap;
	lx->errs = errs;
}

static unsigned char peek_at(const struct lexer *lx, size_t off)
{
	return lx->pos + off < lx->len ? (unsigned char)lx->s[lx->pos + off]
				       : 0;
}

static bool at_end(const struct lexer *lx, size_t off)
{
	return lx->pos + off >= lx->len;
}

/* Length of the well-formed UTF-8 sequence at s[0..n), or 0: no overlong
 * forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t need, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need;
}

static void advance(struct lexer *lx, size_t bytes)
{
	lx->pos += bytes;
	lx->col++;
}

/* Reports a byte no token may start with or contain. */
static void report_byte(struct lexer *lx, unsigned char c, const char *where)
{
	const unsigned char *u = (const unsigned char *)lx->s + lx->pos;

	if (c == 0)
		policy_error_add(lx->errs, lx->line, lx->col, "NUL byte%s",
				 where);
	else if (c >= 0x80 && !utf8_seq_len(u, lx->len - lx->pos))
		policy_error_add(lx->errs, lx->line, lx->col,
				 "invalid UTF-8%s", where);
	else if (c >= 0x80)
		policy_error_add(lx->errs, lx->line, lx->col,
				 "unexpected non-ASCII character%s", where);
	else if (c < 0x20 || c == 0x7f)
		policy_error_add(lx->errs, lx->line, lx->col,
				 "control character 0x%02x%s", c, where);
	else
		policy_error_add(lx->errs, lx->line, lx->col,
				 "unexpected character '%c'%s", c, where);
}

/* A comment may hold any UTF-8 text but control characters (tab aside).
 * After one bad byte the rest of the line is not examined. */
static void skip_comment(struct lexer *lx)
{
	unsigned char c;
	size_t n;

	while (!at_end(lx, 0) && (c = peek_at(lx, 0)) != '\n') {
		if (c == '\r' && peek_at(lx, 1) == '\n' && !at_end(lx, 1))
			return;
		n = utf8_seq_len((const unsigned char *)lx->s + lx->pos,
				 lx->len - lx->pos);
		if (n == 0 || c == 0 || (c < 0x20 && c != '\t') || c == 0x7f) {
			report_byte(lx, c, " in a comment");
			lex_skip_line(lx);
			return;
		}
		advance(lx, n);
	}
}

static void skip_blank(struct lexer *lx)
{
	for (;;) {
		unsigned char c = peek_at(lx, 0);

		if (at_end(lx, 0))
			return;
		if (c == ' ' || c == '\t')
			advance(lx, 1);
		else if (c == '#')
			skip_comment(lx);
		else
			return;
	}
}

/* Append n bytes, keeping room for the NUL that ends the string. */
static bool out_put(struct lexer *lx, const char *b, size_t n)
{
	if (lx->out_cap - lx->out_len < n + 1) {
		/* Unreachable by the size argument in lex.h; fail closed. */
		policy_error_add(lx->errs, lx->line, lx->col,
				 "internal error: string store full");
		return false;
	}
	memcpy(lx->out + lx->out_len, b, n);
	lx->out_len += n;
	return true;
}

static size_t utf8_encode(uint32_t cp, char *b)
{
	if (cp < 0x80) {
		b[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (char)(0xf0 | (cp >> 18));
	b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	b[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* \uXXXX or \UXXXXXXXX at pos (the backslash). Returns false after
 * reporting. */
static bool unicode_escape(struct lexer *lx, size_t digits, char *b,
			   size_t *n)
{
	uint32_t cp = 0;
	size_t i;
	int h;

	for (i = 0; i < digits; i++) {
		h = at_end(lx, 2 + i) ? -1 : hex_value(peek_at(lx, 2 + i));
		if (h < 0) {
			policy_error_add(lx->errs, lx->line, lx->col,
					 "\\%c needs %zu hexadecimal digits",
					 peek_at(lx, 1), digits);
			return false;
		}
		cp = (cp << 4) | (uint32_t)h;
	}
	if (cp == 0) {
		policy_error_add(lx->errs, lx->line, lx->col,
				 "\\u0000 (a NUL character) is not allowed");
		return false;
	}
	if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
		policy_error_add(lx->errs, lx->line, lx->col,
				 "\\%c escape of U+%04X is not a Unicode "
				 "scalar value", peek_at(lx, 1), cp);
		return false;
	}
	*n = utf8_encode(cp, b);
	lx->pos += 2 + digits;
	lx->col += 2 + (unsigned)digits;
	return true;
}

static bool simple_escape(unsigned char c, char *out)
{
	static const char from[] = "\"\\ntrbf", to[] = "\"\\\n\t\r\b\f";
	const char *hit = c ? strchr(from, c) : NULL;

	if (!hit)
		return false;
	*out = to[hit - from];
	return true;
}

static bool lex_escape(struct lexer *lx)
{
	unsigned char c = peek_at(lx, 1);
	char b[4];
	size_t n = 1;

	if (c == 'u' || c == 'U') {
		if (!unicode_escape(lx, c == 'u' ? 4 : 8, b, &n))
			return false;
		return out_put(lx, b, n);
	}
	if (at_end(lx, 1) || !simple_escape(c, b)) {
		if (c >= 0x21 && c < 0x7f)
			policy_error_add(lx->errs, lx->line, lx->col,
					 "invalid escape '\\%c'", c);
		else
			policy_error_add(lx->errs, lx->line, lx->col,
					 "invalid escape: '\\' followed by "
					 "byte 0x%02x", c);
		return false;
	}
	lx->pos += 2;
	lx->col += 2;
	return out_put(lx, b, 1);
}

/* One plain character of a string body; false after reporting. */
static bool lex_string_char(struct lexer *lx, unsigned char c)
{
	size_t n = utf8_seq_len((const unsigned char *)lx->s + lx->pos,
				lx->len - lx->pos);

	if (c == 0 || n == 0 || (c < 0x20 && c != '\t') || c == 0x7f) {
		report_byte(lx, c, " in a string");
		return false;
	}
	if (!out_put(lx, lx->s + lx->pos, n))
		return false;
	advance(lx, n);
	return true;
}

static void lex_string(struct lexer *lx, struct tok *t)
{
	size_t start = lx->out_len;
	unsigned char c;
	bool ok = true;

	advance(lx, 1);
	while (ok) {
		c = peek_at(lx, 0);
		if (at_end(lx, 0) || c == '\n' || c == '\r') {
			policy_error_add(lx->errs, t->line, t->col,
					 "unterminated string");
			ok = false;
		} else if (c == '"') {
			advance(lx, 1);
			break;
		} else if (c == '\\') {
			ok = lex_escape(lx);
		} else {
			ok = lex_string_char(lx, c);
		}
	}
	if (!ok || !out_put(lx, "", 0)) {
		lx->out_len = start;
		t->type = T_BAD;
		return;
	}
	lx->out[lx->out_len++] = '\0';
	t->type = T_STRING;
	t->p = lx->out + start;
	t->len = lx->out_len - start - 1;
}

static bool word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '+' ||
	       c == '.' || c == ':';
}

static void lex_word(struct lexer *lx, struct tok *t)
{
	size_t start = lx->pos;

	while (!at_end(lx, 0) && word_char(peek_at(lx, 0)))
		advance(lx, 1);
	t->type = T_WORD;
	t->p = lx->s + start;
	t->len = lx->pos - start;
}

static void lex_bad(struct lexer *lx, struct tok *t, const char *msg)
{
	policy_error_add(lx->errs, lx->line, lx->col, "%s", msg);
	t->type = T_BAD;
}

static void lex_pair(struct lexer *lx, struct tok *t, enum tok_type one,
		     enum tok_type two)
{
	bool doubled = peek_at(lx, 1) == peek_at(lx, 0) && !at_end(lx, 1);

	t->type = doubled ? two : one;
	advance(lx, doubled ? 2 : 1);
	if (doubled)
		lx->col++;
}

static void lex_newline(struct lexer *lx, struct tok *t, size_t bytes)
{
	t->type = T_NL;
	lx->pos += bytes;
	lx->line++;
	lx->col = 1;
}

static void lex_other(struct lexer *lx, struct tok *t, unsigned char c)
{
	if (c == '\'')
		lex_bad(lx, t, "literal strings ('...') are not supported; "
			       "use \"...\"");
	else if (c == '{')
		lex_bad(lx, t, "inline tables are not supported");
	else if (c == '\r')
		lex_bad(lx, t, "carriage return without a newline");
	else {
		report_byte(lx, c, "");
		t->type = T_BAD;
	}
}

void lex_next(struct lexer *lx, struct tok *t)
{
	unsigned char c;

	skip_blank(lx);
	memset(t, 0, sizeof(*t));
	t->line = lx->line;
	t->col = lx->col;
	if (at_end(lx, 0)) {
		t->type = T_EOF;
		return;
	}
	c = peek_at(lx, 0);
	if (c == '\n')
		lex_newline(lx, t, 1);
	else if (c == '\r' && peek_at(lx, 1) == '\n' && !at_end(lx, 1))
		lex_newline(lx, t, 2);
	else if (c == '[')
		lex_pair(lx, t, T_LBRACK, T_LBRACK2);
	else if (c == ']')
		lex_pair(lx, t, T_RBRACK, T_RBRACK2);
	else if (c == '=' || c == ',') {
		t->type = c == '=' ? T_EQ : T_COMMA;
		advance(lx, 1);
	} else if (c == '"' && peek_at(lx, 1) == '"' && peek_at(lx, 2) == '"')
		lex_bad(lx, t, "multi-line strings are not supported");
	else if (c == '"')
		lex_string(lx, t);
	else if (word_char(c))
		lex_word(lx, t);
	else
		lex_other(lx, t, c);
	/* One error per line: what follows a bad token would only echo it. */
	if (t->type == T_BAD)
		lex_skip_line(lx);
}

void lex_skip_line(struct lexer *lx)
{
	unsigned char c;

	while (!at_end(lx, 0) && (c = peek_at(lx, 0)) != '\n') {
		lx->pos++;
		if ((c & 0xc0) != 0x80)
			lx->col++;
	}
}

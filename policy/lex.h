/*
 * Internal to policy/: the tokenizer of the TOML subset and the error list.
 * The lexer reports its own errors (bad escapes, NUL bytes, invalid UTF-8,
 * constructs outside the subset), skips the rest of that line and hands
 * back T_BAD, so the parser only has to resynchronise.
 */
#ifndef SYMBI_POLICY_LEX_H
#define SYMBI_POLICY_LEX_H

#include <stddef.h>

#include "policy/policy.h"

enum tok_type {
	T_EOF,
	T_NL,
	T_LBRACK,  /* [ */
	T_LBRACK2, /* [[ */
	T_RBRACK,  /* ] */
	T_RBRACK2, /* ]] */
	T_EQ,
	T_COMMA,
	T_WORD,   /* bare key, number, boolean, or junk the parser names */
	T_STRING, /* decoded, NUL-terminated, in the string store */
	T_BAD,    /* already reported */
};

struct tok {
	enum tok_type type;
	unsigned line, col;
	const char *p; /* T_WORD: the source text; T_STRING: decoded */
	size_t len;
};

/* Decoded strings are appended to out[out_cap]; a decoded string and its
 * NUL never take more bytes than its source token, so out_cap >= len + 1
 * cannot run out. */
struct lexer {
	const char *s;
	size_t len, pos;
	unsigned line, col;
	char *out;
	size_t out_len, out_cap;
	struct policy_errors *errs;
};

void lex_init(struct lexer *lx, const char *text, size_t len, char *out,
	      size_t out_len, size_t out_cap, struct policy_errors *errs);
void lex_next(struct lexer *lx, struct tok *t);
/* Skip raw bytes up to (not including) the next newline, reporting
 * nothing: the parser gave up on this line. */
void lex_skip_line(struct lexer *lx);

/* Record an error, keeping the list sorted by position and at most
 * POLICY_MAX_ERRORS long (the earliest ones). */
void policy_error_add(struct policy_errors *errs, unsigned line,
		      unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* s made fit for a message: non-printable bytes as '?', cut with "..."
 * to fit buf[cap] (cap >= 8). Returns buf. */
const char *policy_shown(const char *s, char *buf, size_t cap);

#endif

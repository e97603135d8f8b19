/* The policy's error list: sorted by position, capped, all counted. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy/lex.h"

static int pos_before(unsigned la, unsigned ca, unsigned lb, unsigned cb)
{
	return la < lb || (la == lb && ca < cb);
}

void policy_error_add(struct policy_errors *errs, unsigned line,
		      unsigned col, const char *fmt, ...)
{
	struct policy_error *e;
	unsigned kept, at;
	va_list ap;

	kept = errs->count < POLICY_MAX_ERRORS ? errs->count
					       : POLICY_MAX_ERRORS;
	errs->count++;
	/* Insert after every error at or before this position: errors at
	 * one place keep the order they were found in. */
	at = kept;
	while (at > 0 && pos_before(line, col, errs->e[at - 1].line,
				    errs->e[at - 1].col))
		at--;
	if (at == POLICY_MAX_ERRORS)
		return;
	if (kept == POLICY_MAX_ERRORS)
		kept--;
	memmove(&errs->e[at + 1], &errs->e[at],
		(kept - at) * sizeof(errs->e[0]));
	e = &errs->e[at];
	e->line = line;
	e->col = col;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

const char *policy_shown(const char *s, char *buf, size_t cap)
{
	size_t i = 0;

	for (; *s && i + 4 < cap; s++) {
		if (*s >= 0x20 && *s < 0x7f)
			buf[i++] = *s;
		else
			buf[i++] = '?';
	}
	if (*s) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

void policy_error_format(const struct policy_error *e, char *buf, size_t cap)
{
	if (e->line == 0)
		snprintf(buf, cap, "%s", e->msg);
	else
		snprintf(buf, cap, "%u:%u: %s", e->line, e->col, e->msg);
}

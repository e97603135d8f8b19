/*
 * Words for the caller and the audit trail: the verdict's message, and
 * a user's string made safe as one audit field. No I/O.
 */
#include <stdarg.h>
/* Which strnvis(3) the header declares: none is used here; naming one
 * silences the header's warning about the two incompatible ones. */
#define LIBBSD_NETBSD_VIS
#include <bsd/vis.h>
#include <stdio.h>
#include <string.h>

#include "helper.h"

void set_message(struct verdict *v, int status, const char *fmt, ...)
{
	va_list ap;

	v->status = (uint8_t)status;
	va_start(ap, fmt);
	vsnprintf(v->message, sizeof(v->message), fmt, ap);
	va_end(ap);
}

/* Printable ASCII other than space, '"', '\\' and '=': a byte >= 0x80
 * is never plain (a terminal or a log viewer may read it as UTF-8 or as
 * a C1 control). */
static bool plain_token(const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c <= ' ' || *c >= 0x7f || strchr("\"\\=", *c))
			return false;
	return s[0] != '\0';
}

/* A string from the user (or derived from one) as one audit field: bare
 * if it is a plain token, else quoted and encoded by libbsd's vis(3)
 * (C-style escapes, octal for the rest, '"' and '\\' escaped, every
 * byte that is not printable ASCII encoded), so no value can forge
 * another field, another line or a terminal sequence. Encoded a byte at
 * a time so a long value is cut between escapes, never inside one (a
 * syslog line holds 1024 bytes anyway). */
const char *audit_str(char *buf, size_t cap, const char *s, bool quote)
{
	const int flags = VIS_CSTYLE | VIS_OCTAL | VIS_DQ | VIS_NL | VIS_TAB;
	char one[8];	/* vis(3): at most 4 bytes and a NUL per byte */
	size_t o = 0;

	if (!quote && plain_token(s))
		return s;
	buf[o++] = '"';
	for (; *s; s++) {
		const char *end = nvis(one, sizeof(one), (unsigned char)*s,
				       flags, (unsigned char)s[1]);
		size_t n;

		if (end == NULL)
			break;
		n = (size_t)(end - one);
		if (o + n + 2 > cap)
			break;
		memcpy(buf + o, one, n);
		o += n;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/*
 * Words for the caller and the audit trail: the verdict's message, and
 * a user's string made safe as one audit field. No I/O.
 */
#include <stdarg.h>
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

static bool plain_token(const char *s)
{
	for (const char *c = s; *c; c++)
		if (*c <= ' ' || *c == 0x7f || strchr("\"\\=", *c))
			return false;
	return s[0] != '\0';
}

/* A string from the user (or derived from one) as one audit field: bare
 * if it is a plain token, else quoted with '"', '\\' and control
 * characters escaped, so no value can forge another field. Long values
 * are cut (a syslog line holds 1024 bytes anyway). */
const char *audit_str(char *buf, size_t cap, const char *s, bool quote)
{
	size_t o = 0;

	if (!quote && plain_token(s))
		return s;
	buf[o++] = '"';
	for (; *s && o + 6 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, cap - o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

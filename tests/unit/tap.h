/* The TAP output of the C unit tests: "ok N - description" lines; the
 * test's main() prints the plan and returns non-zero if any failed. */
#ifndef SYMBI_TAP_H
#define SYMBI_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int test_no;
static int failures;

__attribute__((format(printf, 2, 3)))
static void ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++test_no);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout); /* before any fork of the test */
	if (!cond)
		failures++;
}

#endif

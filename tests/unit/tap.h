/* The TAP output of the C unit tests: "ok N - description" lines; the
 * test's main() prints the plan and returns non-zero if any failed. */
#ifndef SYMBI_TAP_H
#define SYMBI_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

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

/* A test this machine cannot run: skipped, or failed in CI (CI set and
 * not empty), whose machine must run it: none skips in CI. A test that
 * needs root skips with a plain "# skip" line instead, always: the
 * package build runs the unit tests as a user. */
static inline void skip_or_fail_in_ci(const char *why)
{
	const char *ci = getenv("CI");

	if (ci == NULL || ci[0] == '\0') {
		printf("ok %d # skip %s\n", ++test_no, why);
		fflush(stdout);
		return;
	}
	ok(false, "%s (CI: nothing may skip)", why);
}

#endif

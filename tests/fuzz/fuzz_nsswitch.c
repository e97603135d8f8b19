/*
 * libFuzzer target: a line of /etc/nsswitch.conf, which the setuid
 * helper reads as root before a run_as_pool job to learn whether the
 * subordinate ids come from the files alone (policy/subids.c:
 * subid_nss_line). The input is one line (NULs included). Beyond "no
 * crash":
 *  - the answer is deterministic, 0 or 1;
 *  - a named source is non-empty, at most SUBID_SOURCE_MAX printable
 *    bytes without a blank or '#', and is not "files";
 *  - a line without "subid" (any case) before its first '#' is 0, and
 *    so is the same line commented out;
 *  - the line with " files" added keeps its answer.
 * Seeds: tests/fuzz/corpus/nsswitch.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/subids.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool cond)
{
	if (!cond)
		abort();
}

static bool has_key(const char *s, size_t len)
{
	const char *hash = memchr(s, '#', len);
	size_t n = hash ? (size_t)(hash - s) : len;

	for (size_t i = 0; i + 5 <= n; i++)
		if (strncasecmp(s + i, "subid", 5) == 0)
			return true;
	return false;
}

static int parse_with(const char *pre, const char *s, size_t len,
		      const char *post, char *src)
{
	size_t a = strlen(pre), b = strlen(post);
	char *buf = malloc(a + len + b + 1);
	int rc;

	check(buf != NULL);
	memcpy(buf, pre, a);
	memcpy(buf + a, s, len);
	memcpy(buf + a + len, post, b);
	rc = subid_nss_line(buf, a + len + b, src);
	free(buf);
	return rc;
}

static void check_source(const char *src)
{
	size_t n = strlen(src);

	check(n > 0 && n <= SUBID_SOURCE_MAX && strcmp(src, "files") != 0);
	for (size_t i = 0; i < n; i++)
		check(src[i] > ' ' && src[i] < 0x7f && src[i] != '#');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char a[SUBID_SOURCE_MAX + 1], b[SUBID_SOURCE_MAX + 1];
	int ra = subid_nss_line(s, size, a);

	check(ra == subid_nss_line(s, size, b) && (ra == 0 || ra == 1));
	if (ra == 1) {
		check(strcmp(a, b) == 0);
		check_source(a);
	}
	if (!has_key(s, size))
		check(ra == 0);
	check(parse_with("#", s, size, "", b) == 0);
	if (memchr(s, '#', size) == NULL)
		check(parse_with("", s, size, " files", b) == ra);
	return 0;
}

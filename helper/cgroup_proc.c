/*
 * The text of /proc/PID/cgroup, parsed: the path of each hierarchy a job
 * uses (cgroup_parent.c reads the files). Pure, no I/O, fuzzed
 * (tests/fuzz/fuzz_cgroup_proc.c): the kernel writes the text, but the
 * helper is root and trusts no input, however made.
 */
#include <string.h>

#include "helper.h"

/* v1 hierarchies by controller name; CGD_UNIFIED is the "0::" line. */
static const char *const ctl_name[CGD_COUNT] = {
	[CGD_MEMORY] = "memory", [CGD_PIDS] = "pids", [CGD_CPU] = "cpu",
};

const char *cg_hierarchy_name(int d)
{
	return ctl_name[d];
}

/* Whether the comma-separated list list[0..len) holds word. */
static bool in_list(const char *list, size_t len, const char *word)
{
	size_t n = strlen(word), i = 0;

	while (i < len) {
		size_t end = i;

		while (end < len && list[end] != ',')
			end++;
		if (end - i == n && memcmp(list + i, word, n) == 0)
			return true;
		i = end + 1;
	}
	return false;
}

/* A path as the kernel shows it for a cgroup inside our namespace:
 * absolute, no empty, "." or ".." component (outside the namespace it
 * reads "/.."), nothing that is not printable. */
static bool sane_path(const char *p, size_t len)
{
	if (len == 0 || len >= CG_PATH || p[0] != '/')
		return false;
	if (len == 1)
		return true;
	for (size_t i = 0; i < len; i++) {
		const char *c = p + i;

		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return false;
		if (*c != '/')
			continue;
		if (i + 1 == len || c[1] == '/' ||
		    (c[1] == '.' && (i + 2 == len || c[2] == '/')) ||
		    (c[1] == '.' && c[2] == '.' &&
		     (i + 3 == len || c[3] == '/')))
			return false;
	}
	return true;
}

/* One "ID:CONTROLLERS:PATH" line (no newline). Returns 0 (also for a
 * hierarchy the job does not use), or -1 for a line that does not parse. */
static int parse_line(const char *l, size_t len, char rel[CGD_COUNT][CG_PATH])
{
	const char *c1 = memchr(l, ':', len), *c2, *path;
	size_t clen, plen;

	if (!c1 || !(c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - l))))
		return -1;
	clen = (size_t)(c2 - c1 - 1);
	path = c2 + 1;
	plen = len - (size_t)(path - l);
	for (int d = 0; d < CGD_COUNT; d++) {
		bool hit = d == CGD_UNIFIED
				   ? c1 - l == 1 && l[0] == '0' && clen == 0
				   : in_list(c1 + 1, clen, ctl_name[d]);

		if (!hit)
			continue;
		if (!sane_path(path, plen) || rel[d][0])
			return -1;
		memcpy(rel[d], path, plen);
		rel[d][plen] = '\0';
	}
	return 0;
}

int cg_parse_proc(const char *text, size_t len, char rel[CGD_COUNT][CG_PATH])
{
	memset(rel, 0, sizeof(char[CGD_COUNT][CG_PATH]));
	while (len > 0) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) : len;

		if (parse_line(text, n, rel) == -1)
			return -1;
		if (!nl)
			break;
		len -= n + 1;
		text += n + 1;
	}
	return 0;
}

/*
 * libFuzzer target: the text of /proc/PID/cgroup as the helper parses it
 * as root (helper/cgroup_proc.c: cg_parse_proc), to choose the parent of
 * the job's cgroups. The input is the text. Beyond "no crash":
 *  - the parse is deterministic;
 *  - every path it gives is absolute, shorter than CG_PATH, NUL-terminated,
 *    without an empty, "." or ".." component or a control character or
 *    space (checked here by code of this file), so that appended to a
 *    hierarchy's mount it cannot leave it;
 *  - a refused text gives no path at all that a caller might use.
 * Seeds: tests/fuzz/corpus/cgroup_proc (hybrid, pure v2, Slurm, bad).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "helper/helper.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool path_ok(const char *p)
{
	size_t n = strnlen(p, CG_PATH);

	if (n == CG_PATH || p[0] != '/')
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *c = p + i;

		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return false;
		if (*c == '/' && n > 1 &&
		    (c[1] == '/' || c[1] == '\0' ||
		     (c[1] == '.' && (c[2] == '/' || c[2] == '\0')) ||
		     (c[1] == '.' && c[2] == '.' &&
		      (c[3] == '/' || c[3] == '\0'))))
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char a[CGD_COUNT][CG_PATH], b[CGD_COUNT][CG_PATH];
	int ra = cg_parse_proc((const char *)data, size, a);
	int rb = cg_parse_proc((const char *)data, size, b);

	if (ra != rb || (ra == 0 && memcmp(a, b, sizeof(a)) != 0))
		abort();
	if (ra != 0)
		return 0;
	for (int d = 0; d < CGD_COUNT; d++)
		if (a[d][0] && !path_ok(a[d]))
			abort();
	return 0;
}

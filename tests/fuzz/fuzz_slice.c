/*
 * libFuzzer target: caller_slice and caller_unit (helper/cgroup_systemd.c),
 * which find the caller's systemd slice and unit in the cgroup2 path of
 * /proc/self/cgroup; both names then go to systemd in the helper's
 * request for the job's scope (Slice=, PartOf=).
 *
 * The input, up to its first NUL, is the path. Beyond "no crash":
 *  - an accepted path gives "-.slice" or one of its own components that
 *    ends in ".slice", of unit-name characters only, with only ".slice"
 *    components before it, and no ".slice" component right after it;
 *  - the unit is "" or the component right after those slices, of
 *    unit-name characters only, ending in ".scope" or ".service";
 *  - the result is deterministic and NUL-terminated within its buffer.
 * Seeds: tests/fuzz/corpus/slice (real paths).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../helper/cgroup_systemd.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_slice(const char *p, size_t n)
{
	return n >= 7 && memcmp(p + n - 6, ".slice", 6) == 0;
}

/* The result's place in path: every component up to it a slice, it the
 * last of them. */
static void check_place(const char *path, const char *slice)
{
	const char *p = path, *end;
	size_t n, want = strlen(slice);
	bool found = strcmp(slice, "-.slice") == 0;

	for (; *p == '/'; p = end) {
		end = strchrnul(p + 1, '/');
		n = (size_t)(end - p - 1);
		if (!is_slice(p + 1, n))
			break;
		found = n == want && memcmp(p + 1, slice, n) == 0;
	}
	if (!found)
		abort();
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n > t && strcmp(s + n - t, tail) == 0;
}

/* The unit, if any, is the component right after the leading slices. */
static void check_unit(const char *path, const char *unit)
{
	const char *p = path, *end;
	size_t n;

	if (!unit[0])
		return;
	if (!unit_name_ok(unit, strlen(unit)) ||
	    !(ends_with(unit, ".scope") || ends_with(unit, ".service")))
		abort();
	for (; *p == '/'; p = end) {
		end = strchrnul(p + 1, '/');
		n = (size_t)(end - p - 1);
		if (!is_slice(p + 1, n))
			break;
	}
	end = strchrnul(p + 1, '/');
	if (*p != '/' || (size_t)(end - p - 1) != strlen(unit) ||
	    memcmp(p + 1, unit, strlen(unit)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[512], a[208], b[208];
	size_t n = size < sizeof(path) - 1 ? size : sizeof(path) - 1;
	int ra, rb;

	memcpy(path, data, n);
	path[n] = '\0';
	ra = caller_slice(path, a, sizeof(a));
	rb = caller_slice(path, b, sizeof(b));
	if (ra != rb || (ra != 0 && ra != -1))
		abort();
	if (ra == -1)
		return 0;
	if (strcmp(a, b) != 0 || memchr(a, '\0', sizeof(a)) == NULL ||
	    !unit_name_ok(a, strlen(a)) || !is_slice(a, strlen(a)))
		abort();
	check_place(path, a);
	caller_unit(path, a, sizeof(a));
	caller_unit(path, b, sizeof(b));
	if (strcmp(a, b) != 0 || memchr(a, '\0', sizeof(a)) == NULL)
		abort();
	check_unit(path, a);
	return 0;
}

/*
 * libFuzzer target: the client's sizes and times with a unit
 * (client/units.c), what a user or an agent types after --max-memory,
 * --max-file-size, --timeout and --max-cpu-seconds.
 *
 * The input, up to its first NUL, is the value. Beyond "no crash":
 *  - each function is deterministic and leaves its output untouched
 *    unless it accepts;
 *  - an accepted value is in 1..max, and is what this file computes on
 *    its own from the digits and the suffix (with 128-bit arithmetic,
 *    so an overflow in units.c cannot hide);
 *  - a fraction of a MiB is reported exactly for a K size that is not
 *    a multiple of 1024.
 * Seeds: tests/fuzz/corpus/units.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/units.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MIB (UINT64_C(1) << 24)
#define MAX_S UINT64_C(31622400)

static void check(bool cond)
{
	if (!cond)
		abort();
}

/* The value of the leading digits (no leading zero, at most 20 of them,
 * at most UINT64_MAX) times the multiplier of the suffix (plain: that of
 * no suffix), or 0 when the form is not ours. */
static unsigned __int128 expect(const char *s, const char *suffixes,
				const uint64_t *mults, uint64_t plain)
{
	size_t n = strspn(s, "0123456789");
	unsigned __int128 v = 0;
	const char *p = NULL;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0') ||
	    (s[n] && s[n + 1]) || (s[n] && !(p = strchr(suffixes, s[n]))))
		return 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	if (v > UINT64_MAX)
		return 0;
	return v * (p ? mults[p - suffixes] : plain);
}

/* Sizes are reckoned here in KiB, so only a K size can fall between. */
static void check_size(const char *s)
{
	static const uint64_t kib_per[] = { 1, 1, 1024, 1024, 1048576,
					    1048576 };
	uint64_t a = 7, b = 7;
	enum units_rc ra = units_size_mib(s, MAX_MIB, &a);
	unsigned __int128 kib = expect(s, "KkMmGg", kib_per, 1024);

	check(units_size_mib(s, MAX_MIB, &b) == ra && a == b);
	if (kib % 1024 != 0) {
		check(ra == UNITS_FRACTION && a == 7);
		return;
	}
	check(ra != UNITS_FRACTION);
	if (kib / 1024 >= 1 && kib / 1024 <= MAX_MIB)
		check(ra == UNITS_OK && a == (uint64_t)(kib / 1024));
	else
		check(ra == UNITS_BAD && a == 7);
}

static void check_time(const char *s)
{
	static const uint64_t mult[] = { 1, 60, 3600 };
	uint64_t a = 7, b = 7;
	enum units_rc ra = units_seconds(s, MAX_S, &a);
	unsigned __int128 secs = expect(s, "smh", mult, 1);

	check(units_seconds(s, MAX_S, &b) == ra && a == b);
	if (secs >= 1 && secs <= MAX_S)
		check(ra == UNITS_OK && a == (uint64_t)secs);
	else
		check(ra == UNITS_BAD && a == 7);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_size(s);
	check_time(s);
	free(s);
	return 0;
}

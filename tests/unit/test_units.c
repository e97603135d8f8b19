/* Unit tests of client/units.c: sizes and times with a unit. TAP. */
#include "client/units.c"

#include "tests/unit/tap.h"

#define MAX_MIB (UINT64_C(1) << 24)
#define MAX_S UINT64_C(31622400)

static void size_good(const char *s, uint64_t want)
{
	uint64_t v = 0;

	ok(units_size_mib(s, MAX_MIB, &v) == UNITS_OK && v == want,
	   "size \"%s\" = %llu MiB", s, (unsigned long long)want);
}

static void size_bad(const char *s, enum units_rc want)
{
	uint64_t v = 12345;

	ok(units_size_mib(s, MAX_MIB, &v) == want && v == 12345,
	   "size \"%s\" refused (%d), output untouched", s, (int)want);
}

static void time_good(const char *s, uint64_t want)
{
	uint64_t v = 0;

	ok(units_seconds(s, MAX_S, &v) == UNITS_OK && v == want,
	   "time \"%s\" = %llu s", s, (unsigned long long)want);
}

static void time_bad(const char *s)
{
	uint64_t v = 12345;

	ok(units_seconds(s, MAX_S, &v) == UNITS_BAD && v == 12345,
	   "time \"%s\" refused, output untouched", s);
}

int main(void)
{
	/* A plain number keeps today's unit. */
	size_good("512", 512);
	size_good("1", 1);
	size_good("1024K", 1);
	size_good("1048576k", 1024);
	size_good("512M", 512);
	size_good("512m", 512);
	size_good("1G", 1024);
	size_good("2g", 2048);
	size_good("16384G", MAX_MIB);
	size_bad("16385G", UNITS_BAD);
	size_bad("16777217", UNITS_BAD);
	size_bad("1000K", UNITS_FRACTION);
	size_bad("1K", UNITS_FRACTION);
	size_bad("0", UNITS_BAD);
	size_bad("0G", UNITS_BAD);
	size_bad("01G", UNITS_BAD);
	size_bad("", UNITS_BAD);
	size_bad("G", UNITS_BAD);
	size_bad("1.5G", UNITS_BAD);
	size_bad("1GB", UNITS_BAD);
	size_bad("1 G", UNITS_BAD);
	size_bad(" 1G", UNITS_BAD);
	size_bad("-1G", UNITS_BAD);
	size_bad("+1G", UNITS_BAD);
	size_bad("1T", UNITS_BAD);
	size_bad("1s", UNITS_BAD);
	size_bad("18014398509481984G", UNITS_BAD); /* 2^54 G: overflows */
	size_bad("99999999999999999999999G", UNITS_BAD);

	time_good("90", 90);
	time_good("90s", 90);
	time_good("10m", 600);
	time_good("2h", 7200);
	time_good("8784h", MAX_S);
	time_bad("8785h");
	time_bad("0");
	time_bad("0m");
	time_bad("");
	time_bad("m");
	time_bad("10M"); /* M is a size: mebibytes, not minutes */
	time_bad("1d");
	time_bad("1.5h");
	time_bad("10mm");
	time_bad("10 m");
	time_bad("-5s");
	time_bad("5124095576030432h"); /* overflows */

	ok(units_size_mib(NULL, MAX_MIB, &(uint64_t){0}) == UNITS_BAD,
	   "size: NULL refused");
	ok(units_seconds(NULL, MAX_S, &(uint64_t){0}) == UNITS_BAD,
	   "time: NULL refused");
	printf("1..%d\n", test_no);
	return failures != 0;
}

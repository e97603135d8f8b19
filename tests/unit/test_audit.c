/*
 * helper/message.c's audit_str: a user's string as one audit field. Plain
 * tokens stay bare; anything else is quoted and vis(3)-encoded, so no
 * byte outside printable ASCII, no '"' and no lone '\\' reaches the line.
 */
#include <string.h>

#include "helper/message.c"

#include "tests/unit/tap.h"

static char buf[AUDIT_STR];

static bool is(const char *in, bool quote, const char *want)
{
	const char *got = audit_str(buf, sizeof(buf), in, quote);

	if (strcmp(got, want) == 0)
		return true;
	printf("# got [%s] want [%s]\n", got, want);
	return false;
}

static bool printable_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

int main(void)
{
	char big[4000], small[16];

	ok(is("python3", false, "python3"), "a plain token stays bare");
	ok(is("python3", true, "\"python3\""), "quoted when asked");
	ok(is("", false, "\"\""), "an empty value is quoted");
	ok(is("sh -c x", false, "\"sh -c x\""), "a space is kept inside quotes");
	ok(is("a=b user=root", false, "\"a=b user=root\""),
	   "'=' cannot start a field of its own");
	ok(is("a\"b\\c", false, "\"a\\\"b\\\\c\""), "'\"' and '\\' are escaped");
	ok(is("x\ny\tz\r", false, "\"x\\ny\\tz\\r\""),
	   "newline, tab and CR in C style");
	ok(is("\x1b[31m", false, "\"\\033[31m\""), "ESC in octal");
	ok(is("caf\xc3\xa9", false, "\"caf\\303\\251\""),
	   "UTF-8 bytes in octal (C locale)");
	ok(is("\x9b" "2J", false, "\"\\2332J\""), "a C1 byte in octal");
	ok(is("\x01" "7", false, "\"\\0017\""),
	   "an escape before a digit keeps three digits");

	memset(big, 0xff, sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	audit_str(buf, sizeof(buf), big, false);
	ok(strlen(buf) < sizeof(buf) && buf[strlen(buf) - 1] == '"' &&
		   (strlen(buf) - 2) % 4 == 0 && printable_ascii(buf),
	   "a long value is cut between escapes, closed and bounded");
	audit_str(small, sizeof(small), "\xff\xff\xff\xff", false);
	ok(strcmp(small, "\"\\377\\377\\377\"") == 0,
	   "a small buffer holds whole escapes only: %s", small);

	printf("1..%d\n", test_no);
	return failures != 0;
}

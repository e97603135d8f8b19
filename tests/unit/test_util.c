/* Unit tests of shared/util.c: strict numbers and validators. TAP. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/util.h"

#include "tests/unit/tap.h"

/* s with control characters escaped, for a one-line TAP description. */
static const char *show(const char *s)
{
	static char buf[128];
	size_t n = 0;

	if (!s)
		return "(null)";
	for (; *s && n < sizeof(buf) - 5; s++) {
		if ((unsigned char)*s < 0x20)
			n += (size_t)snprintf(buf + n, 5, "\\x%02x", *s);
		else
			buf[n++] = *s;
	}
	buf[n] = '\0';
	return buf;
}

static void u64_good(const char *s, uint64_t max, uint64_t want)
{
	uint64_t v = 0;

	ok(parse_u64(s, max, &v) == 0 && v == want, "parse_u64 \"%s\" = %llu",
	   s, (unsigned long long)want);
}

static void u64_bad(const char *s, uint64_t max)
{
	uint64_t v = 12345;

	ok(parse_u64(s, max, &v) == -1 && v == 12345,
	   "parse_u64 refuses \"%s\" (max %llu)", show(s),
	   (unsigned long long)max);
}

static void cores_good(const char *s, uint64_t max, uint64_t want)
{
	uint64_t v = 0;

	ok(parse_cores(s, max, &v) == 0 && v == want,
	   "parse_cores \"%s\" = %llu millicores", s, (unsigned long long)want);
}

static void cores_bad(const char *s, uint64_t max)
{
	uint64_t v = 12345;

	ok(parse_cores(s, max, &v) == -1 && v == 12345,
	   "parse_cores refuses \"%s\" (max %llu)", show(s),
	   (unsigned long long)max);
}

static void test_parse_u64(void)
{
	static const char *const hostile[] = {
		"-1", "+1", "4294967297x", "0x10", "", " 1", "1 ", "1e3",
		"18446744073709551616", "99999999999999999999999", "0", "00",
		"01", "1.0", "1,000", "١", "1\n", "\t1",
	};

	u64_good("1", 10, 1);
	u64_good("10", 10, 10);
	u64_good("4294967297", UINT64_MAX, 4294967297ull);
	u64_good("18446744073709551615", UINT64_MAX, UINT64_MAX);
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		u64_bad(hostile[i], UINT64_MAX);
	u64_bad("11", 10);
	u64_bad("4294967297", 4294967296ull);
	u64_bad(NULL, 10);
}

static void test_parse_cores(void)
{
	static const char *const hostile[] = {
		"-1", "", " 1", "1 ", "1e3", "0.0001", "1.", ".5", "0", "0.0",
		"0.000", "1.2345", "0x1", "1..2", "1.2.3", "+1", "nan", "inf",
		"01", "1.-5", "1. 5", "18446744073709551616", "18446744073709552.0",
	};

	cores_good("2", 64000, 2000);
	cores_good("2.0", 64000, 2000);
	cores_good("0.5", 64000, 500);
	cores_good("1.25", 64000, 1250);
	cores_good("0.001", 64000, 1);
	cores_good("3.125", 64000, 3125);
	cores_good("4", 4000, 4000);
	cores_good("4.000", 4000, 4000);
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		cores_bad(hostile[i], UINT64_MAX);
	cores_bad("4.001", 4000);
	cores_bad("5", 4000);
	cores_bad(NULL, 4000);
}

static void test_env_names(void)
{
	ok(valid_env_name("LANG", 4) && valid_env_name("_x1", 3) &&
		   valid_env_name("LC_ALL=C", 6),
	   "valid_env_name accepts LANG, _x1, the name part of LC_ALL=C");
	ok(!valid_env_name("", 0) && !valid_env_name("1A", 2) &&
		   !valid_env_name("A-B", 3) && !valid_env_name("A=B", 3) &&
		   !valid_env_name("A B", 3) && !valid_env_name("Ä", 2) &&
		   !valid_env_name("A\0B", 3),
	   "valid_env_name refuses empty, digits first, -, =, space, UTF-8, NUL");
	{
		char n[130];

		memset(n, 'A', sizeof(n));
		ok(valid_env_name(n, 128) && !valid_env_name(n, 129),
		   "valid_env_name: 128 bytes yes, 129 no");
	}
}

static void test_account_names(void)
{
	ok(valid_account_name("alice") && valid_account_name("_apt") &&
		   valid_account_name("svc-agent.1") &&
		   valid_account_name("host$") && valid_account_name("a"),
	   "valid_account_name accepts alice, _apt, svc-agent.1, host$, a");
	ok(!valid_account_name("") && !valid_account_name("Alice") &&
		   !valid_account_name("1abc") && !valid_account_name("-x") &&
		   !valid_account_name("a b") && !valid_account_name("a$b") &&
		   !valid_account_name("$") && !valid_account_name("a/b") &&
		   !valid_account_name("a:b") && !valid_account_name(NULL),
	   "valid_account_name refuses empty, uppercase, digit/dash first, "
	   "space, inner $, /, :");
	ok(valid_account_name("abcdefghijklmnopqrstuvwxyz012345") &&
		   !valid_account_name("abcdefghijklmnopqrstuvwxyz0123456"),
	   "valid_account_name: 32 bytes yes, 33 no");
}

static void test_paths(void)
{
	static char long_path[4097];

	ok(valid_abs_path("/") && valid_abs_path("/tmp") &&
		   valid_abs_path("/home/alice/work") &&
		   valid_abs_path("/a/.hidden/..x/x.."),
	   "valid_abs_path accepts /, /tmp, /home/alice/work, dotfiles");
	ok(!valid_abs_path("") && !valid_abs_path("tmp") &&
		   !valid_abs_path("./tmp") && !valid_abs_path("/tmp/") &&
		   !valid_abs_path("//tmp") && !valid_abs_path("/a//b") &&
		   !valid_abs_path("/a/./b") && !valid_abs_path("/a/../b") &&
		   !valid_abs_path("/..") && !valid_abs_path("/a/.") &&
		   !valid_abs_path(NULL),
	   "valid_abs_path refuses relative, trailing /, //, ., ..");
	long_path[0] = '/';
	memset(long_path + 1, 'p', 4094);
	ok(valid_abs_path(long_path), "valid_abs_path: 4095 bytes yes");
	long_path[4095] = 'p';
	ok(!valid_abs_path(long_path), "valid_abs_path: 4096 bytes no");
}

static void test_copy_str(void)
{
	char b[4];

	ok(copy_str(b, sizeof(b), "abc") == 0 && strcmp(b, "abc") == 0,
	   "copy_str fits exactly");
	ok(copy_str(b, sizeof(b), "abcd") == -1 && strcmp(b, "abc") == 0,
	   "copy_str reports truncation, still terminates");
	ok(copy_str(b, 0, "a") == -1, "copy_str into no room fails");
}

static void test_path_join(void)
{
	char b[10], num[21];

	ok(path_join(b, sizeof(b), "/dev", "null") == 0 &&
		   strcmp(b, "/dev/null") == 0,
	   "path_join fits exactly");
	errno = 0;
	ok(path_join(b, sizeof(b), "/dev", "nulls") == -1 &&
		   errno == ENAMETOOLONG && strlen(b) < sizeof(b),
	   "path_join too long: ENAMETOOLONG, still terminated");
	dec_u64(num, 18446744073709551615u);
	ok(strcmp(num, "18446744073709551615") == 0, "dec_u64 of the largest");
	dec_u64(num, 0);
	ok(strcmp(num, "0") == 0, "dec_u64 of 0");
}

static void test_errno_text(void)
{
	ok(strcmp(errno_text(ENOENT), "No such file or directory") == 0,
	   "errno_text: the C library's words");
	ok(strcmp(errno_text(-1), "unknown error") == 0 &&
		   strcmp(errno_text(100000), "unknown error") == 0,
	   "errno_text: a number without words");
}

/* Links refused on the way, a plain path opened (controls). */
static void test_open_no_links(void)
{
	char dir[] = "/tmp/test_util.XXXXXX", sub[64], link[64], via[80];
	int fd;

	if (!mkdtemp(dir)) {
		ok(0, "open_no_links: a scratch directory"); /* plan unmet */
		return;
	}
	(void)path_join(sub, sizeof(sub), dir, "d");
	(void)path_join(link, sizeof(link), dir, "l");
	(void)path_join(via, sizeof(via), link, ".");
	(void)mkdir(sub, 0700);
	if (symlink("d", link) == -1)
		perror("# symlink");
	fd = open_no_links(sub, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ok(fd >= 0, "open_no_links: a directory without a link on the way");
	if (fd >= 0)
		close(fd);
	errno = 0;
	ok(open_no_links(link, O_PATH | O_CLOEXEC) == -1 && errno == ELOOP,
	   "open_no_links: a symlink as the last component: ELOOP");
	errno = 0;
	ok(open_no_links(via, O_PATH | O_CLOEXEC) == -1 && errno == ELOOP,
	   "open_no_links: a symlink on the way: ELOOP");
	errno = 0;
	ok(open_no_links("/proc/self/cwd/.", O_PATH | O_CLOEXEC) == -1 &&
		   errno == ELOOP,
	   "open_no_links: a magic link (/proc/self/cwd): ELOOP");
	(void)unlink(link);
	(void)rmdir(sub);
	(void)rmdir(dir);
}

int main(void)
{
	const int plan = 82;

	printf("1..%d\n", plan);
	test_parse_u64();
	test_parse_cores();
	test_env_names();
	test_account_names();
	test_paths();
	test_copy_str();
	test_path_join();
	test_errno_text();
	test_open_no_links();
	if (test_no != plan)
		printf("# ran %d tests, planned %d\n", test_no, plan);
	return failures || test_no != plan;
}

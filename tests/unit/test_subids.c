/*
 * policy/subids.c: lines of /etc/subuid and /etc/subgid, their overlap
 * with a run_as_pool range, and a whole file read a line at a time
 * (files made here, in a private temporary directory).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/subids.h"

#include "tests/unit/tap.h"

static struct subid_range r;

static int line(const char *s)
{
	memset(&r, 0x55, sizeof(r));
	return subid_line(s, strlen(s), &r);
}

static void test_lines(void)
{
	ok(line("alice:100000:65536") == 1 && strcmp(r.owner, "alice") == 0 &&
	   r.first == 100000 && r.last == 165535, "name:start:count");
	ok(line("1001:0:1") == 1 && strcmp(r.owner, "1001") == 0 &&
	   r.first == 0 && r.last == 0, "a uid owner, one id from 0");
	ok(line("u:4294967295:4294967295") == 1 && r.first == 4294967295u &&
	   r.last == 4294967295ull * 2 - 1, "32-bit bounds, no wrap");
	ok(line("u:5:0") == 1 && !subid_overlaps(&r, 0, 4294967295u),
	   "count 0 grants nothing");
	ok(line("u:0:0") == 1 && !subid_overlaps(&r, 0, 0),
	   "count 0 at start 0 grants nothing either");
	ok(line("") == 0 && line("# a comment: 1:2") == 0,
	   "blank and comment lines carry nothing");
	ok(line("alice:100000") == -1 && line("alice") == -1 &&
	   line(":1:2") == -1 && line("a:b:2") == -1 && line("a:1:") == -1 &&
	   line("a: 1:2") == -1 && line("a:1:2 ") == -1 &&
	   line("a:1:2:3") == -1 && line("a:-1:2") == -1 &&
	   line("a:4294967296:1") == -1 && line("a:1:99999999999") == -1 &&
	   line("a b:1:2") == -1 &&
	   line("abcdefghijabcdefghijabcdefghijabc:1:2") == -1,
	   "malformed lines are refused");
	ok(subid_line("a:1:2\0junk", 10, &r) == -1,
	   "a NUL inside a line is refused");
}

static void test_overlap(void)
{
	(void)line("alice:100000:65536");
	ok(subid_overlaps(&r, 100000, 100000) &&
	   subid_overlaps(&r, 165535, 170000) &&
	   subid_overlaps(&r, 90000, 100000) &&
	   subid_overlaps(&r, 1, 4000000), "overlaps at either end and around");
	ok(!subid_overlaps(&r, 61184, 65519) &&
	   !subid_overlaps(&r, 165536, 165600) &&
	   !subid_overlaps(&r, 1, 99999), "disjoint ranges do not");
}

static char dir[] = "/tmp/test_subids.XXXXXX", path[64];

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0)
		abort();
}

static void test_file(void)
{
	char why[256];
	unsigned n;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/subuid", dir);
	ok(subid_file_clash(path, 1, 5, &r, &n, why, sizeof(why)) == 0,
	   "a missing file grants nothing");
	write_file("# made by the test\n\nalice:100000:65536\nbob:165536:65536");
	ok(subid_file_clash(path, 61184, 65519, &r, &n, why, sizeof(why)) == 0,
	   "the documented pool range clashes with neither");
	ok(subid_file_clash(path, 165000, 166000, &r, &n, why, sizeof(why)) ==
		   1 && strcmp(r.owner, "alice") == 0 && n == 3,
	   "the first range that overlaps, with its line");
	ok(subid_file_clash(path, 200000, 200007, &r, &n, why, sizeof(why)) ==
		   1 && strcmp(r.owner, "bob") == 0 && n == 4,
	   "a last line without a newline is read");
	write_file("alice:100000:65536\nbroken line\nbob:1:2\n");
	ok(subid_file_clash(path, 1, 2, &r, &n, why, sizeof(why)) == -1 &&
		   n == 2 && strstr(why, "line 2") != NULL,
	   "a malformed line fails closed, named: %s", why);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_lines();
	test_overlap();
	test_file();
	printf("1..%d\n", test_no);
	return failures != 0;
}

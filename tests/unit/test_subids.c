/*
 * policy/subids.c: lines of /etc/subuid and /etc/subgid, their overlap
 * with a run_as_pool range, a whole file read a line at a time, and the
 * subid: line of nsswitch.conf
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
	   line("a b:1:2") == -1 && line("a\x01:1:2") == -1,
	   "malformed lines are refused");
	ok(line("abcdefghijabcdefghijabcdefghijab:1:2") == 1 &&
	   strcmp(r.owner, "abcdefghijabcdefghijabcdefghijab") == 0,
	   "an owner of SUBID_OWNER_MAX bytes is kept whole");
	ok(line("abcdefghijabcdefghijabcdefghijabc:7:2") == 1 &&
	   strcmp(r.owner, "abcdefghijabcdefghijabcdefghi...") == 0 &&
	   r.first == 7 && r.last == 8,
	   "a longer owner is accepted, its range whole, its name cut: %s",
	   r.owner);
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

static char src[SUBID_SOURCE_MAX + 1];

static int nss(const char *s)
{
	memset(src, 0x55, sizeof(src));
	return subid_nss_line(s, strlen(s), src);
}

static void test_nss_lines(void)
{
	ok(nss("subid: files\n") == 0 && nss("subid:files") == 0 &&
	   nss("subid:") == 0 && nss("subid:   \t\n") == 0 &&
	   nss("  SubId :  files   files # sss\n") == 0,
	   "files alone, or nothing named, is the files");
	ok(nss("passwd: files sss\n") == 0 && nss("subids: sss") == 0 &&
	   nss("# subid: sss") == 0 && nss("sub id: sss") == 0 &&
	   nss("") == 0 && nss("subid sss") == 0,
	   "other databases, comments and near misses are not the subid line");
	ok(nss("subid: sss\n") == 1 && strcmp(src, "sss") == 0,
	   "subid: sss names sss");
	ok(nss("\tSUBID:\tfiles ldap") == 1 && strcmp(src, "ldap") == 0,
	   "any case, leading blanks; files first does not hide a second source");
	ok(nss("subid: [NOTFOUND=return] files") == 1 &&
	   strcmp(src, "[NOTFOUND=return]") == 0,
	   "an action is not files either (fail closed)");
	ok(nss("subid: filesx") == 1 && nss("subid: Files") == 1,
	   "files is matched exactly");
	ok(nss("subid: abcdefghijabcdefghijabcdefghijabcdefghij") == 1 &&
	   strlen(src) == SUBID_SOURCE_MAX, "a long name is cut, not overrun");
	ok(subid_nss_line("subid: files\0sss", 16, src) == 1 &&
	   strcmp(src, "files?sss") == 0,
	   "a NUL inside the line does not hide what follows");
}

static char dir[] = "/tmp/test_subids.XXXXXX", path[64];

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0)
		abort();
}

static void test_nss_file(void)
{
	char why[256];
	unsigned n;

	snprintf(path, sizeof(path), "%s/nsswitch.conf", dir);
	ok(subid_nss_other(path, src, &n, why, sizeof(why)) == 0,
	   "no nsswitch.conf: the files");
	write_file("# test\npasswd: files systemd\nsubid: files\n");
	ok(subid_nss_other(path, src, &n, why, sizeof(why)) == 0,
	   "subid: files is the files");
	write_file("passwd: files\n\nsubid: sss");
	ok(subid_nss_other(path, src, &n, why, sizeof(why)) == 1 && n == 3 &&
	   strcmp(src, "sss") == 0, "subid: sss on line 3, without a newline");
	unlink(path);
	snprintf(path, sizeof(path), "%s", dir);
	ok(subid_nss_other(path, src, &n, why, sizeof(why)) == -1 &&
	   strstr(why, "cannot read") != NULL,
	   "an unreadable one fails closed: %s", why);
}

/* The rule the checker and the helper share, on files made here. */
static void test_refusal(void)
{
	char nss_path[64], uid_path[64], gid_path[64], why[512];
	const struct subid_files f = { nss_path, uid_path, gid_path };

	snprintf(nss_path, sizeof(nss_path), "%s/nsswitch.conf", dir);
	snprintf(uid_path, sizeof(uid_path), "%s/subuid", dir);
	snprintf(gid_path, sizeof(gid_path), "%s/subgid", dir);
	ok(subid_pool_refusal(&f, 61184, 65519, why, sizeof(why)) == 0,
	   "none of the three files: the pool may be used");
	snprintf(path, sizeof(path), "%s", gid_path);
	write_file("alice:100000:65536\n"
		   "a-directory-service-user@example.org:61200:10\n");
	ok(subid_pool_refusal(&f, 61184, 65519, why, sizeof(why)) == 1 &&
		   strstr(why, "run_as_pool 61184-65519 overlaps the "
			       "subordinate ids 61200-61209 of "
			       "a-directory-service-user@exam... (") == why,
	   "a range of subgid, its owner's long name cut: %s", why);
	ok(strstr(why, gid_path) != NULL && strstr(why, "line 2") != NULL &&
		   strstr(why, "who could become a pool uid: refused") != NULL,
	   "... with its file and line");
	snprintf(path, sizeof(path), "%s", uid_path);
	write_file("bob:61190:1\n");
	ok(subid_pool_refusal(&f, 61184, 65519, why, sizeof(why)) == 1 &&
		   strstr(why, "of bob (") != NULL,
	   "subuid is read before subgid: %s", why);
	snprintf(path, sizeof(path), "%s", nss_path);
	write_file("subid: sss\n");
	ok(subid_pool_refusal(&f, 61184, 65519, why, sizeof(why)) == 1 &&
		   strstr(why, "run_as_pool 61184-65519: ") == why &&
		   strstr(why, "takes subordinate ids from \"sss\"") != NULL,
	   "a subid: line naming another source first: %s", why);
	write_file("subid: files\n");
	snprintf(path, sizeof(path), "%s", uid_path);
	write_file("bob:1:1\nbroken\n");
	ok(subid_pool_refusal(&f, 61184, 65519, why, sizeof(why)) == 1 &&
		   strstr(why, "run_as_pool 61184-65519 cannot be checked "
			       "against subordinate ids: ") == why &&
		   strstr(why, "line 2") != NULL,
	   "a file that cannot be read through fails closed: %s", why);
	write_file("bob:1:1\n");
	snprintf(path, sizeof(path), "%s", gid_path);
	write_file("alice:100000:65536\n");
	ok(subid_pool_refusal(&f, 61184, 65519, why, sizeof(why)) == 0,
	   "no range in the pool, the files alone: it may be used (control)");
	unlink(nss_path);
	unlink(uid_path);
	unlink(gid_path);
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
	test_nss_file();
	test_refusal();
	rmdir(dir);
}

int main(void)
{
	test_lines();
	test_overlap();
	test_nss_lines();
	test_file();
	printf("1..%d\n", test_no);
	return failures != 0;
}

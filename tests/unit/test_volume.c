/*
 * policy/volume.c: the --volume syntax every side parses (volume_parse),
 * the client's absolute source (volume_absolute) and the policy's rules
 * (volume_admit), one distinct message per mistake. The checks made on
 * the filesystem as the caller need root and test users: they are
 * tests/80-isolated.t's and tests/85-docker.t's.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "policy/volume.h"

#include "tests/unit/tap.h"

static char home[] = "/home", agents[] = "/srv/agents", slash[] = "/";
static struct policy pol, pol_all, pol_none, pol_rw;

static struct volume v;
static char err[512];

static void setup(void)
{
	pol.isolated.volume_roots =
		(struct strlist){ 2, { home, agents } };
	pol_rw = pol;
	pol_rw.isolated.writable_volumes = true;
	pol_all.isolated.volume_roots = (struct strlist){ 1, { slash } };
	pol_all.isolated.writable_volumes = true;
}

static void parses(const char *spec, const char *src, const char *dst,
		   bool ro)
{
	int rc = volume_parse(spec, &v, err, sizeof err);

	ok(rc == 0 && strcmp(v.src, src) == 0 && strcmp(v.dst, dst) == 0 &&
	   v.read_only == ro && v.src_fd == -1,
	   "parse %s: %s -> %s %s", spec, src, dst, ro ? "ro" : "rw");
}

/* spec for a test's description: control characters as '?', so that
 * the TAP line stays one line. */
static const char *shown(const char *spec)
{
	static char buf[128];
	char *p;

	snprintf(buf, sizeof buf, "%s", spec);
	for (p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return buf;
}

static void parse_fails(const char *spec, const char *why)
{
	int rc = volume_parse(spec, &v, err, sizeof err);

	ok(rc == -1 && strcmp(err, why) == 0 && v.src_fd == -1,
	   "parse refuses %s: %s", shown(spec), err);
}

static void test_parse(void)
{
	parses("/home/a/data:/data:ro", "/home/a/data", "/data", true);
	parses("/home/a/data:/data", "/home/a/data", "/data", false);
	parses("/home/a/out:/out:rw", "/home/a/out", "/out", false);
	parses("/home/a", "/home/a", "/home/a", false);
	parses("/home/a:ro", "/home/a", "/home/a", true);
	parses("/home/a:rw", "/home/a", "/home/a", false);
	parses("/home/a/:/d/", "/home/a", "/d", false);
	parses("//home//a/./b/.:/d//e", "/home/a/b", "/d/e", false);
	parses("/:/", "/", "/", false); /* syntax only: admit refuses both */
	parse_fails("", "--volume: empty value (expected "
		    "SRC[:DST][:ro|:rw])");
	parse_fails("/home/a:/d:rwx",
		    "--volume /home/a:/d:rwx: the mode must be ro or rw, not "
		    "\"rwx\"");
	parse_fails("/home/a:/d:", "--volume /home/a:/d:: the mode must be ro "
		    "or rw, not \"\"");
	parse_fails("/home/a:/d:ro:x", "--volume /home/a:/d:ro:x: too many "
		    "':' (expected SRC[:DST][:ro|:rw])");
	parse_fails("named:/d", "--volume named:/d: the source must be an "
		    "absolute path");
	parse_fails(":/d", "--volume :/d: the source is empty");
	parse_fails("/home/a::ro", "--volume /home/a::ro: the target is "
		    "empty");
	parse_fails("/home/a/../b:/d", "--volume /home/a/../b:/d: \"..\" in "
		    "the source is refused");
	parse_fails("/home/a:d", "--volume /home/a:d: the target must be an "
		    "absolute path");
	parse_fails("/home/a:/d/../e", "--volume /home/a:/d/../e: \"..\" in "
		    "the target is refused");
	/* The spec is not echoed: it would carry the control character. */
	parse_fails("/home/a\n:/d", "--volume: control characters are "
		    "refused");
	parse_fails("/home/a:/d\x7f", "--volume: control characters are "
		    "refused");
}

static void test_long(void)
{
	static char spec[PATH_MAX + 16];

	memset(spec, 'a', sizeof spec);
	spec[0] = '/';
	memcpy(spec + PATH_MAX, ":/d", 4);
	ok(volume_parse(spec, &v, err, sizeof err) == -1 &&
	   strstr(err, "the source is too long") != NULL,
	   "a source of PATH_MAX bytes is too long");
	memcpy(spec + PATH_MAX - 1, ":/d", 4);
	ok(volume_parse(spec, &v, err, sizeof err) == 0 &&
	   strlen(v.src) == PATH_MAX - 1, "one byte shorter it fits");
}

static void test_absolute(void)
{
	char out[64];

	ok(volume_absolute("data:/d:ro", "/home/a", out, sizeof out) == 0 &&
	   strcmp(out, "/home/a/data:/d:ro") == 0,
	   "a relative source is joined to the caller's directory");
	ok(volume_absolute(".", "/home/a", out, sizeof out) == 0 &&
	   volume_parse(out, &v, err, sizeof err) == 0 &&
	   strcmp(v.src, "/home/a") == 0 && strcmp(v.dst, "/home/a") == 0,
	   "-v . is the caller's directory, at its own path");
	ok(volume_absolute("/x:/y", "/home/a", out, sizeof out) == 0 &&
	   strcmp(out, "/x:/y") == 0, "an absolute source is kept");
	ok(volume_absolute(":/y", "/home/a", out, sizeof out) == 0 &&
	   strcmp(out, ":/y") == 0, "an empty source stays empty");
	ok(volume_absolute("data", "/home/a/very/long/directory/name/here/"
			   "and/more", out, 32) == -1,
	   "a result too long for the buffer fails");
}

static void admitted(const char *spec, int tier, const struct policy *p)
{
	int rc = volume_parse(spec, &v, err, sizeof err);

	ok(rc == 0 && volume_admit(spec, &v, tier, p, err, sizeof err) == 0,
	   "admit %s", spec);
}

static void admit_fails(const char *spec, int tier, const struct policy *p,
			const char *why)
{
	int rc = volume_parse(spec, &v, err, sizeof err);

	ok(rc == 0 && volume_admit(spec, &v, tier, p, err, sizeof err) == -1 &&
	   strcmp(err, why) == 0, "admit refuses %s: %s", spec, err);
}

static void test_admit(void)
{
	const int iso = TIER_ISOLATED, dk = TIER_DOCKER;

	admitted("/home/a/data:/data:ro", iso, &pol);
	admitted("/home:/h", iso, &pol_rw);
	admitted("/srv/agents/x:/x:rw", dk, &pol_rw);
	admitted("/opt/x:/x", iso, &pol_all);
	admit_fails("/home/a:/d", iso, &pol, "--volume /home/a:/d: the policy "
		    "allows read-only volumes only (add :ro)");
	admit_fails("/home/a:rw", dk, &pol, "--volume /home/a:rw: the policy "
		    "allows read-only volumes only (add :ro)");
	admit_fails("/homework/x:/d:ro", iso, &pol, "--volume "
		    "/homework/x:/d:ro: /homework/x is not under any of the "
		    "policy's volume_roots");
	admit_fails("/home/a:/d:ro", iso, &pol_none, "--volume /home/a:/d:ro: "
		    "the policy allows no volumes (volume_roots is empty)");
	admit_fails("/:/host", iso, &pol_all, "--volume /:/host: the host path "
		    "/ is never mounted into a job");
	admit_fails("/etc/passwd:/p:ro", iso, &pol_all, "--volume "
		    "/etc/passwd:/p:ro: the host path /etc is never mounted "
		    "into a job");
	admit_fails("/var/run/docker.sock:/s", dk, &pol_all, "--volume "
		    "/var/run/docker.sock:/s: the host path "
		    "/var/run/docker.sock is never mounted into a job");
	admit_fails("/home/a:/", iso, &pol_rw, "--volume /home/a:/: target / "
		    "is refused");
	admit_fails("/home/a:/proc/x", iso, &pol_rw, "--volume "
		    "/home/a:/proc/x: target in /proc is refused");
	admit_fails("/home/a:/dev", iso, &pol_rw, "--volume /home/a:/dev: "
		    "target in /dev is refused");
	admit_fails("/home/a:/workspace/x", dk, &pol_rw, "--volume "
		    "/home/a:/workspace/x: target /workspace/x is the "
		    "container's own");
	admitted("/home/a:/workspace/x", iso, &pol_rw);
	admit_fails("/home/a,b:/d", dk, &pol_rw, "--volume /home/a,b:/d: ',' "
		    "and '\"' cannot reach docker's --mount");
	/* The source's rules come first: the first message is about the
	 * worst problem. */
	admit_fails("/etc:/proc", iso, &pol_rw, "--volume /etc:/proc: the host "
		    "path /etc is never mounted into a job");
}

int main(void)
{
	setup();
	test_parse();
	test_long();
	test_absolute();
	test_admit();
	printf("1..%d\n", test_no);
	return failures != 0;
}

/*
 * helper/volume.c, the parts without I/O: volume_parse (the spec's
 * syntax), volume_admit (the policy's rules on the two paths), and the
 * order in which volume_check reports the first failure. The checks
 * made on the filesystem as the caller need root and test users: they
 * are tests/80-isolated.t's and tests/85-docker.t's.
 * The Makefile links unit tests with shared/ and policy/ only, so the
 * helper module is compiled in here.
 */
#include "helper/volume.c"

#include "tests/unit/tap.h"

static char home[] = "/home", agents[] = "/srv/agents", slash[] = "/";
static const struct strlist roots = { 2, { home, agents } };
static const struct strlist all = { 1, { slash } };
static const struct strlist no_roots = { 0, { NULL } };

static struct volume v;
static char err[512];

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
	parses("/:/", "/", "/", false); /* syntax only: admit refuses both */
	parse_fails("/home/a", "volume /home/a: expected SRC:DST[:ro|:rw]");
	parse_fails("/home/a:/d:rwx",
		    "volume /home/a:/d:rwx: mode must be ro or rw, not \"rwx\"");
	parse_fails("/home/a:/d:ro:x",
		    "volume /home/a:/d:ro:x: mode must be ro or rw, not \"ro:x\"");
	parse_fails("/home/a:/d:", "volume /home/a:/d:: mode must be ro or "
		    "rw, not \"\"");
	parse_fails("named:/d", "volume named:/d: source must be an absolute "
		    "path without empty, \".\" or \"..\" components");
	parse_fails("/home/a/../b:/d", "volume /home/a/../b:/d: source must "
		    "be an absolute path without empty, \".\" or \"..\" "
		    "components");
	parse_fails("/home/a/:/d", "volume /home/a/:/d: source must be an "
		    "absolute path without empty, \".\" or \"..\" components");
	parse_fails("/home/a:d", "volume /home/a:d: target must be an "
		    "absolute path without empty, \".\" or \"..\" components");
	parse_fails("/home/a:/d/./e", "volume /home/a:/d/./e: target must be "
		    "an absolute path without empty, \".\" or \"..\" "
		    "components");
	/* The spec is not echoed: it would carry the control character. */
	parse_fails("/home/a\n:/d", "volume: control characters are refused");
	parse_fails("/home/a:/d\x7f", "volume: control characters are refused");
}

static void test_long(void)
{
	static char spec[PATH_MAX + 16];

	memset(spec, 'a', sizeof spec);
	spec[0] = '/';
	memcpy(spec + PATH_MAX, ":/d", 4);
	ok(volume_parse(spec, &v, err, sizeof err) == -1 &&
	   strstr(err, "path too long") != NULL, "a source of PATH_MAX bytes "
	   "is too long");
	spec[PATH_MAX - 1] = '\0';
	memcpy(spec + PATH_MAX - 1, ":/d", 4);
	ok(volume_parse(spec, &v, err, sizeof err) == 0 &&
	   strlen(v.src) == PATH_MAX - 1, "one byte shorter it fits");
}

static void admitted(const char *spec, const struct strlist *r)
{
	int rc = volume_parse(spec, &v, err, sizeof err);

	ok(rc == 0 && volume_admit(spec, &v, r, err, sizeof err) == 0,
	   "admit %s", spec);
}

static void admit_fails(const char *spec, const struct strlist *r,
			const char *why)
{
	int rc = volume_parse(spec, &v, err, sizeof err);

	ok(rc == 0 && volume_admit(spec, &v, r, err, sizeof err) == -1 &&
	   strcmp(err, why) == 0, "admit refuses %s: %s", spec, err);
}

static void test_admit(void)
{
	admitted("/home/a/data:/data:ro", &roots);
	admitted("/home:/h", &roots);
	admitted("/srv/agents/x:/x", &roots);
	admitted("/opt/x:/x", &all);
	admit_fails("/homework/x:/d", &roots, "volume /homework/x:/d: "
		    "/homework/x is not under any of the policy's volume_roots");
	admit_fails("/srv/x:/d", &roots, "volume /srv/x:/d: /srv/x is not "
		    "under any of the policy's volume_roots");
	admit_fails("/home/a:/d", &no_roots, "volume /home/a:/d: /home/a is "
		    "not under any of the policy's volume_roots");
	admit_fails("/:/host", &all, "volume /:/host: the host path / is "
		    "never mounted into a job");
	admit_fails("/etc/passwd:/p:ro", &all, "volume /etc/passwd:/p:ro: "
		    "the host path /etc is never mounted into a job");
	admit_fails("/var/run/docker.sock:/s", &all, "volume "
		    "/var/run/docker.sock:/s: the host path "
		    "/var/run/docker.sock is never mounted into a job");
	admit_fails("/home/a:/", &roots, "volume /home/a:/: target / is "
		    "refused");
	admit_fails("/home/a:/proc/x", &roots, "volume /home/a:/proc/x: "
		    "target in /proc is refused");
	admit_fails("/home/a:/dev", &roots, "volume /home/a:/dev: target in "
		    "/dev is refused");
	/* The source's rules come before the target's, and both before the
	 * roots: the first message is about the worst problem. */
	admit_fails("/etc:/proc", &roots, "volume /etc:/proc: the host path "
		    "/etc is never mounted into a job");
	admit_fails("/opt:/sys", &roots, "volume /opt:/sys: target in /sys "
		    "is refused");
}

/* Failures found before any process is forked, in volume_check's order. */
static void check_fails(const char *spec, const struct strlist *r,
			const char *why)
{
	int rc = volume_check(spec, r, 65534, 65534, NULL, 0, VOLUME_WANT_FD,
			      &v, err, sizeof err);

	ok(rc == -1 && v.src_fd == -1 && strcmp(err, why) == 0,
	   "volume_check refuses %s: %s", shown(spec), err);
}

static void test_check_order(void)
{
	check_fails("bad", &no_roots, "volume bad: the policy allows no "
		    "volumes (volume_roots is empty)");
	check_fails("/home/a:/d", NULL, "volume /home/a:/d: the policy "
		    "allows no volumes (volume_roots is empty)");
	check_fails("/home/a\t:/d", &roots,
		    "volume: control characters are refused");
	check_fails("/home/a:/d:rx", &roots, "volume /home/a:/d:rx: mode "
		    "must be ro or rw, not \"rx\"");
	check_fails("/root:/r", &roots, "volume /root:/r: the host path /root "
		    "is never mounted into a job");
}

int main(void)
{
	const int plan = 37;

	printf("1..%d\n", plan);
	test_parse();
	test_long();
	test_admit();
	test_check_order();
	if (test_no != plan)
		printf("# ran %d tests, planned %d\n", test_no, plan);
	return failures || test_no != plan;
}

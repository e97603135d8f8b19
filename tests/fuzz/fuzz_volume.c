/*
 * libFuzzer target: the --volume spec, which the unprivileged caller
 * sends and the helper parses as root (policy/volume.c: volume_parse,
 * then volume_admit with the policy's volume_roots, as the judge does;
 * the checks made on the filesystem as the caller come after, in
 * helper/volume.c, and are not fuzzed here).
 *
 * The input, up to its first NUL, is the spec. Beyond "no crash":
 *  - both functions are deterministic, and any error is one non-empty
 *    line without control characters (it reaches a terminal and syslog);
 *  - an accepted spec gives two canonical absolute paths (checked here by
 *    code of this file, not by the helper's own valid_abs_path): no empty,
 *    "." or ".." component, no control character, no ':', shorter than
 *    PATH_MAX; read_only is 0 or 1; no descriptor is opened;
 *  - the parse is a fixed point: rendered back as SRC:DST:ro|rw, it
 *    parses to the same struct, and an input that already was canonical
 *    and complete renders as itself;
 *  - volume_admit refuses everything without roots, admits only sources
 *    under a root (component-wise), never the host root, a kernel or
 *    engine path, nor a target of "/", /proc, /sys or /dev, a writable
 *    volume only where the policy allows them, and a wider root list
 *    never refuses what a narrower one admits.
 * Seeds: tests/fuzz/corpus/volume (real specs, good and bad).
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/volume.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Host paths no volume may come from, whatever the roots: a list of this
 * file's, so a shortened list in volume.c is caught. */
static const char *const never_src[] = {
	"/proc", "/sys", "/dev", "/etc", "/root", "/boot", "/run",
	"/var/run", "/var/run/docker.sock", "/var/lib/docker",
	"/var/lib/containerd",
};
static const char *const never_dst[] = { "/proc", "/sys", "/dev" };

static char home[] = "/home", agents[] = "/srv/agents", slash[] = "/";
static struct policy narrow = {
	.isolated = { .volume_roots = { 2, { home, agents } },
		      .writable_volumes = true } };
static struct policy wide = {
	.isolated = { .volume_roots = { 1, { slash } },
		      .writable_volumes = true } };
static struct policy none, ro_only = {
	.isolated = { .volume_roots = { 1, { slash } } } };

static struct volume v, w;
static char rendered[2 * PATH_MAX + 8], field[2][PATH_MAX];

static void check(bool cond)
{
	if (!cond)
		abort();
}

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* An error message: one line, not empty, terminated inside its buffer. */
static void check_err(const char *err, size_t cap)
{
	check(memchr(err, '\0', cap) != NULL);
	check(err[0] != '\0' && !has_ctl(err));
}

/* Absolute, "/" alone or components that are neither empty, "." nor
 * "..", with no ':' and no control character. */
static bool canonical(const char *p)
{
	const char *c, *end;
	size_t n;

	if (p[0] != '/' || strlen(p) >= PATH_MAX || has_ctl(p) ||
	    strchr(p, ':'))
		return false;
	if (p[1] == '\0')
		return true;
	for (c = p + 1;; c = end + 1) {
		end = strchr(c, '/');
		n = end ? (size_t)(end - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!end)
			return true;
	}
}

/* path is root or below it, component-wise. */
static bool under(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return true;
	return strncmp(path, root, n) == 0 &&
	       (path[n] == '\0' || path[n] == '/');
}

static bool under_any(const char *path, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (under(path, list[i]))
			return true;
	return false;
}

/* Member by member (the struct has padding); whole arrays, since
 * volume_parse zeroes what follows each string. */
static bool same(const struct volume *a, const struct volume *b)
{
	return memcmp(a->src, b->src, sizeof a->src) == 0 &&
	       memcmp(a->dst, b->dst, sizeof a->dst) == 0 &&
	       a->read_only == b->read_only && a->src_fd == b->src_fd;
}

/* Parse spec into *out, its error into err[ERR_LEN], checking what holds
 * for any input. */
enum { ERR_LEN = 256 };
static char err_a[ERR_LEN], err_b[ERR_LEN];

static int parse(const char *spec, struct volume *out, char *err)
{
	unsigned char ro;
	int rc;

	memset(err, 'x', ERR_LEN);
	rc = volume_parse(spec, out, err, ERR_LEN);
	check(rc == 0 || rc == -1);
	check(out->src_fd == -1);
	memcpy(&ro, &out->read_only, 1);
	check(ro <= 1);
	if (rc != 0)
		check_err(err, ERR_LEN);
	return rc;
}

/* SRC:DST:ro|rw with both paths canonical (by this file's canonical):
 * the form the parse must render back unchanged. */
static bool full_form(const char *spec)
{
	const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

	if (!c2 || (size_t)(c1 - spec) >= PATH_MAX ||
	    (size_t)(c2 - c1 - 1) >= PATH_MAX ||
	    (strcmp(c2 + 1, "ro") != 0 && strcmp(c2 + 1, "rw") != 0))
		return false;
	memcpy(field[0], spec, (size_t)(c1 - spec));
	field[0][c1 - spec] = '\0';
	memcpy(field[1], c1 + 1, (size_t)(c2 - c1 - 1));
	field[1][c2 - c1 - 1] = '\0';
	return canonical(field[0]) && canonical(field[1]);
}

static void check_accepted(const char *spec, const struct volume *a)
{
	check(canonical(a->src) && canonical(a->dst));
	snprintf(rendered, sizeof rendered, "%s:%s:%s", a->src, a->dst,
		 a->read_only ? "ro" : "rw");
	check(strcmp(rendered, spec) == 0 || !full_form(spec));
	check(parse(rendered, &w, err_b) == 0);
	check(same(a, &w));
}

static int admit(const char *spec, const struct policy *p)
{
	int rc;

	memset(err_a, 'x', ERR_LEN);
	rc = volume_admit(spec, &v, TIER_ISOLATED, p, err_a, ERR_LEN);
	check(rc == 0 || rc == -1);
	if (rc != 0)
		check_err(err_a, ERR_LEN);
	return rc;
}

static void check_admit(const char *spec)
{
	int rn = admit(spec, &narrow), rw = admit(spec, &wide);

	check(admit(spec, &none) == -1);
	check(v.read_only || admit(spec, &ro_only) == -1);
	check(admit(spec, &narrow) == rn && admit(spec, &wide) == rw);
	check(rn != 0 || rw == 0);
	if (rn == 0)
		check(under(v.src, "/home") || under(v.src, "/srv/agents"));
	if (rw == 0) {
		check(strcmp(v.src, "/") != 0 && strcmp(v.dst, "/") != 0);
		check(!under_any(v.src, never_src,
				 sizeof never_src / sizeof *never_src));
		check(!under_any(v.dst, never_dst,
				 sizeof never_dst / sizeof *never_dst));
		check(!volume_path_dangerous(v.src));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec = malloc(size + 1);
	int rc;

	if (!spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	rc = parse(spec, &v, err_a);
	check(parse(spec, &w, err_b) == rc && same(&v, &w));
	check(rc == 0 || strcmp(err_a, err_b) == 0);
	if (rc == 0) {
		check_accepted(spec, &v);
		check_admit(spec);
	}
	free(spec);
	return 0;
}

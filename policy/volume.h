/*
 * --volume SRC[:DST][:ro|:rw]: one syntax and one parser for the client
 * (a relative SRC made absolute against the caller's directory), the
 * judge (the policy's rules, every tier that takes volumes) and the
 * helper (which then resolves SRC as the caller, helper/volume.c). Pure:
 * no system call.
 *
 * Syntax: at most three ':'-separated fields. One field is SRC; two are
 * SRC:DST, or SRC:ro / SRC:rw; three are SRC:DST:ro|rw. DST defaults to
 * SRC, the mode to rw. Each path is made canonical by text alone:
 * repeated and trailing slashes go, "." components go; a ".." is
 * refused (only the filesystem could say where it leads); then it must
 * be absolute. Control characters are refused first, without echoing
 * the spec.
 *
 * Rules (volume_admit): the policy names volume_roots and SRC lies under
 * one, component-wise (/home does not admit /homework); SRC is neither
 * the host root nor a runtime, kernel or secret path (the seeds'
 * DANGEROUS_HOST_PATHS and more); DST is not "/", nor in /proc, /sys or
 * /dev; a writable volume needs [isolated] writable_volumes; for the
 * docker tiers DST is neither /tmp nor in /workspace (the job's own) and
 * no path holds ',' or '"' (docker's --mount is a CSV list).
 */
#ifndef SYMBI_POLICY_VOLUME_H
#define SYMBI_POLICY_VOLUME_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "policy/policy.h"

struct volume {
	char src[PATH_MAX]; /* canonical host path */
	char dst[PATH_MAX]; /* path inside the job */
	bool read_only;
	int src_fd; /* the helper's O_PATH of src, opened as the caller; -1 */
};

/* Parse spec into out (zeroed first, src_fd -1, success or not).
 * Returns 0, or -1 with a one-line reason in err naming the spec. */
int volume_parse(const char *spec, struct volume *out, char *err,
		 size_t errlen);

/* For the client: spec with a relative SRC joined to cwd (absolute),
 * into out[cap]; an absolute or empty SRC is copied as is. Returns 0, or -1 when
 * it does not fit. */
int volume_absolute(const char *spec, const char *cwd, char *out,
		    size_t cap);

/* The policy's rules (above) on a parsed v, for tier. spec only names
 * it in err. Returns 0, or -1 with a one-line reason in err. */
int volume_admit(const char *spec, const struct volume *v, int tier,
		 const struct policy *p, char *err, size_t errlen);

/* The rules on a source alone (roots, dangerous paths), for a docker
 * job's -C DIR too; what names it in err ("--volume SPEC", "-C DIR"). */
int volume_admit_source(const char *what, const char *src,
			const struct policy *p, char *err, size_t errlen);

/* Pure string checks: a host path no job may mount (or lie under), and
 * path equal to or below root, component-wise. */
bool volume_path_dangerous(const char *path);
bool volume_path_under(const char *path, const char *root);

#endif

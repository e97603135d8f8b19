/*
 * --volume SRC:DST[:ro|:rw] for the isolated and docker tiers.
 *
 * A volume is accepted only if: SRC and DST are absolute, without empty,
 * "." or ".." components, and without control characters; SRC lies under
 * one of the policy's volume_roots (component-wise: /home does not admit
 * /homework) and is neither a runtime or kernel path (the seeds'
 * DANGEROUS_HOST_PATHS and more, see volume.c) nor the host root; SRC is
 * resolved with the CALLER's credentials and holds no symlink anywhere
 * (its canonical path must be the path given), and the caller may read it
 * (and write it for :rw, the default); DST is not "/" nor in /proc, /sys
 * or /dev.
 *
 * The resolution runs in a forked child that has fully dropped to the
 * caller (setgroups, setresgid, setresuid, then proves it cannot regain
 * root): every permission check the kernel makes on the way is the
 * caller's, with no capability left, and a bug there cannot leave the
 * helper with mixed credentials (setfsuid would, and it would also need
 * setgroups on the whole helper). The child sends back its verdict and,
 * when asked, an O_PATH descriptor of SRC over a socketpair.
 */
#ifndef SYMBI_HELPER_VOLUME_H
#define SYMBI_HELPER_VOLUME_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "policy/policy.h"

struct volume {
	char src[PATH_MAX]; /* canonical host path (equal to the one given) */
	char dst[PATH_MAX]; /* path inside the job */
	bool read_only;
	int src_fd; /* O_PATH of src opened as the caller, or -1 */
};

enum volume_flags {
	VOLUME_WANT_FD = 1u << 0, /* keep an O_PATH fd of SRC in src_fd */
};

/* Check spec for the caller (uid, gid, groups[ngroups]) against roots.
 * Returns 0 and fills *out, or -1 with a one-line reason in err (which
 * names the spec). With VOLUME_WANT_FD the caller owns out->src_fd and
 * closes it with volume_release. Must be called as root. */
int volume_check(const char *spec, const struct strlist *roots, uid_t uid,
		 gid_t gid, const gid_t *groups, int ngroups, unsigned flags,
		 struct volume *out, char *err, size_t errlen);

/* Close out->src_fd if open. */
void volume_release(struct volume *v);

/* Pure string checks, no I/O (also used for a docker job's work dir). */
bool volume_path_dangerous(const char *path);
bool volume_path_under(const char *path, const char *root);

#endif

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

/* volume_check's two steps without I/O, apart so that they can be fuzzed
 * (tests/fuzz/fuzz_volume.c): the spec comes from the unprivileged
 * caller and is parsed as root. Both return 0, or -1 with a one-line
 * reason in err.
 *
 * volume_parse: the syntax alone. No control character; SRC:DST split at
 * the first two ':' with mode exactly ro or rw (absent: rw); SRC and DST
 * each as valid_abs_path says. Fills out->src, out->dst, out->read_only,
 * with out->src_fd = -1 and the rest zeroed, success or not. */
int volume_parse(const char *spec, struct volume *out, char *err,
		 size_t errlen);

/* volume_admit: the policy's rules on a parsed v: SRC neither the host
 * root nor a dangerous path and under one of roots (none: refused), DST
 * neither "/" nor in /proc, /sys or /dev. spec only names it in err. */
int volume_admit(const char *spec, const struct volume *v,
		 const struct strlist *roots, char *err, size_t errlen);

/* Pure string checks, no I/O (also used for a docker job's work dir). */
bool volume_path_dangerous(const char *path);
bool volume_path_under(const char *path, const char *root);

#endif

/*
 * --volume for the isolated and docker tiers, on the host: the spec was
 * judged (policy/volume.c: syntax, volume_roots, dangerous paths,
 * targets, writable or not); here its source is resolved with the
 * CALLER's credentials and must hold no symlink anywhere (its canonical
 * path must be the path given), and the caller may read it (and write
 * it unless :ro).
 *
 * The resolution runs in a child (vchild.c) that takes the caller's
 * groups and file-system ids (priv_fs_as; its real and saved uid stay
 * root, so she can neither signal nor stop it): every permission check
 * the kernel makes on the way is the caller's, a bug there cannot leave
 * the helper with mixed credentials, and a lookup that hangs (a FUSE or
 * network file system) holds the helper only until VOLUME_CHECK_MS.
 * The child sends back its verdict and, when asked, an O_PATH
 * descriptor of SRC over a socketpair. (The caller's own directory is
 * not a volume: workdir.c opens it once, as her, for every tier.)
 */
#ifndef SYMBI_HELPER_VOLUME_H
#define SYMBI_HELPER_VOLUME_H

#include <stddef.h>

#include "helper/helper.h"
#include "policy/volume.h"

enum volume_flags {
	VOLUME_WANT_FD = 1u << 0, /* keep an O_PATH fd of SRC in src_fd */
};

/* Parse the judged spec and check its source as caller. Returns 0 and
 * fills *out, or -1 with a one-line reason in err (which names the
 * spec). With VOLUME_WANT_FD the caller owns out->src_fd and closes it
 * with volume_release. Must be called as root. */
int volume_check(const char *spec, const struct creds *caller,
		 unsigned flags, struct volume *out, char *err, size_t errlen);

/* Close out->src_fd if open. */
void volume_release(struct volume *v);

#endif

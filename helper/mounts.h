/*
 * The isolated tier's filesystem view: a new root built in the job's own
 * mount namespace, then pivot_root into it.
 *
 *   /                  tmpfs, read-only once built
 *   read_only_binds    the host trees, recursive, read-only, nosuid, nodev
 *                      (an entry that is a symlink on the host, such as
 *                      /lib -> usr/lib, is recreated as that symlink; one
 *                      missing on the host is skipped)
 *   /proc              a fresh proc of the job's pid namespace
 *   /dev               tmpfs, read-only: null zero full random urandom tty
 *                      (bound from the host), pts (a new devpts instance),
 *                      ptmx -> pts/ptmx, shm (tmpfs 1777), fd stdin stdout
 *                      stderr -> /proc/self/fd...
 *   /tmp               private tmpfs 1777, nosuid, nodev
 *   work_path          the job's work directory, read-write, nosuid, nodev:
 *                      the same path as on the host, so paths the job
 *                      prints mean the same thing outside; it is the job's
 *                      working directory (chdir to work_path, by path)
 *   volumes            at their DST (checked and opened as the caller by
 *                      volume.c), read-only when asked, nosuid, nodev;
 *                      a DST missing in the view is created only on the
 *                      new root's own tmpfs or in /tmp, never inside a
 *                      tree bound from the host
 * Nothing else of the host is reachable, and nothing is mounted on the
 * host: every mount lives and dies in the job's mount namespace.
 */
#ifndef SYMBI_MOUNTS_H
#define SYMBI_MOUNTS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "volume.h"

#define MOUNTS_MAX_BINDS 64 /* = POLICY_MAX_STRS */
#define MOUNTS_MAX_LINK 256 /* a read_only_binds symlink's target */

struct mount_plan {
	char *const *ro_binds; /* the policy's read_only_binds */
	unsigned n_ro_binds;
	int work_fd;           /* the job's work directory (any open mode) */
	const char *work_path; /* its path on the host, and inside */
	const struct volume *vols; /* volume_check(..., VOLUME_WANT_FD) */
	unsigned n_vols;
	uint64_t tmp_size_mb;  /* size of /tmp and of /dev/shm; 0: tmpfs's
				  default, half of RAM (memory is charged
				  to the job's cgroup either way) */
};

/* One source of the new root, cloned from the host by mounts_prepare. */
struct mount_tree {
	int fd;         /* detached copy (open_tree), or -1 */
	bool is_dir;
	char *link;     /* read_only_binds: the host entry is a symlink to
			   this (heap, under MOUNTS_MAX_LINK), recreated as
			   such; or NULL. A pointer, not an array: the whole
			   struct mount_trees is zeroed, on the stack, in the
			   helper and again in the init, a page fault per
			   4 KiB touched */
};

struct mount_trees {
	struct mount_tree ro[MOUNTS_MAX_BINDS];
	struct mount_tree work;
	struct mount_tree vol[PROTO_MAX_VOLUMES];
};

/* In the helper, in the host's mount namespace: clone every source of
 * the plan into a detached, private tree with its final flags. Why here:
 * open_tree(OPEN_TREE_CLONE) copies only mounts of the caller's own
 * namespace (EINVAL otherwise), and the work directory and volumes come
 * as descriptors opened in the host's; a detached copy may be attached
 * in any namespace. Cloning by descriptor, never by path, keeps root
 * from walking paths the user controls. ns_spawn calls it. Returns 0,
 * or -1 with a message in err and nothing held. */
int mounts_prepare(const struct mount_plan *plan, struct mount_trees *t,
		   char *err, size_t errlen);

/* A detached copy of the tree at dfd/path (with AT_EMPTY_PATH in flags:
 * dfd itself), recursive and private, every mount nosuid and nodev,
 * read-only too if read_only: what a job is given of the host. Its fd,
 * or -1 (errno). Tier isolated attaches it in the job's namespace, the
 * docker tiers where the engine finds it (stage.c). */
int mounts_clone(int dfd, const char *path, unsigned flags, bool read_only);

/* Close what mounts_prepare holds (idempotent). */
void mounts_release(struct mount_trees *t);

/* Build the view above and pivot_root into it; the cwd is then "/".
 * Must run as root in a new mount namespace, from the first process of
 * a new pid namespace (/proc shows the pid namespace of its mounter).
 * Reads t and writes nothing else of the caller's memory (the caller
 * may share it, ns.c), and allocates nothing. The trees' descriptors and
 * every other one the caller holds stay open: a descriptor of a host
 * directory leads out of the new root (openat(fd, ".."), fchdir), so the
 * caller closes them all before anything of the job's runs (spawn.c's
 * job child does, before the drop). Returns 0, or -1 with a message in
 * err (the namespace is then unusable; the caller exits). */
int mounts_build_root(const struct mount_plan *plan,
		      const struct mount_trees *t, char *err, size_t errlen);

#endif

/*
 * "Root's alone all the way up", checked on descriptors: the one walk
 * that decides whether a path the programs act on as root (the policy
 * file, an allowlist entry, the docker binary, the work base, the
 * engine's socket) could have been changed or redirected by anyone but
 * root.
 *
 * trust_open walks from "/" one component at a time, each opened O_PATH
 * and O_NOFOLLOW relative to its parent's descriptor and fstat'ed, so no
 * name is checked and then used again. Every directory on the way must
 * be owned by root and writable by no one else; like OpenSSH's
 * StrictModes, a sticky bit is no excuse (anyone may create a name in
 * /tmp), unless the caller says so with TRUST_STICKY. The last
 * component is checked the same way (owned by root, not writable by
 * group or others) unless TRUST_ANY_LEAF leaves it to the caller.
 *
 * The trusted owner is root (0) in the programs; a unit test run
 * without root sets its own with trust_set_uid.
 */
#ifndef SYMBI_TRUST_H
#define SYMBI_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum trust_flags {
	/* A symlink met in a trusted directory is followed (root made it),
	 * and "." and ".." are walked as realpath(3) does; without it, a
	 * symlink anywhere, or a "." or ".." component, is refused. */
	TRUST_FOLLOW = 1u << 0,
	/* The last component may be anything (a socket root shares with a
	 * group, an executable checked later as the job's user): the
	 * caller fstat's the descriptor and judges it. */
	TRUST_ANY_LEAF = 1u << 1,
	/* The last component must be a regular file, refused before it is
	 * opened with oflags (opening a FIFO or a device has effects). */
	TRUST_REGULAR = 1u << 2,
	/* A directory others can write is passed if it is sticky: they
	 * cannot rename or remove root's entries in it (the work base
	 * under /tmp). */
	TRUST_STICKY = 1u << 3,
	/* A missing directory is created (mode 0711: users traverse it but
	 * cannot list it) in its trusted parent, the last one included. */
	TRUST_MKDIR = 1u << 4,
};

/* Open the absolute path as described above. oflags 0 means O_PATH;
 * otherwise the last component is opened again with oflags, O_NOFOLLOW
 * and O_CLOEXEC added, and must be the object that was checked. If
 * canon is not NULL it receives the canonical path (PATH_MAX bytes).
 * Returns the descriptor, or -1 with errno (EPERM: found untrusted) and
 * a one-line reason in why that names the component ("directory /opt
 * is writable by group or others", "file is not owned by root",
 * "/etc/x is a symbolic link"). */
int trust_open(const char *path, unsigned flags, int oflags, char *canon,
	       char *why, size_t cap);

/* Whether the open descriptor fd still names path, as /proc/self/fd
 * says: nothing was swapped between a check by name and the open. */
bool trust_fd_is_path(int fd, const char *path);

/* The owner every component must have (tests only; 0 otherwise). */
void trust_set_uid(uid_t uid);

#endif

/*
 * The new root of an isolated job (see mounts.h for the view).
 *
 * Built with the mount API of Linux 5.12+: every host tree is cloned in
 * the helper first (mounts_prepare: open_tree OPEN_TREE_CLONE, recursive),
 * made read-only, nosuid and nodev in one mount_setattr(AT_RECURSIVE) on
 * the detached copy, then moved into place by the namespace's init. The cost grows with the number of binds, not
 * with the host's mount table, and submounts are read-only too (a
 * MS_BIND|MS_REC followed by MS_REMOUNT|MS_RDONLY would leave every
 * submount writable).
 *
 * Targets inside the new root are reached one component at a time with
 * openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS), never by a path walk as
 * root through trees a user controls (the work directory, volumes), and
 * directories are created only on the sandbox's own tmpfs mounts, never
 * in a tree bound from the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../shared/util.h"
#include "mounts.h"

/* Where the new root is assembled, in the job's mount namespace only:
 * every host has /tmp, and covering it hides nothing from anyone else.
 * Everything taken from the host was cloned before (mounts_prepare). */
#define STAGE "/tmp"

#define ATTR_RO (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
#define ATTR_RW (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)

struct stage {
	int fd;        /* O_PATH of the new root */
	dev_t own[2];  /* the new root's tmpfs and its /tmp: ours to write */
};

/* Also run by the namespaces' child, which shares the helper's memory:
 * no strerror (it may allocate), no stdio (helper/vchild.c's rule). */
static int fail(char *err, size_t errlen, const char *what, const char *path)
{
	const char *why = errno_text(errno);

	err[0] = '\0';
	(void)cat_str(err, errlen, "isolated: ");
	(void)cat_str(err, errlen, what);
	(void)cat_str(err, errlen, " ");
	(void)cat_str(err, errlen, path);
	(void)cat_str(err, errlen, ": ");
	(void)cat_str(err, errlen, why);
	return -1;
}

static bool under(const char *path, const char *top)
{
	size_t n = strlen(top);

	return strncmp(path, top, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The sandbox's own mounts; nothing may be bound over them. */
static bool reserved(const char *path)
{
	return strcmp(path, "/") == 0 || strcmp(path, "/tmp") == 0 ||
	       under(path, "/proc") || under(path, "/dev");
}

static int openat2_beneath(int dfd, const char *name)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		/* No O_NOFOLLOW: with it, openat2 returns the symlink
		 * itself instead of failing with ELOOP. */
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, dfd, name, &how, sizeof(how));
}

static bool on_own_tmpfs(const struct stage *st, int fd)
{
	struct stat sb;

	return fstat(fd, &sb) == 0 &&
	       (sb.st_dev == st->own[0] || sb.st_dev == st->own[1]);
}

/* One component below cur; created when missing, on our tmpfs only. */
static int step(const struct stage *st, int cur, const char *name, bool dir)
{
	int fd = openat2_beneath(cur, name);

	if (fd != -1 || errno != ENOENT || !on_own_tmpfs(st, cur))
		return fd;
	if ((dir ? mkdirat(cur, name, 0755)
		 : mknodat(cur, name, S_IFREG | 0644, 0)) == -1 &&
	    errno != EEXIST)
		return -1;
	return openat2_beneath(cur, name);
}

/* O_PATH of path inside the new root (a directory unless !dir). */
static int open_target(const struct stage *st, const char *path, bool dir)
{
	char buf[PATH_MAX], *save = NULL, *name, *next;
	int cur, fd;

	if (copy_str(buf, sizeof(buf), path + 1) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	cur = fcntl(st->fd, F_DUPFD_CLOEXEC, 0);
	for (name = strtok_r(buf, "/", &save); name && cur != -1;
	     name = next) {
		next = strtok_r(NULL, "/", &save);
		fd = step(st, cur, name, dir || next != NULL);
		close(cur);
		cur = fd;
	}
	return cur;
}

/* Move a detached tree onto path inside the new root. */
static int attach(const struct stage *st, int tree, const char *path,
		  bool dir)
{
	int target = open_target(st, path, dir);
	int rc;

	if (target == -1)
		return -1;
	rc = move_mount(tree, "", target, "",
			MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	close(target);
	return rc;
}

int mounts_clone(int dfd, const char *path, unsigned flags, bool read_only)
{
	/* Private: a clone of a shared host mount would otherwise join
	 * its peer group, and host mount events would reach the job. */
	struct mount_attr a = {.attr_set = read_only ? ATTR_RO : ATTR_RW,
			       .propagation = MS_PRIVATE};
	int fd = open_tree(dfd, path,
			   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE |
				   AT_NO_AUTOMOUNT | flags);

	if (fd == -1)
		return -1;
	if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a,
			  sizeof(a)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int read_ro_bind(const char *path, struct mount_tree *t)
{
	char link[MOUNTS_MAX_LINK];
	struct stat sb;
	ssize_t n;

	t->fd = -1;
	t->link = NULL;
	if (lstat(path, &sb) == -1)
		return errno == ENOENT ? 0 : -1;
	if (S_ISLNK(sb.st_mode)) {
		n = readlink(path, link, sizeof(link));
		if (n <= 0 || (size_t)n >= sizeof(link)) {
			errno = n < 0 ? errno : ENAMETOOLONG;
			return -1;
		}
		link[n] = '\0';
		t->link = strdup(link);
		return t->link ? 0 : -1;
	}
	t->is_dir = S_ISDIR(sb.st_mode);
	t->fd = mounts_clone(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, true);
	return t->fd == -1 ? -1 : 0;
}

static int read_ro_binds(const struct mount_plan *p, struct mount_tree *t,
			 char *err, size_t errlen)
{
	if (p->n_ro_binds > MOUNTS_MAX_BINDS) {
		snprintf(err, errlen, "isolated: too many read_only_binds");
		return -1;
	}
	for (unsigned i = 0; i < p->n_ro_binds; i++) {
		const char *path = p->ro_binds[i];

		if (!valid_abs_path(path) || reserved(path)) {
			errno = EINVAL;
			return fail(err, errlen, "cannot bind", path);
		}
		if (read_ro_bind(path, &t[i]) == -1)
			return fail(err, errlen, "cannot bind", path);
	}
	return 0;
}

static int place_symlink(const struct stage *st, const char *path,
			 const char *link)
{
	char parent[PATH_MAX];
	const char *last = strrchr(path, '/') + 1;
	/* The parent of path; "/" for a name at the top. */
	size_t n = (size_t)(last - path - 1);
	int pfd, rc;

	if (n >= sizeof(parent)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(parent, path, n ? n : 1);
	parent[n ? n : 1] = '\0';
	pfd = open_target(st, parent, true);
	if (pfd == -1)
		return -1;
	rc = symlinkat(link, pfd, last);
	close(pfd);
	return rc;
}

static int place_ro_binds(const struct stage *st, const struct mount_plan *p,
			  const struct mount_tree *t, char *err, size_t errlen)
{
	for (unsigned i = 0; i < p->n_ro_binds; i++) {
		int rc = 0;

		if (t[i].link)
			rc = place_symlink(st, p->ro_binds[i], t[i].link);
		else if (t[i].fd != -1)
			rc = attach(st, t[i].fd, p->ro_binds[i], t[i].is_dir);
		if (rc == -1)
			return fail(err, errlen, "cannot bind", p->ro_binds[i]);
	}
	return 0;
}

static int mount_tmpfs(const char *path, unsigned long flags,
		       const char *mode, uint64_t size_mb)
{
	char opts[64], num[21];

	(void)copy_str(opts, sizeof(opts), "mode=");
	(void)cat_str(opts, sizeof(opts), mode);
	if (size_mb) {
		dec_u64(num, size_mb);
		(void)cat_str(opts, sizeof(opts), ",size=");
		(void)cat_str(opts, sizeof(opts), num);
		(void)cat_str(opts, sizeof(opts), "m");
	}
	return mount("tmpfs", path, "tmpfs", flags, opts);
}

static int make_stage(struct stage *st)
{
	struct stat sb;

	if (mount_tmpfs(STAGE, MS_NOSUID | MS_NODEV, "0755", 1) == -1)
		return -1;
	st->fd = open(STAGE, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (st->fd == -1 || fstat(st->fd, &sb) == -1)
		return -1;
	st->own[0] = st->own[1] = sb.st_dev;
	return 0;
}

static int make_dir(const char *path, mode_t mode)
{
	return mkdir(path, mode) == -1 && errno != EEXIST ? -1 : 0;
}

static int make_proc_tmp(struct stage *st, const struct mount_plan *p)
{
	struct stat sb;

	if (make_dir(STAGE "/proc", 0555) == -1 ||
	    mount("proc", STAGE "/proc", "proc",
		  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == -1)
		return -1;
	if (make_dir(STAGE "/tmp", 01777) == -1 ||
	    mount_tmpfs(STAGE "/tmp", MS_NOSUID | MS_NODEV, "1777",
			p->tmp_size_mb) == -1 ||
	    stat(STAGE "/tmp", &sb) == -1)
		return -1;
	st->own[1] = sb.st_dev;
	return 0;
}

static const char *const DEV_NODES[] = {
	"null", "zero", "full", "random", "urandom", "tty",
};

static const char *const DEV_LINKS[][2] = {
	{"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"},
	{"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"},
	{"ptmx", "pts/ptmx"},
};

/* Host device nodes bound one by one: each bind keeps the host /dev
 * mount's flags, so the /dev tmpfs itself can be nodev. */
static int bind_dev_nodes(void)
{
	char host[64], dst[64];

	for (size_t i = 0; i < sizeof(DEV_NODES) / sizeof(DEV_NODES[0]); i++) {
		if (path_join(host, sizeof(host), "/dev", DEV_NODES[i]) == -1 ||
		    path_join(dst, sizeof(dst), STAGE "/dev", DEV_NODES[i]) ==
			    -1)
			return -1;
		if (access(host, F_OK) == -1)
			continue;
		if (mknod(dst, S_IFREG | 0644, 0) == -1 ||
		    mount(host, dst, NULL, MS_BIND, NULL) == -1)
			return -1;
	}
	return 0;
}

static int make_dev(const struct mount_plan *p)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};

	if (make_dir(STAGE "/dev", 0755) == -1 ||
	    mount_tmpfs(STAGE "/dev", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			"0755", 1) == -1 ||
	    bind_dev_nodes() == -1 || mkdir(STAGE "/dev/pts", 0755) == -1 ||
	    mkdir(STAGE "/dev/shm", 01777) == -1)
		return -1;
	/* newinstance: the job's ptys are its own, the host's invisible. */
	if (mount("devpts", STAGE "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=0600") == -1 ||
	    mount_tmpfs(STAGE "/dev/shm", MS_NOSUID | MS_NODEV, "1777",
			p->tmp_size_mb) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(DEV_LINKS) / sizeof(DEV_LINKS[0]); i++) {
		char dst[64];

		if (path_join(dst, sizeof(dst), STAGE "/dev", DEV_LINKS[i][0]) ==
			    -1 ||
		    symlink(DEV_LINKS[i][1], dst) == -1)
			return -1;
	}
	return mount_setattr(AT_FDCWD, STAGE "/dev", 0, &ro, sizeof(ro));
}

static int clone_fd(int fd, bool read_only, struct mount_tree *t)
{
	struct stat sb;

	if (fstat(fd, &sb) == -1)
		return -1;
	t->is_dir = S_ISDIR(sb.st_mode);
	t->fd = mounts_clone(fd, "", AT_EMPTY_PATH, read_only);
	return t->fd == -1 ? -1 : 0;
}

static int clone_work_vols(const struct mount_plan *p, struct mount_trees *t,
			   char *err, size_t errlen)
{
	if (p->n_vols > PROTO_MAX_VOLUMES) {
		snprintf(err, errlen, "isolated: too many volumes");
		return -1;
	}
	if (clone_fd(p->work_fd, false, &t->work) == -1)
		return fail(err, errlen, "cannot bind work directory",
			    p->work_path);
	for (unsigned i = 0; i < p->n_vols; i++)
		if (clone_fd(p->vols[i].src_fd,
			     p->vols[i].read_only,
			     &t->vol[i]) == -1)
			return fail(err, errlen, "cannot bind volume",
				    p->vols[i].src);
	return 0;
}

static int place_work_vols(const struct stage *st, const struct mount_plan *p,
			   const struct mount_trees *t, char *err,
			   size_t errlen)
{
	if (reserved(p->work_path)) {
		errno = EINVAL;
		return fail(err, errlen, "cannot mount work directory at",
			    p->work_path);
	}
	if (attach(st, t->work.fd, p->work_path, true) == -1)
		return fail(err, errlen, "cannot mount work directory at",
			    p->work_path);
	for (unsigned i = 0; i < p->n_vols; i++)
		if (attach(st, t->vol[i].fd, p->vols[i].dst,
			   t->vol[i].is_dir) == -1)
			return fail(err, errlen, "cannot mount volume at",
				    p->vols[i].dst);
	return 0;
}

/* pivot_root(".", ".") stacks the old root on top of the new one at "/";
 * the detach then drops it, with every host mount under it, from this
 * namespace (pivot_root(2), NOTES). Then "/" goes read-only: only its
 * own mount, so /tmp, the work directory and rw volumes stay writable. */
static int enter_root(const struct stage *st)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};

	if (fchdir(st->fd) == -1 ||
	    syscall(SYS_pivot_root, ".", ".") == -1 ||
	    umount2(".", MNT_DETACH) == -1 || chdir("/") == -1)
		return -1;
	return mount_setattr(AT_FDCWD, "/", 0, &ro, sizeof(ro));
}

static int build(struct stage *st, const struct mount_plan *p,
		 const struct mount_trees *t, char *err, size_t errlen)
{
	/* Nothing we mount or unmount may propagate to the host: with a
	 * shared / (systemd's default) the detach of the old root below
	 * would otherwise unmount the host's own mounts. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return fail(err, errlen, "cannot make private", "/");
	if (make_stage(st) == -1)
		return fail(err, errlen, "cannot mount the new root on", STAGE);
	if (make_proc_tmp(st, p) == -1)
		return fail(err, errlen, "cannot mount", "/proc or /tmp");
	if (make_dev(p) == -1)
		return fail(err, errlen, "cannot build", "/dev");
	if (place_ro_binds(st, p, t->ro, err, errlen) == -1 ||
	    place_work_vols(st, p, t, err, errlen) == -1)
		return -1;
	if (enter_root(st) == -1)
		return fail(err, errlen, "cannot pivot into", "the new root");
	return 0;
}

static void init_trees(struct mount_trees *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < MOUNTS_MAX_BINDS; i++)
		t->ro[i].fd = -1;
	for (unsigned i = 0; i < PROTO_MAX_VOLUMES; i++)
		t->vol[i].fd = -1;
	t->work.fd = -1;
}

int mounts_prepare(const struct mount_plan *plan, struct mount_trees *t,
		   char *err, size_t errlen)
{
	init_trees(t);
	if (read_ro_binds(plan, t->ro, err, errlen) == -1 ||
	    clone_work_vols(plan, t, err, errlen) == -1) {
		mounts_release(t);
		return -1;
	}
	return 0;
}

void mounts_release(struct mount_trees *t)
{
	for (unsigned i = 0; i < MOUNTS_MAX_BINDS; i++) {
		if (t->ro[i].fd != -1)
			close(t->ro[i].fd);
		free(t->ro[i].link);
	}
	for (unsigned i = 0; i < PROTO_MAX_VOLUMES; i++)
		if (t->vol[i].fd != -1)
			close(t->vol[i].fd);
	if (t->work.fd != -1)
		close(t->work.fd);
	init_trees(t);
}

int mounts_build_root(const struct mount_plan *plan,
		      const struct mount_trees *t, char *err, size_t errlen)
{
	struct stage st = {.fd = -1};
	/* The helper's umask (the caller's, or 077) must not shape the
	 * directories of the view: 0755 path components, 1777 /tmp. */
	mode_t mask = umask(022);
	int rc = build(&st, plan, t, err, errlen);

	umask(mask);
	if (st.fd != -1)
		close(st.fd);
	return rc;
}

/* The trust walk: see trust.h for the contract. */
#include "shared/trust.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/util.h"

#define MAX_SYMLINKS 40

static uid_t trusted_uid = 0;

void trust_set_uid(uid_t uid)
{
	trusted_uid = uid;
}

struct walk {
	unsigned flags;
	int dir;            /* where the walk is, O_PATH; -1 before "/" */
	char out[PATH_MAX]; /* its canonical path, "" for "/" */
	size_t olen;
	char todo[PATH_MAX];
	char *rest;         /* what is left to walk, in todo */
	int links;
	char *why;
	size_t cap;
};

static int refuse(struct walk *w, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct walk *w, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->why, w->cap, fmt, ap);
	va_end(ap);
	errno = err;
	return -1;
}

static const char *shown(const struct walk *w)
{
	return w->olen ? w->out : "/";
}

static bool foreign_writable(const struct stat *st)
{
	return (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
}

/* A directory on the way (the walk's out names it). */
static int dir_ok(struct walk *w, const struct stat *st, bool leaf)
{
	bool sticky_ok = !leaf && (w->flags & TRUST_STICKY) &&
			 (st->st_mode & S_ISVTX);

	if (!S_ISDIR(st->st_mode))
		return refuse(w, ENOTDIR, "%s is not a directory", shown(w));
	if (st->st_uid != trusted_uid)
		return refuse(w, EPERM, "directory %s is not owned by root",
			      shown(w));
	if (foreign_writable(st) && !sticky_ok)
		return refuse(w, EPERM, "directory %s is writable by group "
			      "or others", shown(w));
	return 0;
}

/* The last component, unless TRUST_ANY_LEAF (then only its kind). */
static int leaf_ok(struct walk *w, const struct stat *st)
{
	if ((w->flags & TRUST_REGULAR) && !S_ISREG(st->st_mode))
		return refuse(w, EPERM, "not a regular file");
	if (w->flags & TRUST_ANY_LEAF)
		return 0;
	if (S_ISDIR(st->st_mode))
		return dir_ok(w, st, true);
	if (st->st_uid != trusted_uid)
		return refuse(w, EPERM, "file is not owned by root");
	if (foreign_writable(st))
		return refuse(w, EPERM, "file is writable by group or others");
	return 0;
}

/* The next component of w->rest into comp, w->rest moved past it and
 * past the slashes after it: 1, 0 at the end, -1 if too long. */
static int next_component(struct walk *w, char comp[NAME_MAX + 1])
{
	char *p = w->rest;
	size_t n;

	while (*p == '/')
		p++;
	n = strcspn(p, "/");
	if (n > NAME_MAX)
		return refuse(w, ENAMETOOLONG, "a component of the path is "
			      "too long");
	memcpy(comp, p, n);
	comp[n] = '\0';
	p += n;
	while (*p == '/')
		p++;
	w->rest = p;
	return n > 0;
}

static void enter(struct walk *w, int fd)
{
	if (w->dir != -1)
		close(w->dir);
	w->dir = fd;
}

static int from_root(struct walk *w)
{
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	w->olen = 0;
	w->out[0] = '\0';
	if (fd == -1)
		return refuse(w, errno, "cannot open /: %s", strerror(errno));
	enter(w, fd);
	if (fstat(fd, &st) == -1)
		return refuse(w, errno, "cannot stat /: %s", strerror(errno));
	return dir_ok(w, &st, false);
}

/* ".." as realpath(3) takes it: every prefix of out was found trusted
 * on the way down, so the parent is reopened by its canonical name. */
static int walk_up(struct walk *w)
{
	char *slash = strrchr(w->out, '/');
	int fd;

	w->olen = slash ? (size_t)(slash - w->out) : 0;
	w->out[w->olen] = '\0';
	fd = open(shown(w), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return refuse(w, errno, "cannot open %s: %s", shown(w),
			      strerror(errno));
	enter(w, fd);
	return 0;
}

/* The symlink at fd (in a trusted directory, so root's): its target
 * leads what is left of the walk. */
static int follow(struct walk *w, int fd, const char *comp)
{
	char target[PATH_MAX], tail[PATH_MAX];
	ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);

	close(fd);
	if (!(w->flags & TRUST_FOLLOW) && !*w->rest)
		return refuse(w, ELOOP, "file is a symbolic link");
	if (!(w->flags & TRUST_FOLLOW))
		return refuse(w, ELOOP, "%s/%s is a symbolic link", w->out,
			      comp);
	if (++w->links > MAX_SYMLINKS)
		return refuse(w, ELOOP, "too many symbolic links");
	if (n <= 0)
		return refuse(w, EINVAL, "cannot read the symbolic link %s/%s",
			      w->out, comp);
	target[n] = '\0';
	(void)copy_str(tail, sizeof(tail), w->rest);
	if (snprintf(w->todo, sizeof(w->todo), "%s/%s", target, tail) >=
	    (int)sizeof(w->todo))
		return refuse(w, ENAMETOOLONG, "path too long");
	w->rest = w->todo;
	return target[0] == '/' ? from_root(w) : 0;
}

/* comp in w->dir, created if missing and TRUST_MKDIR. */
static int open_component(struct walk *w, const char *comp)
{
	int fd = openat(w->dir, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd != -1 || errno != ENOENT || !(w->flags & TRUST_MKDIR))
		return fd;
	if (mkdirat(w->dir, comp, 0700) == -1 && errno != EEXIST)
		return -1;
	fd = openat(w->dir, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				  O_CLOEXEC);
	if (fd != -1 && fchmod(fd, 0711) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One component: 0 stepped into it (or followed it), -1 refused. */
static int step(struct walk *w, const char *comp)
{
	bool last = *w->rest == '\0';
	struct stat st;
	int fd, n;

	if (!(w->flags & TRUST_FOLLOW) &&
	    (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0))
		return refuse(w, EINVAL, "\".\" and \"..\" are refused");
	if (strcmp(comp, ".") == 0)
		return 0;
	if (strcmp(comp, "..") == 0)
		return walk_up(w);
	fd = open_component(w, comp);
	if (fd == -1 && last)
		return refuse(w, errno, "cannot open file: %s",
			      strerror(errno));
	if (fd == -1)
		return refuse(w, errno, "cannot open %s/%s: %s", w->out, comp,
			      strerror(errno));
	if (fstat(fd, &st) == -1) {
		close(fd);
		return refuse(w, errno, "cannot stat %s/%s: %s", w->out, comp,
			      strerror(errno));
	}
	if (S_ISLNK(st.st_mode))
		return follow(w, fd, comp);
	n = snprintf(w->out + w->olen, sizeof(w->out) - w->olen, "/%s", comp);
	enter(w, fd);
	if (n >= (int)(sizeof(w->out) - w->olen))
		return refuse(w, ENAMETOOLONG, "path too long");
	w->olen += (size_t)n;
	return last ? leaf_ok(w, &st) : dir_ok(w, &st, false);
}

/* The checked object again, with oflags: through /proc/self/fd, which
 * reopens that very inode, then compared with what was checked. */
static int reopen(struct walk *w, int oflags)
{
	char link[64];
	struct stat a, b;
	int fd;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", w->dir);
	fd = open(link, (oflags & ~O_NOFOLLOW) | O_CLOEXEC);
	if (fd == -1)
		return refuse(w, errno, "cannot open file: %s",
			      strerror(errno));
	if (fstat(fd, &a) == -1 || fstat(w->dir, &b) == -1 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		close(fd);
		return refuse(w, EAGAIN, "file changed while checked");
	}
	return fd;
}

int trust_open(const char *path, unsigned flags, int oflags, char *canon,
	       char *why, size_t cap)
{
	static struct walk w;
	char comp[NAME_MAX + 1];
	int more, fd, rc;

	memset(&w, 0, sizeof(w));
	w.flags = flags;
	w.dir = -1;
	w.why = why;
	w.cap = cap;
	w.rest = w.todo;
	if (!path || path[0] != '/' ||
	    copy_str(w.todo, sizeof(w.todo), path) == -1)
		return refuse(&w, EINVAL, "not an absolute path");
	rc = from_root(&w);
	while (rc == 0 && (more = next_component(&w, comp)) != 0)
		rc = more == -1 ? -1 : step(&w, comp);
	if (rc == 0 && canon)
		(void)copy_str(canon, PATH_MAX, shown(&w));
	if (rc == 0 && oflags == 0)
		return w.dir;
	fd = rc == 0 ? reopen(&w, oflags) : -1;
	rc = errno;
	if (w.dir != -1)
		close(w.dir);
	errno = rc;
	return fd;
}

bool trust_fd_is_path(int fd, const char *path)
{
	char link[64], now[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, now, sizeof(now) - 1);
	if (n < 0)
		return false;
	now[n] = '\0';
	return strcmp(now, path) == 0;
}

/*
 * Reading the policy file. The trust checks are made on descriptors that
 * are then used, never on names that could be swapped between a check and
 * a use: each directory is opened relative to its parent's descriptor,
 * without following symlinks, and fstat'ed; the file is opened relative
 * to the last one. Like OpenSSH's StrictModes, a sticky directory (/tmp)
 * is no excuse: anyone may create a name in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/lex.h"
#include "policy/load.h"
#include "shared/util.h"

static uid_t trusted_uid = 0;

void policy_set_trusted_uid(uid_t uid)
{
	trusted_uid = uid;
}

static void trust_error(struct policy_errors *errs, const char *path,
			const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void trust_error(struct policy_errors *errs, const char *path,
			const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	memset(errs, 0, sizeof(*errs));
	policy_error_add(errs, 0, 0, "policy %s: %s", path, why);
}

/* what is "directory /etc/x" or "file": how the message names it. */
static int check_trust(const struct stat *st, const char *what,
		       const char *path, struct policy_errors *errs)
{
	if (st->st_uid != trusted_uid) {
		trust_error(errs, path, "%s is not owned by root", what);
		return -1;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		trust_error(errs, path, "%s is writable by group or others",
			    what);
		return -1;
	}
	return 0;
}

static int check_dir(int fd, const char *dir, const char *path,
		     struct policy_errors *errs)
{
	char what[128];
	struct stat st;

	snprintf(what, sizeof(what), "directory %s", dir);
	if (fstat(fd, &st) < 0) {
		trust_error(errs, path, "cannot stat %s: %s", what,
			    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		trust_error(errs, path, "%s is not a directory", dir);
		return -1;
	}
	return check_trust(&st, what, path, errs);
}

/* Why openat(dirfd, name, ... O_NOFOLLOW) failed, in words. */
static void open_failed(int dirfd, const char *name, const char *shown,
			const char *path, struct policy_errors *errs)
{
	int saved = errno;
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		trust_error(errs, path, "%s is a symbolic link", shown);
	else if (saved == ENOTDIR)
		trust_error(errs, path, "%s is not a directory", shown);
	else
		trust_error(errs, path, "cannot open %s: %s", shown,
			    strerror(saved));
}

/* Open every directory of path from / down, checking each; returns the
 * descriptor of the last one and points *name at the file's own name. */
static int open_parent(const char *path, const char **name,
		       struct policy_errors *errs)
{
	char dir[4096], *slash;
	int fd, next;

	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || check_dir(fd, "/", path, errs) < 0) {
		if (fd < 0)
			trust_error(errs, path, "cannot open /: %s",
				    strerror(errno));
		else
			close(fd);
		return -1;
	}
	copy_str(dir, sizeof(dir), path);
	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		next = openat(fd, strrchr(dir, '/') + 1,
			      O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		if (next < 0)
			open_failed(fd, strrchr(dir, '/') + 1, dir, path, errs);
		close(fd);
		if (next < 0 || check_dir(next, dir, path, errs) < 0) {
			if (next >= 0)
				close(next);
			return -1;
		}
		fd = next;
		*slash = '/';
	}
	*name = strrchr(path, '/') + 1;
	return fd;
}

/* Read all of fd (at most POLICY_MAX_BYTES) and parse it. */
static int read_and_parse(int fd, const char *path, struct policy *p,
			  struct policy_errors *errs)
{
	size_t cap = (size_t)POLICY_MAX_BYTES + 1, len = 0;
	char *text = malloc(cap);
	ssize_t n;
	int r;

	if (!text) {
		trust_error(errs, path, "out of memory");
		return -1;
	}
	while (len < cap && (n = read(fd, text + len, cap - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			trust_error(errs, path, "cannot read: %s",
				    strerror(errno));
			free(text);
			return -1;
		}
		len += (size_t)n;
	}
	if (len > (size_t)POLICY_MAX_BYTES) {
		trust_error(errs, path, "file is larger than %d bytes",
			    POLICY_MAX_BYTES);
		r = -1;
	} else {
		r = policy_parse(text, len, p, errs);
	}
	free(text);
	return r;
}

static int check_file(int fd, const char *path, bool trust,
		      struct policy_errors *errs)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		trust_error(errs, path, "cannot stat: %s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		trust_error(errs, path, "not a regular file");
		return -1;
	}
	if (st.st_size > (off_t)POLICY_MAX_BYTES) {
		trust_error(errs, path, "file is larger than %d bytes",
			    POLICY_MAX_BYTES);
		return -1;
	}
	return trust ? check_trust(&st, "file", path, errs) : 0;
}

static int fail(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	return -1;
}

int policy_load(const char *path, struct policy *p, struct policy_errors *errs)
{
	const char *name;
	struct stat st;
	int dirfd, fd, r;

	memset(errs, 0, sizeof(*errs));
	if (!path || !valid_abs_path(path) || !strcmp(path, "/")) {
		trust_error(errs, path ? path : "(null)",
			    "not a canonical absolute path");
		return fail(p);
	}
	dirfd = open_parent(path, &name, errs);
	if (dirfd < 0)
		return fail(p);
	/* Refuse a device or FIFO before opening it: opening one can have
	 * effects (or block); fstat on the opened file stays authoritative. */
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISREG(st.st_mode)) {
		trust_error(errs, path, S_ISLNK(st.st_mode)
			    ? "file is a symbolic link" : "not a regular file");
		close(dirfd);
		return fail(p);
	}
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
			       O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		open_failed(dirfd, name, "file", path, errs);
	close(dirfd);
	if (fd < 0)
		return fail(p);
	r = check_file(fd, path, true, errs) < 0 ? -1
		: read_and_parse(fd, path, p, errs);
	close(fd);
	return r < 0 ? fail(p) : 0;
}

int policy_load_untrusted(const char *path, struct policy *p,
			  struct policy_errors *errs)
{
	int fd, r;

	memset(errs, 0, sizeof(*errs));
	fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
		  : -1;
	if (fd < 0) {
		trust_error(errs, path ? path : "(null)", "cannot open: %s",
			    path ? strerror(errno) : "no path");
		return fail(p);
	}
	r = check_file(fd, path, false, errs) < 0 ? -1
		: read_and_parse(fd, path, p, errs);
	close(fd);
	return r < 0 ? fail(p) : 0;
}

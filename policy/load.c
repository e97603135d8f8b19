/*
 * Reading the policy file. The trust checks are shared/trust.c's walk, on
 * descriptors that are then used, never on names that could be swapped
 * between a check and a use; like OpenSSH's StrictModes, a sticky
 * directory (/tmp) is no excuse. Then the size and the parse.
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
#include "policy/schema.h"
#include "shared/trust.h"
#include "shared/util.h"

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
	errs->count = 0;
	policy_error_add(errs, 0, 0, "policy %s: %s", path, why);
}

/* Read all of fd into *text (at most POLICY_MAX_BYTES + 1 bytes, so a
 * longer file shows as such): a buffer of the size fstat saw, grown
 * to the most only if the file grew since. Not the most at once: 1 MB
 * is an mmap and a munmap, dear on a small VM, for a file of 1-2 KB.
 * The length, or -1 with errno. */
static ssize_t read_all(int fd, size_t seen, char **text)
{
	size_t most = (size_t)POLICY_MAX_BYTES + 1, len = 0;
	size_t cap = seen < most ? seen + 1 : most;
	char *buf = malloc(cap), *more;
	ssize_t n;
	int e;

	while (buf && len < most) {
		if (len == cap) {
			more = realloc(buf, most);
			if (!more)
				break;
			buf = more;
			cap = most;
		}
		n = read(fd, buf + len, cap - len);
		if (n == 0) {
			*text = buf;
			return (ssize_t)len;
		}
		if (n < 0 && errno != EINTR)
			break;
		len += n > 0 ? (size_t)n : 0;
	}
	if (buf && len == most) {
		*text = buf;
		return (ssize_t)len;
	}
	e = buf ? errno : ENOMEM;
	free(buf);
	errno = e;
	return -1;
}

/* Read all of fd (at most POLICY_MAX_BYTES) and parse it. */
static int read_and_parse(int fd, size_t seen, const char *path,
			  struct policy *p, struct policy_errors *errs)
{
	char *text = NULL;
	ssize_t len = read_all(fd, seen, &text);
	int r;

	if (len < 0) {
		trust_error(errs, path, "cannot read: %s", strerror(errno));
		return -1;
	}
	if (len > (ssize_t)POLICY_MAX_BYTES) {
		trust_error(errs, path, "file is larger than %d bytes",
			    POLICY_MAX_BYTES);
		r = -1;
	} else {
		r = policy_parse(text, (size_t)len, p, errs);
	}
	free(text);
	return r;
}

static int check_file(int fd, const char *path, struct policy_errors *errs,
		      size_t *size)
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
	*size = (size_t)st.st_size;
	return 0;
}

static int fail(struct policy *p)
{
	policy_clear(p);
	return -1;
}

int policy_load(const char *path, struct policy *p, struct policy_errors *errs)
{
	char why[160];
	size_t size;
	int fd, r;

	errs->count = 0;
	if (!path || !valid_abs_path(path) || !strcmp(path, "/")) {
		trust_error(errs, path ? path : "(null)",
			    "not a canonical absolute path");
		return fail(p);
	}
	fd = trust_open(path, TRUST_REGULAR, O_RDONLY | O_NONBLOCK | O_NOCTTY,
			NULL, why, sizeof(why));
	if (fd < 0) {
		trust_error(errs, path, "%s", why);
		return fail(p);
	}
	r = check_file(fd, path, errs, &size) < 0 ? -1
		: read_and_parse(fd, size, path, p, errs);
	close(fd);
	return r < 0 ? fail(p) : 0;
}

int policy_load_untrusted(const char *path, struct policy *p,
			  struct policy_errors *errs)
{
	size_t size;
	int fd, r;

	errs->count = 0;
	fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
		  : -1;
	if (fd < 0) {
		trust_error(errs, path ? path : "(null)", "cannot open: %s",
			    path ? strerror(errno) : "no path");
		return fail(p);
	}
	r = check_file(fd, path, errs, &size) < 0 ? -1
		: read_and_parse(fd, size, path, p, errs);
	close(fd);
	return r < 0 ? fail(p) : 0;
}

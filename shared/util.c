/* Strict parsing and validation: see util.h. No side effects. */
#include "shared/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Digits s[0..n) into *out; -1 on overflow, n == 0 or a leading zero
 * (which some readers take for octal). */
static int digits_to_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (!is_digit(s[i]))
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (!s || digits_to_u64(s, strlen(s), &v) < 0 || v < 1 || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "0" to "999" as thousandths: "5" -> 500, "25" -> 250, "125" -> 125. */
static int fraction_to_milli(const char *s, uint64_t *out)
{
	size_t n = strlen(s);
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 3)
		return -1;
	for (i = 0; i < 3; i++) {
		if (i < n && !is_digit(s[i]))
			return -1;
		v = v * 10 + (i < n ? (uint64_t)(s[i] - '0') : 0);
	}
	*out = v;
	return 0;
}

int parse_cores(const char *s, uint64_t max_millicores, uint64_t *out)
{
	const char *dot;
	uint64_t whole, frac = 0;

	if (!s)
		return -1;
	dot = strchr(s, '.');
	if (digits_to_u64(s, dot ? (size_t)(dot - s) : strlen(s), &whole) < 0)
		return -1;
	if (dot && fraction_to_milli(dot + 1, &frac) < 0)
		return -1;
	if (whole > (UINT64_MAX - frac) / 1000)
		return -1;
	whole = whole * 1000 + frac;
	if (whole == 0 || whole > max_millicores)
		return -1;
	*out = whole;
	return 0;
}

bool valid_env_name(const char *s, size_t len)
{
	size_t i;

	if (!s || len == 0 || len > 128 || !(is_alpha(s[0]) || s[0] == '_'))
		return false;
	for (i = 1; i < len; i++)
		if (!(is_alpha(s[i]) || is_digit(s[i]) || s[i] == '_'))
			return false;
	return true;
}

static bool account_char(char c)
{
	return (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '.' ||
	       c == '-';
}

bool valid_account_name(const char *s)
{
	size_t n, i;

	if (!s || (n = strnlen(s, 33)) == 0 || n > 32)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	if (s[n - 1] == '$')
		n--; /* Samba machine accounts */
	for (i = 1; i < n; i++)
		if (!account_char(s[i]))
			return false;
	return true;
}

/* One path component of length n: not empty, not "." or "..". */
static bool component_ok(const char *c, size_t n)
{
	if (n == 0)
		return false;
	if (c[0] == '.' && (n == 1 || (n == 2 && c[1] == '.')))
		return false;
	return true;
}

bool valid_abs_path(const char *s)
{
	size_t n;
	const char *c, *end;

	if (!s || s[0] != '/' || (n = strnlen(s, 4096)) > 4095)
		return false;
	if (n == 1)
		return true;
	for (c = s + 1;; c = end + 1) {
		end = strchr(c, '/');
		if (!component_ok(c, end ? (size_t)(end - c) : strlen(c)))
			return false;
		if (!end)
			return true;
	}
}

int copy_str(char *dst, size_t cap, const char *src)
{
	size_t n;

	if (cap == 0)
		return -1;
	n = strnlen(src, cap);
	if (n == cap) {
		memcpy(dst, src, cap - 1);
		dst[cap - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

bool only_chars(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return false;
	return true;
}

void fmt_msg(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

DIR *opendir_at(int dfd, const char *name, int flags)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | flags);
	DIR *d = fd == -1 ? NULL : fdopendir(fd);
	int saved = errno;

	if (d == NULL && fd != -1) {
		close(fd);
		errno = saved;
	}
	return d;
}

int cat_str(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(dst, cap);

	if (n == cap)
		return -1;
	return copy_str(dst + n, cap - n, src);
}

void dec_u64(char buf[21], uint64_t v)
{
	char rev[20];
	size_t n = 0, i = 0;

	do
		rev[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	while (n)
		buf[i++] = rev[--n];
	buf[i] = '\0';
}

int path_join(char *dst, size_t cap, const char *dir, const char *name)
{
	if (copy_str(dst, cap, dir) == -1 || cat_str(dst, cap, "/") == -1 ||
	    cat_str(dst, cap, name) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int open_no_links(const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)flags,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
}

const char *errno_text(int e)
{
	const char *s = strerrordesc_np(e);

	return s ? s : "unknown error";
}

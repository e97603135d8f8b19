/* Small side-effect-free helpers used by both programs. */
#ifndef SYMBI_UTIL_H
#define SYMBI_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Strict decimal: digits only (no sign, space, hex, exponent), no
 * overflow, 1 <= value <= max. Returns 0 or -1. */
int parse_u64(const char *s, uint64_t max, uint64_t *out);

/* CPU cores as "2", "2.0", "0.5", "1.25": at most 3 decimals, > 0,
 * <= max_millicores/1000. Writes millicores. Returns 0 or -1. */
int parse_cores(const char *s, uint64_t max_millicores, uint64_t *out);

/* An environment variable name: [A-Za-z_][A-Za-z0-9_]*, <= 128 bytes. */
bool valid_env_name(const char *s, size_t len);

/* A user or group name as shadow-utils accepts: [a-z_][a-z0-9_.-]*[$]?,
 * <= 32 bytes. */
bool valid_account_name(const char *s);

/* Absolute, no empty, "." or ".." component, no trailing slash (except
 * "/"), no NUL, <= 4095 bytes. */
bool valid_abs_path(const char *s);

/* Only ASCII letters, digits and bytes of extra in s. */
bool only_chars(const char *s, const char *extra);

/* vsnprintf into buf[cap]: for "char *err, size_t errlen" outputs. */
void fmt_msg(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t now_ms(void);

/* A directory stream of name in dfd, opened O_RDONLY | O_DIRECTORY |
 * O_CLOEXEC | flags (e.g. O_NOFOLLOW), or NULL (errno); closedir closes
 * the descriptor with it. */
DIR *opendir_at(int dfd, const char *name, int flags);

/* strlcpy that reports truncation: 0 if src fit, -1 otherwise. */
int copy_str(char *dst, size_t cap, const char *src);

/* Append src to the string in dst[cap], truncating: 0 if it fit, -1
 * otherwise. With dec_u64 (v in decimal into buf), what a child that
 * shares the helper's memory uses instead of snprintf (helper/vchild.c's
 * rule): plain stores, no stdio. */
int cat_str(char *dst, size_t cap, const char *src);
void dec_u64(char buf[21], uint64_t v);

/* dir "/" name into dst[cap], plain stores as cat_str: 0, or -1 with
 * errno ENAMETOOLONG when it does not fit. */
int path_join(char *dst, size_t cap, const char *dir, const char *name);

/* strerror's words for e without strerror's allocation (it allocates
 * for a number it has no words for), so a child that shares the
 * helper's memory may use it too; "unknown error" for such a number. */
const char *errno_text(int e);

/* path opened with flags, and with no symbolic link on the way nor a
 * magic one such as /proc/PID/cwd (openat2, RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS): for a canonical path a user gave, a link
 * there was swapped in, or leads around her own permissions. The
 * descriptor, or -1 with errno (ELOOP: a link). A system call alone,
 * for children that share the helper's memory too. */
int open_no_links(const char *path, int flags);

#endif

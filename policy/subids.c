/*
 * /etc/subuid and /etc/subgid ranges against a run_as_pool range
 * (policy/subids.h). The line parser and the overlap are pure, for the
 * unit tests and the fuzzer; subid_file_clash reads a file a line at a
 * time. The "subid:" line of nsswitch.conf says whether those files are
 * the whole story (subid_nss_line, subid_nss_other). subid_pool_refusal
 * is the rule on them, and its words, for the checker and the helper
 * alike, so both refuse the same.
 */
#include "policy/subids.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decimal digits alone, at most UINT32_MAX (shadow's ids are 32-bit). */
static bool read_num(const char *s, size_t len, uint64_t *v)
{
	if (len == 0 || len > 10)
		return false;
	*v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return *v <= UINT32_MAX;
}

/* A name or a uid: printable, no blank, no ':', of any length (a long
 * one is cut where it is kept, as struct subid_range says). */
static bool read_owner(const char *s, size_t len, char *out)
{
	size_t kept = len > SUBID_OWNER_MAX ? SUBID_OWNER_MAX : len;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	memcpy(out, s, kept);
	if (kept < len)
		memcpy(out + kept - 3, "...", 3);
	out[kept] = '\0';
	return true;
}

int subid_line(const char *line, size_t len, struct subid_range *r)
{
	const char *c1, *c2;
	uint64_t start, count;

	if (len == 0 || line[0] == '#')
		return 0;
	c1 = memchr(line, ':', len);
	c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
	if (c2 == NULL || !read_owner(line, (size_t)(c1 - line), r->owner) ||
	    !read_num(c1 + 1, (size_t)(c2 - c1 - 1), &start) ||
	    !read_num(c2 + 1, len - (size_t)(c2 + 1 - line), &count))
		return -1;
	/* COUNT 0 grants nothing: an empty range, without wrapping. */
	r->first = count ? start : 1;
	r->last = count ? start + count - 1 : 0;
	return 1;
}

bool subid_overlaps(const struct subid_range *r, uint64_t first,
		    uint64_t last)
{
	return r->first <= r->last && r->first <= last && first <= r->last;
}

/* fn for each line of path, its newline cut, until fn answers non-zero:
 * that answer, with *lineno its line; 0 at the end and for a missing
 * file; -2 with why[cap] when the file cannot be read. */
static int each_line(const char *path,
		     int (*fn)(const char *line, size_t len, void *ctx),
		     void *ctx, unsigned *lineno, char *why, size_t cap)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t lcap = 0;
	ssize_t n;
	int rc = 0;

	*lineno = 0;
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, cap, "cannot read %s: %s", path, strerror(errno));
		return -2;
	}
	while (rc == 0 && (n = getline(&line, &lcap, f)) != -1) {
		++*lineno;
		if (n > 0 && line[n - 1] == '\n')
			n--;
		rc = fn(line, (size_t)n, ctx);
	}
	if (rc == 0 && ferror(f)) {
		snprintf(why, cap, "cannot read %s: %s", path, strerror(errno));
		rc = -2;
	}
	free(line);
	fclose(f);
	return rc;
}

struct clash {
	struct subid_range *r;
	uint64_t first, last;
};

/* 1 for a range that overlaps, -1 for a bad line, else 0. */
static int clash_line(const char *line, size_t len, void *p)
{
	const struct clash *c = p;
	int rc = subid_line(line, len, c->r);

	return rc == 1 && !subid_overlaps(c->r, c->first, c->last) ? 0 : rc;
}

int subid_file_clash(const char *path, uint64_t first, uint64_t last,
		     struct subid_range *r, unsigned *lineno, char *why,
		     size_t cap)
{
	struct clash c = {r, first, last};
	int rc = each_line(path, clash_line, &c, lineno, why, cap);

	if (rc == -1)
		snprintf(why, cap, "%s, line %u: not OWNER:START:COUNT", path,
			 *lineno);
	return rc == -2 ? -1 : rc;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* s..end past the blanks at its start. */
static const char *skip_blanks(const char *s, const char *end)
{
	while (s < end && is_blank(*s))
		s++;
	return s;
}

/* Past "subid", blanks and ':' at s (any case), or NULL. */
static const char *after_subid_key(const char *s, const char *end)
{
	static const char key[] = "subid";

	for (size_t i = 0; i < sizeof(key) - 1; i++, s++)
		if (s == end || (*s | 0x20) != key[i])
			return NULL;
	s = skip_blanks(s, end);
	return s < end && *s == ':' ? s + 1 : NULL;
}

/* tok..end as a message names it: printable (a NUL included), cut to
 * SUBID_SOURCE_MAX bytes. */
static void name_source(char *src, const char *tok, const char *end)
{
	size_t i;

	for (i = 0; tok + i < end && i < SUBID_SOURCE_MAX; i++)
		src[i] = (char)(tok[i] > ' ' && tok[i] < 0x7f ? tok[i] : '?');
	src[i] = '\0';
}

int subid_nss_line(const char *line, size_t len,
		   char src[SUBID_SOURCE_MAX + 1])
{
	const char *hash = memchr(line, '#', len);
	const char *end = hash ? hash : line + len, *s, *tok;
	size_t n;

	s = after_subid_key(skip_blanks(line, end), end);
	while (s != NULL && (s = skip_blanks(s, end)) < end) {
		for (tok = s; s < end && !is_blank(*s); s++)
			;
		n = (size_t)(s - tok);
		if (n == 5 && memcmp(tok, "files", 5) == 0)
			continue;
		/* Anything else (a module, an [ACTION]) is not the files. */
		name_source(src, tok, s);
		return 1;
	}
	return 0;
}

static int nss_line(const char *line, size_t len, void *src)
{
	return subid_nss_line(line, len, src);
}

int subid_nss_other(const char *path, char src[SUBID_SOURCE_MAX + 1],
		    unsigned *lineno, char *why, size_t cap)
{
	int rc = each_line(path, nss_line, src, lineno, why, cap);

	return rc == -2 ? -1 : rc;
}

/* The subid: line of nsswitch names another source: 1 with why. */
static int nss_refusal(const char *path, const char *pool, char *why,
		       size_t cap)
{
	char src[SUBID_SOURCE_MAX + 1], err[256];
	unsigned line;
	int rc = subid_nss_other(path, src, &line, err, sizeof(err));

	if (rc == -1)
		snprintf(why, cap, "%s cannot be checked against subordinate "
			 "ids: %s", pool, err);
	else if (rc == 1)
		snprintf(why, cap, "%s: %s (line %u) takes subordinate ids "
			 "from \"%s\", which cannot be checked for pool uids: "
			 "refused", pool, path, line, src);
	return rc != 0;
}

/* A range of the file at path overlaps first..last: 1 with why. */
static int file_refusal(const char *path, const char *pool, uint64_t first,
			uint64_t last, char *why, size_t cap)
{
	struct subid_range r;
	char err[256];
	unsigned line;
	int rc = subid_file_clash(path, first, last, &r, &line, err,
				  sizeof(err));

	if (rc == -1)
		snprintf(why, cap, "%s cannot be checked against subordinate "
			 "ids: %s", pool, err);
	else if (rc == 1)
		snprintf(why, cap, "%s overlaps the subordinate ids %llu-%llu "
			 "of %s (%s, line %u), who could become a pool uid: "
			 "refused", pool, (unsigned long long)r.first,
			 (unsigned long long)r.last, r.owner, path, line);
	return rc != 0;
}

int subid_pool_refusal(const struct subid_files *f, uint64_t first,
		       uint64_t last, char *why, size_t cap)
{
	char pool[48];

	snprintf(pool, sizeof(pool), "run_as_pool %llu-%llu",
		 (unsigned long long)first, (unsigned long long)last);
	return nss_refusal(f->nsswitch, pool, why, cap) ||
	       file_refusal(f->subuid, pool, first, last, why, cap) ||
	       file_refusal(f->subgid, pool, first, last, why, cap);
}

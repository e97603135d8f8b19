/*
 * /etc/subuid and /etc/subgid: the subordinate ids each user may map
 * into a user namespace of hers with newuidmap and newgidmap (uidmap).
 * A run_as_pool uid inside such a range is one that user can become at
 * will, and with it reach every pool job on that uid (ptrace, signals,
 * /proc/PID/environ), so such a pool is refused: by --check-policy
 * (checker/) and by the helper at run time (helper/pool.c).
 *
 * Format, one range a line, as shadow-utils writes it:
 *   OWNER:START:COUNT
 * OWNER a user name or uid, START and COUNT decimal; the range is
 * START .. START+COUNT-1. Blank lines and lines starting with '#' carry
 * nothing; any other line that is not of this form makes the file
 * unusable (fail closed: it is not known what it grants).
 */
#ifndef SYMBI_POLICY_SUBIDS_H
#define SYMBI_POLICY_SUBIDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SUBUID_PATH "/etc/subuid"
#define SUBGID_PATH "/etc/subgid"
#define SUBID_OWNER_MAX 32
/* shadow's libsubid (newuidmap, newgidmap) takes the ranges from the
 * source a "subid:" line of this file names (sss, a directory ...)
 * instead of the two files: then the files tell nothing, so a pool is
 * refused unless that line is absent or names files alone. */
#define NSSWITCH_PATH "/etc/nsswitch.conf"
#define SUBID_SOURCE_MAX 32

struct subid_range {
	/* For messages only: a longer name (shadow takes up to 256 bytes,
	 * NSS more) is cut to SUBID_OWNER_MAX bytes, its last three "...". */
	char owner[SUBID_OWNER_MAX + 1];
	uint64_t first, last; /* last < first: an empty range */
};

/* One line of len bytes (no newline): 1 and *r for a range, 0 for a
 * blank or comment line, -1 when malformed. Pure. */
int subid_line(const char *line, size_t len, struct subid_range *r);

/* Whether r shares an id with first..last. Pure. */
bool subid_overlaps(const struct subid_range *r, uint64_t first,
		    uint64_t last);

/* The first range of the file at path that shares an id with
 * first..last: 1, with *r and *lineno; 0 when none does or the file does
 * not exist; -1 when it cannot be read or a line is malformed, with
 * why[cap] saying so (and *lineno the line, or 0). */
int subid_file_clash(const char *path, uint64_t first, uint64_t last,
		     struct subid_range *r, unsigned *lineno, char *why,
		     size_t cap);

/* One line of len bytes of nsswitch.conf (no newline): 1 when it is
 * the subid database's line and names a source other than "files", the
 * first such in src (cut to SUBID_SOURCE_MAX bytes); 0 otherwise. A '#'
 * starts a comment; the name is matched without case and blanks may
 * surround it, wider than libsubid's own reading (fail closed). Pure. */
int subid_nss_line(const char *line, size_t len,
		   char src[SUBID_SOURCE_MAX + 1]);

/* Whether the file at path gives subordinate ids from elsewhere than
 * files: 1 with src and *lineno; 0 when not or the file does not exist
 * (libsubid then reads the files); -1 when it cannot be read, with
 * why[cap]. */
int subid_nss_other(const char *path, char src[SUBID_SOURCE_MAX + 1],
		    unsigned *lineno, char *why, size_t cap);

/* Where the subordinate ids come from: SUBID_HOST on this host, other
 * files in the unit tests. */
struct subid_files {
	const char *nsswitch, *subuid, *subgid;
};
#define SUBID_HOST { NSSWITCH_PATH, SUBUID_PATH, SUBGID_PATH }

/* The one rule of the checker and the helper: a run_as_pool of
 * first..last is refused when nsswitch names a source of subordinate
 * ids other than the files, when a range of subuid or subgid shares an
 * id with it (its owner could become a pool uid), or when one of the
 * three cannot be read (fail closed). 1 with the first reason in
 * why[cap], a sentence that starts "run_as_pool FIRST-LAST"; 0 when the
 * pool may be used. */
int subid_pool_refusal(const struct subid_files *f, uint64_t first,
		       uint64_t last, char *why, size_t cap);

#endif

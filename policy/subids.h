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

struct subid_range {
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

#endif

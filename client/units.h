/*
 * The units of the command line's limits, read in the client: the wire
 * and the policy keep plain numbers (MiB and seconds), so the helper
 * never parses a suffix. Strict as shared/util.c: digits, then at most
 * one suffix letter; no sign, space, fraction or exponent.
 */
#ifndef SYMBI_CLIENT_UNITS_H
#define SYMBI_CLIENT_UNITS_H

#include <stdint.h>

enum units_rc {
	UNITS_OK = 0,
	UNITS_BAD = -1,      /* not of the form, or out of 1..max */
	UNITS_FRACTION = -2, /* a K size that is no whole number of MiB */
};

/* A size in MiB: "512" (MiB), "524288K", "512M", "2G" (binary; the
 * letter in either case). */
enum units_rc units_size_mib(const char *s, uint64_t max_mib, uint64_t *out);

/* A time in seconds: "90" (seconds), "90s", "10m", "2h". */
enum units_rc units_seconds(const char *s, uint64_t max_s, uint64_t *out);

#endif

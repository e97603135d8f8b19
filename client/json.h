/*
 * The --json result object. Strings are emitted as lossy UTF-8: each
 * maximal ill-formed subsequence becomes one U+FFFD, Unicode's recommended
 * practice and what Rust's String::from_utf8_lossy does for the seeds;
 * control characters are escaped.
 */
#ifndef SYMBI_CLIENT_JSON_H
#define SYMBI_CLIENT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shared/proto.h"

/* One captured stream: the first len bytes kept; truncated when more came
 * than limit. */
struct json_stream {
	const char *data;
	size_t len;
	bool truncated;
	uint64_t limit;
};

struct json_report {
	struct json_stream out, err;
	const char *tier; /* canonical name */
	const struct result *res;
};

/* A quoted JSON string of s[len]. */
void json_write_string(FILE *f, const char *s, size_t len);

/* A quoted JSON string of the stream, ending with the seeds' marker
 * "\n... [output truncated at N bytes]" when truncated. */
void json_write_stream(FILE *f, const struct json_stream *s);

/* The whole object and a newline. */
void json_write_report(FILE *f, const struct json_report *r);

#endif

/*
 * The --json result object. Strings are emitted as lossy UTF-8: each
 * maximal ill-formed subsequence becomes one U+FFFD, Unicode's recommended
 * practice and what Rust's String::from_utf8_lossy does for the seeds;
 * control characters are escaped.
 *
 * The job's stdout streams: json_report_begin opens the object and the
 * stdout string, the bytes go through json_text_put as they are read,
 * and json_report_end closes the string and writes the other members. So
 * the client never holds stdout, whatever its size.
 */
#ifndef SYMBI_CLIENT_JSON_H
#define SYMBI_CLIENT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/proto.h"

/* Output through a buffer of our own, written with write(2): the common
 * case is a run of verbatim bytes broken by one short escape (a newline
 * every line), and a stdio call per piece costs more than the bytes. */
struct json_out {
	int fd;
	int error; /* errno of the first failed write; then output is dropped */
	size_t len;
	char buf[65536];
};

/* A JSON string's contents, encoded as its bytes arrive. A UTF-8
 * sequence cut by the end of one piece is held until the next. */
struct json_text {
	struct json_out *o;
	unsigned char held[4];
	size_t nheld;
};

/* One captured stream: the first len bytes kept; truncated when more came
 * than limit. */
struct json_stream {
	const char *data;
	size_t len;
	bool truncated;
	uint64_t limit;
};

struct json_report {
	struct json_stream out; /* data and len unused: stdout was streamed */
	struct json_stream err;
	const char *tier; /* canonical name, or NULL */
	const struct result *res;
	const char *workdir; /* the kept work directory, or NULL */
	const char *error;   /* why symbi-exec refused or failed, or NULL */
};

void json_out_init(struct json_out *o, int fd);

/* Writes what is buffered. Returns 0, or -1 with errno set when any
 * write failed since json_out_init. */
int json_out_flush(struct json_out *o);

/* Encodes data[len] into the string; bytes of a UTF-8 sequence that the
 * next piece may complete (3 at most) are held back. */
void json_text_put(struct json_text *t, const void *data, size_t len);

/* The text ends: what is held back is encoded as it is (one U+FFFD). */
void json_text_end(struct json_text *t);

/* A quoted JSON string of s[len]. */
void json_write_string(struct json_out *o, const char *s, size_t len);

/* A quoted JSON string of the stream, ending with the seeds' marker
 * "\n... [output truncated at N bytes]" when truncated. */
void json_write_stream(struct json_out *o, const struct json_stream *s);

/* Opens the object up to the stdout string, whose contents then go
 * through *stdout_text. */
void json_report_begin(struct json_out *o, struct json_text *stdout_text);

/* Closes the stdout string (its marker when r->out.truncated) and writes
 * the other members and a newline; "workdir" and "error" only when set.
 * Does not flush. */
void json_report_end(struct json_text *stdout_text,
		     const struct json_report *r);

#endif

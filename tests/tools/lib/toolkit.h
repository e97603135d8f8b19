/*
 * toolkit: what the test tools that drive the helper share (test-only,
 * never installed): starting it exactly as the client does, sending a
 * request, reading its answers and how it ended, the marker directory,
 * and the request options they have in common. A failure of the harness
 * itself ends the tool through tk_fail.
 */
#ifndef SYMBI_TOOLKIT_H
#define SYMBI_TOOLKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/proto.h"

/* What one helper run ended with. verdict is -1 until a verdict is seen
 * (callers start it so): a tool may test it alone. */
struct tk_outcome {
	bool verdict_seen, result_seen, listing_seen, exited, signaled, hung,
	     marker;
	int verdict, code; /* code: exit status or signal */
	struct result res;
	char message[PROTO_MSG_LEN];
};

/* The tool's usage text, set first thing in main: the toolkit's option
 * parsers end with it too. */
extern const char *tk_usage_text;

/* Exit status 2 is every tool's "usage or setup error": the harness
 * failed, not the helper. tk_usage: the usage text on stderr. tk_fail:
 * "TOOL: WHAT: strerror(errno)". */
void __attribute__((noreturn)) tk_usage(void);
void __attribute__((noreturn)) tk_fail(const char *what);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t tk_now_ns(void);

/* Fork and exec helper with argv as the client does: fd 3 the child's
 * end of a SOCK_SEQPACKET socketpair, stdin /dev/null, stdout onto
 * stderr (both onto /dev/null if quiet), nothing else open. exec_fd, if
 * >= 0, is fd 4 until the exec (close-on-exec): its reader sees EOF once
 * the exec took effect, a byte if it failed. Our end into *sock. */
pid_t tk_spawn(const char *helper, char *const argv[], bool quiet,
	       int exec_fd, int *sock);

/* The request encoded into buf; its length. */
size_t tk_encode(const struct request *r, uint8_t *buf, size_t cap);

/* One record, errors ignored: a helper already gone is an outcome. */
void tk_send(int sock, const uint8_t *buf, size_t len);

/* One message, if one is ready within ms, into out (verdict or result);
 * false on EOF or none. */
bool tk_read_message(int sock, int ms, struct tk_outcome *out);

/* Messages until EOF or deadline_s; then sock is closed and the helper
 * must exit within 10 s (else hung, and killed if we may): how it ended
 * into out. */
void tk_collect(int sock, pid_t pid, int deadline_s, struct tk_outcome *out);

/* Whether anything is in dir (NULL: no marker check), emptied. */
bool tk_marker_seen(const char *dir);

/* -t TIER into the request. */
void tk_set_tier(struct request *r, const char *name);

/* -l NAME=VALUE: the limit's id and, in *value, VALUE unparsed (the tools
 * differ in what they accept). */
int tk_limit_arg(const char *arg, const char **value);

/* The operands after the options, HELPER MODE [--] [COMMAND [ARG...]]:
 * the command's words (NULL-terminated, maybe none). */
char **tk_operands(char **args, const char **helper, const char **mode);

/* The job's command: words, or /bin/true if there are none (a run needs
 * one). -1 if it breaks a protocol cap. */
int tk_add_command(struct request *r, char **words);

#endif

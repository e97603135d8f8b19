/*
 * The docker engine's HTTP API over its unix socket, for the few calls
 * the docker tiers make around `docker run` (inspect, remove, kill, the
 * runtime list): one short request each, where the docker CLI would cost
 * a Go program's start (~40 ms) per call.
 *
 * Strictly bounded: one HTTP/1.0 request per connection (the engine
 * answers without chunking and closes), a whole-exchange deadline, a
 * response size cap. Paths are built by the caller from checked names
 * only ([A-Za-z0-9_.-]): nothing here escapes.
 */
#ifndef SYMBI_HELPER_ENGINE_H
#define SYMBI_HELPER_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

/* A response body: NUL-terminated, len bytes. */
struct engine_reply {
	int status;       /* HTTP status, e.g. 200, 204, 404 */
	const char *body; /* into a static buffer, valid until the next call */
	size_t len;
};

/* Send "METHOD PATH" to the engine at host ("unix:///socket") and read
 * the whole answer within timeout_ms. Returns 0 and fills r, or -1 (no
 * engine, timeout, oversized or malformed answer) with errno set. */
int engine_request(const char *host, const char *method, const char *path,
		   int timeout_ms, struct engine_reply *r);

/* In the JSON object that starts at obj (its '{'), the value of the
 * member named key at that object's own level: a pointer to the value's
 * first byte, or NULL. Strings and nested values are skipped whole, so
 * nothing inside a string can pose as a member. */
const char *engine_json_member(const char *obj, const char *key);

/* Whether a container's State object (its '{') records the runtime's
 * exec step failing: the command missing or not executable. The docker
 * CLI exits 127 or 126 for any start error that says "no such file or
 * directory" or "permission denied", a bind mount's source that vanished
 * between the engine's check and the runtime's mount included (a -C path
 * swapped under the engine); only this one is the command's. */
bool engine_exec_failed(const char *state);

#endif

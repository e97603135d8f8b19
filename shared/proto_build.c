/*
 * The client's request builder. Strings are copied into r->arena so the
 * request owns everything it points to; struct request keeps no fill
 * pointer, so the end of the arena in use is found from the strings
 * already stored (at most a few hundred).
 */
#include "shared/proto.h"

#include <stdbool.h>
#include <string.h>

/* Offset just past s's NUL if s lives in the arena, else 0. */
static size_t end_in_arena(const struct request *r, const char *s)
{
	const char *a = r->arena;

	if (!s || s < a || s >= a + sizeof(r->arena))
		return 0;
	return (size_t)(s - a) + strlen(s) + 1;
}

static size_t max_end(const struct request *r, const char *const *v,
		      uint32_t n, size_t end)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		size_t e = end_in_arena(r, v[i]);

		if (e > end)
			end = e;
	}
	return end;
}

static size_t arena_used(const struct request *r)
{
	size_t end = end_in_arena(r, r->workdir);
	size_t e = end_in_arena(r, r->image);

	if (e > end)
		end = e;
	end = max_end(r, r->argv, r->argc, end);
	end = max_end(r, r->env, r->envc, end);
	return max_end(r, r->vol, r->volc, end);
}

/* A copy of s in the arena, or NULL if s is too long or does not fit. */
static const char *arena_copy(struct request *r, const char *s)
{
	size_t used = arena_used(r);
	size_t n;
	char *dst;

	if (!s || (n = strnlen(s, PROTO_MAX_STR + 1)) > PROTO_MAX_STR)
		return NULL;
	if (n + 1 > sizeof(r->arena) - used)
		return NULL;
	dst = r->arena + used;
	memcpy(dst, s, n + 1);
	return dst;
}

int proto_request_set_workdir(struct request *r, const char *s)
{
	const char *copy = arena_copy(r, s);

	if (!copy)
		return -1;
	r->workdir = copy;
	return 0;
}

int proto_request_set_image(struct request *r, const char *s)
{
	const char *copy = arena_copy(r, s);

	if (!copy)
		return -1;
	r->image = copy;
	return 0;
}

/* Append s to v[*n] (NULL-terminating v when it has room for that). */
static int add_to_list(struct request *r, const char **v, uint32_t *n,
		       uint32_t max, bool terminate, const char *s)
{
	const char *copy;

	if (*n >= max || !(copy = arena_copy(r, s)))
		return -1;
	v[(*n)++] = copy;
	if (terminate)
		v[*n] = NULL;
	return 0;
}

int proto_request_add_arg(struct request *r, const char *s)
{
	return add_to_list(r, r->argv, &r->argc, PROTO_MAX_ARGS, true, s);
}

int proto_request_add_env(struct request *r, const char *s)
{
	return add_to_list(r, r->env, &r->envc, PROTO_MAX_ENV, false, s);
}

int proto_request_add_volume(struct request *r, const char *s)
{
	return add_to_list(r, r->vol, &r->volc, PROTO_MAX_VOLUMES, false, s);
}

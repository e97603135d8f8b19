/*
 * Internal to policy/: the never-list, every environment name through
 * which the dynamic loader, libc, a shell or a common interpreter runs
 * code or loads files the job did not name. env_keep and env_allow may
 * not let such a name through; only an exact name the administrator
 * lists in env_allow_unsafe passes anyway. The table and the reason for
 * each entry are in envnames.c, the one place to extend.
 */
#ifndef SYMBI_POLICY_ENVNAMES_H
#define SYMBI_POLICY_ENVNAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/policy.h"

struct env_never {
	const char *name; /* the name, or with prefix set its beginning */
	bool prefix;
	const char *why;  /* "the dynamic loader preloads ..." */
};

/* The entry that name[len] falls under, or NULL. */
const struct env_never *env_never_name(const char *name, size_t len);

/* For a pattern PREFIX*: an entry some name beginning with prefix[len]
 * would fall under, or NULL. */
const struct env_never *env_never_pattern(const char *prefix, size_t len);

/* s is an env_allow entry: a name, or a name's beginning followed by
 * one '*' (AGENT_*). */
bool env_valid_pattern(const char *s);

/* name[len] is admitted by the entries of l (names or patterns). */
bool env_in_patterns(const struct strlist *l, const char *name, size_t len);

#endif

/*
 * Internal to policy/: what the policy file may say. One table of keys per
 * section; a key is added by adding one line to its table in schema.c.
 */
#ifndef SYMBI_POLICY_SCHEMA_H
#define SYMBI_POLICY_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

/* Zero *p but the rules past p->nrules, which are zeroed as each is
 * opened: at 256 rules the array is most of ~430 KB, and touching it
 * all faulted in every page of it in each helper. Nothing reads a rule
 * past nrules. */
void policy_clear(struct policy *p);

enum value_type { V_BOOL, V_INT, V_FLOAT, V_STR, V_ARRAY };

struct value_el {
	const char *s;
	unsigned line, col;
};

/* A parsed right-hand side, before it is checked against its key. */
struct value {
	enum value_type type;
	unsigned line, col;
	bool b;
	bool neg, overflow; /* V_INT: sign, magnitude beyond uint64 */
	uint64_t u;         /* V_INT: magnitude */
	const char *text;   /* V_INT, V_FLOAT: as written */
	size_t text_len;
	const char *s; /* V_STR */
	unsigned n;    /* V_ARRAY: elements kept */
	bool too_many; /* V_ARRAY: more than POLICY_MAX_STRS */
	unsigned too_line, too_col;
	struct value_el el[POLICY_MAX_STRS];
};

enum key_type {
	K_BOOL,
	K_STR,      /* checked by valid() */
	K_STRLIST,  /* each entry checked by valid() */
	K_TIER,     /* a tier name */
	K_TIERLIST, /* tier names, stored as a bit mask */
	K_LIMIT,    /* integer 1..max into policy_limits.lim.v[lim] */
	K_CORES,    /* number > 0, <= max, 3 decimals, as millicores */
	K_OUTPUT,   /* integer 1..max into policy_limits.max_output_bytes */
	K_JOBS,     /* integer 1..max into policy_limits.max_concurrent_jobs */
	K_U64,      /* integer 1..max into a uint64_t */
};

struct key_def {
	const char *name;
	enum key_type type;
	size_t off; /* from the section's base (struct policy or rule) */
	bool (*valid)(const char *s);
	const char *expect; /* what valid() accepts, for messages */
	int lim;
	uint64_t max;
};

enum section_id {
	SEC_SECURITY,
	SEC_NATIVE,
	SEC_ISOLATED,
	SEC_DOCKER,
	SEC_GVISOR,
	SEC_FIRECRACKER,
	SEC_RULE,
	SEC_COUNT,
};

struct section {
	const char *name;
	enum section_id id;
	bool is_array; /* [[name]] */
	const struct key_def *keys;
	unsigned nkeys;
	const char *alias; /* the seeds' name for the table, or NULL */
};

/* Room for every key of every plain table: each is set once at most. */
#define SCHEMA_MAX_SET 128

/* What the parser saw of the plain tables (not [[rule]]), for the checks
 * and defaults that span tables. */
struct schema_seen {
	unsigned line[SEC_COUNT]; /* first header of each table, 0 none */
	bool native_alias;        /* written [security.native_execution] */
	unsigned nset;
	struct schema_set {
		const struct key_def *k;
		const struct section *sec;
		unsigned line;
	} set[SCHEMA_MAX_SET];
};

/* The section of a table name, or of its seeds' alias (*alias set). */
const struct section *schema_section(const char *name, size_t len,
				     bool *alias);
/* Returns the key and its index in the section, or NULL. */
const struct key_def *schema_key(const struct section *sec, const char *name,
				 size_t len, unsigned *index);
/* Check v against k and store it at base + k->off, or report why not. */
void schema_apply(void *base, const struct key_def *k, const struct value *v,
		  struct policy_errors *errs);

/* Zero p, allocate its string store (room for every string of a text of
 * text_len bytes) and fill the defaults. Returns 0 or -1 (no memory). */
int schema_defaults(struct policy *p, size_t text_len);
/* k of sec, about to be set at line: the key of another table that set
 * the same field already (an alias and its original), or NULL; recorded
 * for the next call either way. */
const struct schema_set *schema_set_once(struct schema_seen *seen,
					 const struct section *sec,
					 const struct key_def *k,
					 unsigned line);
/* Defaults that depend on which tables and keys were written, then what
 * the tables say together that would fail every job of a tier. */
void schema_finish(struct policy *p, const struct schema_seen *seen,
		   struct policy_errors *errs);
/* The never-list (envnames.h) for env_keep and env_allow: k is such a
 * key; schema_env_never says whether entry may not pass.
 * schema_check_env reports it at line:col, once the whole policy is
 * read, unless env_allow_unsafe names the entry exactly. */
bool schema_env_checked(const struct key_def *k);
bool schema_env_never(const char *entry);
void schema_check_env(const struct policy *p, const char *key,
		      const char *entry, unsigned line, unsigned col,
		      struct policy_errors *errs);
/* A fixed run_as serving several callers needs run_as_shared (accounts.c). */
void schema_check_accounts(const struct policy *p, struct policy_errors *errs);
/* A rule must name someone and some tier. */
void schema_check_rule(const struct policy_rule *r, unsigned col,
		       struct policy_errors *errs);

#endif

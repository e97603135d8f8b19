/*
 * The policy schema: every section, every key, its type, where it is
 * stored, what values it accepts, and the defaults of SPEC's example.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/envnames.h"
#include "policy/lex.h"
#include "policy/schema.h"
#include "shared/util.h"

/* ---- value checks ------------------------------------------------------ */

static bool v_abs_path(const char *s)
{
	return valid_abs_path(s);
}

static bool v_work_base(const char *s)
{
	return valid_abs_path(s) && strcmp(s, "/") != 0;
}

static bool v_executable(const char *s)
{
	if (s[0] == '/')
		return valid_abs_path(s);
	return s[0] && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 &&
	       strlen(s) <= 255 && only_chars(s, "._+-");
}

static bool v_secure_path(const char *s)
{
	char dir[4096];
	const char *colon;
	size_t n;

	for (;;) {
		colon = strchr(s, ':');
		n = colon ? (size_t)(colon - s) : strlen(s);
		if (n >= sizeof(dir))
			return false;
		memcpy(dir, s, n);
		dir[n] = '\0';
		if (!valid_abs_path(dir))
			return false;
		if (!colon)
			return true;
		s = colon + 1;
	}
}

static bool v_env_name(const char *s)
{
	return valid_env_name(s, strlen(s));
}

static bool v_env_pattern(const char *s)
{
	return env_valid_pattern(s);
}

/* Where jobs' cgroups go: "inherit", or a cgroup below the root (never
 * the root itself: jobs go there only when their caller is there). */
static bool v_cgroup_parent(const char *s)
{
	return strcmp(s, "inherit") == 0 ||
	       (valid_abs_path(s) && strcmp(s, "/") != 0 && strlen(s) < 200 &&
		s[strlen(s) - 1] != '/' && only_chars(s, "/._@:-"));
}

static bool v_account(const char *s)
{
	return valid_account_name(s);
}

static bool v_run_as(const char *s)
{
	return !s[0] || (valid_account_name(s) && strcmp(s, "root") != 0);
}

static bool v_pool(const char *s)
{
	uid_t first, last;

	return policy_pool_range(s, &first, &last);
}

/* "caller", or three or four octal digits ("077", "0027"). */
static bool v_umask(const char *s)
{
	size_t n = strlen(s);

	if (strcmp(s, "caller") == 0)
		return true;
	if (n < 3 || n > 4 || (n == 4 && s[0] != '0'))
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '7')
			return false;
	return true;
}

static bool v_docker_host(const char *s)
{
	return strncmp(s, "unix:///", 8) == 0 && valid_abs_path(s + 7);
}

/* An image is one argument of docker run: it must never read as an
 * option, hence no leading '-'. */
static bool v_image(const char *s)
{
	return s[0] && s[0] != '-' && strlen(s) <= 255 &&
	       only_chars(s, "._/:@-");
}

/* One argument of docker run, so never an option; and never "host",
 * which would hand the job the host's network namespace. */
static bool v_network_mode(const char *s)
{
	const char *c;

	if (!s[0] || s[0] == '-' || strlen(s) > 128 || strcmp(s, "host") == 0)
		return false;
	for (c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		      *c == '_' || *c == '-'))
			return false;
	return true;
}

static bool v_runtime(const char *s)
{
	return s[0] != '-' && only_chars(s, "._-") && strlen(s) <= 64;
}

/* ---- the tables ------------------------------------------------------- */

#define AT(field) offsetof(struct policy, field)
#define IN_RULE(field) offsetof(struct policy_rule, field)

#define BOOL_KEY(name, off) { name, K_BOOL, off, NULL, NULL, 0, 0 }
#define STR_KEY(name, off, fn, what) { name, K_STR, off, fn, what, 0, 0 }
#define LIST_KEY(name, off, fn, what) { name, K_STRLIST, off, fn, what, 0, 0 }

/* The names are those of limit_name() in shared/names.c. */
#define LIMIT_KEYS(off)                                                      \
	{ "max_memory_mb", K_LIMIT, off, NULL, NULL, LIM_MEMORY_MB, 1048576 }, \
	{ "max_cpu_cores", K_CORES, off, NULL, NULL, LIM_CPU_MILLICORES,      \
	  1024 },                                                            \
	{ "max_cpu_seconds", K_LIMIT, off, NULL, NULL, LIM_CPU_SECONDS,       \
	  604800 },                                                          \
	{ "max_execution_time_seconds", K_LIMIT, off, NULL, NULL,            \
	  LIM_TIMEOUT_S, 604800 },                                           \
	{ "max_processes", K_LIMIT, off, NULL, NULL, LIM_PROCESSES, 4194304 }, \
	{ "max_file_size_mb", K_LIMIT, off, NULL, NULL, LIM_FILE_SIZE_MB,     \
	  1048576 },                                                         \
	{ "max_open_files", K_LIMIT, off, NULL, NULL, LIM_OPEN_FILES,         \
	  1048576 },                                                         \
	{ "kill_grace_seconds", K_LIMIT, off, NULL, NULL, LIM_KILL_GRACE_S,  \
	  3600 },                                                            \
	{ "max_output_bytes", K_OUTPUT, off, NULL, NULL, 0, 1073741824 },     \
	{ "max_concurrent_jobs", K_JOBS, off, NULL, NULL, 0, 65536 }

#define ABS "an absolute path"
#define RUNTIME "\"\" or a runtime name of [A-Za-z0-9._-], not starting " \
	"with '-'"
#define ACCOUNT "a user or group name"
#define ENV_PATTERN "a variable name, or its beginning followed by '*'"

static const struct key_def security_keys[] = {
	{ "default_sandbox_tier", K_TIER, AT(default_tier), NULL, NULL, 0, 0 },
	/* The seeds' switch for tier none: [native_execution] enabled. */
	BOOL_KEY("allow_native_execution", AT(native.enabled)),
	BOOL_KEY("audit_required", AT(audit_required)),
};

static const struct key_def native_keys[] = {
	BOOL_KEY("enabled", AT(native.enabled)),
	STR_KEY("default_executable", AT(native.default_executable),
		v_executable, "a bare command name or an absolute path"),
	STR_KEY("working_directory", AT(native.working_directory), v_work_base,
		"an absolute path other than /"),
	BOOL_KEY("enforce_resource_limits",
		 AT(native.enforce_resource_limits)),
	BOOL_KEY("private_workdir", AT(native.private_workdir)),
	LIST_KEY("allowed_executables", AT(native.allowed_executables),
		 v_executable, "a bare command name or an absolute path"),
	STR_KEY("secure_path", AT(native.secure_path), v_secure_path,
		"absolute paths separated by ':'"),
	LIST_KEY("env_keep", AT(native.env_keep), v_env_name,
		 "an environment variable name"),
	LIST_KEY("env_allow", AT(native.env_allow), v_env_pattern, ENV_PATTERN),
	LIST_KEY("env_allow_unsafe", AT(native.env_allow_unsafe), v_env_name,
		 "an environment variable name"),
	STR_KEY("umask", AT(native.umask), v_umask,
		"\"caller\" or octal digits such as \"077\""),
	STR_KEY("cgroup_parent", AT(native.cgroup_parent), v_cgroup_parent,
		"\"inherit\" or an absolute cgroup path of [A-Za-z0-9._@:-/] "
		"other than /"),
	{ "user_max_memory_mb", K_U64, AT(native.user_max_memory_mb), NULL,
	  NULL, 0, 67108864 },
	{ "user_max_processes", K_U64, AT(native.user_max_processes), NULL,
	  NULL, 0, 4194304 },
	LIMIT_KEYS(AT(native.lim)),
};

static const struct key_def isolated_keys[] = {
	BOOL_KEY("enabled", AT(isolated.enabled)),
	BOOL_KEY("network", AT(isolated.network)),
	LIST_KEY("read_only_binds", AT(isolated.read_only_binds), v_abs_path,
		 ABS),
	LIST_KEY("volume_roots", AT(isolated.volume_roots), v_abs_path, ABS),
	BOOL_KEY("writable_volumes", AT(isolated.writable_volumes)),
	LIMIT_KEYS(AT(isolated.lim)),
};

static const struct key_def docker_keys[] = {
	BOOL_KEY("enabled", AT(docker.enabled)),
	STR_KEY("docker_binary", AT(docker.docker_binary), v_abs_path, ABS),
	STR_KEY("docker_host", AT(docker.docker_host), v_docker_host,
		"unix:// followed by an absolute path"),
	LIST_KEY("allowed_images", AT(docker.allowed_images), v_image,
		 "an image name of [A-Za-z0-9._/:@-], not starting with '-'"),
	STR_KEY("network_mode", AT(docker.network_mode), v_network_mode,
		"\"none\", \"bridge\" or a network name of [a-z0-9_-], "
		"not \"host\", not starting with '-'"),
	STR_KEY("runtime", AT(docker.runtime), v_runtime,
		RUNTIME),
	LIMIT_KEYS(AT(docker.lim)),
};

static const struct key_def gvisor_keys[] = {
	BOOL_KEY("enabled", AT(gvisor.enabled)),
	STR_KEY("runtime", AT(gvisor.runtime), v_runtime,
		RUNTIME),
	LIMIT_KEYS(AT(gvisor.lim)),
};

static const struct key_def firecracker_keys[] = {
	STR_KEY("runtime", AT(firecracker.runtime), v_runtime,
		RUNTIME),
};

static const struct key_def rule_keys[] = {
	LIST_KEY("users", IN_RULE(users), v_account, ACCOUNT),
	LIST_KEY("groups", IN_RULE(groups), v_account, ACCOUNT),
	{ "tiers", K_TIERLIST, IN_RULE(tiers), NULL, NULL, 0, 0 },
	STR_KEY("run_as", IN_RULE(run_as), v_run_as,
		"\"\" or an account name other than root"),
	STR_KEY("run_as_pool", IN_RULE(run_as_pool), v_pool,
		"FIRST-LAST, unused uids from 1 to 2147483646, at most 65536"),
	BOOL_KEY("run_as_shared", IN_RULE(run_as_shared)),
	LIST_KEY("env_allow", IN_RULE(env_allow), v_env_pattern, ENV_PATTERN),
	LIMIT_KEYS(IN_RULE(lim)),
};

#define KEYS(t) (t), sizeof(t) / sizeof((t)[0])

static const struct section sections[SEC_COUNT] = {
	{ "security", SEC_SECURITY, false, KEYS(security_keys), NULL },
	{ "native_execution", SEC_NATIVE, false, KEYS(native_keys),
	  "security.native_execution" },
	{ "isolated", SEC_ISOLATED, false, KEYS(isolated_keys), NULL },
	{ "docker", SEC_DOCKER, false, KEYS(docker_keys), NULL },
	{ "gvisor", SEC_GVISOR, false, KEYS(gvisor_keys), NULL },
	{ "firecracker", SEC_FIRECRACKER, false, KEYS(firecracker_keys), NULL },
	{ "rule", SEC_RULE, true, KEYS(rule_keys), NULL },
};

static bool same_name(const char *name, const char *s, size_t len)
{
	return strlen(name) == len && memcmp(name, s, len) == 0;
}

static bool in_strlist(const struct strlist *l, const char *s)
{
	for (unsigned i = 0; i < l->n; i++)
		if (strcmp(l->s[i], s) == 0)
			return true;
	return false;
}

const struct section *schema_section(const char *name, size_t len,
				     bool *alias)
{
	unsigned i;

	for (i = 0; i < SEC_COUNT; i++) {
		*alias = sections[i].alias &&
			 same_name(sections[i].alias, name, len);
		if (*alias || same_name(sections[i].name, name, len))
			return &sections[i];
	}
	return NULL;
}

const struct schema_set *schema_set_once(struct schema_seen *seen,
					 const struct section *sec,
					 const struct key_def *k,
					 unsigned line)
{
	unsigned i;

	for (i = 0; i < seen->nset; i++)
		if (seen->set[i].k->off == k->off && seen->set[i].sec != sec)
			return &seen->set[i];
	if (seen->nset < SCHEMA_MAX_SET)
		seen->set[seen->nset++] = (struct schema_set){ k, sec, line };
	return NULL;
}

const struct key_def *schema_key(const struct section *sec, const char *name,
				 size_t len, unsigned *index)
{
	unsigned i;

	for (i = 0; i < sec->nkeys; i++)
		if (same_name(sec->keys[i].name, name, len)) {
			*index = i;
			return &sec->keys[i];
		}
	return NULL;
}

/* ---- applying a value --------------------------------------------------- */

static const char *value_type_name(enum value_type t)
{
	static const char *const names[] = { "a boolean", "an integer",
					     "a float", "a string",
					     "an array" };
	return names[t];
}

static const char *key_type_name(enum key_type t)
{
	switch (t) {
	case K_BOOL:
		return "a boolean";
	case K_STR:
	case K_TIER:
		return "a string";
	case K_STRLIST:
	case K_TIERLIST:
		return "an array of strings";
	case K_CORES:
		return "a number";
	default:
		return "an integer";
	}
}

static bool type_fits(const struct key_def *k, enum value_type t)
{
	switch (k->type) {
	case K_BOOL:
		return t == V_BOOL;
	case K_STR:
	case K_TIER:
		return t == V_STR;
	case K_STRLIST:
	case K_TIERLIST:
		return t == V_ARRAY;
	case K_CORES:
		return t == V_INT || t == V_FLOAT;
	default:
		return t == V_INT;
	}
}

static const char tier_choice[] =
	"none, isolated, docker, gvisor or firecracker";

static void apply_tier(void *base, const struct key_def *k,
		       const struct value *v, struct policy_errors *errs)
{
	int tier = tier_from_name(v->s);
	char b[48];

	if (tier < 0)
		policy_error_add(errs, v->line, v->col,
				 "%s: unknown tier \"%s\" (expected %s)",
				 k->name, policy_shown(v->s, b, sizeof(b)),
				 tier_choice);
	else
		*(int *)((char *)base + k->off) = tier;
}

static void apply_tierlist(void *base, const struct key_def *k,
			   const struct value *v, struct policy_errors *errs)
{
	uint32_t mask = 0;
	unsigned i;
	char b[48];
	int tier;

	for (i = 0; i < v->n; i++) {
		tier = tier_from_name(v->el[i].s);
		if (tier < 0)
			policy_error_add(errs, v->el[i].line, v->el[i].col,
					 "%s: unknown tier \"%s\" (expected "
					 "%s)", k->name,
					 policy_shown(v->el[i].s, b, sizeof(b)),
					 tier_choice);
		else
			mask |= 1u << tier;
	}
	*(uint32_t *)((char *)base + k->off) = mask;
}

static void apply_str(void *base, const struct key_def *k,
		      const struct value *v, struct policy_errors *errs)
{
	char b[48];

	if (!k->valid(v->s))
		policy_error_add(errs, v->line, v->col,
				 "%s: invalid value \"%s\" (expected %s)",
				 k->name, policy_shown(v->s, b, sizeof(b)), k->expect);
	else
		*(char **)((char *)base + k->off) = (char *)v->s;
}

static void apply_strlist(void *base, const struct key_def *k,
			  const struct value *v, struct policy_errors *errs)
{
	struct strlist *l = (struct strlist *)((char *)base + k->off);
	unsigned i;
	char b[48];

	if (v->too_many)
		policy_error_add(errs, v->too_line, v->too_col,
				 "%s: too many entries (at most %d)", k->name,
				 POLICY_MAX_STRS);
	l->n = 0;
	for (i = 0; i < v->n; i++) {
		if (!k->valid(v->el[i].s))
			policy_error_add(errs, v->el[i].line, v->el[i].col,
					 "%s: invalid entry \"%s\" (expected "
					 "%s)", k->name,
					 policy_shown(v->el[i].s, b, sizeof(b)),
					 k->expect);
		else
			l->s[l->n++] = (char *)v->el[i].s;
	}
}

/* "4", "4.0", "0.125": at most three decimals, stored as millicores. */
static bool cores_value(const struct value *v, uint64_t max, uint64_t *milli)
{
	const char *dot, *end = v->text + v->text_len;
	uint64_t frac = 0, scale = 100;

	if (v->neg || v->overflow || v->u > max)
		return false;
	*milli = v->u * 1000;
	if (v->type == V_FLOAT) {
		/* The parser classified the text as -?[0-9]+.[0-9]+ */
		dot = memchr(v->text, '.', v->text_len);
		if (end - dot - 1 > 3)
			return false;
		for (; ++dot < end; scale /= 10)
			frac += (uint64_t)(*dot - '0') * scale;
		*milli += frac;
	}
	return *milli >= 1 && *milli <= max * 1000;
}

static void apply_number(void *base, const struct key_def *k,
			 const struct value *v, struct policy_errors *errs)
{
	struct policy_limits *pl =
		(struct policy_limits *)((char *)base + k->off);
	uint64_t n = v->u;

	if (k->type == K_CORES && !cores_value(v, k->max, &n)) {
		policy_error_add(errs, v->line, v->col,
				 "%s: %.*s is out of range (more than 0, at "
				 "most %llu, at most 3 decimals)",
				 k->name, (int)v->text_len, v->text,
				 (unsigned long long)k->max);
		return;
	}
	if (k->type != K_CORES && (v->neg || v->overflow || n < 1 ||
				   n > k->max)) {
		policy_error_add(errs, v->line, v->col,
				 "%s: %.*s is out of range (1 to %llu)",
				 k->name, (int)v->text_len, v->text,
				 (unsigned long long)k->max);
		return;
	}
	if (k->type == K_U64) {
		*(uint64_t *)((char *)base + k->off) = n;
	} else if (k->type == K_OUTPUT) {
		pl->max_output_bytes = n;
		pl->output_set = true;
	} else if (k->type == K_JOBS) {
		pl->max_concurrent_jobs = n;
		pl->jobs_set = true;
	} else {
		pl->lim.v[k->lim] = n;
		pl->lim.set |= 1u << k->lim;
	}
}

void schema_apply(void *base, const struct key_def *k, const struct value *v,
		  struct policy_errors *errs)
{
	if (!type_fits(k, v->type)) {
		policy_error_add(errs, v->line, v->col,
				 "%s: expected %s, found %s", k->name,
				 key_type_name(k->type),
				 value_type_name(v->type));
		return;
	}
	switch (k->type) {
	case K_BOOL:
		*(bool *)((char *)base + k->off) = v->b;
		break;
	case K_STR:
		apply_str(base, k, v, errs);
		break;
	case K_STRLIST:
		apply_strlist(base, k, v, errs);
		break;
	case K_TIER:
		apply_tier(base, k, v, errs);
		break;
	case K_TIERLIST:
		apply_tierlist(base, k, v, errs);
		break;
	default:
		apply_number(base, k, v, errs);
		break;
	}
}

/* ---- defaults ------------------------------------------------------------ */

/* Room for the default strings below, with their NULs. */
#define DEFAULTS_ROOM 512

static char *put(struct policy *p, const char *s)
{
	size_t n = strlen(s) + 1;
	char *at = p->strings + p->strings_len;

	memcpy(at, s, n);
	p->strings_len += n;
	return at;
}

static void put_list(struct policy *p, struct strlist *l,
		     const char *const *items, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		l->s[i] = put(p, items[i]);
	l->n = n;
}

static void default_limits(struct policy_limits *pl)
{
	static const uint64_t v[LIM_COUNT] = {
		[LIM_MEMORY_MB] = 2048,   [LIM_CPU_MILLICORES] = 4000,
		[LIM_CPU_SECONDS] = 300,  [LIM_TIMEOUT_S] = 300,
		[LIM_PROCESSES] = 256,    [LIM_FILE_SIZE_MB] = 1024,
		[LIM_OPEN_FILES] = 1024,  [LIM_KILL_GRACE_S] = 5,
	};

	memcpy(pl->lim.v, v, sizeof(v));
	pl->lim.set = LIM_ALL_MASK;
	pl->max_output_bytes = 10485760;
	pl->output_set = true;
	pl->max_concurrent_jobs = 64;
	pl->jobs_set = true;
}

void policy_clear(struct policy *p)
{
	unsigned used = p->nrules < POLICY_MAX_RULES ? p->nrules
						     : POLICY_MAX_RULES;

	memset(p->rules, 0, used * sizeof(p->rules[0]));
	memset(p, 0, offsetof(struct policy, rules));
	memset(&p->strings, 0, sizeof(*p) - offsetof(struct policy, strings));
}

int schema_defaults(struct policy *p, size_t text_len)
{
	static const char *const env_keep[] = { "LANG", "LC_ALL", "TERM",
						"TZ" };
	static const char *const binds[] = { "/usr", "/bin", "/lib", "/lib64",
					      "/etc" };

	policy_clear(p);
	p->strings_cap = text_len + 1 + DEFAULTS_ROOM;
	p->strings = malloc(p->strings_cap);
	if (!p->strings)
		return -1;
	p->default_tier = TIER_NONE;
	p->native.enabled = true;
	p->native.default_executable = put(p, "bash");
	p->native.working_directory = put(p, "/var/lib/symbi-exec/work");
	p->native.enforce_resource_limits = true;
	default_limits(&p->native.lim);
	p->native.secure_path = put(p, "/usr/local/bin:/usr/bin:/bin");
	p->native.umask = put(p, "077");
	p->native.cgroup_parent = put(p, "inherit");
	put_list(p, &p->native.env_keep, env_keep, 4);
	put_list(p, &p->isolated.read_only_binds, binds, 5);
	p->docker.docker_binary = put(p, "/usr/bin/docker");
	p->docker.docker_host = put(p, "unix:///var/run/docker.sock");
	p->docker.network_mode = put(p, "none");
	p->docker.runtime = put(p, "");
	p->gvisor.runtime = put(p, "runsc");
	p->firecracker.runtime = put(p, "");
	return 0;
}

/* The ceiling of limit id a table grants on top of native's. */
static uint64_t over_native(const struct policy *p,
			    const struct policy_limits *tier, int id)
{
	if (tier->lim.set & (1u << id))
		return tier->lim.v[id];
	return p->native.lim.lim.v[id];
}

/* What no single key can say wrong, but fails every job of a tier at
 * run time: refused here, so that --check-policy says so. */
static void check_tables(const struct policy *p,
			 const unsigned seen_line[SEC_COUNT],
			 struct policy_errors *errs)
{
	if (p->gvisor.enabled && !p->gvisor.runtime[0])
		policy_error_add(errs, seen_line[SEC_GVISOR], 1,
				 "[gvisor] is enabled but its runtime is "
				 "\"\": no gvisor job could run");
	if (p->isolated.enabled &&
	    over_native(p, &p->isolated.lim, LIM_PROCESSES) < 2)
		policy_error_add(errs, seen_line[SEC_ISOLATED], 1,
				 "[isolated] max_processes is below 2: an "
				 "isolated job is its init and the job");
	if (p->docker.enabled &&
	    over_native(p, &p->docker.lim, LIM_CPU_MILLICORES) < 10)
		policy_error_add(errs, seen_line[SEC_DOCKER], 1,
				 "[docker] max_cpu_cores is below 0.01, the "
				 "least docker accepts");
	if (p->gvisor.enabled &&
	    over_native(p, &p->gvisor.lim, LIM_CPU_MILLICORES) < 10)
		policy_error_add(errs, seen_line[SEC_GVISOR], 1,
				 "[gvisor] max_cpu_cores is below 0.01, the "
				 "least docker accepts");
}

static bool key_was_set(const struct schema_seen *seen, size_t off)
{
	unsigned i;

	for (i = 0; i < seen->nset; i++)
		if (seen->set[i].k->off == off)
			return true;
	return false;
}

void schema_finish(struct policy *p, const struct schema_seen *seen,
		   struct policy_errors *errs)
{
	/* Native execution is opt-in: a policy that never mentions it
	 * grants no tier none, and in the seeds' form it takes
	 * allow_native_execution = true (their default is false). */
	if (!key_was_set(seen, AT(native.enabled)) &&
	    (!seen->line[SEC_NATIVE] || seen->native_alias))
		p->native.enabled = false;
	check_tables(p, seen->line, errs);
}

bool schema_env_checked(const struct key_def *k)
{
	return strcmp(k->name, "env_keep") == 0 ||
	       strcmp(k->name, "env_allow") == 0;
}

static const struct env_never *env_never_entry(const char *entry,
					       bool *pattern)
{
	size_t n = strlen(entry);

	*pattern = n > 1 && entry[n - 1] == '*';
	return *pattern ? env_never_pattern(entry, n - 1)
			: env_never_name(entry, n);
}

bool schema_env_never(const char *entry)
{
	bool pattern;

	return env_never_entry(entry, &pattern) != NULL;
}

void schema_check_env(const struct policy *p, const char *key,
		      const char *entry, unsigned line, unsigned col,
		      struct policy_errors *errs)
{
	bool pattern;
	const struct env_never *e = env_never_entry(entry, &pattern);
	char b[48];

	if (!e || (!pattern && in_strlist(&p->native.env_allow_unsafe, entry)))
		return;
	policy_shown(entry, b, sizeof(b));
	if (pattern)
		policy_error_add(errs, line, col, "%s: %s may not pass: it "
				 "covers %s%s (%s)", key, b, e->name,
				 e->prefix ? "*" : "", e->why);
	else
		policy_error_add(errs, line, col, "%s: %s may not pass: %s "
				 "(env_allow_unsafe can name it)", key, b,
				 e->why);
}

void schema_check_rule(const struct policy_rule *r, unsigned col,
		       struct policy_errors *errs)
{
	if (r->users.n == 0 && r->groups.n == 0)
		policy_error_add(errs, r->line, col,
				 "rule names no users and no groups");
	if (r->tiers == 0)
		policy_error_add(errs, r->line, col, "rule names no tiers");
	if (r->run_as && r->run_as[0] && r->run_as_pool)
		policy_error_add(errs, r->line, col, "rule gives both run_as "
				 "and run_as_pool: choose one");
}

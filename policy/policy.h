/*
 * The policy: a strict TOML subset (see symbi-exec.policy(5)), parsed by
 * policy_parse into struct policy, file trust checked by policy_load, and
 * judged by policy_judge / policy_listing. The same code serves the
 * setuid helper (authoritative) and the client's --check-policy.
 *
 * Nothing here makes a system call except policy_load/policy_read_file.
 */
#ifndef SYMBI_POLICY_H
#define SYMBI_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../shared/proto.h"

#define POLICY_MAX_BYTES (1024 * 1024)
#define POLICY_MAX_ERRORS 64
#define POLICY_MAX_STRS 64   /* entries in one string array */
#define POLICY_MAX_RULES 256
#define POLICY_MAX_NAME 64   /* user, group, run_as names */
#define POLICY_MAX_GROUPS 1024 /* a caller's groups: all the kernel allows
				  the helper to read (helper/invocation.c) */

struct policy_error {
	unsigned line; /* 1-based; 0 = about the file, not a place in it */
	unsigned col;  /* 1-based */
	char msg[200];
};

/* Only the first min(count, POLICY_MAX_ERRORS) entries of e are set. */
struct policy_errors {
	unsigned count; /* all errors found; only the first POLICY_MAX_ERRORS kept */
	struct policy_error e[POLICY_MAX_ERRORS];
};

struct strlist {
	unsigned n;
	char *s[POLICY_MAX_STRS];
};

/* A table's or rule's limit keys; lim.set says which were written. */
struct policy_limits {
	struct limits lim;
	uint64_t max_output_bytes;
	bool output_set;
	uint64_t max_concurrent_jobs; /* per caller, all their jobs at once */
	bool jobs_set;
};

struct policy_rule {
	unsigned line;
	struct strlist users;
	struct strlist groups;
	uint32_t tiers; /* bit (1 << enum tier) */
	struct policy_limits lim;
	char *run_as; /* NULL or "": the caller */
	char *run_as_pool;   /* NULL or "FIRST-LAST": a uid per job */
	bool run_as_shared;  /* run_as may serve several callers */
	struct strlist env_allow; /* added to native.env_allow */
};

struct policy {
	int default_tier; /* [security] default_sandbox_tier; TIER_NONE */
	bool audit_required; /* [security]: no job when no audit line can
				be kept (syslog nor the helper's file) */

	struct {
		bool enabled; /* default false when the table is absent */
		char *default_executable;
		char *working_directory; /* absolute */
		bool enforce_resource_limits;
		/* jobs that choose no directory (-C) get a fresh one
		 * under working_directory, not the caller's */
		bool private_workdir;
		struct policy_limits lim; /* ceilings and defaults, every tier */
		struct strlist allowed_executables; /* bare names or absolute */
		char *secure_path;
		struct strlist env_keep;
		struct strlist env_allow;        /* names and PREFIX* for -e */
		struct strlist env_allow_unsafe; /* exempt from the never-list */
		char *umask; /* "077" (default), octal, or "caller" */
		/* "inherit": below the caller's own cgroup; else an absolute
		 * cgroup path, the same in every hierarchy. */
		char *cgroup_parent;
		/* Totals of one user's jobs together, on the per-user parent
		 * of an admin's cgroup_parent; 0 unset. */
		uint64_t user_max_memory_mb, user_max_processes;
	} native;

	struct {
		bool enabled;
		bool network;
		struct strlist read_only_binds;
		struct strlist volume_roots; /* every tier that takes volumes */
		bool writable_volumes; /* may a volume be :rw; default false */
		struct policy_limits lim; /* overrides native for this tier */
	} isolated;

	struct {
		bool enabled;
		char *docker_binary;
		char *docker_host; /* "unix:///var/run/docker.sock" default */
		struct strlist allowed_images;
		char *network_mode; /* "none" default */
		char *runtime;      /* "" = engine default */
		struct policy_limits lim;
	} docker;

	struct {
		bool enabled;
		char *runtime; /* "runsc" default */
		struct policy_limits lim;
	} gvisor;

	struct {
		char *runtime; /* NULL/"": tier refused */
	} firecracker;

	unsigned nrules;
	struct policy_rule rules[POLICY_MAX_RULES];

	char *strings; /* one allocation holding every string above */
	size_t strings_len, strings_cap;
};

/* The caller, as the kernel says: every group of its credentials
 * (helper/helper.h's struct creds), each with its name for the rules. */
struct identity {
	uid_t uid;
	gid_t gid;
	char user[POLICY_MAX_NAME];
	unsigned ngroups;
	gid_t gids[POLICY_MAX_GROUPS];
	char groups[POLICY_MAX_GROUPS][POLICY_MAX_NAME];
};

/* What policy_judge decided. On allow: status 0, every limit set. */
struct decision {
	int status; /* 0 allow, 125 deny, 127 command not allowed */
	char message[PROTO_MSG_LEN];
	int tier;
	const struct policy_rule *rule;
	struct limits lim;
	uint64_t max_output_bytes;
	bool network;
	const char *network_mode; /* docker tiers: --network=, else NULL */
	const char *runtime;      /* docker tiers: --runtime= ("" none) */
	const char *run_as; /* NULL: the caller (or the pool) */
	uid_t pool_first, pool_last; /* a pool uid per job; 0 0 none */
	/* The job runs as another account than its caller's (run_as,
	 * run_as_pool): it may make no set-user-id or set-group-id file,
	 * which its caller could run to become that account. */
	bool no_setid;
	uint64_t max_concurrent_jobs;
	/* Where the job starts: the request's directory (the caller's, or
	 * -C DIR), or NULL for a fresh private one under working_directory
	 * (--private, or the policy's private_workdir). */
	const char *workdir;
};

/* Parse text[len]. Collects every error (sorted by position) into errs.
 * Returns 0 and fills *p when there are none; else -1 and *p is freed.
 * Pure: no I/O. */
int policy_parse(const char *text, size_t len, struct policy *p,
		 struct policy_errors *errs);
void policy_free(struct policy *p);

/* Open path (no symlink anywhere on it), check trust on the opened
 * descriptors: a regular file owned by root, not writable by group or
 * others, at most POLICY_MAX_BYTES, every directory from / down owned by
 * root and not writable by group or others. Then parse. Trust failures
 * are reported as errors with line 0. Returns 0 or -1. */
int policy_load(const char *path, struct policy *p, struct policy_errors *errs);

/* Parse without trust checks (--check-policy=FILE for a draft); same
 * size and NUL checks. */
int policy_load_untrusted(const char *path, struct policy *p,
			  struct policy_errors *errs);

/* Decide a request. Checks: tier known, enabled and (firecracker/gvisor)
 * configured; a rule names the caller and the tier (first match wins);
 * every requested limit within the ceiling (message names option, both
 * values and tier, e.g. "--max-memory=4096 exceeds the policy ceiling of
 * 2048 MB for tier none"); --network allowed; --env names in env_keep,
 * the table's or the rule's env_allow, off the never-list, and
 * values without NUL; for docker tiers the image in allowed_images;
 * executable name (argv[0]) syntactically allowed: a bare name must be in
 * allowed_executables, a path is resolved later by the helper. Does not
 * touch the filesystem. */
void policy_judge(const struct policy *p, const struct identity *id,
		  const struct request *req, struct decision *d);

/* Whether the judge refuses every job of rule r in tier: one of another
 * account than its caller's (run_as, run_as_pool) in a container tier,
 * which could leave a set-user-id file of that account on the host.
 * Pure; the judge's own rule, which policy_warnings also reports. */
bool policy_tier_refuses_account(const struct policy_rule *r, int tier);

/* Fill what p grants id, for --list. */
void policy_listing(const struct policy *p, const struct identity *id,
		    struct listing *out);

/* What a valid policy allows that the administrator should know about
 * (a run_as account shared by several callers): one message per finding
 * into w, as errors are. Pure. */
void policy_warnings(const struct policy *p, struct policy_errors *w);

/* The reason a supplementary group of a run_as account grants privilege
 * (root, sudo, disk, docker, shadow, adm...), or NULL. By name, and gid 0
 * whatever its name. The list is in policy/accounts.c. */
const char *policy_group_privileged(const char *name, gid_t gid);

/* run_as_pool's "FIRST-LAST" (both 1..2147483646, FIRST <= LAST, at
 * most 65536 uids): true and the bounds, or false. */
bool policy_pool_range(const char *s, uid_t *first, uid_t *last);

/* The umask jobs run with: the policy's umask key ("077" by default), or
 * -1 for "caller" (the caller's own). */
int policy_job_umask(const struct policy *p);

/* Format "line:col: msg" (or "msg" for line 0) for one error. */
void policy_error_format(const struct policy_error *e, char *buf, size_t cap);

#endif

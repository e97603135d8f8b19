/* Command line and SYMBIONT_* defaults of symbi-exec(1). */
#include "client/options.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/units.h"
#include "client/usage.h"
#include "policy/volume.h"
#include "paths.h"
#include "shared/log.h"
#include "shared/util.h"

enum {
	OPT_NATIVE = 256,
	OPT_KEEP_WORKDIR,
	OPT_PRIVATE,
	OPT_NETWORK,
	OPT_IMAGE,
	OPT_JSON,
	OPT_PTY,
	OPT_NO_PTY,
	OPT_DRY_RUN,
	OPT_CHECK_POLICY,
	OPT_VERBOSE,
	OPT_VERSION,
	OPT_LIMIT, /* OPT_LIMIT + enum limit_id */
};

static const struct option long_opts[] = {
	{ "sandbox-tier", required_argument, NULL, 't' },
	{ "native", no_argument, NULL, OPT_NATIVE },
	{ "max-memory", required_argument, NULL, OPT_LIMIT + LIM_MEMORY_MB },
	{ "max-cpu", required_argument, NULL, OPT_LIMIT + LIM_CPU_MILLICORES },
	{ "max-cpu-seconds", required_argument, NULL,
	  OPT_LIMIT + LIM_CPU_SECONDS },
	{ "timeout", required_argument, NULL, OPT_LIMIT + LIM_TIMEOUT_S },
	{ "max-processes", required_argument, NULL, OPT_LIMIT + LIM_PROCESSES },
	{ "max-file-size", required_argument, NULL,
	  OPT_LIMIT + LIM_FILE_SIZE_MB },
	{ "max-open-files", required_argument, NULL,
	  OPT_LIMIT + LIM_OPEN_FILES },
	{ "kill-after", required_argument, NULL,
	  OPT_LIMIT + LIM_KILL_GRACE_S },
	{ "workdir", required_argument, NULL, 'C' },
	{ "keep-workdir", no_argument, NULL, OPT_KEEP_WORKDIR },
	{ "private", no_argument, NULL, OPT_PRIVATE },
	{ "env", required_argument, NULL, 'e' },
	{ "network", no_argument, NULL, OPT_NETWORK },
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "volume", required_argument, NULL, 'v' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "pty", no_argument, NULL, OPT_PTY },
	{ "no-pty", no_argument, NULL, OPT_NO_PTY },
	{ "list", no_argument, NULL, 'l' },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "check-policy", optional_argument, NULL, OPT_CHECK_POLICY },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Leading '+': stop at COMMAND, whose own options are never ours.
 * ':' right after it: report a missing argument ourselves. */
static const char short_opts[] = "+:t:C:e:v:lqh";

/* Syntax bounds only; the policy sets the real ceilings. */
static const uint64_t limit_max[LIM_COUNT] = {
	[LIM_MEMORY_MB] = UINT64_C(1) << 24,      /* 16 TiB */
	[LIM_CPU_MILLICORES] = UINT64_C(4096000), /* 4096 cores */
	[LIM_CPU_SECONDS] = UINT64_C(31622400),   /* a leap year */
	[LIM_TIMEOUT_S] = UINT64_C(31622400),
	[LIM_PROCESSES] = UINT64_C(4194304),      /* PID_MAX_LIMIT */
	[LIM_FILE_SIZE_MB] = UINT64_C(1) << 24,
	[LIM_OPEN_FILES] = UINT64_C(1) << 30,
	[LIM_KILL_GRACE_S] = UINT64_C(3600),
};

enum limit_kind { KIND_COUNT, KIND_CORES, KIND_SIZE, KIND_TIME };

static enum limit_kind limit_kind(int id)
{
	switch (id) {
	case LIM_CPU_MILLICORES: return KIND_CORES;
	case LIM_MEMORY_MB: case LIM_FILE_SIZE_MB: return KIND_SIZE;
	case LIM_CPU_SECONDS: case LIM_TIMEOUT_S: case LIM_KILL_GRACE_S:
		return KIND_TIME;
	default: return KIND_COUNT;
	}
}

static void __attribute__((noreturn))
bad_limit(int id, const char *what, const char *val, int rc)
{
	uint64_t max = limit_max[id];

	switch (limit_kind(id)) {
	case KIND_CORES:
		die("%s: invalid value '%s' (expected a number of cores from "
		    "0.001 to %" PRIu64 ", at most 3 decimals)",
		    what, val, max / 1000);
	case KIND_SIZE:
		if (rc == UNITS_FRACTION)
			die("%s: %s is not a whole number of MiB", what, val);
		die("%s: invalid value '%s' (expected a size from 1 to %" PRIu64
		    " MiB: a plain number of MiB, or a whole number with K, M "
		    "or G, as 512M or 2G)",
		    what, val, max);
	case KIND_TIME:
		die("%s: invalid value '%s' (expected a time from 1 to %" PRIu64
		    " s: a plain number of seconds, or a whole number with s, m "
		    "or h, as 90s, 10m or 2h)",
		    what, val, max);
	default:
		die("%s: invalid value '%s' (expected a whole number from 1 "
		    "to %" PRIu64 ")",
		    what, val, max);
	}
}

/* what: the option or variable the value came from, for messages. */
static void set_limit(struct opts *o, int id, const char *what,
		      const char *val)
{
	uint64_t v;
	int rc;

	switch (limit_kind(id)) {
	case KIND_CORES: rc = parse_cores(val, limit_max[id], &v); break;
	case KIND_SIZE: rc = units_size_mib(val, limit_max[id], &v); break;
	case KIND_TIME: rc = units_seconds(val, limit_max[id], &v); break;
	default: rc = parse_u64(val, limit_max[id], &v); break;
	}
	if (rc != 0)
		bad_limit(id, what, val, rc);
	o->lim.v[id] = v;
	o->lim.set |= 1u << id;
}

static void set_tier(struct opts *o, const char *what, const char *val)
{
	int t = tier_from_name(val);

	if (t < 0)
		die("%s: unknown tier '%s' (expected none, isolated, docker, "
		    "gvisor or firecracker)",
		    what, val);
	o->tier = t;
}

/* The helper must see the directory the caller means, whatever its own
 * current directory: send a canonical absolute path. */
static void set_workdir(struct opts *o, const char *what, const char *val)
{
	char *path;

	if (*val == '\0')
		die("%s: empty directory name", what);
	path = realpath(val, NULL);
	if (!path)
		die("%s: cannot use '%s': %s", what, val, strerror(errno));
	free(o->workdir);
	o->workdir = path;
	o->workdir_chosen = true;
}

/* By default the job starts where the caller is, as with sudo or
 * timeout(1). getcwd gives the path the kernel resolved, no symlink in
 * it; the helper checks it again as the caller. */
static void set_current_dir(struct opts *o)
{
	char *path = getcwd(NULL, 0);

	if (!path || path[0] != '/')
		die("cannot use the current directory as the job's: %s (cd "
		    "elsewhere, give -C DIR, or use --private)",
		    path ? "it is unreachable" : strerror(errno));
	o->workdir = path;
}

/* -e NAME=VALUE, or -e NAME for the caller's own value (as docker run
 * does; a NAME the caller has not set is left out). The helper judges
 * every name itself; the value goes into the request only. */
static void add_env(struct opts *o, const char *val)
{
	const char *eq = strchr(val, '='), *v;
	size_t n = eq ? (size_t)(eq - val) : strlen(val);
	char *entry;

	if (!valid_env_name(val, n))
		die("--env: invalid '%s' (expected NAME=VALUE or NAME, NAME "
		    "made of letters, digits and '_', not starting with a "
		    "digit)", val);
	if (o->nenv == PROTO_MAX_ENV)
		die("--env: too many variables (at most %u)", PROTO_MAX_ENV);
	if (!eq) {
		v = getenv(val);
		if (!v)
			return;
		if (asprintf(&entry, "%s=%s", val, v) < 0)
			die("out of memory");
		val = entry;
	}
	o->env[o->nenv++] = val;
}

/* A relative source is the caller's: made absolute against the current
 * directory here, since the helper takes absolute paths only. Then the
 * parse the judge makes again, for a message before anything starts. */
static void add_volume(struct opts *o, const char *val)
{
	static struct volume v;
	char err[PROTO_MSG_LEN], *cwd = NULL, *abs;
	size_t cap;

	if (o->nvol == PROTO_MAX_VOLUMES)
		die("--volume: too many volumes (at most %u)",
		    PROTO_MAX_VOLUMES);
	if (val[0] != '/' && val[0] != '\0' && !(cwd = getcwd(NULL, 0)))
		die("--volume %s: a relative source needs the current "
		    "directory: %s", val, strerror(errno));
	cap = strlen(val) + (cwd ? strlen(cwd) : 0) + 2;
	abs = malloc(cap);
	if (!abs || volume_absolute(val, cwd, abs, cap) != 0)
		die("out of memory");
	free(cwd);
	if (volume_parse(abs, &v, err, sizeof(err)) != 0)
		die("%s", err);
	o->vol[o->nvol++] = abs;
}

static void set_action(struct opts *o, enum opts_action a)
{
	if (o->action != ACT_RUN && o->action != a)
		die("--list, --dry-run and --check-policy exclude each other");
	o->action = a;
}

static const char *option_name(int val)
{
	const struct option *lo;

	for (lo = long_opts; lo->name; lo++)
		if (lo->val == val)
			return lo->name;
	return "?";
}

/* Edits (insert, delete, replace, swap two neighbours) from a[0..n) to
 * b, at most 32 bytes each; larger counts as far. */
static size_t edits(const char *a, size_t n, const char *b)
{
	size_t m = strlen(b), d[33][33], i, k, best;

	if (n > 32 || m > 32)
		return SIZE_MAX;
	for (i = 0; i <= n; i++)
		for (k = 0; k <= m; k++) {
			if (i == 0 || k == 0) {
				d[i][k] = i + k;
				continue;
			}
			best = d[i - 1][k - 1] + (a[i - 1] != b[k - 1]);
			if (d[i - 1][k] + 1 < best)
				best = d[i - 1][k] + 1;
			if (d[i][k - 1] + 1 < best)
				best = d[i][k - 1] + 1;
			if (i > 1 && k > 1 && a[i - 1] == b[k - 2] &&
			    a[i - 2] == b[k - 1] && d[i - 2][k - 2] + 1 < best)
				best = d[i - 2][k - 2] + 1;
			d[i][k] = best;
		}
	return d[n][m];
}

/* The long option closest to "--word[=value]", if a typo away (two
 * edits at most, one for a short word), else NULL. */
static const char *closest_option(const char *arg)
{
	const char *word = arg + 2, *best = NULL;
	size_t n = strcspn(word, "="), e, min = n > 4 ? 3 : 2;
	const struct option *lo;

	for (lo = long_opts; lo->name; lo++) {
		e = edits(word, n, lo->name);
		if (e < min) {
			min = e;
			best = lo->name;
		}
	}
	return best;
}

static void bad_option(int c, char **argv)
{
	const char *arg = argv[optind - 1], *near;

	if (c == ':' && strncmp(arg, "--", 2) == 0)
		die("option '%s' needs a value (see symbi-exec --help)", arg);
	if (c == ':')
		die("option '-%c' needs a value (see symbi-exec --help)",
		    optopt);
	if (optopt == 0 && strncmp(arg, "--", 2) == 0 &&
	    (near = closest_option(arg)) != NULL)
		die("unknown option '%s': did you mean --%s? (see symbi-exec "
		    "--help)", arg, near);
	if (optopt == 0)
		die("unknown option '%s' (see symbi-exec --help)", arg);
	if (optopt < 256 && !strchr(short_opts + 2, optopt))
		die("unknown option '-%c' (see symbi-exec --help)", optopt);
	die("option '--%s' takes no value (see symbi-exec --help)",
	    option_name(optopt));
}

static void handle_option(struct opts *o, int c, char **argv)
{
	switch (c) {
	case 't': set_tier(o, "--sandbox-tier", optarg); break;
	case OPT_NATIVE: o->tier = TIER_NONE; break;
	case OPT_LIMIT ... OPT_LIMIT + LIM_COUNT - 1:
		set_limit(o, c - OPT_LIMIT, limit_option(c - OPT_LIMIT),
			  optarg);
		break;
	case 'C': set_workdir(o, "--workdir", optarg); break;
	case OPT_KEEP_WORKDIR: o->keep_workdir = true; break;
	case OPT_PRIVATE: o->private_dir = true; break;
	case 'e': add_env(o, optarg); break;
	case OPT_NETWORK: o->network = true; break;
	case OPT_IMAGE:
		if (*optarg == '\0')
			die("--image: empty image name");
		o->image = optarg;
		break;
	case 'v': add_volume(o, optarg); break;
	case OPT_JSON: o->json = true; break;
	case OPT_PTY: o->pty_mode = 1; break;
	case OPT_NO_PTY: o->pty_mode = -1; break;
	case 'l': set_action(o, ACT_LIST); break;
	case OPT_DRY_RUN: set_action(o, ACT_DRY_RUN); break;
	case OPT_CHECK_POLICY:
		set_action(o, ACT_CHECK_POLICY);
		if (optarg && *optarg == '\0')
			die("--check-policy: empty file name");
		o->policy_file = optarg;
		break;
	case 'q': o->quiet = true; break;
	case OPT_VERBOSE: o->verbose = true; break;
	case OPT_VERSION: usage_version(); exit(0);
	case 'h': usage_help(); exit(0);
	default: bad_option(c, argv);
	}
}

/* An empty variable counts as unset, as shells treat "VAR=". */
static const char *env_default(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* The command line wins: a variable is read only for what it left unset. */
static void apply_env_defaults(struct opts *o)
{
	const char *v;

	if (o->tier < 0 && (v = env_default("SYMBIONT_DEFAULT_SANDBOX_TIER")))
		set_tier(o, "SYMBIONT_DEFAULT_SANDBOX_TIER", v);
	if (!(o->lim.set & (1u << LIM_MEMORY_MB)) &&
	    (v = env_default("SYMBIONT_NATIVE_MAX_MEMORY_MB")))
		set_limit(o, LIM_MEMORY_MB, "SYMBIONT_NATIVE_MAX_MEMORY_MB", v);
	if (!(o->lim.set & (1u << LIM_CPU_MILLICORES)) &&
	    (v = env_default("SYMBIONT_NATIVE_MAX_CPU_CORES")))
		set_limit(o, LIM_CPU_MILLICORES,
			  "SYMBIONT_NATIVE_MAX_CPU_CORES", v);
	if (!o->workdir && !o->private_dir && !o->keep_workdir &&
	    (v = env_default("SYMBIONT_NATIVE_WORKING_DIR")))
		set_workdir(o, "SYMBIONT_NATIVE_WORKING_DIR", v);
}

static void check_combination(const struct opts *o)
{
	switch (o->action) {
	case ACT_RUN: /* no COMMAND: the policy's default_executable */
	case ACT_DRY_RUN:
		break;
	case ACT_LIST:
		if (o->cmd_argc > 0)
			die("--list takes no COMMAND (use --dry-run to check "
			    "one)");
		break;
	case ACT_CHECK_POLICY:
		if (o->cmd_argc > 0)
			die("--check-policy takes no COMMAND");
		break;
	}
	if (o->json && o->action != ACT_RUN)
		die("--json applies only when running a COMMAND");
	if (o->private_dir && o->workdir)
		die("--private and --workdir exclude each other");
	if (o->keep_workdir && o->workdir)
		die("--keep-workdir keeps a --private work directory; with "
		    "--workdir the directory is yours already");
	if (o->json && o->pty_mode > 0)
		die("--pty and --json exclude each other: --json captures the "
		    "output");
}

/* Where the job starts: -C DIR, SYMBIONT_NATIVE_WORKING_DIR, a fresh
 * private directory (--private, implied by --keep-workdir), else the
 * current directory. The policy may make private the default for a
 * request that chose nothing (REQ_WORKDIR_CHOSEN unset). */
static void choose_workdir(struct opts *o)
{
	if (o->keep_workdir)
		o->private_dir = true;
	if (!o->workdir && !o->private_dir && o->action != ACT_LIST &&
	    o->action != ACT_CHECK_POLICY)
		set_current_dir(o);
}

/* A terminal for the job: asked for, or the caller's stdin or stdout is
 * one (never for --json, whose output is captured). */
static bool wants_pty(const struct opts *o)
{
	if (o->action != ACT_RUN || o->pty_mode < 0 || o->json)
		return false;
	return o->pty_mode > 0 || isatty(STDIN_FILENO) ||
	       isatty(STDOUT_FILENO);
}

bool opts_want_json(int argc, char **argv)
{
	bool json = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1)
		json |= c == OPT_JSON;
	optind = 0; /* glibc: the next getopt_long starts afresh */
	return json;
}

void opts_parse(int argc, char **argv, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->tier = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1)
		handle_option(o, c, argv);
	o->cmd_argc = argc - optind;
	o->cmd_argv = argv + optind;
	if (o->action != ACT_CHECK_POLICY && o->action != ACT_LIST)
		apply_env_defaults(o);
	check_combination(o);
	choose_workdir(o);
	o->pty = wants_pty(o);
}

static enum req_mode request_mode(enum opts_action a)
{
	if (a == ACT_DRY_RUN)
		return MODE_DRY_RUN;
	return a == ACT_LIST ? MODE_LIST : MODE_RUN;
}

void opts_build_request(const struct opts *o, struct request *r)
{
	unsigned i;
	int bad = 0;

	proto_request_init(r);
	r->mode = request_mode(o->action);
	if (o->tier >= 0) {
		r->tier = (uint8_t)o->tier;
		r->flags |= REQ_TIER_SET;
	}
	r->flags |= (o->network ? REQ_NETWORK : 0) |
		    (o->keep_workdir ? REQ_KEEP_WORKDIR : 0) |
		    (o->json ? REQ_CAPTURE : 0) | (o->pty ? REQ_PTY : 0) |
		    (o->workdir_chosen ? REQ_WORKDIR_CHOSEN : 0);
	r->lim = o->lim;
	if (o->workdir)
		bad |= proto_request_set_workdir(r, o->workdir);
	if (o->image)
		bad |= proto_request_set_image(r, o->image);
	for (i = 0; i < (unsigned)o->cmd_argc && !bad; i++)
		bad |= proto_request_add_arg(r, o->cmd_argv[i]);
	for (i = 0; i < o->nenv && !bad; i++)
		bad |= proto_request_add_env(r, o->env[i]);
	for (i = 0; i < o->nvol && !bad; i++)
		bad |= proto_request_add_volume(r, o->vol[i]);
	if (bad)
		die("request too large: at most %u arguments, %u bytes per "
		    "string, %u bytes in all",
		    PROTO_MAX_ARGS, PROTO_MAX_STR, PROTO_MAX_MSG);
}

/*
 * The policy module: the corpus of tests/policy/{ok,bad}/ (every error of
 * every bad file, exactly), defaults, judging, listing, and the trust
 * checks of policy_load on real files under a root-owned directory.
 * Run from the repository root (prove does).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/trust.h"
#include "policy/policy.h"

static unsigned tests, failed;

static void ok(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tests++;
	if (!cond)
		failed++;
	printf("%sok %u - ", cond ? "" : "not ", tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void is_str(const char *got, const char *want, const char *what)
{
	ok(got && strcmp(got, want) == 0, "%s", what);
	if (!got || strcmp(got, want) != 0)
		printf("# got:  %s\n# want: %s\n", got ? got : "(null)", want);
}

static void is_num(unsigned long long got, unsigned long long want,
		   const char *what)
{
	ok(got == want, "%s", what);
	if (got != want)
		printf("# got %llu, want %llu\n", got, want);
}

/* ---- corpus ------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	return buf;
}

static void format_all(const struct policy_errors *e, char *out, size_t cap)
{
	char line[300];
	unsigned i;

	out[0] = '\0';
	for (i = 0; i < e->count && i < POLICY_MAX_ERRORS; i++) {
		policy_error_format(&e->e[i], line, sizeof(line));
		strncat(out, line, cap - strlen(out) - 1);
		strncat(out, "\n", cap - strlen(out) - 1);
	}
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int toml_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && strcmp(d->d_name + n - 5, ".toml") == 0;
}

static void check_ok_file(const char *path)
{
	static struct policy p;
	static struct policy_errors e;
	static char got[20000];
	size_t len;
	char *text = slurp(path, &len);
	int r;

	if (!text) {
		ok(0, "read %s", path);
		return;
	}
	r = policy_parse(text, len, &p, &e);
	format_all(&e, got, sizeof(got));
	ok(r == 0 && e.count == 0, "%s parses without error", path);
	if (r != 0)
		printf("# %s", got);
	policy_free(&p);
	free(text);
}

static void check_bad_file(const char *path)
{
	static struct policy p;
	static struct policy_errors e;
	static char got[20000], errpath[512];
	char *text, *want;
	size_t len, wlen;
	int r;

	snprintf(errpath, sizeof(errpath), "%.*s.err",
		 (int)(strlen(path) - 5), path);
	text = slurp(path, &len);
	want = slurp(errpath, &wlen);
	if (!text || !want) {
		ok(0, "read %s and %s", path, errpath);
		free(text);
		free(want);
		return;
	}
	r = policy_parse(text, len, &p, &e);
	format_all(&e, got, sizeof(got));
	ok(r == -1 && e.count > 0 && strcmp(got, want) == 0,
	   "%s: exactly the errors of its .err", path);
	if (strcmp(got, want) != 0)
		printf("# got:\n%s# want:\n%s", got, want);
	is_num(p.strings == NULL, 1, "a failed parse leaves nothing allocated");
	free(text);
	free(want);
}

static unsigned run_corpus(const char *dir, void (*check)(const char *))
{
	struct dirent **names;
	char path[512];
	int n, i;

	n = scandir(dir, &names, toml_file, by_name);
	if (n < 0) {
		ok(0, "scandir %s: %s", dir, strerror(errno));
		return 0;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		check(path);
		free(names[i]);
	}
	free(names);
	return (unsigned)n;
}

/* ---- parsing beyond the corpus ------------------------------------------ */

static int parse_str(const char *text, struct policy *p,
		     struct policy_errors *e)
{
	return policy_parse(text, strlen(text), p, e);
}

static void test_defaults(void)
{
	static struct policy p;
	static struct policy_errors e;

	ok(parse_str("", &p, &e) == 0, "an empty policy parses");
	ok(!p.native.enabled, "no [native_execution]: tier none is off");
	is_num(p.nrules, 0, "no rules");
	is_num((unsigned)p.default_tier, TIER_NONE, "default tier none");
	is_str(p.native.default_executable, "bash", "default_executable");
	is_str(p.native.working_directory, "/var/lib/symbi-exec/work",
	       "working_directory");
	is_str(p.native.secure_path, "/usr/local/bin:/usr/bin:/bin",
	       "secure_path");
	ok(p.native.enforce_resource_limits, "enforce_resource_limits");
	ok(p.native.env_keep.n == 4 && !strcmp(p.native.env_keep.s[3], "TZ"),
	   "env_keep defaults to LANG LC_ALL TERM TZ");
	ok(p.isolated.read_only_binds.n == 5 &&
		   !strcmp(p.isolated.read_only_binds.s[4], "/etc"),
	   "read_only_binds default");
	is_num(p.native.lim.lim.v[LIM_MEMORY_MB], 2048, "memory 2048");
	is_num(p.native.lim.lim.v[LIM_CPU_MILLICORES], 4000, "cpu 4.0");
	is_num(p.native.lim.lim.v[LIM_OPEN_FILES], 1024, "open files 1024");
	is_num(p.native.lim.lim.set, LIM_ALL_MASK, "every native limit set");
	is_num(p.native.lim.max_output_bytes, 10485760, "output 10 MiB");
	is_num(p.isolated.lim.lim.set, 0, "isolated sets no limit of its own");
	is_str(p.docker.docker_host, "unix:///var/run/docker.sock",
	       "docker_host");
	is_str(p.docker.network_mode, "none", "network_mode");
	is_str(p.gvisor.runtime, "runsc", "gvisor runtime");
	is_str(p.firecracker.runtime, "", "firecracker runtime");
	policy_free(&p);

	ok(parse_str("[native_execution]\n", &p, &e) == 0 && p.native.enabled,
	   "[native_execution] written: enabled unless it says otherwise");
	policy_free(&p);
}

/* The seeds' config form: what enables tier none, and the tier names. */
static void test_seeds_form(void)
{
	static struct policy p;
	static struct policy_errors e;

	ok(parse_str("[security]\nallow_native_execution = true\n"
		     "default_sandbox_tier = \"Tier1\"\n", &p, &e) == 0 &&
		   p.native.enabled && p.default_tier == TIER_DOCKER,
	   "allow_native_execution = true alone enables tier none; Tier1 "
	   "is docker");
	policy_free(&p);
	ok(parse_str("[security]\ndefault_sandbox_tier = \"NONE\"\n"
		     "[security.native_execution]\nmax_memory_mb = 64\n",
		     &p, &e) == 0 && !p.native.enabled &&
		   p.default_tier == TIER_NONE &&
		   p.native.lim.lim.v[LIM_MEMORY_MB] == 64,
	   "[security.native_execution] is [native_execution], off without "
	   "allow_native_execution (the seeds' default)");
	policy_free(&p);
	ok(parse_str("[security.native_execution]\n[security]\n"
		     "allow_native_execution = true\n", &p, &e) == 0 &&
		   p.native.enabled,
	   "... on with it, in any order");
	policy_free(&p);
	ok(parse_str("[security]\nallow_native_execution = false\n"
		     "[native_execution]\nmax_processes = 9\n", &p, &e) == 0 &&
		   !p.native.enabled,
	   "allow_native_execution = false with [native_execution]: off");
	policy_free(&p);
	ok(parse_str("[security]\nallow_native_execution = true\n"
		     "[native_execution]\nenabled = true\n", &p, &e) == -1 &&
		   e.count == 1 && e.e[0].line == 4,
	   "the switch written twice, in both forms: an error");
}

static void test_values(void)
{
	static struct policy p;
	static struct policy_errors e;

	ok(parse_str("[native_execution]\nmax_cpu_cores = 0.125\n"
		     "working_directory = \"/srv/caf\\u00e9\"\n[[rule]]\n"
		     "users = [\"a\"]\ntiers = [\"Tier1\", \"native\"]\n"
		     "max_memory_mb = 4096\n", &p, &e) == 0,
	   "values parse");
	is_num(p.native.lim.lim.v[LIM_CPU_MILLICORES], 125, "0.125 cores");
	is_str(p.native.working_directory, "/srv/caf\xc3\xa9",
	       "\\u00e9 decodes to UTF-8");
	is_num(p.rules[0].tiers, (1u << TIER_DOCKER) | (1u << TIER_NONE),
	       "tier aliases map to tiers");
	is_num(p.rules[0].lim.lim.set, 1u << LIM_MEMORY_MB,
	       "a rule sets only the limits it writes");
	is_num(p.rules[0].line, 4, "a rule knows its line");
	policy_free(&p);
}

static void test_error_cap(void)
{
	static struct policy p;
	static struct policy_errors e;
	char *text = malloc(100 * 6 + 1), line[300];
	size_t i;

	for (i = 0; i < 100; i++)
		memcpy(text + i * 6, "x = 1\n", 6);
	text[600] = '\0';
	ok(parse_str(text, &p, &e) == -1, "100 bad lines fail");
	is_num(e.count, 100, "every error is counted");
	is_num(e.e[POLICY_MAX_ERRORS - 1].line, POLICY_MAX_ERRORS,
	       "the first POLICY_MAX_ERRORS are kept, in order");
	free(text);

	text = calloc(1, (size_t)POLICY_MAX_BYTES + 2);
	memset(text, '#', (size_t)POLICY_MAX_BYTES + 1);
	ok(policy_parse(text, (size_t)POLICY_MAX_BYTES + 1, &p, &e) == -1 &&
		   e.count == 1 && e.e[0].line == 0,
	   "a text over POLICY_MAX_BYTES is refused as a whole");
	policy_error_format(&e.e[0], line, sizeof(line));
	is_str(line, "the policy is larger than 1048576 bytes",
	       "line 0 errors format without a position");
	text[0] = '\n';
	ok(policy_parse(text, (size_t)POLICY_MAX_BYTES, &p, &e) == 0,
	   "a comment of POLICY_MAX_BYTES - 1 bytes is fine");
	policy_free(&p);
	free(text);
}

/* ---- judging ------------------------------------------------------------ */

static const char judge_policy[] =
	"[native_execution]\n"                                       /* 1 */
	"allowed_executables = [\"python3\", \"node\", \"bash\"]\n"  /* 2 */
	"env_keep = [\"LANG\", \"TZ\"]\n"                            /* 3 */
	"[isolated]\n"                                               /* 4 */
	"enabled = true\n"                                           /* 5 */
	"volume_roots = [\"/home\", \"/srv/agents\"]\n"              /* 6 */
	"max_memory_mb = 1024\n"                                     /* 7 */
	"[gvisor]\n"                                                 /* 8 */
	"enabled = false\n"                                          /* 9 */
	"runtime = \"\"\n"                                           /* 10 */
	"[[rule]]\n"                                                 /* 11 */
	"users = [\"alice\"]\n"                                      /* 12 */
	"tiers = [\"none\"]\n"                                       /* 13 */
	"max_cpu_cores = 2.5\n"                                      /* 14 */
	"[[rule]]\n"                                                 /* 15 */
	"groups = [\"agents\"]\n"                                    /* 16 */
	"tiers = [\"none\", \"isolated\", \"docker\", \"gvisor\", "
	"\"firecracker\"]\n"                                         /* 17 */
	"max_memory_mb = 3072\n"                                     /* 18 */
	"run_as = \"symbi-job\"\n"                                   /* 19 */
	"run_as_shared = true\n"                                     /* 20 */
	"[[rule]]\n"                                                 /* 21 */
	"users = [\"alice\"]\n"                                      /* 22 */
	"tiers = [\"isolated\"]\n"                                   /* 23 */
	"max_processes = 10\n";                                      /* 24 */

static const char docker_policy[] =
	"[security]\n"
	"default_sandbox_tier = \"tier1\"\n"
	"[docker]\n"
	"enabled = true\n"
	"allowed_images = [\"python:3.12-slim\", \"node:20-alpine\"]\n"
	"network_mode = \"bridge\"\n"
	"runtime = \"runc\"\n"
	"max_memory_mb = 512\n"
	"[gvisor]\n"
	"enabled = true\n"
	"[isolated]\n"
	"volume_roots = [\"/home\"]\n"
	"[[rule]]\n"
	"users = [\"alice\"]\n"
	"tiers = [\"docker\", \"gvisor\"]\n";

static void who(struct identity *id, const char *user, const char *group)
{
	memset(id, 0, sizeof(*id));
	id->uid = 1000;
	id->gid = 1000;
	snprintf(id->user, sizeof(id->user), "%s", user);
	snprintf(id->groups[0], sizeof(id->groups[0]), "%s", user);
	id->ngroups = 1;
	if (group) {
		snprintf(id->groups[1], sizeof(id->groups[1]), "%s", group);
		id->ngroups = 2;
	}
}

static void ask(struct request *r, int tier, const char *cmd)
{
	memset(r, 0, sizeof(*r));
	r->mode = MODE_RUN;
	if (tier >= 0) {
		r->tier = (uint8_t)tier;
		r->flags = REQ_TIER_SET;
	}
	if (cmd) {
		r->argv[0] = cmd;
		r->argc = 1;
	}
}

static void want_deny(const struct policy *p, const struct identity *id,
		      const struct request *r, int status, const char *msg)
{
	static struct decision d;

	policy_judge(p, id, r, &d);
	ok(d.status == status, "denied with %d: %s", status, msg);
	is_str(d.message, msg, "  with that message");
}

/* Where the job starts: the request's directory, or a private one. */
static void test_judge_workdir(const struct policy *p)
{
	static struct request r;
	static struct decision d;
	struct identity id;

	who(&id, "alice", NULL);
	ask(&r, TIER_NONE, "python3");
	r.workdir = "/var/tmp";
	policy_judge(p, &id, &r, &d);
	ok(d.status == 0 && d.workdir && !strcmp(d.workdir, "/var/tmp"),
	   "tier none: the caller's directory, wherever it is");
	r.workdir = NULL;
	policy_judge(p, &id, &r, &d);
	ok(d.status == 0 && !d.workdir, "no directory: a private one");
	ask(&r, TIER_ISOLATED, "python3");
	r.workdir = "/home/alice/proj";
	policy_judge(p, &id, &r, &d);
	ok(d.status == 0 && d.workdir, "tier isolated: a directory under "
	   "volume_roots");
	r.workdir = "/var/tmp";
	want_deny(p, &id, &r, 125, "tier isolated can run a job in /var/tmp "
		  "only if it lies under the policy's volume_roots (/home, "
		  "/srv/agents): run from there, give -C DIR, or use "
		  "--private");
	r.workdir = "/homework";
	want_deny(p, &id, &r, 125, "tier isolated can run a job in /homework "
		  "only if it lies under the policy's volume_roots (/home, "
		  "/srv/agents): run from there, give -C DIR, or use "
		  "--private");
	r.workdir = "home/alice";
	want_deny(p, &id, &r, 125, "work directory home/alice: expected a "
		  "canonical absolute path");
	r.workdir = "/home/alice/../../etc";
	want_deny(p, &id, &r, 125, "work directory /home/alice/../../etc: "
		  "expected a canonical absolute path");

	/* What no client sends, the judge refuses itself. */
	ask(&r, TIER_NONE, "python3");
	r.flags |= REQ_WORKDIR_CHOSEN;
	want_deny(p, &id, &r, 125, "a chosen work directory needs its path");
	r.workdir = "/var/tmp";
	r.flags |= REQ_KEEP_WORKDIR;
	want_deny(p, &id, &r, 125, "--keep-workdir keeps a private work "
		  "directory (--private); the directory given is kept anyway");
	r.workdir = NULL;
	r.flags &= ~REQ_WORKDIR_CHOSEN;
	policy_judge(p, &id, &r, &d);
	ok(d.status == 0 && !d.workdir, "--private --keep-workdir: allowed");

	/* A job of another account (run_as) does not start in the
	 * caller's directory, unless -C names it. */
	who(&id, "bob", "agents");
	ask(&r, TIER_NONE, "python3");
	r.workdir = "/home/bob/proj";
	policy_judge(p, &id, &r, &d);
	ok(d.status == 0 && !d.workdir && d.run_as,
	   "run_as: the caller's directory is not the job's: a private one");
	r.flags |= REQ_WORKDIR_CHOSEN;
	policy_judge(p, &id, &r, &d);
	ok(d.status == 0 && d.workdir && !strcmp(d.workdir, "/home/bob/proj"),
	   "run_as: -C DIR is taken as asked");
}

static void test_judge_allow(const struct policy *p)
{
	static struct request r;
	static struct decision d;
	struct identity id;

	who(&id, "alice", NULL);
	ask(&r, TIER_NONE, "python3");
	policy_judge(p, &id, &r, &d);
	ok(d.status == 0 && d.message[0] == '\0', "alice may run python3");
	is_num(d.rule ? d.rule->line : 0, 11, "decided by the first rule");
	is_num(d.lim.set, LIM_ALL_MASK, "every limit set");
	is_num(d.lim.v[LIM_CPU_MILLICORES], 2500, "rule's cpu ceiling");
	is_num(d.lim.v[LIM_MEMORY_MB], 2048, "native memory ceiling");
	is_num(d.max_output_bytes, 10485760, "output ceiling");
	ok(d.run_as == NULL, "runs as the caller");
	ok(!d.no_setid, "... so set-id files of her own uid are hers to make");
	ok(d.network, "tier none has the host network");

	r.lim.v[LIM_MEMORY_MB] = 1000;
	r.lim.set = 1u << LIM_MEMORY_MB;
	policy_judge(p, &id, &r, &d);
	ok(d.status == 0 && d.lim.v[LIM_MEMORY_MB] == 1000 &&
		   d.lim.v[LIM_TIMEOUT_S] == 300,
	   "a request below the ceiling is kept, the rest are ceilings");

	ask(&r, TIER_NONE, "/usr/bin/python3");
	policy_judge(p, &id, &r, &d);
	ok(d.status == 0, "a path goes through to the helper's check");

	ask(&r, TIER_NONE, NULL);
	policy_judge(p, &id, &r, &d);
	ok(d.status == 0, "no command: default_executable bash is allowed");

	ask(&r, TIER_NONE, "bash");
	r.env[0] = "LANG=C.UTF-8";
	r.envc = 1;
	policy_judge(p, &id, &r, &d);
	ok(d.status == 0, "--env LANG passes");
}

static void test_judge_rules(const struct policy *p)
{
	static struct request r;
	static struct decision d;
	struct identity id;

	who(&id, "bob", "agents");
	ask(&r, TIER_ISOLATED, "node");
	policy_judge(p, &id, &r, &d);
	ok(d.status == 0, "bob may use isolated through group agents");
	is_num(d.rule ? d.rule->line : 0, 15, "the group rule decides");
	is_num(d.lim.v[LIM_MEMORY_MB], 3072, "rule overrides tier ceiling");
	is_str(d.run_as, "symbi-job", "run_as from the rule");
	ok(d.no_setid, "another account's job may make no set-id file");
	ok(!d.network, "no network unless asked");

	who(&id, "alice", NULL);
	policy_judge(p, &id, &r, &d);
	is_num(d.rule ? d.rule->line : 0, 21, "alice: her own isolated rule");
	is_num(d.lim.v[LIM_MEMORY_MB], 1024, "isolated table ceiling");
	is_num(d.lim.v[LIM_PROCESSES], 10, "rule process ceiling");
	r.lim.v[LIM_PROCESSES] = 1;
	r.lim.set = 1u << LIM_PROCESSES;
	want_deny(p, &id, &r, 125, "tier isolated needs --max-processes of "
		  "at least 2 (its init and the job)");
	r.lim.v[LIM_PROCESSES] = 2;
	policy_judge(p, &id, &r, &d);
	ok(d.status == 0 && d.lim.v[LIM_PROCESSES] == 2,
	   "... while 2 processes are granted (control)");
	r.lim.set = 0;

	who(&id, "alice", "agents");
	policy_judge(p, &id, &r, &d);
	is_num(d.rule ? d.rule->line : 0, 15, "first matching rule wins");

	who(&id, "bob", NULL);
	want_deny(p, &id, &r, 125, "user bob may not use tier isolated "
		  "(no rule in the policy allows it)");
}

static void test_judge_denials(const struct policy *p)
{
	static struct request r;
	static struct decision d;
	struct identity id;

	who(&id, "alice", "agents");
	ask(&r, TIER_NONE, "bash");
	r.lim.v[LIM_MEMORY_MB] = 4096;
	r.lim.set = 1u << LIM_MEMORY_MB;
	want_deny(p, &id, &r, 125, "--max-memory=4096 MB exceeds the policy "
		  "ceiling of 2048 MB for tier none");
	r.lim.v[LIM_CPU_MILLICORES] = 3000;
	r.lim.set = 1u << LIM_CPU_MILLICORES;
	want_deny(p, &id, &r, 125, "--max-cpu=3 cores exceeds the policy "
		  "ceiling of 2.5 cores for tier none");
	r.lim.v[LIM_PROCESSES] = 257;
	r.lim.set = 1u << LIM_PROCESSES;
	want_deny(p, &id, &r, 125, "--max-processes=257 exceeds the policy "
		  "ceiling of 256 for tier none");

	/* A command is matched with the allowlist by the helper, on the
	 * file it resolves to (python3.11 may be python3): the judge only
	 * checks default_executable, for a request without one. */
	ask(&r, TIER_NONE, "python4");
	policy_judge(p, &id, &r, &d);
	ok(d.status == 0, "a bare name not listed goes on to the helper");

	ask(&r, TIER_NONE, "bash");
	r.env[0] = "FOO=1";
	r.envc = 1;
	want_deny(p, &id, &r, 125, "--env FOO: the policy does not let FOO "
		  "pass (env_allow)");
	r.env[0] = "FOO";
	want_deny(p, &id, &r, 125, "--env FOO: expected NAME=VALUE");

	ask(&r, TIER_NONE, "bash");
	r.vol[0] = "/home/alice:/data";
	r.volc = 1;
	want_deny(p, &id, &r, 125, "--volume is not available for tier none");
	ask(&r, TIER_NONE, "bash");
	r.image = "python:3.12-slim";
	want_deny(p, &id, &r, 125, "--image is only for the docker tiers, "
		  "not tier none");

	ask(&r, TIER_ISOLATED, "bash");
	r.flags |= REQ_NETWORK;
	want_deny(p, &id, &r, 125, "--network is not allowed by the policy "
		  "for tier isolated");
	ask(&r, TIER_ISOLATED, "bash");
	r.vol[0] = "/etc:/etc:ro";
	r.volc = 1;
	want_deny(p, &id, &r, 125, "--volume /etc:/etc:ro: the host path /etc "
		  "is never mounted into a job");
	r.vol[0] = "/opt/x:/x:ro";
	want_deny(p, &id, &r, 125, "--volume /opt/x:/x:ro: /opt/x is not under "
		  "any of the policy's volume_roots");
	r.vol[0] = "/home/alice:/x";
	want_deny(p, &id, &r, 125, "--volume /home/alice:/x: the policy allows "
		  "read-only volumes only (add :ro)");
	r.vol[0] = "/home/alice/../../etc:/x";
	want_deny(p, &id, &r, 125, "--volume /home/alice/../../etc:/x: \"..\" "
		  "in the source is refused");

	ask(&r, TIER_DOCKER, "bash");
	want_deny(p, &id, &r, 125, "tier docker is disabled by the policy");
	ask(&r, TIER_GVISOR, "bash");
	want_deny(p, &id, &r, 125, "tier gvisor is disabled by the policy");
	ask(&r, TIER_FIRECRACKER, "bash");
	want_deny(p, &id, &r, 125, "tier firecracker is not available: the "
		  "policy names no runtime for it");
	ask(&r, 9, "bash");
	want_deny(p, &id, &r, 125, "unknown tier 9");
}

static void test_judge_volume_ok(const struct policy *p)
{
	static struct request r;
	static struct decision d;
	struct identity id;

	who(&id, "alice", NULL);
	ask(&r, TIER_ISOLATED, "bash");
	r.vol[0] = "/home/alice/data:/data:ro";
	r.vol[1] = "/srv/agents:/srv:ro";
	r.volc = 2;
	policy_judge(p, &id, &r, &d);
	ok(d.status == 0, "volumes under volume_roots pass: %s", d.message);
}

/* What docker.c once decided again on its own: the judge's now. */
static void test_judge_docker_mechanics(const struct policy *p,
					const struct identity *id)
{
	static struct request r;
	static struct decision d;

	ask(&r, TIER_DOCKER, "python3");
	r.image = "node:20-alpine";
	r.flags |= REQ_NETWORK;
	policy_judge(p, id, &r, &d);
	ok(d.status == 0 && d.network_mode && d.runtime &&
	   !strcmp(d.network_mode, "bridge") && !strcmp(d.runtime, "runc"),
	   "the decision names the docker network and runtime");
	r.flags &= ~REQ_NETWORK;
	policy_judge(p, id, &r, &d);
	ok(d.status == 0 && d.network_mode &&
	   !strcmp(d.network_mode, "none"), "no --network: network none");
	r.tier = TIER_GVISOR;
	policy_judge(p, id, &r, &d);
	ok(d.status == 0 && d.runtime && !strcmp(d.runtime, "runsc"),
	   "tier gvisor runs under [gvisor] runtime");
	r.tier = TIER_DOCKER;
	r.lim.v[LIM_CPU_MILLICORES] = 5;
	r.lim.set = 1u << LIM_CPU_MILLICORES;
	want_deny(p, id, &r, 125, "tier docker needs --max-cpu of at least "
		  "0.01");
	r.lim.set = 0;
	r.workdir = "/etc";
	r.flags |= REQ_WORKDIR_CHOSEN; /* -C /etc, not the current directory */
	want_deny(p, id, &r, 125, "-C /etc: the host path /etc is never "
		  "mounted into a job");
	r.workdir = "/home/alice/w";
	policy_judge(p, id, &r, &d);
	ok(d.status == 0, "-C under volume_roots is the container's "
	   "/workspace: %s", d.message);
	r.workdir = NULL;
	r.flags &= ~REQ_WORKDIR_CHOSEN;
	r.argc = 0;
	want_deny(p, id, &r, 125, "no command given (tier docker has no "
		  "default_executable)");
	r.argc = 1;
	r.vol[0] = "/home/alice:/workspace:ro";
	r.volc = 1;
	want_deny(p, id, &r, 125, "--volume /home/alice:/workspace:ro: target "
		  "/workspace is the container's own");
	r.vol[0] = "/home/alice:/data";
	want_deny(p, id, &r, 125, "--volume /home/alice:/data: the policy "
		  "allows read-only volumes only (add :ro)");
	r.vol[0] = "/home/alice:/data:ro";
	policy_judge(p, id, &r, &d);
	ok(d.status == 0, "a :ro volume under volume_roots: %s", d.message);
}

static void test_judge_docker(void)
{
	static struct policy p;
	static struct policy_errors e;
	static struct request r;
	static struct decision d;
	struct identity id;

	ok(parse_str(docker_policy, &p, &e) == 0, "docker policy parses");
	who(&id, "alice", NULL);
	ask(&r, -1, "python3");
	want_deny(&p, &id, &r, 125, "tier docker needs --image (allowed: "
		  "python:3.12-slim, node:20-alpine)");
	r.image = "python:3.12";
	want_deny(&p, &id, &r, 125, "image python:3.12 is not allowed by the "
		  "policy (allowed: python:3.12-slim, node:20-alpine)");
	r.image = "node:20-alpine";
	r.flags |= REQ_NETWORK;
	policy_judge(&p, &id, &r, &d);
	ok(d.status == 0, "in docker the image, not the host allowlist, "
	   "bounds the command");
	ask(&r, -1, NULL);
	r.mode = MODE_DRY_RUN;
	r.image = "node:20-alpine";
	r.flags |= REQ_NETWORK;
	policy_judge(&p, &id, &r, &d);
	ok(d.status == 0, "dry run, allowed image, default tier: %s",
	   d.message);
	is_num((unsigned)d.tier, TIER_DOCKER, "the policy's default tier");
	ok(d.network, "network_mode bridge grants --network");
	is_num(d.lim.v[LIM_MEMORY_MB], 512, "docker table ceiling");
	test_judge_docker_mechanics(&p, &id);
	ask(&r, TIER_NONE, "bash");
	want_deny(&p, &id, &r, 125, "tier none is disabled by the policy");
	policy_free(&p);
}

static void test_listing(const struct policy *p)
{
	static struct listing l;
	struct identity id;

	who(&id, "alice", NULL);
	policy_listing(p, &id, &l);
	is_str(l.user, "alice", "listing names the user");
	is_num(l.ntiers, 2, "alice: tiers none and isolated");
	ok(l.tiers[0].tier == TIER_NONE && l.tiers[0].rule_line == 11 &&
		   l.tiers[0].ceil.v[LIM_CPU_MILLICORES] == 2500 &&
		   l.tiers[0].network == 1,
	   "tier none through rule 11, 2.5 cores, network");
	ok(l.tiers[1].tier == TIER_ISOLATED && l.tiers[1].rule_line == 21 &&
		   l.tiers[1].ceil.v[LIM_PROCESSES] == 10 &&
		   l.tiers[1].ceil.set == LIM_ALL_MASK && !l.tiers[1].network,
	   "tier isolated through rule 21, 10 processes, no network");
	is_str(l.tiers[1].run_as, "alice", "runs as herself");
	ok(l.nexe == 3 && !strcmp(l.exe[2], "bash"), "executables listed");
	ok(l.nenv == 2 && !strcmp(l.env[1], "TZ"), "env_keep listed");
	is_num(l.nimages, 0, "no docker tier, no images");

	who(&id, "bob", "agents");
	policy_listing(p, &id, &l);
	ok(l.ntiers == 2 && l.tiers[1].rule_line == 15 &&
		   !strcmp(l.tiers[1].run_as, "symbi-job"),
	   "bob: unavailable tiers are left out, run_as shown");
	who(&id, "mallory", NULL);
	policy_listing(p, &id, &l);
	is_num(l.ntiers, 0, "a stranger is granted nothing");
}

/* The policy install.sh installs, with the rule it may append. */
static void test_default_policy(void)
{
	static const char extra[] = "\n[[rule]]\nusers = [\"alice\"]\n"
				    "tiers = [\"none\", \"isolated\"]\n";
	static struct policy p;
	static struct policy_errors e;
	static struct request r;
	static struct decision d;
	struct identity id;
	size_t len;
	char *text = slurp("policy/examples/default.toml", &len), *all;

	if (!text) {
		ok(0, "read policy/examples/default.toml");
		return;
	}
	all = malloc(len + sizeof(extra));
	memcpy(all, text, len);
	memcpy(all + len, extra, sizeof(extra));
	ok(policy_parse(all, strlen(all), &p, &e) == 0,
	   "the installed default policy parses, with install.sh's rule");
	who(&id, "bob", "symbi-exec");
	ask(&r, TIER_ISOLATED, "python3");
	policy_judge(&p, &id, &r, &d);
	ok(d.status == 0, "a member of symbi-exec may use tier isolated");
	who(&id, "alice", NULL);
	ask(&r, TIER_NONE, "python3");
	policy_judge(&p, &id, &r, &d);
	ok(d.status == 0, "the invoking user's rule admits tier none");
	who(&id, "bob", NULL);
	policy_judge(&p, &id, &r, &d);
	ok(d.status == 125, "anyone else is refused");
	policy_free(&p);
	free(all);
	free(text);
}

static const char env_policy[] =
	"[native_execution]\n"
	"enabled = true\n"
	"allowed_executables = [\"bash\"]\n"
	"env_allow = [\"AGENT_*\", \"OPENAI_API_KEY\", \"PYTHONPATH\"]\n"
	"env_allow_unsafe = [\"PYTHONPATH\"]\n"
	"[[rule]]\n"
	"users = [\"alice\"]\n"
	"tiers = [\"none\"]\n"
	"env_allow = [\"ALICE_TOKEN\"]\n"
	"[[rule]]\n"
	"users = [\"bob\"]\n"
	"tiers = [\"none\"]\n";

static void judge_env(const struct policy *p, const char *user,
		      const char *entry, int want)
{
	static struct request r;
	static struct decision d;
	struct identity id;

	who(&id, user, NULL);
	ask(&r, TIER_NONE, "bash");
	r.env[0] = entry;
	r.envc = 1;
	policy_judge(p, &id, &r, &d);
	ok(d.status == want, "%s: -e %s -> %d (%s)", user, entry, want,
	   d.message);
}

static void test_judge_env(void)
{
	static struct policy p;
	static struct policy_errors e;

	ok(parse_str(env_policy, &p, &e) == 0, "env policy parses");
	judge_env(&p, "bob", "OPENAI_API_KEY=sk-1", 0);
	judge_env(&p, "bob", "AGENT_MODE=fast", 0);
	judge_env(&p, "bob", "AGENT_=x", 0);
	judge_env(&p, "bob", "AGENTX=x", 125);
	judge_env(&p, "bob", "LANG=C", 0);
	judge_env(&p, "alice", "ALICE_TOKEN=t", 0);
	judge_env(&p, "bob", "ALICE_TOKEN=t", 125);
	judge_env(&p, "bob", "SHELLOPTS=xtrace", 125);
	judge_env(&p, "bob", "PS4=$(id)", 125);
	judge_env(&p, "bob", "PYTHONPATH=/x", 0);
	judge_env(&p, "bob", "PYTHONSTARTUP=/x", 125);
	want_deny(&p, &(struct identity){ .user = "bob" }, &(struct request){
			  .mode = MODE_RUN, .argc = 1, .argv = { "bash" },
			  .envc = 1, .env = { "PS4=$(id)" } },
		  125, "--env PS4: never passed to a job: bash expands $(...) "
		  "in it under xtrace");
	policy_free(&p);
}

static const char pool_policy[] =
	"[native_execution]\n"
	"enabled = true\n"
	"allowed_executables = [\"bash\"]\n"
	"umask = \"027\"\n"
	"[[rule]]\n"
	"groups = [\"agents\"]\n"
	"tiers = [\"none\"]\n"
	"run_as_pool = \"61184-61439\"\n"
	"[[rule]]\n"
	"users = [\"u1\", \"u2\"]\n"
	"tiers = [\"none\"]\n"
	"run_as = \"agent\"\n"
	"run_as_shared = true\n";

static void test_accounts(void)
{
	static struct policy p;
	static struct policy_errors e;
	static struct request r;
	static struct decision d;
	struct identity id;
	uid_t f, l;

	ok(policy_pool_range("1-1", &f, &l) && f == 1 && l == 1, "pool 1-1");
	ok(policy_pool_range("61184-65519", &f, &l) && f == 61184 &&
	   l == 65519, "pool 61184-65519");
	ok(!policy_pool_range("0-5", &f, &l) && !policy_pool_range("5-4", &f, &l) &&
	   !policy_pool_range("1-65537", &f, &l) &&
	   !policy_pool_range("01-5", &f, &l) &&
	   !policy_pool_range("1-2147483647", &f, &l) &&
	   !policy_pool_range("1 -5", &f, &l) && !policy_pool_range("1-5x", &f, &l),
	   "bad pool ranges refused");
	ok(policy_group_privileged("docker", 999) != NULL &&
	   policy_group_privileged("adm", 4) != NULL &&
	   policy_group_privileged("anything", 0) != NULL &&
	   policy_group_privileged("users", 100) == NULL,
	   "privileged groups: docker, adm, gid 0; not users");
	ok(parse_str(pool_policy, &p, &e) == 0, "pool policy parses");
	is_num((unsigned)policy_job_umask(&p), 027, "umask 027");
	who(&id, "carol", "agents");
	ask(&r, TIER_NONE, "bash");
	policy_judge(&p, &id, &r, &d);
	ok(d.status == 0 && d.pool_first == 61184 && d.pool_last == 61439 &&
	   d.run_as == NULL, "the pool rule's decision carries the range");
	r.workdir = "/home/carol";
	policy_judge(&p, &id, &r, &d);
	ok(d.status == 0 && !d.workdir, "a pool job gets a private directory");
	r.workdir = NULL;
	r.flags |= REQ_KEEP_WORKDIR;
	policy_judge(&p, &id, &r, &d);
	is_str(d.message, "--keep-workdir: a run_as_pool job's uid goes to "
	       "other callers' jobs next, so its directory is never kept",
	       "a pool job's directory is never kept");
	policy_warnings(&p, &e);
	ok(e.count == 1 && e.e[0].line == 9, "one warning, at the shared rule");
	ok(policy_tier_refuses_account(&p.rules[0], TIER_DOCKER) &&
	   policy_tier_refuses_account(&p.rules[1], TIER_GVISOR) &&
	   !policy_tier_refuses_account(&p.rules[0], TIER_NONE) &&
	   !policy_tier_refuses_account(&p.rules[1], TIER_ISOLATED),
	   "another account's jobs: refused in the container tiers alone");
	policy_free(&p);
	ok(parse_str("[native_execution]\nenabled = true\n", &p, &e) == 0 &&
	   policy_job_umask(&p) == 077, "umask defaults to 077");
	policy_free(&p);
	ok(parse_str("[native_execution]\numask = \"caller\"\n", &p, &e) == 0 &&
	   policy_job_umask(&p) == -1, "umask caller");
	policy_free(&p);
}

static void test_judge(void)
{
	static struct policy p;
	static struct policy_errors e;

	ok(parse_str(judge_policy, &p, &e) == 0, "judge policy parses");
	test_judge_allow(&p);
	test_judge_workdir(&p);
	test_judge_rules(&p);
	test_judge_denials(&p);
	test_judge_volume_ok(&p);
	test_listing(&p);
	policy_free(&p);
	test_judge_docker();
	test_judge_env();
	test_accounts();
	test_default_policy();
}

/* ---- file trust --------------------------------------------------------- */

/* Setup steps of the trust tests: a failure shows, then the check that
 * depends on it fails. */
static void must(int r, const char *what)
{
	if (r < 0)
		printf("# %s: %s\n", what, strerror(errno));
}

static const char good[] = "[native_execution]\n[[rule]]\nusers = "
			   "[\"alice\"]\ntiers = [\"none\"]\n";

static void put_file(const char *path, const char *text, size_t len,
		     mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		printf("# cannot write %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	must(chmod(path, mode), "chmod");
}

static void load_expect(const char *path, const char *want_sub,
			const char *what)
{
	static struct policy p;
	static struct policy_errors e;
	char line[300] = "";
	int r = policy_load(path, &p, &e);

	if (e.count)
		policy_error_format(&e.e[0], line, sizeof(line));
	if (!want_sub) {
		ok(r == 0 && e.count == 0, "%s", what);
		if (r != 0)
			printf("# %s\n", line);
		policy_free(&p);
		return;
	}
	ok(r == -1 && e.count == 1 && strstr(line, want_sub) != NULL &&
		   p.strings == NULL,
	   "%s", what);
	if (!strstr(line, want_sub))
		printf("# got:  %s\n# want: ...%s...\n", line, want_sub);
}

static void test_trust_files(const char *base)
{
	char path[256], other[256], msg[512];
	static char big[(size_t)POLICY_MAX_BYTES + 2];

	snprintf(path, sizeof(path), "%s/policy.toml", base);
	put_file(path, good, strlen(good), 0644);
	load_expect(path, NULL, "a root-owned 0644 file under root dirs loads");
	must(chmod(path, 0400), "chmod");
	load_expect(path, NULL, "mode 0400 loads");

	must(chmod(path, 0664), "chmod");
	snprintf(msg, sizeof(msg), "policy %s: file is writable by group or "
		 "others", path);
	load_expect(path, msg, "a group-writable file is refused");
	must(chmod(path, 0646), "chmod");
	load_expect(path, "file is writable by group or others",
		    "an other-writable file is refused");
	must(chmod(path, 0644), "chmod");
	must(chown(path, 65534, 0), "chown");
	load_expect(path, "file is not owned by root",
		    "a file owned by another user is refused");
	must(chown(path, 0, 0), "chown");

	snprintf(other, sizeof(other), "%s/link.toml", base);
	must(symlink(path, other), "symlink");
	load_expect(other, "file is a symbolic link", "a symlinked file is "
		    "refused");

	snprintf(other, sizeof(other), "%s/huge.toml", base);
	memset(big, '#', sizeof(big) - 1);
	put_file(other, big, (size_t)POLICY_MAX_BYTES + 1, 0644);
	load_expect(other, "file is larger than 1048576 bytes",
		    "a file over POLICY_MAX_BYTES is refused");

	snprintf(other, sizeof(other), "%s/nul.toml", base);
	put_file(other, "[native_execution]\nenabled = true\0\n", 35, 0644);
	load_expect(other, "2:15: NUL byte", "a NUL byte is an error at its "
		    "place");

	snprintf(other, sizeof(other), "%s/fifo.toml", base);
	must(mkfifo(other, 0644), "mkfifo");
	load_expect(other, "not a regular file", "a FIFO is refused");
	snprintf(other, sizeof(other), "%s/missing.toml", base);
	load_expect(other, "cannot open file: No such file or directory",
		    "a missing file is an error");
	load_expect(base, "not a regular file", "a directory is refused");
	load_expect("policy.toml", "not a canonical absolute path",
		    "a relative path is refused");
	snprintf(other, sizeof(other), "%s/../%s/policy.toml", base,
		 strrchr(base, '/') + 1);
	load_expect(other, "not a canonical absolute path", "'..' is refused");
}

static void test_trust_dirs(const char *base)
{
	char dir[128], link[128], path[256], msg[640];

	snprintf(dir, sizeof(dir), "%s/sub", base);
	must(mkdir(dir, 0755), "mkdir");
	snprintf(path, sizeof(path), "%s/policy.toml", dir);
	put_file(path, good, strlen(good), 0644);
	load_expect(path, NULL, "a file two levels down loads");

	must(chmod(dir, 0775), "chmod");
	snprintf(msg, sizeof(msg), "policy %s: directory %s is writable by "
		 "group or others", path, dir);
	load_expect(path, msg, "a group-writable parent is refused");
	must(chmod(dir, 01777), "chmod");
	load_expect(path, "is writable by group or others",
		    "a sticky world-writable parent is refused too");
	must(chmod(dir, 0755), "chmod");
	must(chown(dir, 65534, 0), "chown");
	snprintf(msg, sizeof(msg), "directory %s is not owned by root", dir);
	load_expect(path, msg, "a parent owned by another user is refused");
	must(chown(dir, 0, 0), "chown");

	snprintf(link, sizeof(link), "%s/dirlink", base);
	must(symlink(dir, link), "symlink");
	snprintf(path, sizeof(path), "%s/policy.toml", link);
	snprintf(msg, sizeof(msg), "%s is a symbolic link", link);
	load_expect(path, msg, "a symlinked directory is refused");

	snprintf(path, sizeof(path), "%s/policy.toml", dir);
	trust_set_uid(65534);
	load_expect(path, "directory / is not owned by root",
		    "the trusted uid is what ownership is checked against");
	trust_set_uid(0);
}

static void test_trust_tmp(void)
{
	char path[] = "/tmp/symbi-policy-XXXXXX";
	int fd = mkstemp(path);

	if (fd >= 0) {
		if (write(fd, good, strlen(good)) < 0)
			printf("# write: %s\n", strerror(errno));
		fchmod(fd, 0644);
		close(fd);
	}
	load_expect(path, "directory /tmp is writable by group or others",
		    "a policy under /tmp is refused");
	unlink(path);
}

static void test_untrusted(const char *base)
{
	static struct policy p;
	static struct policy_errors e;
	char path[256];

	snprintf(path, sizeof(path), "%s/policy.toml", base);
	must(chmod(path, 0666), "chmod");
	ok(policy_load_untrusted(path, &p, &e) == 0,
	   "--check-policy=FILE reads a draft without trust checks");
	policy_free(&p);
	must(chmod(path, 0644), "chmod");
	snprintf(path, sizeof(path), "%s/huge.toml", base);
	ok(policy_load_untrusted(path, &p, &e) == -1 && e.count == 1,
	   "the untrusted read keeps the size limit");
	snprintf(path, sizeof(path), "%s/fifo.toml", base);
	ok(policy_load_untrusted(path, &p, &e) == -1 && e.count == 1,
	   "the untrusted read refuses a FIFO");
	/* fstat says 0 bytes, the read finds more: the buffer sized by
	 * fstat grows, and the text is parsed as read (the key "Name:",
	 * not a read error nor the one byte fstat allowed for). */
	ok(policy_load_untrusted("/proc/self/status", &p, &e) == -1 &&
		   e.count >= 1 && e.e[0].line == 1 &&
		   strstr(e.e[0].msg, "'Name:'") != NULL,
	   "a file longer than fstat said is read whole");
}

static void remove_tree(const char *base)
{
	static const char *const names[] = {
		"sub/policy.toml", "sub", "dirlink", "policy.toml", "link.toml",
		"huge.toml", "nul.toml", "fifo.toml",
	};
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", base, names[i]);
		if (remove(path) < 0 && errno != ENOENT)
			printf("# remove %s: %s\n", path, strerror(errno));
	}
	rmdir(base);
}

static void test_trust(void)
{
	char base[] = "/var/lib/symbi-test-XXXXXX";

	if (geteuid() != 0) {
		ok(1, "# SKIP trust checks need root (files owned by others)");
		return;
	}
	if (!mkdtemp(base)) {
		ok(0, "mkdtemp %s: %s", base, strerror(errno));
		return;
	}
	must(chmod(base, 0755), "chmod");
	test_trust_files(base);
	test_trust_dirs(base);
	test_trust_tmp();
	test_untrusted(base);
	remove_tree(base);
}

int main(void)
{
	unsigned nok, nbad;

	setvbuf(stdout, NULL, _IONBF, 0);
	umask(022);
	nok = run_corpus("tests/policy/ok", check_ok_file);
	nbad = run_corpus("tests/policy/bad", check_bad_file);
	ok(nok >= 12 && nbad >= 30, "corpus: %u good files, %u bad files",
	   nok, nbad);
	test_defaults();
	test_seeds_form();
	test_values();
	test_error_cap();
	test_judge();
	test_trust();
	printf("1..%u\n", tests);
	return failed ? 1 : 0;
}

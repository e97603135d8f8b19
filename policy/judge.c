/*
 * Deciding a request against the policy. Pure: no system call, no file.
 * The first rule that names the caller and the tier decides; the limits
 * it grants are native's, overridden by the tier's table, overridden by
 * the rule's keys, and they are both the ceiling and the default.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy/envnames.h"
#include "policy/lex.h"
#include "policy/volume.h"
#include "shared/util.h"

static void deny(struct decision *d, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void deny(struct decision *d, int status, const char *fmt, ...)
{
	va_list ap;

	d->status = status;
	va_start(ap, fmt);
	vsnprintf(d->message, sizeof(d->message), fmt, ap);
	va_end(ap);
}

static bool in_list(const struct strlist *l, const char *s, size_t len)
{
	unsigned i;

	for (i = 0; i < l->n; i++)
		if (strlen(l->s[i]) == len && memcmp(l->s[i], s, len) == 0)
			return true;
	return false;
}

/* "python3, node, bash" within cap (at least 8), cut with "...". */
static const char *joined(const struct strlist *l, char *buf, size_t cap)
{
	size_t used = 0;
	unsigned i;
	int n;

	if (l->n == 0)
		return "none";
	for (i = 0; i < l->n; i++) {
		n = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "",
			     l->s[i]);
		if (n < 0 || (size_t)n >= cap - used) {
			used = used + 6 < cap ? used : cap - 6;
			memcpy(buf + used, ", ...", 6);
			break;
		}
		used += (size_t)n;
	}
	return buf;
}

/* ---- tiers and rules ---------------------------------------------------- */

static bool tier_enabled(const struct policy *p, int tier)
{
	switch (tier) {
	case TIER_NONE:
		return p->native.enabled;
	case TIER_ISOLATED:
		return p->isolated.enabled;
	case TIER_DOCKER:
		return p->docker.enabled;
	case TIER_GVISOR:
		return p->gvisor.enabled;
	default:
		return true; /* firecracker: naming a runtime enables it */
	}
}

/* The runtime a tier's jobs run under: "" for the engine's default
 * (tier docker), NULL for the tiers without one. gvisor and firecracker
 * cannot do without theirs. */
static const char *tier_runtime(const struct policy *p, int tier)
{
	switch (tier) {
	case TIER_DOCKER:
		return p->docker.runtime ? p->docker.runtime : "";
	case TIER_GVISOR:
		return p->gvisor.runtime ? p->gvisor.runtime : "";
	case TIER_FIRECRACKER:
		return p->firecracker.runtime ? p->firecracker.runtime : "";
	default:
		return NULL;
	}
}

static bool tier_available(const struct policy *p, int tier, char *why,
			   size_t cap)
{
	const char *runtime = tier_runtime(p, tier);

	if (!tier_enabled(p, tier))
		snprintf(why, cap, "tier %s is disabled by the policy",
			 tier_name(tier));
	else if (runtime && !runtime[0] && tier != TIER_DOCKER)
		snprintf(why, cap, "tier %s is not available: the policy "
			 "names no runtime for it", tier_name(tier));
	else
		return true;
	return false;
}

static bool rule_names(const struct policy_rule *r, const struct identity *id)
{
	unsigned i;

	if (in_list(&r->users, id->user, strlen(id->user)))
		return true;
	for (i = 0; i < id->ngroups && i < POLICY_MAX_GROUPS; i++)
		if (in_list(&r->groups, id->groups[i], strlen(id->groups[i])))
			return true;
	return false;
}

static const struct policy_rule *match_rule(const struct policy *p,
					    const struct identity *id,
					    int tier)
{
	unsigned i;

	for (i = 0; i < p->nrules; i++)
		if ((p->rules[i].tiers & (1u << tier)) &&
		    rule_names(&p->rules[i], id))
			return &p->rules[i];
	return NULL;
}

static const struct policy_limits *tier_limits(const struct policy *p,
					       int tier)
{
	switch (tier) {
	case TIER_ISOLATED:
		return &p->isolated.lim;
	case TIER_DOCKER:
		return &p->docker.lim;
	case TIER_GVISOR:
		return &p->gvisor.lim;
	default:
		return NULL;
	}
}

static void overlay(struct limits *lim, uint64_t *output,
		    const struct policy_limits *pl)
{
	int i;

	if (!pl)
		return;
	for (i = 0; i < LIM_COUNT; i++)
		if (pl->lim.set & (1u << i))
			lim->v[i] = pl->lim.v[i];
	if (pl->output_set)
		*output = pl->max_output_bytes;
}

static void ceilings(const struct policy *p, int tier,
		     const struct policy_rule *r, struct limits *lim,
		     uint64_t *output)
{
	memset(lim, 0, sizeof(*lim));
	*output = 0;
	overlay(lim, output, &p->native.lim);
	overlay(lim, output, tier_limits(p, tier));
	overlay(lim, output, &r->lim);
	lim->set = LIM_ALL_MASK;
}

/* max_concurrent_jobs: native, then the tier's table, then the rule. */
static uint64_t concurrent_jobs(const struct policy *p, int tier,
				const struct policy_rule *r)
{
	const struct policy_limits *layer[3] = { &p->native.lim,
						 tier_limits(p, tier), &r->lim };
	uint64_t n = 0;

	for (size_t i = 0; i < 3; i++)
		if (layer[i] && layer[i]->jobs_set)
			n = layer[i]->max_concurrent_jobs;
	return n;
}

/* ---- the request's parts ------------------------------------------------ */

/* Cores print as "2.5", "0.125", "4"; the rest as integers. */
static const char *limit_text(int id, uint64_t v, char *buf, size_t cap)
{
	int n;

	if (id != LIM_CPU_MILLICORES || v % 1000 == 0) {
		snprintf(buf, cap, "%llu", (unsigned long long)
			 (id == LIM_CPU_MILLICORES ? v / 1000 : v));
		return buf;
	}
	n = snprintf(buf, cap, "%llu.%03llu", (unsigned long long)(v / 1000),
		     (unsigned long long)(v % 1000));
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	return buf;
}

static bool check_limits(const struct request *req, const char *tier,
			 struct decision *d)
{
	const char *unit;
	char want[32], ceil[32];
	int i;

	for (i = 0; i < LIM_COUNT; i++) {
		if (!(req->lim.set & (1u << i)))
			continue;
		limit_text(i, req->lim.v[i], want, sizeof(want));
		if (req->lim.v[i] == 0) {
			deny(d, 125, "%s=0 is not a valid limit",
			     limit_option(i));
			return false;
		}
		if (req->lim.v[i] > d->lim.v[i]) {
			/* The unit on both: a request given as 4G or 10m
			 * reads back in the policy's units. */
			unit = limit_unit(i);
			deny(d, 125, "%s=%s%s%s exceeds the policy ceiling "
			     "of %s%s%s for tier %s", limit_option(i), want,
			     unit[0] ? " " : "", unit,
			     limit_text(i, d->lim.v[i], ceil, sizeof(ceil)),
			     unit[0] ? " " : "", unit, tier);
			return false;
		}
		d->lim.v[i] = req->lim.v[i];
	}
	return true;
}

static bool is_container(int tier)
{
	return tier == TIER_DOCKER || tier == TIER_GVISOR;
}

/* docker refuses fewer CPUs than 0.01. */
static bool check_container_cpu(struct decision *d)
{
	if (!is_container(d->tier) || d->lim.v[LIM_CPU_MILLICORES] >= 10)
		return true;
	deny(d, 125, "tier %s needs --max-cpu of at least 0.01",
	     tier_name(d->tier));
	return false;
}

/* Tier isolated's pid 1 is its init, the job process is pid 2. */
static bool check_isolated_processes(struct decision *d)
{
	if (d->tier != TIER_ISOLATED || d->lim.v[LIM_PROCESSES] >= 2)
		return true;
	deny(d, 125, "tier isolated needs --max-processes of at least 2 "
	     "(its init and the job)");
	return false;
}

static bool check_network(const struct policy *p, const struct request *req,
			  struct decision *d)
{
	bool asked = req->flags & REQ_NETWORK, allowed;

	switch (d->tier) {
	case TIER_NONE:
		/* Tier none isolates nothing: the job has the host's
		 * network whether it asks or not. */
		d->network = true;
		return true;
	case TIER_ISOLATED:
		allowed = p->isolated.network;
		break;
	case TIER_DOCKER:
	case TIER_GVISOR:
		allowed = strcmp(p->docker.network_mode, "none") != 0;
		break;
	default:
		allowed = false;
		break;
	}
	if (asked && !allowed) {
		deny(d, 125, "--network is not allowed by the policy for "
		     "tier %s", tier_name(d->tier));
		return false;
	}
	d->network = asked;
	if (is_container(d->tier))
		d->network_mode = asked ? p->docker.network_mode : "none";
	return true;
}

/* -e NAME=VALUE: the name is one env_keep or env_allow admits (the
 * table's, or the deciding rule's), and never one the never-list holds
 * unless env_allow_unsafe names it exactly. The value is opaque. */
static bool env_admitted(const struct policy *p, const struct policy_rule *r,
			 const char *name, size_t len)
{
	const struct env_never *never = env_never_name(name, len);

	if (never && !in_list(&p->native.env_allow_unsafe, name, len))
		return false;
	return in_list(&p->native.env_keep, name, len) ||
	       env_in_patterns(&p->native.env_allow, name, len) ||
	       env_in_patterns(&r->env_allow, name, len);
}

static bool check_env(const struct policy *p, const struct request *req,
		      struct decision *d)
{
	const struct env_never *never;
	const char *eq;
	char b[72];
	unsigned i;
	int n;

	for (i = 0; i < req->envc && i < PROTO_MAX_ENV; i++) {
		eq = strchr(req->env[i], '=');
		if (!eq || !valid_env_name(req->env[i],
					   (size_t)(eq - req->env[i]))) {
			deny(d, 125, "--env %s: expected NAME=VALUE",
			     policy_shown(req->env[i], b, sizeof(b)));
			return false;
		}
		n = (int)(eq - req->env[i]);
		if (env_admitted(p, d->rule, req->env[i], (size_t)n))
			continue;
		never = env_never_name(req->env[i], (size_t)n);
		if (never)
			deny(d, 125, "--env %.*s: never passed to a job: %s",
			     n, req->env[i], never->why);
		else
			deny(d, 125, "--env %.*s: the policy does not let %.*s "
			     "pass (env_allow)", n, req->env[i], n,
			     req->env[i]);
		return false;
	}
	return true;
}

static bool check_image(const struct policy *p, const struct request *req,
			struct decision *d)
{
	bool docker = d->tier == TIER_DOCKER || d->tier == TIER_GVISOR;
	char b[72], list[256];

	if (!docker && req->image) {
		deny(d, 125, "--image is only for the docker tiers, not tier "
		     "%s", tier_name(d->tier));
		return false;
	}
	if (!docker)
		return true;
	joined(&p->docker.allowed_images, list, sizeof(list));
	if (!req->image) {
		deny(d, 125, "tier %s needs --image (allowed: %s)",
		     tier_name(d->tier), list);
		return false;
	}
	if (!in_list(&p->docker.allowed_images, req->image,
		     strlen(req->image))) {
		deny(d, 125, "image %s is not allowed by the policy "
		     "(allowed: %s)", policy_shown(req->image, b, sizeof(b)), list);
		return false;
	}
	return true;
}

/* Each one parsed and admitted by policy/volume.c, the code the helper
 * runs again before it resolves the source as the caller. */
static bool check_volumes(const struct policy *p, const struct request *req,
			  struct decision *d)
{
	static struct volume v;
	char why[PROTO_MSG_LEN];
	unsigned i;

	if (req->volc && d->tier != TIER_ISOLATED && d->tier != TIER_DOCKER &&
	    d->tier != TIER_GVISOR) {
		deny(d, 125, "--volume is not available for tier %s",
		     tier_name(d->tier));
		return false;
	}
	for (i = 0; i < req->volc && i < PROTO_MAX_VOLUMES; i++)
		if (volume_parse(req->vol[i], &v, why, sizeof(why)) != 0 ||
		    volume_admit(req->vol[i], &v, d->tier, p, why,
				 sizeof(why)) != 0) {
			deny(d, 125, "%s", why);
			return false;
		}
	return true;
}

static bool under_any(const char *path, const struct strlist *roots)
{
	unsigned r;

	for (r = 0; r < roots->n; r++)
		if (volume_path_under(path, roots->s[r]))
			return true;
	return false;
}

static bool runs_as_other(const struct policy_rule *r)
{
	return (r->run_as && r->run_as[0]) || r->run_as_pool;
}

/* A container's processes are the engine's, out of reach of the
 * helper's seccomp filter, and docker's own profile lets a job
 * chmod u+s its files on the host's bind mounts (/workspace at least):
 * another account's job there could leave a set-user-id file of its uid
 * for its caller to run. */
bool policy_tier_refuses_account(const struct policy_rule *r, int tier)
{
	return is_container(tier) && runs_as_other(r);
}

static bool check_account(struct decision *d)
{
	if (!policy_tier_refuses_account(d->rule, d->tier))
		return true;
	deny(d, 125, "tier %s cannot run a job as another account (run_as, "
	     "run_as_pool): it could leave a set-user-id file of that "
	     "account in a host directory for its caller to run",
	     tier_name(d->tier));
	return false;
}

/* A kept private directory of a pool uid would be readable by the next
 * job, of any caller, that gets the same uid. */
static bool check_private(const struct request *req, struct decision *d)
{
	if ((req->flags & REQ_KEEP_WORKDIR) && d->rule->run_as_pool) {
		deny(d, 125, "--keep-workdir: a run_as_pool job's uid goes to "
		     "other callers' jobs next, so its directory is never "
		     "kept");
		return false;
	}
	return true;
}

/* Where the job starts. Tier none runs it in the directory as it is (the
 * helper checks it as the caller); tier isolated binds it at its own
 * path and the docker tiers at /workspace, both only under volume_roots,
 * as a --volume. A fresh private directory when the request asks for
 * one, or chose none and the policy prefers it. */
static bool check_workdir(const struct policy *p, const struct request *req,
			  struct decision *d)
{
	char b[72], list[320], what[96], why[PROTO_MSG_LEN];

	d->workdir = req->workdir;
	if ((req->flags & REQ_WORKDIR_CHOSEN) && !req->workdir) {
		deny(d, 125, "a chosen work directory needs its path");
		return false;
	}
	/* The caller's directory is the caller's: a job of another account
	 * (run_as, run_as_pool) gets a private one unless -C names one. */
	if (d->workdir && !(req->flags & REQ_WORKDIR_CHOSEN) &&
	    (p->native.private_workdir || runs_as_other(d->rule)))
		d->workdir = NULL;
	if (!d->workdir)
		return check_private(req, d);
	if (req->flags & REQ_KEEP_WORKDIR) {
		deny(d, 125, "--keep-workdir keeps a private work directory "
		     "(--private); the directory given is kept anyway");
		return false;
	}
	if (!valid_abs_path(d->workdir)) {
		deny(d, 125, "work directory %s: expected a canonical absolute "
		     "path", policy_shown(d->workdir, b, sizeof(b)));
		return false;
	}
	if (d->tier == TIER_NONE)
		return true;
	/* A path never mounted gets the volume rules' own words below. */
	if (!under_any(d->workdir, &p->isolated.volume_roots) &&
	    !volume_path_dangerous(d->workdir) &&
	    strcmp(d->workdir, "/") != 0) {
		deny(d, 125, "tier %s can run a job in %s only if it lies "
		     "under the policy's volume_roots (%s): run from there, "
		     "give -C DIR, or use --private", tier_name(d->tier),
		     policy_shown(d->workdir, b, sizeof(b)),
		     joined(&p->isolated.volume_roots, list, sizeof(list)));
		return false;
	}
	snprintf(what, sizeof(what), "%s %s",
		 req->flags & REQ_WORKDIR_CHOSEN ? "-C" : "work directory",
		 policy_shown(d->workdir, b, sizeof(b)));
	/* docker's --mount is a CSV list of key=value. */
	if (is_container(d->tier) && strpbrk(d->workdir, ":,\"")) {
		deny(d, 125, "%s: a path with ':', ',' or '\"' cannot be a "
		     "container's /workspace (use --private)", what);
		return false;
	}
	if (volume_admit_source(what, d->workdir, p, why, sizeof(why)) != 0) {
		deny(d, 125, "%s", why);
		return false;
	}
	return true;
}

/* The command is compared with the allowlist by the helper, on the file
 * each resolves to (so python3.11 passes where python3 is python3.11,
 * and a script by its interpreter). Without one, the policy's
 * default_executable runs: it must be listed as written. */
static bool check_command(const struct policy *p, const struct request *req,
			  struct decision *d)
{
	const char *cmd = p->native.default_executable;
	char b[72], list[320];

	/* In a container the image is the boundary: the command names a file
	 * of the image, not of the host, so the host allowlist cannot judge it. */
	if (req->argc || req->mode != MODE_RUN)
		return true;
	if (is_container(d->tier)) {
		deny(d, 125, "no command given (tier %s has no "
		     "default_executable)", tier_name(d->tier));
		return false;
	}
	if (cmd[0] && in_list(&p->native.allowed_executables, cmd,
			      strlen(cmd)))
		return true;
	deny(d, 127, "%s: command not allowed by the policy (allowed: %s)",
	     cmd[0] ? policy_shown(cmd, b, sizeof(b)) : "\"\"",
	     joined(&p->native.allowed_executables, list, sizeof(list)));
	return false;
}

void policy_judge(const struct policy *p, const struct identity *id,
		  const struct request *req, struct decision *d)
{
	int tier = req->flags & REQ_TIER_SET ? req->tier : p->default_tier;
	char why[PROTO_MSG_LEN];

	memset(d, 0, sizeof(*d));
	d->tier = tier;
	if (tier < 0 || tier >= TIER_COUNT) {
		deny(d, 125, "unknown tier %d", tier);
		return;
	}
	if (!tier_available(p, tier, why, sizeof(why))) {
		deny(d, 125, "%s", why);
		return;
	}
	d->rule = match_rule(p, id, tier);
	if (!d->rule) {
		deny(d, 125, "user %s may not use tier %s (no rule in the "
		     "policy allows it)", id->user, tier_name(tier));
		return;
	}
	ceilings(p, tier, d->rule, &d->lim, &d->max_output_bytes);
	d->runtime = tier_runtime(p, tier);
	d->max_concurrent_jobs = concurrent_jobs(p, tier, d->rule);
	if (!check_account(d) || !check_limits(req, tier_name(tier), d) ||
	    !check_container_cpu(d) || !check_isolated_processes(d) ||
	    !check_network(p, req, d) || !check_env(p, req, d) ||
	    !check_image(p, req, d) || !check_volumes(p, req, d) ||
	    !check_workdir(p, req, d) || !check_command(p, req, d))
		return;
	d->run_as = d->rule->run_as && d->rule->run_as[0] ? d->rule->run_as
							   : NULL;
	if (d->rule->run_as_pool)
		(void)policy_pool_range(d->rule->run_as_pool, &d->pool_first,
					&d->pool_last);
	d->no_setid = runs_as_other(d->rule);
	d->status = 0;
}

/* ---- --list ------------------------------------------------------------- */

static void list_strings(const struct strlist *l, char (*out)[256],
			 uint32_t *n)
{
	unsigned i;

	for (*n = 0, i = 0; i < l->n && i < PROTO_MAX_LIST; i++)
		copy_str(out[(*n)++], sizeof(out[0]), l->s[i]);
}

static void list_tier(const struct policy *p, const struct identity *id,
		      int tier, const struct policy_rule *r,
		      struct listing_tier *t)
{
	memset(t, 0, sizeof(*t));
	t->tier = (uint8_t)tier;
	t->network = tier == TIER_NONE ||
		     (tier == TIER_ISOLATED && p->isolated.network) ||
		     ((tier == TIER_DOCKER || tier == TIER_GVISOR) &&
		      strcmp(p->docker.network_mode, "none") != 0);
	t->rule_line = r->line;
	ceilings(p, tier, r, &t->ceil, &t->max_output_bytes);
	if (r->run_as_pool)
		snprintf(t->run_as, sizeof(t->run_as), "a uid of its own from "
			 "%s", r->run_as_pool);
	else
		copy_str(t->run_as, sizeof(t->run_as),
			 r->run_as && r->run_as[0] ? r->run_as : id->user);
}

/* What a job keeps or -e may set: env_keep, then env_allow entries. */
static void list_env(const struct strlist *l, struct listing *out)
{
	for (unsigned i = 0; i < l->n && out->nenv < PROTO_MAX_LIST; i++)
		copy_str(out->env[out->nenv++], sizeof(out->env[0]), l->s[i]);
}

void policy_listing(const struct policy *p, const struct identity *id,
		    struct listing *out)
{
	const struct policy_rule *r;
	bool docker = false;
	char why[PROTO_MSG_LEN];
	unsigned i;
	int tier;

	memset(out, 0, sizeof(*out));
	copy_str(out->user, sizeof(out->user), id->user);
	out->default_tier = (uint8_t)p->default_tier;
	for (tier = 0; tier < TIER_COUNT; tier++) {
		r = match_rule(p, id, tier);
		if (!r || !tier_available(p, tier, why, sizeof(why)))
			continue;
		list_tier(p, id, tier, r, &out->tiers[out->ntiers++]);
		docker |= tier == TIER_DOCKER || tier == TIER_GVISOR;
	}
	list_strings(&p->native.allowed_executables, out->exe, &out->nexe);
	list_env(&p->native.env_keep, out);
	list_env(&p->native.env_allow, out);
	for (i = 0; i < p->nrules; i++)
		if (rule_names(&p->rules[i], id))
			list_env(&p->rules[i].env_allow, out);
	if (docker)
		list_strings(&p->docker.allowed_images, out->images,
			     &out->nimages);
}

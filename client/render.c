/* --list, --dry-run and --verbose, for people: one fact per line. */
#include "client/render.h"

#include <inttypes.h>

#include "paths.h"

/* CPU is carried in millicores and written in cores, as the policy
 * writes it: 4000 -> "4.0", 1250 -> "1.25". */
static void put_value(FILE *f, int id, uint64_t v)
{
	unsigned frac = (unsigned)(v % 1000);

	if (id != LIM_CPU_MILLICORES) {
		fprintf(f, "%" PRIu64, v);
		return;
	}
	fprintf(f, "%" PRIu64 ".", v / 1000);
	if (frac % 100 == 0)
		fprintf(f, "%u", frac / 100);
	else if (frac % 10 == 0)
		fprintf(f, "%02u", frac / 10);
	else
		fprintf(f, "%03u", frac);
}

/* Every limit as "key<sep>value", each preceded by lead; the caller ends
 * the last line. */
static void put_limits(FILE *f, const struct limits *l, uint64_t output,
		       const char *lead, const char *sep)
{
	int id;

	for (id = 0; id < LIM_COUNT; id++) {
		if (!(l->set & (1u << id)))
			continue;
		fprintf(f, "%s%s%s", lead, limit_name(id), sep);
		put_value(f, id, l->v[id]);
	}
	fprintf(f, "%smax_output_bytes%s%" PRIu64, lead, sep, output);
}

static void put_list(FILE *f, const char *title, unsigned n, const char *s,
		     size_t stride)
{
	unsigned i;

	fprintf(f, "%s:", title);
	for (i = 0; i < n; i++)
		fprintf(f, "%s %s", i ? "," : "", s + i * stride);
	fputs(n ? "\n" : " (none)\n", f);
}

/* What a job of the tier gets, not only what it may ask for: tier none
 * isolates nothing, so its network is the host's whatever it asks. */
static const char *network_text(const struct listing_tier *t)
{
	if (t->tier == TIER_NONE)
		return "the host's, always (tier none does not isolate it)";
	if (t->tier == TIER_ISOLATED)
		return t->network ? "none (loopback only) unless asked for "
				    "with --network, then the host's"
				  : "none (loopback only)";
	return t->network ? "none unless asked for with --network"
			  : "none";
}

static void put_listing_tier(FILE *f, const struct listing *l,
			     const struct listing_tier *t)
{
	fprintf(f, "    tier %s%s, rule at line %" PRIu32 "\n",
		tier_name(t->tier),
		t->tier == l->default_tier ? " (the default)" : "",
		t->rule_line);
	if (t->run_as[0])
		fprintf(f, "        run as: %s\n", t->run_as);
	else
		fprintf(f, "        run as: %s (the caller)\n", l->user);
	fprintf(f, "        network: %s", network_text(t));
	put_limits(f, &t->ceil, t->max_output_bytes, "\n        ", " = ");
	fputc('\n', f);
}

void render_listing(FILE *f, const struct listing *l)
{
	uint32_t i;

	if (l->ntiers == 0) {
		fprintf(f, "User %s may not run anything under %s.\n", l->user,
			POLICY_PATH);
		return;
	}
	fprintf(f, "User %s may run jobs under %s in these tiers, "
		   "with these ceilings:\n",
		l->user, POLICY_PATH);
	for (i = 0; i < l->ntiers && i < TIER_COUNT; i++)
		put_listing_tier(f, l, &l->tiers[i]);
	fputc('\n', f);
	put_list(f, "Allowed executables", l->nexe, (const char *)l->exe,
		 sizeof(l->exe[0]));
	put_list(f, "Environment kept, or set with -e", l->nenv, (const char *)l->env,
		 sizeof(l->env[0]));
	put_list(f, "Images", l->nimages, (const char *)l->images,
		 sizeof(l->images[0]));
}

static const char *or_none(const char *s)
{
	return s[0] ? s : "(none)";
}

void render_dry_run(FILE *f, const struct verdict *v)
{
	if (v->status != 0) {
		fprintf(f, "decision: deny (exit status %u): %s\n", v->status,
			v->message);
		return;
	}
	fprintf(f, "decision: allow\n");
	fprintf(f, "tier: %s\n", tier_name(v->tier));
	fprintf(f, "rule: line %" PRIu32 " of %s\n", v->rule_line,
		POLICY_PATH);
	fprintf(f, "executable: %s\n", or_none(v->executable));
	fprintf(f, "work directory: %s\n", or_none(v->workdir));
	fprintf(f, "run as: %s\n", or_none(v->run_as));
	fprintf(f, "network: %s", v->network ? "yes" : "no");
	put_limits(f, &v->lim, v->max_output_bytes, "\n", "=");
	fputc('\n', f);
}

void render_summary(FILE *f, const struct verdict *v)
{
	fprintf(f, "symbi-exec: job %s: tier %s, rule at line %" PRIu32
		   ", %s as %s in %s, network %s, limits",
		or_none(v->job_id), tier_name(v->tier), v->rule_line,
		or_none(v->executable), or_none(v->run_as),
		or_none(v->workdir), v->network ? "yes" : "no");
	put_limits(f, &v->lim, v->max_output_bytes, " ", "=");
	fputc('\n', f);
}

/*
 * Accounts a job runs as: the supplementary groups that grant privilege
 * (a run_as account in one is refused, by the helper at run time and by
 * --check-policy), and the rules that let several callers share one
 * account, which the policy must say outright (run_as_shared) and
 * --check-policy then warns about: callers who share a uid reach each
 * other's jobs through /proc/PID/root, signals, ptrace and the shared
 * home. run_as_pool gives every job a uid of its own instead.
 */
#include <stdio.h>
#include <string.h>

#include "policy/lex.h"
#include "policy/schema.h"

struct priv_group {
	const char *name;
	const char *why;
};

static const struct priv_group PRIVILEGED[] = {
	{ "root", "gid 0 owns system files" },
	{ "sudo", "sudo grants its members root" },
	{ "wheel", "sudo and su grant its members root" },
	{ "admin", "sudo grants its members root" },
	{ "adm", "reads every system log" },
	{ "systemd-journal", "reads every system log" },
	{ "disk", "writes raw block devices" },
	{ "kmem", "reads kernel memory" },
	{ "shadow", "reads password hashes" },
	{ "docker", "the docker engine runs anything as root" },
	{ "lxd", "lxd runs anything as root" },
	{ "incus-admin", "incus runs anything as root" },
	{ "libvirt", "libvirt runs virtual machines with host devices" },
	{ "staff", "writes /usr/local, which root's PATH runs" },
	{ "tty", "writes every terminal" },
	{ "input", "reads every keyboard" },
	{ "utmp", "forges login records" },
	{ "sys", "owns system files on some distributions" },
};

const char *policy_group_privileged(const char *name, gid_t gid)
{
	if (gid == 0)
		return PRIVILEGED[0].why;
	for (size_t i = 0; i < sizeof(PRIVILEGED) / sizeof(PRIVILEGED[0]); i++)
		if (name && strcmp(name, PRIVILEGED[i].name) == 0)
			return PRIVILEGED[i].why;
	return NULL;
}

static bool read_uid(const char **s, uid_t *v)
{
	unsigned long n = 0;
	const char *p = *s;

	if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > 2147483646ul)
			return false;
	}
	*s = p;
	*v = (uid_t)n;
	return n >= 1;
}

bool policy_pool_range(const char *s, uid_t *first, uid_t *last)
{
	if (!s || !read_uid(&s, first) || *s++ != '-' || !read_uid(&s, last))
		return false;
	return *s == '\0' && *first <= *last && *last - *first < 65536;
}

int policy_job_umask(const struct policy *p)
{
	const char *s = p->native.umask;
	int m = 0;

	if (!s)
		return 077;
	if (strcmp(s, "caller") == 0)
		return -1;
	for (; *s; s++)
		m = m * 8 + (*s - '0');
	return m & 0777;
}

/* Does r's fixed run_as serve more than one caller: a group, several
 * users, or another rule naming someone else with the same account? */
static bool run_as_shared(const struct policy *p, const struct policy_rule *r)
{
	if (r->groups.n > 0 || r->users.n > 1)
		return true;
	if (r->users.n == 0) /* a rule naming no one: refused elsewhere */
		return false;
	for (unsigned i = 0; i < p->nrules; i++) {
		const struct policy_rule *o = &p->rules[i];

		if (o == r || !o->run_as || strcmp(o->run_as, r->run_as) != 0)
			continue;
		if (o->groups.n > 0 || o->users.n != 1 ||
		    strcmp(o->users.s[0], r->users.s[0]) != 0)
			return true;
	}
	return false;
}

void schema_check_accounts(const struct policy *p, struct policy_errors *errs)
{
	for (unsigned i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (!r->run_as || !r->run_as[0] || r->run_as_shared ||
		    !run_as_shared(p, r))
			continue;
		policy_error_add(errs, r->line, 1, "run_as %s serves several "
				 "callers, whose jobs could then reach each "
				 "other: use run_as_pool, or say "
				 "run_as_shared = true", r->run_as);
	}
}

/* A tier r names in which the judge refuses its jobs. */
static bool refused_in_a_tier(const struct policy_rule *r)
{
	for (int t = 0; t < TIER_COUNT; t++)
		if ((r->tiers & (1u << t)) && policy_tier_refuses_account(r, t))
			return true;
	return false;
}

void policy_warnings(const struct policy *p, struct policy_errors *w)
{
	memset(w, 0, sizeof(*w));
	for (unsigned i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->run_as && r->run_as[0] && run_as_shared(p, r))
			policy_error_add(w, r->line, 1, "warning: run_as %s is "
					 "shared (run_as_shared): its callers' "
					 "jobs can see, signal and trace each "
					 "other and share one home",
					 r->run_as);
		if (refused_in_a_tier(r))
			policy_error_add(w, r->line, 1, "warning: tiers docker "
					 "and gvisor refuse this rule's jobs: "
					 "a job of another account (run_as, "
					 "run_as_pool) could leave a "
					 "set-user-id file on the host");
	}
}

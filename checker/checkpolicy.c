/* --check-policy: report every error of a policy file, like a compiler. */
#include "checker/checkpolicy.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "policy/policy.h"
#include "policy/subids.h"
#include "shared/enginesock.h"
#include "shared/log.h"

static void print_errors(const char *path, const struct policy_errors *errs)
{
	char buf[PROTO_MSG_LEN];
	unsigned i, kept = errs->count < POLICY_MAX_ERRORS ? errs->count
							  : POLICY_MAX_ERRORS;

	/* errs is static and filled by policy_load: cppcheck takes it as
	 * always empty. */
	// cppcheck-suppress knownConditionTrueFalse
	for (i = 0; i < kept; i++) {
		policy_error_format(&errs->e[i], buf, sizeof(buf));
		/* Errors about the file itself already name it. */
		if (errs->e[i].line)
			fprintf(stderr, "%s:%s\n", path, buf);
		else
			fprintf(stderr, "%s\n", buf);
	}
	if (errs->count > kept)
		fprintf(stderr, "%s: %u more errors not shown\n", path,
			errs->count - kept);
	if (errs->count == 0)
		fprintf(stderr, "%s: invalid\n", path);
}

static void print_warnings(const char *path, const struct policy *pol)
{
	static struct policy_errors w;
	char buf[PROTO_MSG_LEN];

	policy_warnings(pol, &w);
	for (unsigned i = 0; i < w.count && i < POLICY_MAX_ERRORS; i++) {
		policy_error_format(&w.e[i], buf, sizeof(buf));
		fprintf(stderr, "%s:%s\n", path, buf);
	}
}

/* What the helper would refuse at run time about the accounts on this
 * host: a run_as account in a group that grants privilege. */
static int check_run_as(const char *path, const struct policy_rule *r)
{
	gid_t groups[256];
	int n = 256, bad = 0;
	struct passwd *pw = getpwnam(r->run_as);

	if (!pw) {
		fprintf(stderr, "%s:%u:1: run_as %s: no such account on this "
			"host\n", path, r->line, r->run_as);
		return 1;
	}
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) == -1)
		n = 0;
	for (int i = 0; i < n; i++) {
		struct group *gr = getgrgid(groups[i]);
		const char *why = policy_group_privileged(gr ? gr->gr_name : NULL,
							  groups[i]);

		if (why) {
			fprintf(stderr, "%s:%u:1: run_as %s is in group %s, "
				"which %s: refused\n", path, r->line,
				r->run_as, gr ? gr->gr_name : "?", why);
			bad = 1;
		}
	}
	return bad;
}

/* A pool the helper refuses for the subordinate ids on this host
 * (policy/subids.h: the same rule and words). */
static int check_subids(const char *path, const struct policy_rule *r,
			uid_t first, uid_t last)
{
	static const struct subid_files host = SUBID_HOST;
	char why[PROTO_MSG_LEN];

	if (!subid_pool_refusal(&host, first, last, why, sizeof(why)))
		return 0;
	fprintf(stderr, "%s:%u:1: %s\n", path, r->line, why);
	return 1;
}

/* A pool uid with an account or a group is in use: the helper skips it. */
static int check_pool(const char *path, const struct policy_rule *r)
{
	uid_t first, last;
	struct passwd *pw;
	struct group *gr;

	if (!policy_pool_range(r->run_as_pool, &first, &last))
		return 0;
	setpwent();
	while ((pw = getpwent()) != NULL)
		if (pw->pw_uid >= first && pw->pw_uid <= last)
			fprintf(stderr, "%s:%u:1: warning: run_as_pool uid %lu "
				"is account %s: never used\n", path, r->line,
				(unsigned long)pw->pw_uid, pw->pw_name);
	endpwent();
	setgrent();
	while ((gr = getgrent()) != NULL)
		if (gr->gr_gid >= first && gr->gr_gid <= last)
			fprintf(stderr, "%s:%u:1: warning: run_as_pool gid %lu "
				"is group %s: that uid is never used\n", path,
				r->line, (unsigned long)gr->gr_gid, gr->gr_name);
	endgrent();
	return check_subids(path, r, first, last);
}

/* The engine socket, as the helper will check it at connect time. One
 * that does not exist yet is only a warning: the engine may start later. */
static int check_engine(const char *path, const struct policy *pol)
{
	const char *host = pol->docker.docker_host;
	char why[160];
	int fd;

	if (!pol->docker.enabled && !pol->gvisor.enabled)
		return 0;
	fd = engine_socket_open(host, why, sizeof(why));
	if (fd != -1) {
		close(fd);
		return 0;
	}
	if (errno == ENOENT) {
		fprintf(stderr, "%s: warning: docker_host %s: no engine listens "
			"there\n", path, host);
		return 0;
	}
	fprintf(stderr, "%s: docker_host %s: %s (the engine socket must be "
		"root's, reached through root's directories)\n", path, host, why);
	return 1;
}

static int check_accounts(const char *path, const struct policy *pol)
{
	int bad = 0;

	for (unsigned i = 0; i < pol->nrules; i++) {
		const struct policy_rule *r = &pol->rules[i];

		if (r->run_as && r->run_as[0])
			bad |= check_run_as(path, r);
		if (r->run_as_pool)
			bad |= check_pool(path, r);
	}
	return bad;
}

int check_policy(const char *file, bool quiet)
{
	static struct policy pol;
	static struct policy_errors errs;
	const char *path = file ? file : POLICY_PATH;
	int fd, rc;

	/* The loader cannot tell "unreadable" from "invalid": ask first. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		log_warn("%s: %s", path, strerror(errno));
		return 125;
	}
	close(fd);
	if (file)
		rc = policy_load_untrusted(path, &pol, &errs);
	else
		rc = policy_load(path, &pol, &errs);
	if (rc != 0) {
		print_errors(path, &errs);
		return 1;
	}
	print_warnings(path, &pol);
	rc = check_accounts(path, &pol) | check_engine(path, &pol);
	policy_free(&pol);
	if (rc != 0)
		return 1;
	if (!quiet)
		printf("%s: ok\n", path);
	return 0;
}

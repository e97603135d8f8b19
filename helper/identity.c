/*
 * Step 2: who the caller is, from the kernel only (real ids recorded at
 * step 1, SO_PEERCRED of the socket); never from the request. Also the
 * account the job runs as.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../shared/log.h"
#include "../shared/util.h"
#include "helper.h"

static void add_group(struct identity *id, gid_t g)
{
	struct group *gr;

	for (unsigned i = 0; i < id->ngroups; i++)
		if (id->gids[i] == g)
			return;
	/* The kernel's list holds at most POLICY_MAX_GROUPS; with a primary
	 * group outside it, the last one is left out, which can only deny. */
	if (id->ngroups >= sizeof(id->gids) / sizeof(*id->gids))
		return;
	gr = getgrgid(g);
	id->gids[id->ngroups] = g;
	/* A group without a name matches no rule. */
	if (gr == NULL || copy_str(id->groups[id->ngroups],
				   sizeof(id->groups[0]), gr->gr_name) != 0)
		id->groups[id->ngroups][0] = '\0';
	id->ngroups++;
}

static void check_peer(const struct invocation *inv, int sock)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1)
		die("SO_PEERCRED: %s", strerror(errno));
	if (uc.uid != inv->caller.uid || uc.pid != inv->ppid)
		die("must be started by symbi-exec (the socket belongs to "
		    "pid %ld uid %lu, not to the parent process)",
		    (long)uc.pid, (unsigned long)uc.uid);
}

void id_from_kernel(const struct invocation *inv, int sock,
		    struct identity *id)
{
	const struct creds *c = &inv->caller;
	struct passwd *pw;

	check_peer(inv, sock);
	/* Field by field: the group tables are 69 KB, read only up to
	 * ngroups, and each page zeroed for nothing is a page fault. */
	id->uid = c->uid;
	id->gid = c->gid;
	id->ngroups = 0;
	pw = getpwuid(c->uid);
	if (pw == NULL)
		die("uid %lu has no passwd entry", (unsigned long)c->uid);
	if (copy_str(id->user, sizeof(id->user), pw->pw_name) != 0)
		die("user name of uid %lu is too long", (unsigned long)c->uid);
	add_group(id, c->gid);
	for (size_t i = 0; i < c->ngroups; i++)
		add_group(id, c->groups[i]);
}

static int gid_cmp(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

	return (x > y) - (x < y);
}

/* Sorted and without duplicates, as the kernel keeps them: priv.c
 * proves the drop by comparing with getgroups(). */
static int account_groups(const struct passwd *pw, struct creds *c)
{
	int n = HELPER_MAX_GROUPS;
	size_t kept = 0;

	if (getgrouplist(pw->pw_name, pw->pw_gid, c->groups, &n) == -1)
		return -1;
	qsort(c->groups, (size_t)n, sizeof(gid_t), gid_cmp);
	for (int i = 0; i < n; i++)
		if (kept == 0 || c->groups[kept - 1] != c->groups[i])
			c->groups[kept++] = c->groups[i];
	c->ngroups = kept;
	return 0;
}

/* A run_as account in a group that grants privilege would hand it to
 * every caller of the rule. */
static bool privileged_group(const struct creds *c, const char *name,
			     char *msg, size_t cap)
{
	for (size_t i = 0; i < c->ngroups; i++) {
		struct group *gr = getgrgid(c->groups[i]);
		const char *why = policy_group_privileged(gr ? gr->gr_name
							     : NULL,
							  c->groups[i]);

		if (why) {
			snprintf(msg, cap, "refusing to run a job as %s: it "
				 "is in group %s, which %s", name,
				 gr ? gr->gr_name : "0", why);
			return true;
		}
	}
	return false;
}

int id_account(const struct invocation *inv, const char *name,
	       struct account *a, char *msg, size_t cap)
{
	struct passwd *pw;

	pw = name ? getpwnam(name) : getpwuid(inv->caller.uid);
	if (pw == NULL) {
		snprintf(msg, cap, "the run_as account %s does not exist",
			 name ? name : "(caller)");
		return -1;
	}
	if (name == NULL)
		a->c = inv->caller;
	else if (account_groups(pw, &a->c) != 0) {
		snprintf(msg, cap, "%s is in too many groups", pw->pw_name);
		return -1;
	} else {
		a->c.uid = pw->pw_uid;
		a->c.gid = pw->pw_gid;
	}
	if (name && privileged_group(&a->c, pw->pw_name, msg, cap))
		return -1;
	if (a->c.uid == 0 || a->c.gid == 0) {
		snprintf(msg, cap, "refusing to run a job as %s (uid or gid 0)",
			 pw->pw_name);
		return -1;
	}
	if (copy_str(a->name, sizeof(a->name), pw->pw_name) != 0 ||
	    copy_str(a->home, sizeof(a->home), pw->pw_dir) != 0 ||
	    copy_str(a->shell, sizeof(a->shell), pw->pw_shell) != 0) {
		snprintf(msg, cap, "the passwd entry of %s is too long",
			 pw->pw_name);
		return -1;
	}
	return 0;
}

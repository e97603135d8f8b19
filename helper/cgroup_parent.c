/*
 * Where the job's cgroups go: THE PARENT SEAM of helper.h.
 *
 * Nest, never escape: in every hierarchy the job uses, its cgroup is made
 * below the cgroup its caller runs in, so every limit around the caller
 * (an admin's cgroup, a systemd slice, a Slurm job's --mem) still holds
 * and symbi-exec's own limits can only tighten it. The caller's cgroups
 * are read from the kernel, never from the request: /proc/self/cgroup of
 * the helper (a child of the client, started in its cgroups, and which
 * the client can no longer move once it is root), checked against the
 * client's /proc/PPID/cgroup.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "../shared/log.h"
#include "helper.h"

static int read_proc(const char *file, char rel[CGD_COUNT][CG_PATH])
{
	/* Room for a line per hierarchy with its longest path. */
	static char text[16 * (CG_PATH + 64)];
	size_t len;
	FILE *f = fopen(file, "re");

	if (!f)
		return -1;
	len = fread(text, 1, sizeof(text), f);
	fclose(f);
	if (len == 0 || len == sizeof(text))
		return -1;
	return cg_parse_proc(text, len, rel);
}

/* The hierarchy's mount point, or NULL where this host has none. */
static const char *mount_of(const struct cgroup *cg, int d, char *buf,
			    size_t cap)
{
	char procs[96];

	if (d == CGD_UNIFIED)
		snprintf(buf, cap, cg->v2 ? CG_ROOT : CG_ROOT "/unified");
	else if (cg->v2)
		return NULL;
	else
		snprintf(buf, cap, CG_ROOT "/%s", cg_hierarchy_name(d));
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", buf);
	return access(procs, F_OK) == 0 ? buf : NULL;
}

/* "inherit": the caller's own cgroup; at a hierarchy's root (where
 * nothing encloses the caller), a symbi-exec directory there. */
static int inherit(struct cgroup *cg, int d, const char *mnt, const char *rel)
{
	bool at_root = strcmp(rel, "/") == 0;
	int n = snprintf(cg->parent[d], sizeof(cg->parent[d]), "%s%s", mnt,
			 at_root ? "/symbi-exec" : rel);

	cg->ours[d] = at_root;
	return n > 0 && (size_t)n < sizeof(cg->parent[d]) ? 0 : -1;
}

/* Root's alone: the directory and its cgroup.procs owned by root and
 * writable by no one else. */
static bool roots_alone(int dfd)
{
	struct stat d, p;

	return fstat(dfd, &d) == 0 &&
	       fstatat(dfd, "cgroup.procs", &p, AT_SYMLINK_NOFOLLOW) == 0 &&
	       d.st_uid == 0 && p.st_uid == 0 &&
	       !(d.st_mode & (S_IWGRP | S_IWOTH)) &&
	       !(p.st_mode & (S_IWGRP | S_IWOTH));
}

/* Whether someone other than root may write a cgroup on the way from the
 * hierarchy's root (mnt) to rel, the caller's: such a writer may move
 * processes below it anywhere in that subtree (cgroup v2 checks no uid)
 * and freeze or kill all of it, the helper included. A job nested there,
 * or a helper left there, would hold no limit and no timeout. */
static bool others_may_write(const char *mnt, const char *rel)
{
	char path[CG_PATH];
	bool bad = false;
	int dfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd == -1 || (size_t)snprintf(path, sizeof(path), "%s", rel) >=
				 sizeof(path)) {
		if (dfd != -1)
			close(dfd);
		return true;
	}
	for (char *save = NULL, *c = strtok_r(path, "/", &save); c && !bad;
	     c = strtok_r(NULL, "/", &save)) {
		int next = openat(dfd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					  O_CLOEXEC);

		close(dfd);
		dfd = next;
		bad = dfd == -1 || !roots_alone(dfd);
	}
	if (dfd != -1)
		close(dfd);
	return bad;
}

/* CGD_UNIFIED when the caller's cgroup2 path is writable by others than
 * root, else -1. Only cgroup2 moves any process without a uid check and
 * freezes or kills root's: on v1 a user moves only their own processes
 * (a job of theirs may leave its symbi-exec cgroup for one of theirs,
 * never the limits of a root-owned ancestor: Slurm's v1 plugin hands
 * each step's cgroups to its user), and its freezer is not ours. */
static int writable_hierarchy(const struct cgroup *cg,
			      char rel[CGD_COUNT][CG_PATH])
{
	char mnt[64];

	if (rel[CGD_UNIFIED][0] &&
	    mount_of(cg, CGD_UNIFIED, mnt, sizeof(mnt)) &&
	    others_may_write(mnt, rel[CGD_UNIFIED]))
		return CGD_UNIFIED;
	return -1;
}

/* "inherit" on a systemd host: a scope systemd delegates to the helper,
 * in the caller's slice (cgroup_systemd.c). */
static int systemd_scope(struct job *j, const char *rel)
{
	struct cgroup *cg = &j->cg;
	char msg[PROTO_MSG_LEN];

	if (sd_cgroup_parent(j, rel, cg->parent[CGD_UNIFIED],
			     sizeof(cg->parent[CGD_UNIFIED]), msg,
			     sizeof(msg)) == -1) {
		log_audit(LOG_ERR, "job=%s: %s", j->job_id, msg);
		set_message(&j->v, 125, "%s", msg);
		return -1;
	}
	cg->ours[CGD_UNIFIED] = true;
	cg->delegated = true;
	return 0;
}

/* An admin's path: the caller's own parent below it, holding all of
 * the caller's jobs and their totals. */
static int admin_path(struct cgroup *cg, int d, const char *mnt,
		      const char *path, uid_t uid)
{
	int n = snprintf(cg->parent[d], sizeof(cg->parent[d]),
			 "%s%s/user-%u", mnt, path, (unsigned)uid);

	cg->ours[d] = true;
	return n > 0 && (size_t)n < sizeof(cg->parent[d]) ? 0 : -1;
}

int cg_choose_parent(struct job *j)
{
	static char mine[CGD_COUNT][CG_PATH], theirs[CGD_COUNT][CG_PATH];
	struct cgroup *cg = &j->cg;
	const char *admin = j->pol.native.cgroup_parent;
	char file[64], mnt[64];
	int w;

	cg->v2 = access(CG_ROOT "/cgroup.controllers", F_OK) == 0;
	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)j->inv.ppid);
	if (read_proc("/proc/self/cgroup", mine) == -1 ||
	    read_proc(file, theirs) == -1) {
		set_message(&j->v, 125, "cannot read the caller's cgroups");
		return -1;
	}
	if (memcmp(mine, theirs, sizeof(mine)) != 0) {
		set_message(&j->v, 125, "the caller's cgroups changed while "
			    "the helper started");
		return -1;
	}
	if (admin && strcmp(admin, "inherit") == 0)
		admin = NULL;
	cg->per_user = admin != NULL;
	w = writable_hierarchy(cg, mine);
	/* A caller in a subtree delegated to a user (user@UID.service, a
	 * unit of theirs) gets a scope too: the helper leaves for it. */
	if (!admin && cg->v2 && sd_manages_cgroups() &&
	    (w != -1 || !sd_caller_delegated(mine[CGD_UNIFIED])))
		return systemd_scope(j, mine[CGD_UNIFIED]);
	if (w != -1) {
		log_audit(LOG_WARNING, "job=%s: refused: the caller's "
			  "cgroup2 cgroup is writable by others than root",
			  j->job_id);
		set_message(&j->v, 125, "the caller's cgroup2 cgroup can be "
			    "written by others than root: a job there could "
			    "leave its limits and its helper be frozen "
			    "(run from a root-owned cgroup)");
		return -1;
	}
	for (int d = 0; d < CGD_COUNT; d++) {
		cg->parent[d][0] = '\0';
		if (!mine[d][0] || !mount_of(cg, d, mnt, sizeof(mnt)))
			continue;
		if (admin ? admin_path(cg, d, mnt, admin, j->id.uid) == -1
			  : inherit(cg, d, mnt, mine[d]) == -1) {
			set_message(&j->v, 125, "the job's cgroup path is too "
				    "long");
			return -1;
		}
	}
	return 0;
}

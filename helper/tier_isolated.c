/*
 * Tier isolated on the helper's seam: the volumes checked as the caller
 * (volume.c), the job's child made in the namespaces with its own root
 * (ns.c, mounts.c), the seccomp filter as its last step, and its exec
 * that of the namespace's init (symbi-exec-init), which starts the job.
 * Everything else (rlimits, drop, cgroup, timeout, result) is the
 * core's, as for tier none.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../shared/trust.h"
#include "../shared/util.h"
#include "paths.h"
#include "helper.h"
#include "mounts.h"
#include "ns.h"
#include "seccomp.h"
#include "volume.h"

struct isolated_job {
	struct ns_job ns;
	int init_fd; /* O_PATH of symbi-exec-init */
	struct volume vols[PROTO_MAX_VOLUMES];
	unsigned nvols;
};

/* Each --volume, resolved with the caller's own credentials (as the
 * docker tier does): what the caller cannot read does not get in. */
static int check_volumes(struct job *j)
{
	struct isolated_job *iso = j->isolated;
	char err[PROTO_MSG_LEN];

	for (uint32_t i = 0; i < j->req.volc && i < PROTO_MAX_VOLUMES; i++) {
		if (volume_check(j->req.vol[i], &j->inv.caller, VOLUME_WANT_FD,
				 &iso->vols[i], err, sizeof(err)) == -1) {
			set_message(&j->v, 125, "%s", err);
			return -1;
		}
		iso->nvols++;
	}
	return 0;
}

/* The init is executed as the job's account: root's alone all the way
 * up, as the helper beside it; and unreadable to others, so the kernel
 * makes it non-dumpable at its exec: the job process, already running
 * then, cannot open its /proc/1/mem before it says so itself. */
static int open_init(struct job *j)
{
	char why[PROTO_MSG_LEN];
	struct stat st;
	int fd;

	fd = trust_open(INIT_PATH, TRUST_REGULAR, 0, NULL, why, sizeof(why));
	if (fd != -1 && (fstat(fd, &st) == -1 ||
			 (st.st_mode & (S_IRGRP | S_IROTH)) != 0)) {
		(void)copy_str(why, sizeof(why), "readable by group or "
			       "others (install it 0711)");
		close(fd);
		fd = -1;
	}
	if (fd == -1) {
		set_message(&j->v, 125, "cannot use the namespace init %s: %s",
			    INIT_PATH, why);
		return -1;
	}
	j->isolated->init_fd = fd;
	return 0;
}

static int iso_prepare(struct job *j)
{
	j->isolated = calloc(1, sizeof(*j->isolated));
	if (!j->isolated) {
		set_message(&j->v, 125, "out of memory");
		return -1;
	}
	j->isolated->ns.pidfd = -1;
	j->isolated->ns.report_fd = -1;
	j->isolated->init_fd = -1;
	if (open_init(j) == -1 || exe_resolve(j) == -1 ||
	    check_volumes(j) == -1)
		return -1;
	return 0;
}

static int iso_share(struct vchild *vc, uint64_t ns_flags, int (*fn)(void *),
		     void *arg, void *ctx)
{
	struct job *j = ctx;

	return cg_share(&j->cg, vc, ns_flags, fn, arg);
}

static pid_t iso_clone(struct clone_args *ca, void *ctx)
{
	struct job *j = ctx;

	return cg_clone(&j->cg, ca);
}

static int iso_enter_cgroup(void *ctx)
{
	const struct job *j = ctx;

	return cg_join(&j->cg);
}

/* The fresh work directory's fd, or the caller's directory as the caller
 * opened it, readable and writable by her (workdir.c, caller_dir_access:
 * the judge applied a volume's rules to it): root never reaches, by a
 * path the user chose, what the caller could not. It is bound at its
 * own path, writable. */
static pid_t iso_fork(struct job *j, int (*child)(void *), void *arg)
{
	char err[PROTO_MSG_LEN];
	int work_fd = j->work_fd != -1 ? j->work_fd : j->caller_dir_fd;
	int64_t left;
	int rc;
	struct mount_plan plan = {
		.ro_binds = j->pol.isolated.read_only_binds.s,
		.n_ro_binds = j->pol.isolated.read_only_binds.n,
		.work_fd = work_fd,
		.work_path = j->v.workdir,
		.vols = j->isolated->vols,
		.n_vols = j->isolated->nvols,
		.tmp_size_mb = j->dec.lim.v[LIM_MEMORY_MB],
	};
	struct ns_config cfg = {
		.share_net = j->dec.network,
		.mounts = &plan,
		.share = iso_share,
		.clone = iso_clone,
		.enter_cgroup = iso_enter_cgroup,
		.ctx = j,
		.init_fd = j->isolated->init_fd,
		.exe_fd = j->exe_fd,
		.pty_fd = j->pty_fd,
		.argv = j->argv,
		.envp = j->envp,
	};

	if (work_fd == -1) {
		set_message(&j->v, 125, "cannot use work directory %s: %s",
			    j->v.workdir, strerror(errno));
		return -1;
	}
	left = (int64_t)(supervise_deadline(j) - now_ms());
	cfg.start_timeout_ms = left > INT_MAX ? INT_MAX : (int)left;
	if (cfg.start_timeout_ms <= 0)
		cfg.start_timeout_ms = 1;
	rc = ns_spawn(&cfg, child, arg, &j->isolated->ns, err, sizeof(err));
	if (rc == -1) {
		set_message(&j->v, 125, "%s", err);
		return -1;
	}
	return j->isolated->ns.init_pid;
}

static int iso_seal(struct job *j)
{
	return seccomp_load_job_filter(j->dec.network);
}

static void iso_child_keep(const struct job *j, int fds[2])
{
	fds[0] = j->isolated->ns.child_report_fd;
	fds[1] = j->isolated->init_fd;
}

static void iso_child_exec(struct job *j, int status_fd)
{
	ns_exec_init(&j->isolated->ns, status_fd);
}

static int iso_status(struct job *j, int wstatus)
{
	return ns_job_status(&j->isolated->ns, wstatus);
}

static int iso_state_fd(struct job *j)
{
	return j->isolated->ns.report_fd;
}

static int iso_state(struct job *j)
{
	switch (ns_job_state(&j->isolated->ns)) {
	case NS_STOPPED:
		return JOB_STOPPED;
	case NS_CONTINUED:
		return JOB_CONTINUED;
	case 0:
		return 0;
	default:
		return -1;
	}
}

static void iso_cleanup(struct job *j)
{
	struct isolated_job *iso = j->isolated;

	if (!iso)
		return;
	ns_job_close(&iso->ns);
	if (iso->init_fd != -1)
		close(iso->init_fd);
	iso->init_fd = -1;
	for (unsigned i = 0; i < iso->nvols; i++)
		volume_release(&iso->vols[i]);
	iso->nvols = 0;
}

const struct tier_ops tier_isolated_ops = {
	.prepare = iso_prepare,
	.fork = iso_fork,
	.child_seal = iso_seal,
	.child_keep = iso_child_keep,
	.child_exec = iso_child_exec,
	.status = iso_status,
	.cleanup = iso_cleanup,
	.state_fd = iso_state_fd,
	.state = iso_state,
	.caller_dir_access = R_OK | W_OK,
};

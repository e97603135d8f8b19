/*
 * Tiers docker and gvisor on the helper's seam: each hook is one call
 * into docker.c (see docker.h for the lifecycle).
 */
#include <stdlib.h>
#include <syslog.h>
#include <string.h>
#include <unistd.h>

#include "../shared/log.h"
#include "../shared/util.h"
#include "build/paths.h"
#include "docker.h"
#include "helper.h"


static int dk_prepare(struct job *j)
{
	char err[PROTO_MSG_LEN];
	struct docker_job *dj = calloc(1, sizeof(*dj));
	int st;

	if (!dj) {
		set_message(&j->v, 125, "out of memory");
		return -1;
	}
	j->docker = dj;
	dj->pol = &j->pol;
	dj->tier = j->dec.tier;
	dj->uid = j->user.c.uid;
	dj->gid = j->user.c.gid;
	dj->caller = &j->inv.caller;
	dj->lim = &j->dec.lim;
	dj->net = j->dec.network_mode;
	dj->runtime = j->dec.runtime;
	dj->dry_run = j->req.mode == MODE_DRY_RUN;
	dj->tty_fd = j->pty_fd;
	dj->image = j->req.image;
	dj->argv = (const char *const *)j->req.argv;
	dj->env = (const char *const *)j->req.env;
	dj->envc = j->req.envc;
	dj->vol = (const char *const *)j->req.vol;
	dj->volc = j->req.volc;
	st = docker_prepare(dj, err, sizeof(err));
	if (st != 0) {
		set_message(&j->v, st, "%s", err);
		return -1;
	}
	return 0;
}

static int dk_start(struct job *j)
{
	struct docker_job *dj = j->docker;
	char err[PROTO_MSG_LEN];

	dj->job_id = j->job_id;
	dj->stage_name = j->work_name;
	dj->workdir = j->v.workdir;
	/* The fresh directory as made, or the caller's as she opened it,
	 * readable and writable by her (workdir.c, caller_dir_access: the
	 * judge applied a volume source's rules to it): the /workspace the
	 * engine gets is that descriptor's clone (stage.c). */
	dj->workdir_fd = j->work_fd != -1 ? j->work_fd : j->caller_dir_fd;
	j->start_ms = now_ms();
	if (docker_start(dj, err, sizeof(err)) != 0) {
		set_message(&j->v, 125, "%s", err);
		return -1;
	}
	j->pid = dj->client;
	j->pidfd = dup(dj->client_pidfd);
	return 0;
}

static void dk_signal(struct job *j, int signo)
{
	docker_signal(j->docker, signo);
}

static void dk_kill(struct job *j)
{
	docker_kill(j->docker);
}

static void dk_finish(struct job *j, int wstatus)
{
	char err[PROTO_MSG_LEN];

	docker_finish(j->docker, wstatus, &j->res, err, sizeof(err));
	if (err[0]) {
		log_warn("%s", err);
		log_audit(LOG_WARNING, "job=%s: %s", j->job_id, err);
	}
}

static void dk_cleanup(struct job *j)
{
	if (j->docker && docker_cleanup(j->docker) == -1)
		log_audit(LOG_WARNING, "job=%s: its staged mounts in %s could "
			  "not all be removed", j->job_id, RUN_DIR);
}

const struct tier_ops tier_docker_ops = {
	.prepare = dk_prepare,
	.start = dk_start,
	.signal = dk_signal,
	.kill = dk_kill,
	.finish = dk_finish,
	.cleanup = dk_cleanup,
	.caller_dir_access = R_OK | W_OK,
};

/*
 * The docker and gvisor tiers: the helper runs `docker run` as root with
 * flags it builds itself, for a caller who is not in the docker group and
 * must not get the engine's root-equivalent power. Nothing of the caller
 * reaches docker but the judged fields of struct docker_job: the binary
 * and the daemon socket come from the policy, the environment of every
 * docker process is fixed (see docker.c), the image, environment,
 * network and runtime are the judge's (policy/judge.c), volumes pass
 * volume_check, the work directory is the one workdir.c opened as the
 * caller, and the user's command comes after the image, where docker
 * reads no option.
 *
 * The container is named symbi-<job id>. Its life is the helper's: on
 * timeout, client death or a forwarded signal the helper acts on the
 * container itself (a kill through the engine), and after the docker
 * client ends it always removes the container and makes sure it is gone.
 * Only `docker run` is the docker CLI: every other call goes to the
 * engine's API on the policy's socket (engine.h), a few milliseconds
 * where a CLI start costs tens.
 *
 * Call order (the helper's tier seam, helper.h):
 *   docker_prepare  every check, volumes resolved as the caller; a dry
 *                   run asks the engine for the runtime; no work dir
 *   docker_start    once the work dir exists: builds the argv, stages
 *                   the mount sources (stage.c), forks the docker
 *                   client (stdio = the helper's fds 0-2)
 *   while running:  docker_signal on a forwarded signal,
 *                   docker_kill on timeout, client death, or any sweep
 *   after reaping the docker client: docker_finish.
 *   docker_cleanup  at the end, on every path (removes a container that
 *                   docker_finish did not, then the staged sources).
 * Nothing here reaps the docker client: the supervisor does.
 * struct docker_job is large (argv arena, volumes): tier_docker.c
 * allocates it, reached from struct job.
 */
#ifndef SYMBI_HELPER_DOCKER_H
#define SYMBI_HELPER_DOCKER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "helper/volume.h"
#include "policy/policy.h"
#include "shared/proto.h"

/* 16 fixed flags with their values, 12 limit and ulimit pairs, the work
 * dir, the image, the command, -e and --mount pairs. */
#define DOCKER_MAX_ARGS (64 + PROTO_MAX_ARGS + 2 * PROTO_MAX_ENV + \
			 2 * PROTO_MAX_VOLUMES)

struct docker_job {
	/* Set by the caller before docker_prepare. */
	const struct policy *pol;
	int tier;                        /* TIER_DOCKER or TIER_GVISOR */
	/* job_id, workdir, workdir_fd and stage_name are needed by
	 * docker_start only. */
	const char *job_id;              /* [A-Za-z0-9_.-], <= 48 bytes */
	const char *workdir;             /* host dir mounted at /workspace */
	int workdir_fd;                  /* it, as made or checked */
	const char *stage_name;          /* the job's record name (stage.c) */
	uid_t uid;                       /* the account the job runs as */
	gid_t gid;
	const struct creds *caller;      /* volumes are checked as the caller */
	const struct limits *lim;        /* effective limits, every one set */
	const char *net, *runtime;       /* judged: --network, --runtime
					    ("" the engine's default) */
	bool dry_run;                    /* no docker run will follow */
	int tty_fd;                      /* the job's pty slave, or -1 */
	const char *image;
	const char *const *argv;         /* the command, NULL-terminated */
	const char *const *env;          /* "NAME=VALUE" the policy let pass */
	unsigned envc;
	const char *const *vol;          /* "SRC:DST[:ro|:rw]" as requested */
	unsigned volc;

	/* Filled by docker_prepare and docker_start. */
	char name[64];                   /* symbi-<job id> */
	struct volume vols[PROTO_MAX_VOLUMES];
	bool staged;                     /* stage_bind was called */
	pid_t client;                    /* the `docker run` process, or -1 */
	int client_pidfd;                /* its pidfd (valid after reaping) */
	bool started, finished;
	unsigned nargs;
	char *args[DOCKER_MAX_ARGS + 1]; /* docker run argv, into arena */
	size_t arena_used;
	char arena[PROTO_MAX_MSG + 4 * PROTO_MAX_VOLUMES * 4096 + 4096];
};

/* The request was judged (policy_judge: image, environment, network,
 * runtime, limits, volumes' syntax and roots): check what only the
 * host can say: the account is not root, the binary is root's alone, on
 * a dry run whether the engine knows the runtime (a run finds out from
 * docker run's failure, see docker_finish), and the volumes as the
 * caller. Returns 0, or the exit status for the client
 * (125) with a one-line reason in err. */
int docker_prepare(struct docker_job *j, char *err, size_t errlen);

/* Build the argv (j->workdir and the rest set now), attach the work
 * directory and the volumes from their descriptors where the engine
 * mounts them from (stage.c), then fork and exec the docker client: its
 * own session (no controlling terminal, no terminal signals), stdio =
 * the helper's fds 0-2, every other fd closed, the fixed environment,
 * SIGKILL if the helper dies. Sets j->client and
 * j->client_pidfd (the caller may dup the pidfd, not close it). Returns
 * 0, or -1 with err and nothing running. */
int docker_start(struct docker_job *j, char *err, size_t errlen);

/* Forward signo to the job: the engine's kill with that signal. */
void docker_signal(const struct docker_job *j, int signo);

/* Timeout or client gone: SIGKILL the container through the engine,
 * give the docker client a few seconds to notice, then SIGKILL it, so the
 * supervisor's pidfd fires even if the engine hangs. Does not reap. A
 * no-op once the docker client has ended (docker_finish removes). */
void docker_kill(struct docker_job *j);

/* After the supervisor reaped the docker client (wstatus from waitid or
 * waitpid): read the container's state, remove it (the engine confirms),
 * fill res->exit_code and res->signal, and killed_reason = KILL_MEMORY
 * on an OOM kill if no reason was set yet. Returns the job's exit status
 * as SPEC: the container's status; 137 on OOM; 126/127 when docker could
 * not run the command; 125 when docker itself failed (err says why, e.g.
 * the runtime is not configured) or the container could not be removed
 * (err empty otherwise). The supervisor keeps wall time, timed_out and
 * 124 on its own timeout. */
int docker_finish(struct docker_job *j, int wstatus, struct result *res,
		  char *err, size_t errlen);

/* Remove the container if docker_start ran and docker_finish did not,
 * then the staged sources; close the volumes' and the client's
 * descriptors. Returns -1 if a staged source stayed. Idempotent. */
int docker_cleanup(struct docker_job *j);

#endif

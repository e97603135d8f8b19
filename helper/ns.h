/*
 * The isolated tier's namespaces and the tiny init inside them.
 *
 * ns_spawn makes, as root and without any user namespace, a process in
 * new mount, pid, ipc, uts and (unless the network is granted) network
 * namespaces. That process is pid 1 inside, the init:
 *   1. is born in the job's cgroup2 directory (cfg->clone) and joins
 *      the rest (cfg->enter_cgroup), then unshares the cgroup
 *      namespace, so the job's cgroup is the root the job sees;
 *   2. sets the hostname NS_HOSTNAME, brings up loopback;
 *   3. builds the new root and pivots into it (mounts_build_root), which
 *      also closes every directory descriptor: the job inherits none;
 *   4. starts the job process (pid 2), which runs child_fn(arg): rlimits,
 *      privilege drop, chdir(work_path) BY PATH, seccomp, execveat; it
 *      shares the init's memory until that exec, and the init waits for
 *      it (vfork-like, see ns.c for why and when it is a plain fork);
 *   5. closes all its descriptors, drops to the job's account
 *      (cfg->drop), and then only reaps and forwards signals.
 * ns_spawn returns once the init reported step 5 done (or failed), so
 * after the job's exec (or its failure, which child_fn reports its own
 * way), within cfg->start_timeout_ms. Then:
 *   - the supervisor watches ns_job.pidfd (the init) as it would the job;
 *   - SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGCONT sent to the init are
 *     forwarded to the job's process group, and the init reports when
 *     the job process stops or continues (job control on its terminal); every other signal but SIGKILL and
 *     SIGSTOP is dropped by the kernel (a pid namespace's init receives
 *     only signals it handles); SIGKILL to the init kills the namespace;
 *   - when the job process ends, the init exits and the kernel kills
 *     everything left in the pid namespace; the mount namespace, and
 *     with it every mount, goes with its last process;
 *   - if the helper dies, the init dies (parent-death signal, and a
 *     lifeline pipe for the window where that signal is reset), and so
 *     does the namespace;
 *   - after reaping the init, ns_job_status gives the job process's own
 *     wait status. The init's exit code alone cannot tell a job killed
 *     by signal N from one that exited with 128+N (a pid 1 cannot die of
 *     its own signals, so it encodes a signal death as 128+N), hence the
 *     report pipe.
 * Trade-off: the init runs as the job's uid, so the job may signal it;
 * it acts on the four forwarded signals only (which reach the job
 * anyway), the kernel ignores SIGKILL and SIGSTOP sent to a pid
 * namespace's init from inside, and the init is not dumpable (no
 * ptrace, no /proc/1/mem or fd), besides the filter refusing ptrace.
 */
#ifndef SYMBI_NS_H
#define SYMBI_NS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "mounts.h"

#define NS_HOSTNAME "symbi-sandbox"

struct clone_args;

struct ns_config {
	bool share_net;                  /* --network granted: host's net */
	bool report_stops;               /* the job has a terminal: report
					    when it stops and continues */
	/* Makes the init: clone3(2) with ca, as fork (cg_clone, so the
	 * init is born in the job's cgroup). */
	pid_t (*clone)(struct clone_args *ca, void *ctx);
	const struct mount_plan *mounts; /* the new root */
	/* In the init, as root, first: join the job's cgroup (cg_join).
	 * NULL: stay in the helper's. 0, or -1 with errno. */
	int (*enter_cgroup)(void *ctx);
	/* In the init, after the job is forked: become the job's account
	 * (priv_drop). Required. 0, or -1 with errno. */
	int (*drop)(void *ctx);
	void *ctx;
	/* How long the namespace, the init and the job's exec may take,
	 * in ms (the job's timeout); 0 or over 30 s: 30 s. */
	int start_timeout_ms;
};

struct ns_job {
	pid_t init_pid; /* the init, as the host sees it */
	int pidfd;      /* of the init */
	int report_fd;  /* the init's reports; read by ns_job_state/status */
	bool exited;    /* the job's end was reported, with status */
	int status;
};

/* Start the namespaces, the init and the job as above. child_fn runs in
 * the job process; it should exec, and its return value is the job's
 * exit status if it does not. It inherits the caller's descriptors
 * except directories, and the signal mask of the call. Returns 0 with
 * *nj filled, or -1 with a message in err and nothing left running. */
int ns_spawn(const struct ns_config *cfg, int (*child_fn)(void *), void *arg,
	     struct ns_job *nj, char *err, size_t errlen);

/* Once the init was reaped with wait status init_status: the wait
 * status of the job process itself (exit code or signal). If the init
 * was killed first (timeout, kill guarantee), that is init_status. */
int ns_job_status(struct ns_job *nj, int init_status);

/* While the job runs, when report_fd is readable: NS_STOPPED or
 * NS_CONTINUED when the job process stopped or was continued (the init
 * reports it, as SIGCHLD would to a parent), 0 for another report, -1
 * when the init has no more to say. */
enum { NS_STOPPED = 1, NS_CONTINUED = 2 };
int ns_job_state(struct ns_job *nj);

/* Close the descriptors in nj. */
void ns_job_close(struct ns_job *nj);

#endif

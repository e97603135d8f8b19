/*
 * The isolated tier's namespaces and their init.
 *
 * ns_spawn makes, as root and without any user namespace, a process in
 * new mount, pid, ipc, uts and (unless the network is granted) network
 * namespaces, pid 1 inside. It shares the helper's memory until its exec
 * (no copy of the helper's page tables, no copy-on-write faults on
 * either side; a copy only where vchild.c cannot share), and the helper
 * only waits for it meanwhile:
 *   1. it is born in the job's cgroup2 directory (cfg->share) and
 *      joins the rest (cfg->enter_cgroup), then unshares the cgroup
 *      namespace, so the job's cgroup is the root the job sees;
 *   2. sets the hostname NS_HOSTNAME, brings up loopback;
 *   3. builds the new root and pivots into it (mounts_build_root);
 *   4. runs child_fn(arg): spawn.c's job child, in its fixed order (new
 *      session, rlimits, signals, umask, descriptors, privilege drop,
 *      parent-death signal, terminal, chdir(work_path) BY PATH, seccomp),
 *      whose exec is ns_exec_init: with every signal blocked, it
 *      starts the job process (pid 2, sharing the child's memory until
 *      its exec, CLONE_VFORK: a process group of its own, the
 *      terminal's foreground one, then the exec of cfg->exe_fd), and
 *      only then execs symbi-exec-init (init/init.h) over itself, from
 *      a descriptor opened before the pivot, not setuid, as the job's
 *      account and under the job's filter: the job's exec does not
 *      wait for the init's;
 *   5. the init takes over the job process and from then on only reaps
 *      and forwards signals (those sent meanwhile waited, blocked).
 * ns_spawn returns once the init reported the job started (or the child
 * failed, or cfg->start_timeout_ms passed: then it was killed and
 * reaped). Then:
 *   - the supervisor watches ns_job.pidfd (the init) as it would the job;
 *   - SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGCONT sent to the init are
 *     forwarded to the job's process group, and with a terminal the init
 *     reports when the job process stops or continues (job control);
 *     every other signal but SIGKILL and SIGSTOP is dropped by the kernel
 *     (a pid namespace's init receives only signals it handles); SIGKILL
 *     to the init kills the namespace;
 *   - when the job process ends, the init exits and the kernel kills
 *     everything left in the pid namespace; the mount namespace, and
 *     with it every mount, goes with its last process;
 *   - if the helper dies, the init dies (parent-death signal, and the
 *     report pipe as a lifeline), and so does the namespace;
 *   - after reaping the init, ns_job_status gives the job process's own
 *     wait status. The init's exit code alone cannot tell a job killed
 *     by signal N from one that exited with 128+N (a pid 1 cannot die of
 *     its own signals, so it encodes a signal death as 128+N), hence the
 *     report pipe.
 * Trade-off: the init runs as the job's uid, so the job may signal it;
 * it acts on the forwarded signals only (which reach the job anyway),
 * the kernel ignores SIGKILL and SIGSTOP sent to a pid namespace's init
 * from inside, and the init is not dumpable (no ptrace, no /proc/1/mem:
 * installed unreadable to the job's account, the kernel makes it so at
 * the exec, and the init's prctl keeps it so), besides the filter
 * refusing ptrace.
 */
#ifndef SYMBI_NS_H
#define SYMBI_NS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "mounts.h"

#define NS_HOSTNAME "symbi-sandbox"

struct clone_args;
struct vchild;

struct ns_config {
	bool share_net;                  /* --network granted: host's net */
	/* Makes the child sharing our memory, in the namespaces ns_flags
	 * and born in the job's cgroup2 directory (vchild_spawn_ns): 0 with
	 * vc filled, or -1 (errno) with nothing started ... */
	int (*share)(struct vchild *vc, uint64_t ns_flags, int (*fn)(void *),
		     void *arg, void *ctx);
	/* ... and then a copy instead: clone3(2) with ca, as fork
	 * (cg_clone, so it is born in the job's cgroup too). */
	pid_t (*clone)(struct clone_args *ca, void *ctx);
	const struct mount_plan *mounts; /* the new root */
	/* In the child, as root, first: join the job's cgroup (cg_join).
	 * NULL: stay in the helper's. 0, or -1 with errno. */
	int (*enter_cgroup)(void *ctx);
	void *ctx;
	/* How long the namespace, the child's setup and the job's exec may
	 * take, in ms (the job's timeout); 0 or over 30 s: 30 s. */
	int start_timeout_ms;
	/* For ns_exec_init: O_PATH of symbi-exec-init (a regular file),
	 * the job's checked file, its terminal or -1, argv and envp. */
	int init_fd;
	int exe_fd;
	int pty_fd;
	char *const *argv;
	char *const *envp;
};

struct ns_exec; /* the init's argv, built before the clone */

struct ns_job {
	pid_t init_pid; /* the init, as the host sees it */
	int pidfd;      /* of the init */
	int report_fd;  /* the init's reports; read by ns_job_state/status */
	bool exited;    /* the job's end was reported, with status */
	int status;
	/* In the child: the report pipe's write end, the job's and the
	 * init's exec. */
	int child_report_fd;
	int init_fd;
	struct ns_exec *exec;
};

/* Start the namespaces, the init and the job as above. child_fn runs in
 * the namespaces' child; it ends in ns_exec_init, or reports why not on
 * its own status pipe and exits 126 or 127 (spawn.c). It inherits the
 * caller's descriptors, directories included (child_fn closes them).
 * Returns 0 with *nj filled, or -1 with a message in err and nothing
 * left running. */
int ns_spawn(const struct ns_config *cfg, int (*child_fn)(void *), void *arg,
	     struct ns_job *nj, char *err, size_t errlen);

/* In the namespaces' child, last: start the job process (its failures
 * reported on status_fd as the child's own, spawn_report) and exec the
 * init over the child. */
void ns_exec_init(const struct ns_job *nj, int status_fd)
	__attribute__((noreturn));

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

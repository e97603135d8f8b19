/*
 * symbi-exec-helper internals: the privileged core and its mechanisms.
 *
 * main.c walks the privileged path, one function per step:
 *   inv_sanitize   invocation hygiene, take full root      invocation.c
 *   id_from_kernel caller identity (getuid, SO_PEERCRED)   identity.c
 *   choose_account the job's account, or a run_as_pool uid identity.c pool.c
 *   policy, request, judge, --list, verdicts, audit lines  main.c reply.c
 *                                                          message.c
 *   tier->prepare  what to exec (tier none: exe_resolve)   tier.c exe.c
 *   workdir_make   fresh private work directory            workdir.c
 *   userjobs_claim one of the caller's concurrent jobs    userjobs.c
 *   cg_choose_parent  where the job's cgroup goes      cgroup_parent.c
 *                  (below the caller's own, in every hierarchy)
 *   cg_create      the job's own cgroup (v2 or v1+unified) cgroup.c
 *   pty_check      the job's terminal, if one was passed   pty.c
 *   spawn_job      clone3 into the cgroup, child setup,    spawn.c
 *                  verified exec
 *   supervise      one poll loop until everything is gone  supervise.c
 *   job_answer     the job's processes provably gone: its  teardown.c
 *                  slot's running mark freed, the result, the
 *                  client released
 *   job_cleanup    every resource released, on every path  teardown.c
 *                  (after job_answer: the caller waits for none)
 * priv.c is the only file that calls setgroups, set*id, capset,
 * PR_SET_NO_NEW_PRIVS or execveat. limits.c sets the job's rlimits,
 * env.c builds its environment. Every policy decision is the judge's
 * (policy/judge.c, j->dec); the files here act on it and check only
 * what the filesystem and the kernel can say.
 *
 * THE TIER SEAM. Everything that differs between tiers goes through one
 * struct tier_ops, chosen in tier.c (tier_ops_for). A tier that returns
 * NULL there is answered "tier X is not available yet". The core always
 * does: identity, judge, work directory, cgroup, rlimits, new session,
 * privilege drop, timeout and kill guarantee, result, audit. A new tier
 * (isolated: namespaces, mounts, seccomp; docker: `docker run`) adds a
 * file tier_NAME.c defining its ops and one line in tier.c:
 *   prepare      root, before fork: set j->exe_fd, j->exe_path and
 *                j->argv (docker: the docker binary and its run argv).
 *                Return 0, or fill j->v.status/message and return -1.
 *   child_setup  in the job child, still root, after the cgroup join
 *                and rlimits, before the drop (unshare, mounts).
 *   child_seal   in the job child after the drop and chdir, right
 *                before execveat (seccomp). Both child hooks return 0 or
 *                -1 with errno set; the failure reaches the client.
 *   child_keep   the (up to two, else -1) descriptors of the tier's that
 *                the job child keeps when it closes the rest.
 *   child_exec   in the job child, in place of the exec of the checked
 *                file (isolated: starts the job process, which reports
 *                on status_fd as the child would, then execs the
 *                namespace's init over the child). Returns only on
 *                failure, with errno set.
 *   fork         replaces the clone in spawn_job (isolated: the child
 *                that builds the namespaces and runs child(arg) in them,
 *                the future init). Returns the pid to supervise, or -1
 *                with j->v filled and nothing left running. The child
 *                then skips the cgroup join (it was cloned into it),
 *                has no parent in its pid namespace, reaches the work
 *                directory by path, and keeps its terminal for the init.
 *   status       after that pid is reaped: the job's own wait status,
 *                from the supervised pid's (the init's report).
 *   start        replaces spawn_job entirely (docker: fork the docker
 *                client itself). Must set j->pid, j->pidfd, j->start_ms
 *                and return 0 once the job runs, or fill j->v and return
 *                -1 with nothing left running. The child hooks below are
 *                then the tier's own business.
 *   signal       forward a client signal (SIGINT, SIGTERM, SIGHUP,
 *                SIGQUIT) instead of kill(-pgid) (docker kill --signal).
 *   kill         root, in the helper, whenever the job is killed, in
 *                addition to the cgroup/process-group kill (docker kill).
 *   finish       after the main process is reaped, with its wait status:
 *                may rewrite j->res (docker: the container's status).
 *   cleanup      root, at the end (docker rm, unmount).
 *   caller_dir_access  not a hook: what the caller must be allowed on
 *                her directory (or -C DIR) besides search (access(2)
 *                bits; isolated and the docker tiers, which mount it
 *                writable: R_OK|W_OK).
 *                workdir.c checks it as her and keeps the descriptor
 *                in j->caller_dir_fd.
 *   state_fd     job control: a descriptor that turns readable when the
 *                job's main process may have stopped or continued
 *                (isolated: the init's reports), and state reads it:
 *                JOB_STOPPED, JOB_CONTINUED, 0 for neither, -1 once the
 *                descriptor is spent. NULL: the main process is the
 *                helper's child, seen through SIGCHLD and waitid.
 * Hooks left NULL are skipped (the core's default applies).
 */
#ifndef SYMBI_HELPER_H
#define SYMBI_HELPER_H

#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "../policy/policy.h"
#include "../shared/proto.h"

#define HELPER_MAX_GROUPS POLICY_MAX_GROUPS

/* A set of credentials: the caller's, or the job's. */
struct creds {
	uid_t uid;
	gid_t gid;
	size_t ngroups;
	gid_t groups[HELPER_MAX_GROUPS];
};

/* What the caller handed over, recorded before anything changes it. */
struct invocation {
	struct creds caller;
	char **environ; /* inherited environment: read, never exported */
	mode_t umask;
	pid_t ppid;
	int sched; /* the scheduling policy, SCHED_RESET_ON_FORK included */
	struct sched_param sched_param;
#define RLIM_NEEDS 8
	struct rlimit rlim[RLIM_NEEDS]; /* as found; see invocation.c */
	unsigned rlim_raised;           /* bit i: rlim[i] changed since */
};

/* The account the job runs as (the caller, the rule's run_as, or a
 * run_as_pool uid). */
struct account {
	struct creds c;
	char name[POLICY_MAX_NAME];
	char home[PATH_MAX];
	char shell[PATH_MAX];
};

#define CG_ROOT "/sys/fs/cgroup"
/* A job's cgroup directory: this, then its work_name (sweep.c checks). */
#define CG_JOB_PREFIX "symbi-exec-"
#define CG_PATH 512 /* longest cgroup directory handled; longer is refused */

/* The hierarchies a job uses. Freezer, cpuacct, cpuset and devices on v1
 * are never touched: the job stays wherever the caller is there (so a
 * Slurm step's freezer still holds it). */
enum cg_dir {
	CGD_UNIFIED, /* v2 (everything), or the controller-less v2 of hybrid */
	CGD_MEMORY,  /* v1 controllers, hybrid or v1 hosts only */
	CGD_PIDS,
	CGD_CPU,
	CGD_COUNT,
};

/*
 * THE PARENT SEAM. cg_choose_parent (cgroup_parent.c) is the one place
 * that decides where the job's cgroups go: it fills parent[d], the
 * directory below which cg_create makes the job's cgroup in hierarchy d
 * ("" = hierarchy not used), and ours[d]: true for a directory
 * symbi-exec manages (made by it, or delegated to it), in which cg_create
 * may create missing levels and enable controllers for the job; false
 * for the caller's own cgroup, which is left exactly as it is (on v2 the
 * job's cgroup then has no controllers: no-internal-process rule).
 * "inherit" (the default): the caller's own cgroup, as both /proc/PPID/
 * cgroup and the helper's /proc/self/cgroup say (the helper starts in
 * its caller's cgroups), or CG_ROOT/.../symbi-exec when the caller is
 * at a hierarchy's root. An admin path (cgroup_parent = "/P"): P/user-UID
 * in every hierarchy, the user's jobs together under one parent.
 * On a systemd host, "inherit" is a transient scope with Delegate=yes in
 * the caller's slice (cgroup_systemd.c): it fills parent[CGD_UNIFIED]
 * and sets ours[CGD_UNIFIED] and delegated; cg_create then writes only
 * inside the scope, nothing above it (systemd's part of the tree).
 */
struct cgroup {
	bool v2;                        /* pure cgroup v2 host */
	char parent[CGD_COUNT][CG_PATH]; /* see THE PARENT SEAM */
	bool ours[CGD_COUNT];
	bool per_user;                  /* parent[] are the caller's own
					 * per-user parents: totals go there */
	bool delegated;                 /* parent[CGD_UNIFIED] is a scope
					 * systemd delegated to the helper */
	char dir[CGD_COUNT][CG_PATH];   /* job directories made; "" none */
	bool mem, pids, cpu;            /* limit written through the cgroup */
	char oom_dir[CG_PATH];  /* nearest cgroup counting the job's OOM kills,
				 * when its own cannot; "" none */
	uint64_t oom_base;      /* oom_kill there when the job started */
	int fd;                     /* dir[CGD_UNIFIED] open, for clone3; -1 */
	bool cloned_in;             /* in a child: cg_clone or cg_share
				     * put it there */
};

struct job;
struct docker_job;   /* docker.h */
struct isolated_job; /* tier_isolated.c */

struct tier_ops {
	int (*prepare)(struct job *j);
	int (*start)(struct job *j);
	pid_t (*fork)(struct job *j, int (*child)(void *), void *arg);
	int (*status)(struct job *j, int wstatus);
	int (*child_setup)(struct job *j);
	int (*child_seal)(struct job *j);
	void (*child_keep)(const struct job *j, int fds[2]);
	void (*child_exec)(struct job *j, int status_fd);
	void (*signal)(struct job *j, int signo);
	void (*kill)(struct job *j);
	void (*finish)(struct job *j, int wstatus);
	void (*cleanup)(struct job *j);
	int (*state_fd)(struct job *j);
	int (*state)(struct job *j);
	int caller_dir_access;
};

struct job {
	int sock; /* fd 3 */
	struct invocation inv;
	struct identity id;
	struct policy pol;
	bool pol_ok;
	char pol_error[PROTO_MSG_LEN];
	struct request req;
	struct decision dec;
	struct verdict v;
	const struct tier_ops *ops;
	struct account user;

	int pool_fd;                 /* run_as_pool: the locked record, -1 */
	int exe_fd;                  /* O_PATH of the checked file, -1 */
	char exe_path[PATH_MAX];
	char *const *argv;           /* argv[0] as the user wrote it */
	char **envp;

	int base_fd, work_fd;        /* fresh work directory, or -1 */
	int caller_dir_fd;           /* O_PATH of the caller's directory
					(or -C DIR), opened as her, or -1 */
	pid_t cleaner;               /* still emptying it after the reply */
	int cleaner_fd;              /* its pidfd, when cleaner != 0 */
	char work_name[32];          /* "job-<id>" */
	char job_id[17];
	struct cgroup cg;
	/* The tier's own state, allocated by its prepare; NULL before. */
	struct docker_job *docker;
	struct isolated_job *isolated;

	bool answered;               /* a verdict was sent */
	bool tier_cleaned;           /* the tier's cleanup hook ran */
	bool cleaned;                /* job_cleanup ran */
	int pty_fd;                  /* the job's terminal (REQ_PTY), -1 */

	pid_t pid;                   /* the job's main process, 0 none */
	/* Set once it is reaped: its pid, and so its process group's id,
	 * may then belong to someone else. */
	bool main_reaped;
	int pidfd;
	int stop_fd;                 /* signalfd: SIGTERM, SIGHUP, SIGINT, -1 */
	uint64_t start_ms;           /* CLOCK_MONOTONIC at fork */
	struct result res;
};

/* invocation.c */
void inv_sanitize(int argc, char **argv, struct invocation *inv);
int inv_restore_rlimits(const struct invocation *inv);
int inv_caller_rlimit(const struct invocation *inv, int res,
		      struct rlimit *rl);
int inv_default_signals(void);
int inv_restore_sched(const struct invocation *inv);
/* The name of a policy (SCHED_RESET_ON_FORK aside), for messages. */
const char *inv_sched_name(int policy);

/* identity.c */
void id_from_kernel(const struct invocation *inv, int sock,
		    struct identity *id);
/* Fill a for name (run_as) or, with name NULL, for the caller.
 * Returns 0, or -1 with a message in msg. */
int id_account(const struct invocation *inv, const char *name,
	       struct account *a, char *msg, size_t cap);

/* keys.c: a fresh session keyring for this process; the user keyrings
 * of this process's uid emptied. Each returns 0, or -1 (errno). */
int keys_new_session(void);
int keys_clear_own(void);

/* priv.c */
void priv_take_root(pid_t parent);
int priv_fs_enter(const struct creds *c);
void priv_fs_leave(void);
int priv_fs_as(const struct creds *c);
int priv_drop(const struct creds *c);
void priv_exec(int fd, char *const argv[], char *const envp[]);

/* pty.c: the pty slave the client passed. pty_check: 0, or -1 with
 * j->v filled. pty_take: in the job child after the drop, make it the
 * controlling terminal and, when the job leads its session, close it
 * (0 without one, or -1 with errno). */
int pty_check(struct job *j, int fd);
int pty_take(const struct job *j, bool job_leads);

/* vchild.c: fn(arg) in a child sharing our memory until it execs or
 * exits (a plain fork when a dropped child could be traced). Such a
 * child keeps THE RULE at the top of vchild.c: no allocation, no stdio,
 * no library state written, from its start to its exec or _exit.
 * vchild_spawn: we run on, and until the child exec'd or exited we only
 * wait (poll, read, its pidfd) and read no errno (it is the child's
 * too). Returns 0 with vc filled, or -1 (errno) with nothing started.
 * vchild_release: once it provably left our memory (reaped; its pidfd
 * readable; or EOF on a close-on-exec descriptor only it held), its
 * stack goes. vchild_wait: until deadline (now_ms) for its exit, else
 * SIGKILL through the pidfd; then reaped (si), released, pidfd closed.
 * Returns 0, or -1 with ETIMEDOUT when it had to be killed. */
struct vchild {
	pid_t pid;
	int pidfd;
	char *stack;      /* NULL: none, or the plain fork */
	size_t stack_len;
};
int vchild_spawn(struct vchild *vc, int (*fn)(void *), void *arg);
/* As vchild_spawn, but born in the cgroup2 directory cgroup_fd (-1:
 * where we are) and in the new namespaces ns_flags (CLONE_NEW*, 0:
 * none) asks for, never a fork: -1 with EPERM when a dropped child
 * could be traced (fs.suid_dumpable 1), ENOSYS on an architecture
 * without its clone3 call (x86-64 only), E2BIG or EINVAL from a kernel
 * without CLONE_INTO_CGROUP; the caller then forks (cg_share says
 * which). */
int vchild_spawn_ns(struct vchild *vc, int cgroup_fd, uint64_t ns_flags,
		    int (*fn)(void *), void *arg);
void vchild_release(struct vchild *vc);
int vchild_wait(struct vchild *vc, uint64_t deadline, siginfo_t *si);

/* tier.c */
const struct tier_ops *tier_ops_for(int tier);

/* exe.c: tier none's prepare. */
int exe_resolve(struct job *j);

/* workdir.c */
int workdir_make(struct job *j);
/* A dry run: the caller's directory checked as a run would (0, or -1
 * with j->v filled), or the private one described. */
int workdir_describe_dry(struct job *j);
void workdir_remove(struct job *j);
/* Remove everything under the directory top (not top itself), with the
 * calling process's credentials. Returns 0, or -1 if something stayed. */
int workdir_empty_tree(int top);
/* Root's removal of what a pool uid left in a tree only root reaches
 * (.left, a disowned /tmp directory): the uid's entries alone, by
 * descriptor, no symlink followed, no mount crossed, within budget
 * entries and until deadline (now_ms()); budget comes back spent, left
 * and left_bytes what stays (other users' entries, or all that the
 * budget did not reach). 0 once nothing stays under top. */
struct purge {
	size_t budget, left;
	uint64_t deadline, left_bytes;
};
int workdir_purge_tree(int top, uid_t uid, struct purge *p);

/* pool.c: run_as_pool, a uid and gid of the job's own. pool_acquire
 * takes a free uid of the decision's pool (a flock'd record, so
 * concurrent helpers never share one; a dead helper's lock is gone with
 * it), sweeps what an earlier holder left and fills j->user; returns 0,
 * or -1 with a message in msg. pool_release sweeps again (processes,
 * files at the top of /tmp, /var/tmp, /dev/shm, /dev/mqueue, System V
 * IPC) and, when that sweep finished, clears its directory in the work
 * base (workdir_clear_pool); then gives the job's turn to the base's
 * .left (workdir_purge_left) and frees the uid; true when that
 * directory is clear. */
int pool_acquire(struct job *j, char *msg, size_t cap);
bool pool_release(struct job *j);
/* Before the result: the uid's holder only cleans up from now on, and
 * a helper that finds every uid held waits for it (a bounded time). */
void pool_mark_cleaning(const struct job *j);

/* cgroup_parent.c: returns 0, or -1 with j->v filled (job refused). */
int cg_choose_parent(struct job *j);

/* cgroup_systemd.c: on a systemd host (sd_manages_cgroups), a transient
 * delegated scope for the job in the slice of the caller's cgroup2 path
 * rel, the helper moved into its leaf "supervisor"; parent gets the
 * scope's directory. Returns 0, or -1 with a message in msg. */
bool sd_manages_cgroups(void);
/* Whether the caller's cgroup lies below its unit's own, in a subtree
 * systemd delegated to another writer (user@UID.service, Slurm's
 * slurmstepd.scope, a container manager): the job then nests below the
 * caller as on any other host, inside that writer's limits. */
bool sd_caller_delegated(const char *rel);
int sd_cgroup_parent(const struct job *j, const char *rel, char *parent,
		     size_t cap, char *msg, size_t msglen);

/* cgroup_proc.c: parse /proc/PID/cgroup text into the path of each
 * hierarchy the job uses ("" when absent). Pure; returns 0, or -1 for
 * text that does not parse, a hierarchy listed twice, or a path that is
 * not a sane absolute one. cg_hierarchy_name: a v1 hierarchy's
 * controller (its directory under CG_ROOT); NULL for CGD_UNIFIED. */
int cg_parse_proc(const char *text, size_t len,
		  char rel[CGD_COUNT][CG_PATH]);
const char *cg_hierarchy_name(int d);

/* userjobs.c: take one of the caller's max_concurrent_jobs slots until
 * the helper's end, after the job's cleanup (waiting up to 5 s for one
 * whose helper only cleans up); its running mark goes with
 * userjobs_release (once the job's processes are gone). Returns 0, or -1
 * with j->v filled (refused). */
int userjobs_claim(struct job *j);
void userjobs_release(void);

/* After the reply: wait for a cleaner workdir_remove left running, then
 * remove the directory, or set a pool job's aside (.left) when it could
 * not be emptied. False when it is left for the next run. */
bool workdir_finish(struct job *j);
void workdir_forget_cleaner(struct job *j);
int workdir_sweep(const char *base, const char *name, const struct creds *c);
/* A pool uid's directory in the work base, the uid's processes gone
 * (its sweep finished; when it is taken, and at the end of its job):
 * emptied of what its holders left, what cannot be removed set aside in
 * the base's .left (logged). Returns 0, or -1 when something stays. */
int workdir_clear_pool(const struct job *j, uid_t uid);
/* One pool job's turn, bounded, on .left: root removes every pool uid's
 * own entries there, and each set-aside directory once it is empty. */
void workdir_purge_left(const struct job *j);

/* rundir.c: RUN_DIR, or its subdirectory sub (users/, pool/, mnt/),
 * open and made if missing, root's and closed to everyone else; -1 with
 * errno. */
int run_dir_open(const char *sub);

/* sweep.c: what a helper killed outright left behind. */
void sweep_leftovers(void);
void sweep_record(const struct job *j);
void sweep_forget(const struct job *j);
/* The record stays on purpose (why: its work directory could not be
 * emptied): the next run's sweep says so instead of "killed". */
void sweep_note_left(const char *why);

/* stage.c: the docker tiers' mount sources, attached from checked
 * descriptors where only root reaches (stage.c says why). name is the
 * job's record name (job-ID). stage_bind: a detached copy of the tree
 * at fd (a directory or a file), read-only if read_only, at
 * stage_path(name, i); 0, or -1 (errno). stage_remove: each of name's
 * detached and removed, then its directory; 0 once none is left. */
int stage_path(char *buf, size_t cap, const char *name, unsigned i);
int stage_bind(const char *name, unsigned i, int fd, bool read_only);
int stage_remove(const char *name);

/* cgroup.c */
void cg_create(struct job *j);
int cg_join(const struct cgroup *cg);
struct clone_args;
pid_t cg_clone(struct cgroup *cg, struct clone_args *ca);
int cg_share(struct cgroup *cg, struct vchild *vc, uint64_t ns_flags,
	     int (*fn)(void *), void *arg);
void cg_kill(const struct cgroup *cg);
/* True once the kernel says no process is left in the job's cgroups
 * (after a kill and a bounded wait if one is); false: one outlived it. */
bool cg_gone(const struct cgroup *cg);
/* sig to every process of the job; false when there is no cgroup. */
bool cg_signal(const struct cgroup *cg, int sig);
bool cg_oom_killed(const struct cgroup *cg);
int cg_cpu_ms(const struct cgroup *cg, uint64_t *ms);
void cg_destroy(struct cgroup *cg);

/* limits.c: in the job child; returns 0 or -1 with errno. */
int limits_apply(const struct job *j);

/* env.c: j->envp; returns 0, or -1 with a message in j->v. */
int env_build(struct job *j);

/* spawn.c: start the job; returns 0 once its execve succeeded, else -1
 * with j->v.status/message set and nothing left running. */
int spawn_job(struct job *j);
/* The job child's steps, in order: the one that failed travels back on
 * its status pipe with errno (spawn_report, which then exits 127). */
enum spawn_step {
	STEP_SETSID = 1,
	STEP_CGROUP,
	STEP_TIER,
	STEP_RLIMIT,
	STEP_SIGNALS,
	STEP_FDS,
	STEP_PRIV,
	STEP_PARENT,
	STEP_TTY,
	STEP_CHDIR,
	STEP_SCHED,
	STEP_SEAL,
	STEP_SETID,
	STEP_EXEC,
	STEP_JOB,  /* tier isolated: the job process (ns.c) */
	STEP_INIT, /* ... and the namespace's init over its parent */
	STEP_COUNT,
};
void spawn_report(int status_fd, int step) __attribute__((noreturn));
/* In a job child: every signal blocked, or none, by the system call
 * (glibc's wrapper keeps two signals of its own out of a full set). */
void spawn_mask_signals(bool all);

/* supervise.c */
uint64_t supervise_deadline(const struct job *j); /* the timeout, in ms */
void supervise_prepare(struct job *j);
void supervise(struct job *j);

/* message.c: words for the caller and the audit trail, no I/O. */
void set_message(struct verdict *v, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *audit_str(char *buf, size_t cap, const char *s, bool quote);
#define AUDIT_STR 1024
#define AUDIT(buf, s) audit_str(buf, sizeof(buf), s, false)

/* reply.c: verdicts and results to the client, audit lines. */
void reply_verdict(struct job *j);
void reply_result(struct job *j);
void audit_allow(const struct job *j);
void audit_deny(const struct job *j);

/* teardown.c: the job's resources released, on every path. job_answer:
 * after supervise, the result and the client released (job_fail if a
 * process of the job outlived it). */
void job_answer(struct job *j);
void job_cleanup(struct job *j);
void job_finish(struct job *j);
/* Cleanup, audit line, verdict j->v, exit: every refusal and every
 * failure once something may exist. */
void reply_deny(struct job *j) __attribute__((noreturn));
/* A failure once something may exist (work directory, cgroup, the job):
 * everything released, then the verdict with the message if none was
 * sent yet, else a log line and exit 125. Never die() there. */
void job_fail(struct job *j, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

#endif

/* The docker and gvisor tiers: see docker.h for the contract. */
#include "helper/docker.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper/engine.h"
#include "shared/enginesock.h"
#include "shared/trust.h"
#include "shared/util.h"

/* The whole environment of every docker process. DOCKER_CONFIG names a
 * directory only root can create, so no config.json, credential helper,
 * context or proxy setting of anyone (the caller's ~/.docker, root's)
 * steers the client; DOCKER_HOST comes from the policy alone. */
#define DOCKER_PATH_ENV "PATH=/usr/sbin:/usr/bin:/sbin:/bin"
#define DOCKER_HOME_ENV "HOME=/nonexistent"
#define DOCKER_CONFIG_ENV "DOCKER_CONFIG=/nonexistent/symbi-exec-docker"
#define DOCKER_DEFAULT_HOST "unix:///var/run/docker.sock"

#define AUX_TIMEOUT_MS 20000 /* any engine call: kill, rm, inspect, info */
#define KILL_GRACE_MS 5000   /* docker client exit after docker kill */

/* Under gVisor the job's processes live in the user-space kernel, which
 * enforces RLIMIT_NPROC for the sandbox alone (--ulimit nproc), while the
 * pids cgroup counts the sentry's host threads: about 50 idle and up to
 * ~9 per busy job process (measured with runsc 20221219). The cgroup
 * limit stays as a coarse host-side bound. */
#define GVISOR_BASE_THREADS 128u
#define GVISOR_THREADS_PER_PROC 16u

static const char *docker_host(const struct docker_job *j)
{
	const char *h = j->pol->docker.docker_host;

	return h && *h ? h : DOCKER_DEFAULT_HOST;
}

static int arg_add(struct docker_job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int arg_add(struct docker_job *j, const char *fmt, ...)
{
	size_t room = sizeof(j->arena) - j->arena_used;
	va_list ap;
	int n;

	if (j->nargs >= DOCKER_MAX_ARGS)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(j->arena + j->arena_used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return -1;
	j->args[j->nargs++] = j->arena + j->arena_used;
	j->args[j->nargs] = NULL;
	j->arena_used += (size_t)n + 1;
	return 0;
}

/* The binary is exec'd as root: it and every directory above it must be
 * root's alone, and the path must be the real one (no symlink). */
static int check_binary(const char *path, char *err, size_t errlen)
{
	char why[160];
	struct stat st;
	int fd = path ? trust_open(path, TRUST_REGULAR, 0, NULL, why,
				   sizeof(why)) : -1;

	if (fd == -1) {
		fmt_msg(err, errlen, "docker_binary %s: %s",
			path ? path : "(unset)", path ? why : "not set");
		return -1;
	}
	if (fstat(fd, &st) != 0 || !(st.st_mode & S_IXUSR)) {
		close(fd);
		fmt_msg(err, errlen, "docker_binary %s: not an executable file",
			path);
		return -1;
	}
	close(fd);
	return 0;
}

/* The engine receives the helper's requests as root, other callers' -e
 * values and work directories included: its socket is trusted like the
 * policy. The docker client connects by path, which only root can
 * change once every directory on it is root's alone. */
static int check_engine(const struct docker_job *j, char *err, size_t errlen)
{
	char why[160];
	int fd = engine_socket_open(docker_host(j), why, sizeof(why));

	if (fd == -1) {
		fmt_msg(err, errlen, "docker_host %.200s: %s", docker_host(j),
			errno == ENOENT ? "no engine listens there" : why);
		return -1;
	}
	close(fd);
	return 0;
}

static int check_identity(const struct docker_job *j, char *err,
			  size_t errlen)
{
	if (j->uid == 0 || j->gid == 0) {
		fmt_msg(err, errlen, "tier %s never runs a job as root",
			tier_name(j->tier));
		return -1;
	}
	if (!j->argv || !j->argv[0]) {
		fmt_msg(err, errlen, "no command given");
		return -1;
	}
	return 0;
}

/* The -e values go to docker run in a memfd read as --env-file=
 * /dev/fd/3, never on its command line, which every user of the host
 * may read in /proc. The file's syntax has no escape: a value with a
 * line break cannot pass. Returns the memfd, -2 when there is nothing
 * to pass, or -1 with err set. */
static int env_file(const struct docker_job *j, char *err, size_t errlen)
{
	int fd;

	if (j->envc == 0)
		return -2;
	fd = memfd_create("symbi-env", MFD_CLOEXEC);
	if (fd == -1) {
		fmt_msg(err, errlen, "memfd_create: %s", strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < j->envc; i++) {
		const char *e = j->env[i];
		size_t n = strlen(e);

		if (strpbrk(e, "\r\n")) {
			fmt_msg(err, errlen, "--env %.*s: a value with a line "
				"break cannot reach a container",
				(int)strcspn(e, "="), e);
			close(fd);
			return -1;
		}
		if (write(fd, e, n) != (ssize_t)n || write(fd, "\n", 1) != 1) {
			fmt_msg(err, errlen, "memfd: %s", strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* Reset what a root child must not inherit from the helper, then exec
 * the docker binary with the fixed environment and, as fd 3, the env
 * file (env_fd, or -2). Never returns. */
static void exec_docker(const struct docker_job *j, char *const argv[],
			int env_fd)
{
	char host_env[PROTO_MAX_STR + 16];
	char *envp[] = { DOCKER_PATH_ENV, DOCKER_HOME_ENV, DOCKER_CONFIG_ENV,
			 host_env, NULL };
	sigset_t none;
	int s;

	snprintf(host_env, sizeof(host_env), "DOCKER_HOST=%s", docker_host(j));
	for (s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (env_fd >= 0 && dup2(env_fd, 3) != 3)
		_exit(125);
	closefrom(env_fd >= 0 ? 4 : 3);
	umask(022);
	if (chdir("/") == 0)
		execve(j->pol->docker.docker_binary, argv, envp);
	_exit(125);
}

/* The engine's answer to "METHOD /containers/NAME<tail>": its HTTP
 * status, or -1 if it did not answer. */
static int container_call(const struct docker_job *j, const char *method,
			  const char *tail, struct engine_reply *r)
{
	char path[160];

	snprintf(path, sizeof(path), "/containers/%s%s", j->name, tail);
	if (engine_request(docker_host(j), method, path, AUX_TIMEOUT_MS, r))
		return -1;
	return r->status;
}

static int check_runtime(const struct docker_job *j, const char *rt,
			 char *err, size_t errlen)
{
	struct engine_reply r;
	const char *rts;

	if (engine_request(docker_host(j), "GET", "/info", AUX_TIMEOUT_MS,
			   &r) != 0 || r.status != 200) {
		fmt_msg(err, errlen, "tier %s is not available: the docker "
			"engine at %.200s does not answer", tier_name(j->tier),
			docker_host(j));
		return -1;
	}
	rts = engine_json_member(r.body, "Runtimes");
	if (!rts || !engine_json_member(rts, rt)) {
		fmt_msg(err, errlen, "tier %s is not available: runtime %s is "
			"not configured in the docker engine", tier_name(j->tier),
			rt);
		return -1;
	}
	return 0;
}

static int add_limits(struct docker_job *j)
{
	const uint64_t *v = j->lim->v;
	uint64_t mc = v[LIM_CPU_MILLICORES], procs = v[LIM_PROCESSES];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int rc = 0;

	/* docker refuses more CPUs than the host has; that many is no limit. */
	if (ncpu > 0 && mc > (uint64_t)ncpu * 1000)
		mc = (uint64_t)ncpu * 1000;
	rc |= arg_add(j, "--memory=%llum", (unsigned long long)v[LIM_MEMORY_MB]);
	rc |= arg_add(j, "--memory-swap=%llum",
		      (unsigned long long)v[LIM_MEMORY_MB]);
	rc |= arg_add(j, "--cpus=%llu.%03llu", (unsigned long long)(mc / 1000),
		      (unsigned long long)(mc % 1000));
	if (j->tier == TIER_GVISOR) {
		rc |= arg_add(j, "--pids-limit=%llu",
			      (unsigned long long)(GVISOR_BASE_THREADS +
						   GVISOR_THREADS_PER_PROC * procs));
		rc |= arg_add(j, "--ulimit=nproc=%llu:%llu",
			      (unsigned long long)procs, (unsigned long long)procs);
	} else {
		rc |= arg_add(j, "--pids-limit=%llu", (unsigned long long)procs);
	}
	rc |= arg_add(j, "--ulimit=cpu=%llu:%llu",
		      (unsigned long long)v[LIM_CPU_SECONDS],
		      (unsigned long long)v[LIM_CPU_SECONDS]);
	rc |= arg_add(j, "--ulimit=fsize=%llu:%llu",
		      (unsigned long long)v[LIM_FILE_SIZE_MB] << 20,
		      (unsigned long long)v[LIM_FILE_SIZE_MB] << 20);
	rc |= arg_add(j, "--ulimit=nofile=%llu:%llu",
		      (unsigned long long)v[LIM_OPEN_FILES],
		      (unsigned long long)v[LIM_OPEN_FILES]);
	rc |= arg_add(j, "--ulimit=core=0:0");
	return rc ? -1 : 0;
}

/* Each source checked as the caller and kept open: the engine mounts
 * the copy stage.c makes of that descriptor, never the caller's path. */
static int check_volumes(struct docker_job *j, char *err, size_t errlen)
{
	unsigned i;

	if (j->volc > PROTO_MAX_VOLUMES) {
		fmt_msg(err, errlen, "too many volumes");
		return -1;
	}
	for (i = 0; i < j->volc; i++)
		if (volume_check(j->vol[i], j->caller, VOLUME_WANT_FD,
				 &j->vols[i], err, errlen) != 0)
			return -1;
	return 0;
}

/* --mount of stage.c's source i (0 the work directory, 1.. the
 * volumes), which stage_sources attaches before docker runs: --mount
 * fails on a missing source where -v would create it, as root. */
static int add_mount(struct docker_job *j, unsigned i, const char *target,
		     bool read_only)
{
	char src[PATH_MAX];

	if (stage_path(src, sizeof(src), j->stage_name, i) == -1 ||
	    arg_add(j, "--mount") ||
	    arg_add(j, "type=bind,source=%s,target=%s%s", src, target,
		    read_only ? ",readonly" : ""))
		return -1;
	return 0;
}

static int add_volumes(struct docker_job *j)
{
	unsigned i;

	/* A :ro volume's staged copy is read-only, nosuid and nodev, and a
	 * bind keeps its source's flags. runc's own ",readonly" remount
	 * would drop nosuid and nodev, so only gVisor, whose file server
	 * would show the job a read-only copy as writable (writes fail),
	 * is told. */
	for (i = 0; i < j->volc; i++)
		if (add_mount(j, i + 1, j->vols[i].dst,
			      j->vols[i].read_only && j->tier == TIER_GVISOR))
			return -1;
	return 0;
}

static int add_fixed_flags(struct docker_job *j)
{
	int rc = 0;

	rc |= arg_add(j, "%s", j->pol->docker.docker_binary);
	rc |= arg_add(j, "run");
	/* No --rm: the helper removes the container itself once it has read
	 * State.OOMKilled, which --rm would destroy with the container. */
	rc |= arg_add(j, "--init");
	rc |= arg_add(j, "--interactive");
	/* The container gets a terminal of its own when the job has one
	 * and its input is that terminal (docker refuses -t -i else). */
	if (j->tty_fd >= 0 && isatty(STDIN_FILENO))
		rc |= arg_add(j, "--tty");
	rc |= arg_add(j, "--name=%s", j->name);
	rc |= arg_add(j, "--user=%u:%u", (unsigned)j->uid, (unsigned)j->gid);
	rc |= arg_add(j, "--network=%s", j->net);
	rc |= arg_add(j, "--read-only");
	rc |= arg_add(j, "--tmpfs=/tmp:rw,noexec,nosuid,size=100m");
	rc |= arg_add(j, "--security-opt=no-new-privileges");
	rc |= arg_add(j, "--cap-drop=ALL");
	/* The job's output reaches the user through the attached streams;
	 * a json log under /var/lib/docker would fill the host's disk. */
	rc |= arg_add(j, "--log-driver=none");
	rc |= arg_add(j, "--workdir=/workspace");
	rc |= add_mount(j, 0, "/workspace", false);
	if (*j->runtime)
		rc |= arg_add(j, "--runtime=%s", j->runtime);
	return rc ? -1 : 0;
}

static int build_argv(struct docker_job *j, char *err, size_t errlen)
{
	unsigned i;

	j->nargs = 0;
	j->arena_used = 0;
	if (!j->job_id || strlen(j->job_id) > 48 || !*j->job_id ||
	    !only_chars(j->job_id, "_.-") || j->job_id[0] == '-') {
		fmt_msg(err, errlen, "internal error: bad job id");
		return -1;
	}
	snprintf(j->name, sizeof(j->name), "symbi-%s", j->job_id);
	/* The caller's path, which the engine never sees (add_mount), is
	 * judged as a volume's source. --mount is a CSV list: no comma or
	 * quote may split it. */
	if (!j->workdir || !valid_abs_path(j->workdir) ||
	    strpbrk(j->workdir, ":,\"") || volume_path_dangerous(j->workdir)) {
		fmt_msg(err, errlen, "work directory %.200s cannot be mounted "
			"into a container", j->workdir ? j->workdir : "(none)");
		return -1;
	}
	if (add_fixed_flags(j) || add_limits(j))
		goto too_large;
	if (j->envc && arg_add(j, "--env-file=/dev/fd/3"))
		goto too_large;
	if (add_volumes(j))
		goto too_large;
	/* docker stops reading options at the image: what follows is the
	 * command, verbatim, even if it looks like an option. */
	if (arg_add(j, "%s", j->image))
		goto too_large;
	for (i = 0; j->argv[i]; i++)
		if (arg_add(j, "%s", j->argv[i]))
			goto too_large;
	return 0;
too_large:
	fmt_msg(err, errlen, "request too large for tier %s",
		tier_name(j->tier));
	return -1;
}

int docker_prepare(struct docker_job *j, char *err, size_t errlen)
{
	unsigned i;

	err[0] = '\0';
	j->client = -1;
	j->client_pidfd = -1;
	j->started = j->finished = false;
	j->staged = false;
	for (i = 0; i < PROTO_MAX_VOLUMES; i++)
		j->vols[i].src_fd = -1;
	if (j->tier != TIER_DOCKER && j->tier != TIER_GVISOR) {
		fmt_msg(err, errlen, "internal error: not a docker tier");
		return 125;
	}
	if (check_identity(j, err, errlen) ||
	    check_binary(j->pol->docker.docker_binary, err, errlen))
		return 125;
	if (check_engine(j, err, errlen))
		return 125;
	/* A run learns of a missing runtime from docker run's failure
	 * (docker_finish): asking first would cost every job a slow /info. */
	if (j->dry_run && *j->runtime &&
	    check_runtime(j, j->runtime, err, errlen))
		return 125;
	return check_volumes(j, err, errlen) ? 125 : 0;
}

/* The work directory and each volume, attached from the descriptor that
 * was checked (or made) where add_mount's paths name them (stage.c says
 * why). docker_cleanup removes them, whatever is attached by then. */
static int stage_sources(struct docker_job *j, char *err, size_t errlen)
{
	unsigned i;

	j->staged = true;
	if (stage_bind(j->stage_name, 0, j->workdir_fd, false) == -1) {
		fmt_msg(err, errlen, "cannot stage work directory %.200s: %s",
			j->workdir, strerror(errno));
		return -1;
	}
	for (i = 0; i < j->volc; i++)
		if (stage_bind(j->stage_name, i + 1, j->vols[i].src_fd,
			       j->vols[i].read_only) == -1) {
			fmt_msg(err, errlen, "cannot stage volume %.200s: %s",
				j->vols[i].src, strerror(errno));
			return -1;
		}
	return 0;
}

int docker_start(struct docker_job *j, char *err, size_t errlen)
{
	pid_t parent = getpid(), pid;
	int env_fd;

	if (build_argv(j, err, errlen) != 0 ||
	    stage_sources(j, err, errlen) != 0 ||
	    (env_fd = env_file(j, err, errlen)) == -1)
		return -1;
	pid = fork();
	if (pid < 0) {
		fmt_msg(err, errlen, "fork: %s", strerror(errno));
		if (env_fd >= 0)
			close(env_fd);
		return -1;
	}
	if (pid == 0) {
		/* A session of its own: the terminal's signals go to the
		 * client, which forwards them; the helper relays them to the
		 * container with docker_signal. */
		sigset_t none;

		sigemptyset(&none);
		if (setsid() < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 ||
		    getppid() != parent ||
		    sigprocmask(SIG_SETMASK, &none, NULL) != 0)
			_exit(125);
		/* The job's terminal, so that its window changes
		 * (SIGWINCH) reach the docker client, which passes them on;
		 * arg 0: never steal another session's. */
		if (j->tty_fd >= 0 && ioctl(j->tty_fd, TIOCSCTTY, 0) == -1)
			_exit(125);
		exec_docker(j, j->args, env_fd);
	}
	if (env_fd >= 0)
		close(env_fd);
	j->client = pid;
	j->started = true;
	j->client_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (j->client_pidfd < 0) {
		fmt_msg(err, errlen, "pidfd_open: %s", strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		docker_cleanup(j);
		return -1;
	}
	return 0;
}

void docker_signal(const struct docker_job *j, int signo)
{
	struct engine_reply r;
	char tail[32];

	snprintf(tail, sizeof(tail), "/kill?signal=%d", signo);
	container_call(j, "POST", tail, &r);
}

static bool client_ended(const struct docker_job *j, int timeout_ms)
{
	struct pollfd pfd = { .fd = j->client_pidfd, .events = POLLIN };

	return j->client_pidfd < 0 || poll(&pfd, 1, timeout_ms) == 1;
}

void docker_kill(struct docker_job *j)
{
	struct engine_reply r;

	if (!j->started || j->finished || client_ended(j, 0))
		return;
	container_call(j, "POST", "/kill?signal=KILL", &r);
	/* Through the pidfd: the pid itself may be reaped and reused. */
	if (!client_ended(j, KILL_GRACE_MS))
		syscall(SYS_pidfd_send_signal, j->client_pidfd, SIGKILL, NULL,
			0);
}

struct container_state {
	bool found, started, oom, exec_failed;
	int exit_code;
};

/* State.ExitCode, State.OOMKilled, whether State.StartedAt is set (the
 * zero time "0001-01-01T00:00:00Z" is never started) and whether
 * State.Error is the exec step's. */
static void inspect(const struct docker_job *j, struct container_state *st)
{
	const char *state, *code_s, *oom, *started;
	struct engine_reply r;
	char *end;
	long code;

	memset(st, 0, sizeof(*st));
	if (container_call(j, "GET", "/json", &r) != 200)
		return;
	state = engine_json_member(r.body, "State");
	code_s = state ? engine_json_member(state, "ExitCode") : NULL;
	oom = state ? engine_json_member(state, "OOMKilled") : NULL;
	started = state ? engine_json_member(state, "StartedAt") : NULL;
	if (!code_s || !oom || !started || *started != '"')
		return;
	errno = 0;
	code = strtol(code_s, &end, 10);
	if (errno || end == code_s || code < 0 || code > 255)
		return;
	st->found = true;
	st->exit_code = (int)code;
	st->oom = strncmp(oom, "true", 4) == 0;
	st->started = strncmp(started, "\"0001-", 6) != 0;
	st->exec_failed = engine_exec_failed(state);
}

/* Forced removal (anonymous volumes too, as --rm would): the engine
 * answers 204 once it is gone, 404 if there was none. Anything else is
 * tried again, then confirmed by asking for it. */
static bool remove_container(const struct docker_job *j)
{
	struct engine_reply r;
	int tries, st;

	for (tries = 0; tries < 3; tries++) {
		st = container_call(j, "DELETE", "?force=1&v=1", &r);
		if (st == 204 || st == 404)
			return true;
	}
	return container_call(j, "GET", "/json", &r) == 404;
}

int docker_finish(struct docker_job *j, int wstatus, struct result *res,
		  char *err, size_t errlen)
{
	int client = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
	struct container_state st;

	err[0] = '\0';
	j->finished = true;
	inspect(j, &st);
	if (!remove_container(j))
		fmt_msg(err, errlen, "container %s: the docker engine at "
			"%.200s did not confirm its removal", j->name,
			docker_host(j));
	res->signal = 0;
	if (st.found && st.oom) {
		res->exit_code = -1;
		res->signal = SIGKILL;
		if (res->killed_reason == KILL_NONE)
			res->killed_reason = KILL_MEMORY;
		return 128 + SIGKILL;
	}
	if (st.found && st.started) {
		res->exit_code = st.exit_code;
		return err[0] ? 125 : st.exit_code;
	}
	/* Never started: docker's 126/127 mean what SPEC's do only when the
	 * runtime could not exec the command. */
	if ((client == 126 || client == 127) && st.found && st.exec_failed) {
		res->exit_code = client;
		return client;
	}
	res->exit_code = 125;
	if (!err[0] && *j->runtime)
		check_runtime(j, j->runtime, err, errlen);
	if (!err[0])
		fmt_msg(err, errlen, "docker failed (status %d): the container "
			"did not start", client);
	return 125;
}

int docker_cleanup(struct docker_job *j)
{
	unsigned i;
	int rc = 0;

	if (j->started && !j->finished) {
		j->finished = true;
		remove_container(j);
	}
	if (j->client_pidfd >= 0)
		close(j->client_pidfd);
	j->client_pidfd = -1;
	/* After the container: its mounts are copies of its own. */
	if (j->staged && stage_remove(j->stage_name) == -1)
		rc = -1;
	j->staged = false;
	for (i = 0; i < PROTO_MAX_VOLUMES; i++)
		if (j->vols[i].src_fd >= 0)
			volume_release(&j->vols[i]);
	return rc;
}

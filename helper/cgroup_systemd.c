/*
 * The job's cgroup parent on a systemd host (pure cgroup v2, systemd
 * running). systemd owns the tree: one writer per subtree, and a program
 * may write only below a unit with Delegate=yes. The caller's own unit
 * (session-N.scope, a service) is not delegated and holds processes, so
 * the helper asks systemd for a unit of its own: a transient scope
 * symbi-exec-job-ID.scope in the caller's slice, Delegate=yes, holding
 * the helper itself. The slice's limits (user-UID.slice's MemoryMax, an
 * admin's agents.slice) then bound the job; below the scope the helper
 * is the single writer: it moves itself into a "supervisor" leaf, and
 * cg_create makes the job's cgroup next to it. This is THE PARENT SEAM's
 * systemd way (helper.h): cg_choose_parent calls it for "inherit" on a
 * systemd host with the caller's cgroup2 path, read and checked there.
 *
 * The request is one D-Bus call (Manager.StartTransientUnit), made by
 * exec of the fixed busctl(1) as root with an empty environment, as the
 * docker tier execs its binary: no D-Bus code and no libsystemd (and its
 * compression and crypto libraries) in the setuid binary. It costs a
 * child sharing the helper's memory until its exec (vchild.c: no copy
 * of the helper's page tables), busctl's exec and systemd's work per
 * job (README: "Where jobs' cgroups live").
 * The scope goes when its last process, the helper, exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../shared/log.h"
#include "../shared/util.h"
#include "helper.h"

#define SD_RUNNING "/run/systemd/system"
#define BUSCTL "/usr/bin/busctl"
#define BUS_TIMEOUT "--timeout=10"
/* busctl's own timeout and its start, exit and the scope's removal. */
#define BUS_WAIT_MS 15000
#define JOIN_WAIT_MS 10000
/* Beyond kill_grace_seconds, for the helper's cleanup on a stop. */
#define STOP_MARGIN_S 5

bool sd_manages_cgroups(void)
{
	struct stat st;

	/* sd_booted(3)'s test: systemd made it at boot, as root. */
	return lstat(SD_RUNNING, &st) == 0 && S_ISDIR(st.st_mode) &&
	       st.st_uid == 0;
}

/* The helper's cgroup2 path ("/user.slice/..."), from /proc/self/cgroup
 * through the parser cg_choose_parent uses. */
static int own_cgroup(char *path, size_t cap)
{
	static char text[16 * (CG_PATH + 64)];
	static char rel[CGD_COUNT][CG_PATH];
	size_t len;
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (f == NULL)
		return -1;
	len = fread(text, 1, sizeof(text), f);
	fclose(f);
	if (len == 0 || len == sizeof(text) ||
	    cg_parse_proc(text, len, rel) == -1 || !rel[CGD_UNIFIED][0])
		return -1;
	return copy_str(path, cap, rel[CGD_UNIFIED]);
}

/* A unit name as systemd writes it into the tree (escapes included). */
static bool unit_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 200)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789:-_.\\@", s[i]) || s[i] == '\0')
			return false;
	return true;
}

/* Past the leading ".slice" components of path: the slice the caller's
 * unit lies in is the last of them ("-.slice" at the top), and the next
 * component is that unit. Slices are named for their place
 * (user-1000.slice lies in user.slice), so the name alone finds it. */
static const char *past_slices(const char *path, char *slice, size_t cap)
{
	const char *p = path, *end;
	size_t n;

	(void)copy_str(slice, cap, "-.slice");
	for (; *p == '/'; p = end) {
		end = strchrnul(p + 1, '/');
		n = (size_t)(end - p - 1);
		if (n < 7 || strncmp(end - 6, ".slice", 6) != 0)
			break;
		if (!unit_name_ok(p + 1, n) || n >= cap)
			return NULL;
		memcpy(slice, p + 1, n);
		slice[n] = '\0';
	}
	return p;
}

static int caller_slice(const char *path, char *slice, size_t cap)
{
	return past_slices(path, slice, cap) ? 0 : -1;
}

/* The caller's own unit, the component right below its slice; NULL
 * where there is none. */
static const char *unit_of(const char *path, size_t *len)
{
	char slice[208];
	const char *p = past_slices(path, slice, sizeof(slice));

	if (p == NULL || *p != '/')
		return NULL;
	*len = (size_t)(strchrnul(p + 1, '/') - p - 1);
	return p + 1;
}

/* The caller's own unit if a scope or a service (session-3.scope,
 * cron.service, user@1000.service); "" for anything else. The job's
 * scope is PartOf it: stopping the caller's session or service stops
 * the job too, as it stops the caller. */
static void caller_unit(const char *path, char *unit, size_t cap)
{
	size_t n = 0;
	const char *u = unit_of(path, &n);

	unit[0] = '\0';
	if (u == NULL || n >= cap || !unit_name_ok(u, n) ||
	    !((n > 6 && strncmp(u + n - 6, ".scope", 6) == 0) ||
	      (n > 8 && strncmp(u + n - 8, ".service", 8) == 0)))
		return;
	memcpy(unit, u, n);
	unit[n] = '\0';
}

bool sd_caller_delegated(const char *rel)
{
	size_t n = 0;
	const char *u = unit_of(rel, &n);

	/* systemd itself makes no cgroup below a unit's own (252 has no
	 * DelegateSubgroup=): deeper, the unit's delegate made it. */
	return u != NULL && u[n] == '/';
}

/* In the child: busctl as root, nothing of the helper's but fd 2. A
 * session of its own first: the helper is still in the caller's
 * session, whose terminal she may put our process group in the
 * foreground of, and every signal is back to its default below. */
static void exec_busctl(char *const argv[], int err_fd)
{
	char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	sigset_t none;
	int null;

	if (setsid() == -1)
		_exit(125);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null == -1 || dup2(null, 0) == -1 || dup2(null, 1) == -1 ||
	    dup2(err_fd, 2) == -1 || close_range(3, ~0U, 0) == -1)
		_exit(125);
	umask(022);
	if (chdir("/") == 0)
		execve(BUSCTL, argv, envp);
	_exit(125);
}

/* What busctl_main reads, in run_busctl's frame. */
struct busctl_child {
	char *const *argv;
	int err_fd;
};

/* A child sharing our memory until its exec (vchild.c's rule: system
 * calls only; it runs as root, in a session of its own). */
static int busctl_main(void *p)
{
	const struct busctl_child *c = p;

	exec_busctl(c->argv, c->err_fd);
	return 125;
}

/* busctl's stderr until its end or the deadline: the first line in err,
 * the rest read and dropped (a writer stopped by a full pipe would
 * never exit). Data or EOF means busctl exec'd or exited; no errno is
 * read, as it may be the child's. */
static void read_stderr(int fd, char *err, size_t errlen, uint64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char sink[256];
	size_t have = 0;
	uint64_t now;
	ssize_t n;

	while ((now = now_ms()) < deadline) {
		if (poll(&p, 1, (int)(deadline - now)) != 1)
			continue;
		if (have + 1 < errlen)
			n = read(fd, err + have, errlen - 1 - have);
		else
			n = read(fd, sink, sizeof(sink));
		if (n <= 0)
			break;
		if (have + 1 < errlen)
			have += (size_t)n;
	}
	err[have] = '\0';
	err[strcspn(err, "\n")] = '\0';
}

/* Runs busctl: 0 when it exited 0, else -1 with what went wrong in err
 * (its exit status and its stderr's first line, the signal that ended
 * it, the deadline, or why it could not start). One deadline, from
 * before its start, for all of it: busctl's own --timeout ends a slow
 * call well before. */
static int run_busctl(char *const argv[], char *err, size_t errlen)
{
	uint64_t deadline = now_ms() + BUS_WAIT_MS;
	char line[160];
	struct busctl_child c;
	struct vchild vc;
	siginfo_t si;
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) == -1) {
		fmt_msg(err, errlen, "cannot start it: %s", strerror(errno));
		return -1;
	}
	c = (struct busctl_child){ argv, fds[1] };
	if (vchild_spawn(&vc, busctl_main, &c) == -1) {
		fmt_msg(err, errlen, "cannot start it: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	close(fds[1]);
	read_stderr(fds[0], line, sizeof(line), deadline);
	close(fds[0]);
	if (vchild_wait(&vc, deadline, &si) == -1) {
		fmt_msg(err, errlen, "no answer within %d s; killed",
			BUS_WAIT_MS / 1000);
		return -1;
	}
	if (si.si_code == CLD_EXITED && si.si_status == 0)
		return 0;
	if (si.si_code == CLD_EXITED)
		fmt_msg(err, errlen, "exit %d: %s", si.si_status, line);
	else if (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED)
		fmt_msg(err, errlen, "ended by signal %d", si.si_status);
	else
		fmt_msg(err, errlen, "ended, how unknown");
	return -1;
}

/* StartTransientUnit(name, "fail", properties, no auxiliary units). */
static int ask_for_scope(const struct job *j, const char *unit,
			 const char *slice, const char *part_of, char *err,
			 size_t errlen)
{
	char pid[24], desc[64], stop[32];
	/* "--" ends busctl's options (its getopt would take any later
	 * word that starts with '-', wherever it stands): the unit, slice
	 * and PartOf names come from the caller's cgroup path. */
	char *argv[] = {
		"busctl", "--system", "--quiet", BUS_TIMEOUT, "--", "call",
		"org.freedesktop.systemd1", "/org/freedesktop/systemd1",
		"org.freedesktop.systemd1.Manager", "StartTransientUnit",
		"ssa(sv)a(sa(sv))", (char *)unit, "fail",
		part_of[0] ? "7" : "6",
		"Description", "s", desc,
		"Slice", "s", (char *)slice,
		"Delegate", "b", "true",
		"CollectMode", "s", "inactive-or-failed",
		/* A stop (of the scope, or with the caller's unit) sends
		 * SIGTERM to the helper and the job; the helper's own grace
		 * and cleanup fit in before systemd's SIGKILL. */
		"TimeoutStopUSec", "t", stop,
		"PIDs", "au", "1", pid,
		"PartOf", "as", "1", (char *)part_of, /* last: may go */
		"0", NULL,
	};
	size_t tail = sizeof(argv) / sizeof(*argv) - 6;

	if (!part_of[0]) {
		argv[tail] = "0";
		argv[tail + 1] = NULL;
	}
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	snprintf(desc, sizeof(desc), "symbi-exec job %s", j->job_id);
	snprintf(stop, sizeof(stop), "%llu",
		 (unsigned long long)(j->dec.lim.v[LIM_KILL_GRACE_S] +
				      STOP_MARGIN_S) * 1000000ULL);
	return run_busctl(argv, err, errlen);
}

static void sleep_1ms(void)
{
	struct timespec ts = {0, 1000000L};

	nanosleep(&ts, NULL);
}

/* systemd moves the helper when it runs the start job, just after
 * answering: wait to see it there. */
static int wait_in_scope(const char *unit, char *path, size_t cap)
{
	size_t n = strlen(unit), len;

	for (int i = 0; i < JOIN_WAIT_MS; i++) {
		if (own_cgroup(path, cap) == 0 && (len = strlen(path)) > n &&
		    path[len - n - 1] == '/' && strcmp(path + len - n, unit) == 0)
			return 0;
		sleep_1ms();
	}
	errno = ETIMEDOUT;
	return -1;
}

/* Out of the scope's top into a leaf of its own, so the scope may give
 * its controllers to the job's cgroup (no processes in inner nodes). */
static int enter_supervisor_leaf(const char *scope)
{
	char dir[CG_PATH + 16], path[CG_PATH + 32];
	int fd, rc = -1;

	snprintf(dir, sizeof(dir), "%s/supervisor", scope);
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		return -1;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return -1;
	if (write(fd, "0", 1) == 1)
		rc = 0;
	close(fd);
	return rc;
}

/* The scope's directory from its cgroup path: 0, or -1 (errno). */
static int scope_dir(char *parent, size_t cap, const char *path)
{
	if (snprintf(parent, cap, CG_ROOT "%s", path) < (int)cap)
		return 0;
	errno = ENAMETOOLONG;
	return -1;
}

int sd_cgroup_parent(const struct job *j, const char *rel, char *parent,
		     size_t cap, char *msg, size_t msglen)
{
	char path[CG_PATH], slice[208], owner[208], unit[64], err[256];

	snprintf(unit, sizeof(unit), "symbi-exec-job-%s.scope", j->job_id);
	if (caller_slice(rel, slice, sizeof(slice)) == -1) {
		fmt_msg(msg, msglen, "cannot tell the caller's systemd slice "
			"from its cgroup %.200s", rel);
		return -1;
	}
	caller_unit(rel, owner, sizeof(owner));
	if (ask_for_scope(j, unit, slice, owner, err, sizeof(err)) != 0) {
		fmt_msg(msg, msglen, "systemd did not make the job's scope %s "
			"in %s (" BUSCTL " %.160s)", unit, slice, err);
		return -1;
	}
	if (wait_in_scope(unit, path, sizeof(path)) == -1 ||
	    scope_dir(parent, cap, path) == -1 ||
	    enter_supervisor_leaf(parent) == -1) {
		fmt_msg(msg, msglen, "cannot enter the job's scope %s in %s: %s",
			unit, slice, strerror(errno));
		return -1;
	}
	log_audit(LOG_INFO, "job=%s: cgroup parent %s (systemd scope, "
		  "delegated, part of %s)", j->job_id, parent,
		  owner[0] ? owner : "nothing");
	return 0;
}

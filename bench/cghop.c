/*
 * The setuid hop of issue 15's floor plus the kernel work every tier-none
 * job needs and no design can skip: the job's own cgroups. Installed
 * setuid root and run as `hop cghop /bin/true`, it
 *  - makes a cgroup for the job in each hierarchy symbi-exec uses here
 *    (pure v2: one; hybrid: memory and pids v1 plus the controller-less
 *    cgroup2 for cgroup.kill), writes a memory and a process limit,
 *  - clones the job straight into it (clone3 CLONE_INTO_CGROUP; the child
 *    joins the v1 hierarchies), drops to the caller's uid and gid,
 *  - waits, kills the cgroup and removes every directory it made.
 * Nothing else: no policy, no request, no checks, no audit. Tier none's
 * distance to this row is what symbi-exec itself costs; this row's
 * distance to the plain floor is what the kernel charges for the cgroups.
 * A benchmark tool, never installed by the product.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CG "/sys/fs/cgroup"

struct cgs {
	char dir[3][256]; /* [0] the one cloned into; "" when unused */
	int n;
};

static int put(const char *dir, const char *file, const char *val)
{
	char path[320];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = write(fd, val, strlen(val)) < 0 ? -1 : 0;
	close(fd);
	return rc;
}

static int make(struct cgs *c, const char *parent, const char *name)
{
	char *d = c->dir[c->n];

	mkdir(parent, 0755); /* the bench's own parent, kept between runs */
	snprintf(d, sizeof(c->dir[0]), "%s/%s", parent, name);
	if (mkdir(d, 0755) < 0)
		return -1;
	c->n++;
	return 0;
}

static int make_all(struct cgs *c)
{
	char name[64];

	snprintf(name, sizeof(name), "job-%ld", (long)getpid());
	if (access(CG "/cgroup.controllers", F_OK) == 0) {
		mkdir(CG "/symbi-bench-floor", 0755);
		put(CG "/symbi-bench-floor", "cgroup.subtree_control",
		    "+memory +pids");
		return make(c, CG "/symbi-bench-floor", name) ||
		       put(c->dir[0], "memory.max", "2147483648") ||
		       put(c->dir[0], "pids.max", "1024");
	}
	return make(c, CG "/unified/symbi-bench-floor", name) ||
	       make(c, CG "/memory/symbi-bench-floor", name) ||
	       make(c, CG "/pids/symbi-bench-floor", name) ||
	       put(c->dir[1], "memory.limit_in_bytes", "2147483648") ||
	       put(c->dir[2], "pids.max", "1024");
}

static void job(const struct cgs *c, uid_t uid, gid_t gid, char **argv)
{
	for (int i = 1; i < c->n; i++)
		if (put(c->dir[i], "cgroup.procs", "0") < 0)
			_exit(125);
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		_exit(125);
	execv(argv[0], argv);
	_exit(errno == ENOENT ? 127 : 126);
}

int main(int argc, char **argv)
{
	struct clone_args ca;
	struct cgs c = { .n = 0 };
	uid_t uid = getuid();
	gid_t gid = getgid();
	int status = 0, fd;
	long pid;

	if (argc < 2 || make_all(&c) < 0)
		return 125;
	fd = open(c.dir[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_INTO_CGROUP;
	ca.exit_signal = SIGCHLD;
	ca.cgroup = (uint64_t)fd;
	pid = fd < 0 ? -1 : syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		job(&c, uid, gid, argv + 1);
	if (pid > 0)
		waitpid((pid_t)pid, &status, 0);
	put(c.dir[0], "cgroup.kill", "1");
	while (c.n > 0)
		rmdir(c.dir[--c.n]);
	if (pid < 0)
		return 125;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * The setuid hop with the job's cgroups, shared by bench/cghop.c and
 * bench/isohop.c (issue 15's floors): make a cgroup for the job in each
 * hierarchy symbi-exec uses here (pure v2: one; hybrid: memory and pids
 * v1 plus the controller-less cgroup2 for cgroup.kill) with a memory and
 * a process limit, clone the job straight into it (clone3
 * CLONE_INTO_CGROUP, with FLAGS' namespaces), let the child join the v1
 * hierarchies, run SETUP there as root, drop to the caller's uid, gid and
 * supplementary groups, set no_new_privs and execute the job; then wait, kill the cgroup and remove every
 * directory made. Errors are exit 125. A benchmark's code, never
 * installed by the product.
 */
#ifndef SYMBI_BENCH_CGFLOOR_H
#define SYMBI_BENCH_CGFLOOR_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CG "/sys/fs/cgroup"

struct cgs {
	char dir[3][256]; /* [0] the one cloned into */
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

static void job(const struct cgs *c, int (*setup)(void), char **argv)
{
	uid_t uid = getuid();
	gid_t gid = getgid(), groups[256];
	int n = getgroups(256, groups);

	for (int i = 1; i < c->n; i++)
		if (put(c->dir[i], "cgroup.procs", "0") < 0)
			_exit(125);
	if (n < 0 || (setup && setup() < 0) ||
	    setgroups((size_t)n, groups) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(125);
	execv(argv[0], argv);
	_exit(errno == ENOENT ? 127 : 126);
}

/* argv: the job's. */
static int cgfloor_run(char **argv, uint64_t flags, int (*setup)(void))
{
	struct clone_args ca;
	struct cgs c = {.n = 0};
	int status = 0, fd = -1;
	long pid = -1;

	if (argv[0] == NULL)
		return 125;
	if (make_all(&c) == 0)
		fd = open(c.dir[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_INTO_CGROUP | flags;
	ca.exit_signal = SIGCHLD;
	ca.cgroup = (uint64_t)fd;
	if (fd >= 0)
		pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		job(&c, setup, argv);
	if (pid > 0)
		waitpid((pid_t)pid, &status, 0);
	if (c.n > 0)
		put(c.dir[0], "cgroup.kill", "1");
	/* Also what a failed make_all made. */
	while (c.n > 0)
		rmdir(c.dir[--c.n]);
	if (pid < 0)
		return 125;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#endif

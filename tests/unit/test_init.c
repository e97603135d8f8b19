/*
 * build/symbi-exec-init against its contract (init/init.h), unprivileged
 * and outside any namespace: it starts the job from the descriptor with
 * the argv and environment it was given, reports READY and then the
 * job's wait status (exit code, or the signal, with 128+N as its own
 * exit code), forwards SIGTERM to the job, reports a failed exec on the
 * status pipe as the job child does, and starts nothing when its
 * arguments are bad or the helper (the report pipe's reader) is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init/init.h"

#include "tests/unit/tap.h"

#define INIT "build/symbi-exec-init"

struct run {
	pid_t pid;
	int rep, st; /* our read ends */
};

static void fd_arg(char *buf, size_t cap, int fd)
{
	snprintf(buf, cap, "%d", fd);
}

/* The init with job argv (NULL-terminated) and FOO=bar; close_rep: the
 * report pipe's reader is gone before it starts. */
static struct run start(const char *exe, char *const job[], bool close_rep)
{
	char n_rep[16], n_st[16], n_exe[16], n_argc[16];
	char *argv[32] = {(char *)INIT_NAME, n_rep, n_st, n_exe,
			  (char *)INIT_NO_PTY, n_argc};
	struct run r = {-1, -1, -1};
	int rep[2], st[2], efd;
	size_t n = 0;

	if (pipe(rep) == -1 || pipe(st) == -1)
		return r;
	efd = open(exe, O_PATH);
	while (job[n]) {
		argv[INIT_ARG_JOB + n] = job[n];
		n++;
	}
	argv[INIT_ARG_JOB + n] = (char *)INIT_ENV_MARK;
	argv[INIT_ARG_JOB + n + 1] = (char *)"FOO=bar";
	argv[INIT_ARG_JOB + n + 2] = NULL;
	fd_arg(n_rep, sizeof(n_rep), rep[1]);
	fd_arg(n_st, sizeof(n_st), st[1]);
	fd_arg(n_exe, sizeof(n_exe), efd);
	fd_arg(n_argc, sizeof(n_argc), (int)n);
	if (close_rep)
		close(rep[0]);
	r.pid = fork();
	if (r.pid == 0) {
		execve(INIT, argv, (char *const[]){NULL});
		_exit(99);
	}
	close(rep[1]);
	close(st[1]);
	close(efd);
	r.rep = close_rep ? -1 : rep[0];
	r.st = st[0];
	return r;
}

static int report(int fd, struct init_report *r)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	memset(r, 0, sizeof(*r));
	if (poll(&p, 1, 10000) != 1)
		return -1;
	return read(fd, r, sizeof(*r)) == (ssize_t)sizeof(*r) ? 0 : -1;
}

static int finish(struct run *r)
{
	int status = -1;

	waitpid(r->pid, &status, 0);
	if (r->rep != -1)
		close(r->rep);
	close(r->st);
	return status;
}

static void test_exit_code(void)
{
	char *job[] = {"sh", "-c", "test \"$FOO\" = bar && exit 3", NULL};
	struct run r = start("/bin/sh", job, false);
	struct init_exec_status es;
	struct init_report rp;
	int status;

	ok(report(r.rep, &rp) == 0 && rp.kind == INIT_READY,
	   "the init reports READY once the job started");
	ok(read(r.st, &es, sizeof(es)) == 0,
	   "... and the status pipe ends without a report (the exec worked)");
	ok(report(r.rep, &rp) == 0 && rp.kind == INIT_EXITED &&
		   WIFEXITED(rp.status) && WEXITSTATUS(rp.status) == 3,
	   "the job's own status is reported: exit 3 (with its argv and env)");
	status = finish(&r);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 3,
	   "... and is the init's exit code");
}

static void test_signal(void)
{
	char *job[] = {"sh", "-c", "kill -TERM $$", NULL};
	struct run r = start("/bin/sh", job, false);
	struct init_report rp;
	int status;

	(void)report(r.rep, &rp);
	ok(report(r.rep, &rp) == 0 && rp.kind == INIT_EXITED &&
		   WIFSIGNALED(rp.status) && WTERMSIG(rp.status) == SIGTERM,
	   "a job killed by SIGTERM is reported as that signal");
	status = finish(&r);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM,
	   "... and the init exits 128+15");
}

static void test_forward(void)
{
	char *job[] = {"sleep", "30", NULL};
	struct run r = start("/bin/sleep", job, false);
	struct init_report rp;

	ok(report(r.rep, &rp) == 0 && rp.kind == INIT_READY,
	   "forward: control: the job started");
	kill(r.pid, SIGTERM);
	ok(report(r.rep, &rp) == 0 && rp.kind == INIT_EXITED &&
		   WIFSIGNALED(rp.status) && WTERMSIG(rp.status) == SIGTERM,
	   "SIGTERM to the init reaches the job");
	finish(&r);
}

static void test_exec_fails(void)
{
	char *job[] = {"passwd", NULL};
	struct run r = start("/etc/passwd", job, false);
	struct init_exec_status es = {0, 0};
	struct init_report rp;
	int status;

	(void)report(r.rep, &rp);
	ok(read(r.st, &es, sizeof(es)) == (ssize_t)sizeof(es) &&
		   es.step == INIT_STEP_EXEC && es.err == EACCES,
	   "a failed exec is reported on the status pipe (exec, EACCES)");
	status = finish(&r);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 127,
	   "... and the init exits as the job did (127)");
}

static void test_refusals(void)
{
	char dir[] = "/tmp/symbi-test-init.XXXXXX", cmd[64], path[64];
	char *job[] = {"sh", "-c", cmd, NULL};
	char *bad[] = {(char *)INIT_NAME, (char *)"x", NULL};
	struct run r;
	struct stat sb;
	pid_t pid;
	int status = -1;

	pid = fork();
	if (pid == 0) {
		execve(INIT, bad, (char *const[]){NULL});
		_exit(99);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 125,
	   "bad arguments: exit 125");
	if (mkdtemp(dir) == NULL) {
		ok(false, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(cmd, sizeof(cmd), "touch %s/ran", dir);
	snprintf(path, sizeof(path), "%s/ran", dir);
	r = start("/bin/sh", job, true);
	status = finish(&r);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 125 &&
		   stat(path, &sb) == -1,
	   "the helper gone before the start: exit 125, the job never ran");
	r = start("/bin/sh", job, false);
	status = finish(&r);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		   stat(path, &sb) == 0,
	   "... while the same job runs with the helper there (control)");
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	printf("1..13\n");
	signal(SIGPIPE, SIG_IGN);
	test_exit_code();
	test_signal();
	test_forward();
	test_exec_fails();
	test_refusals();
	return failures != 0;
}

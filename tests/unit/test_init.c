/*
 * build/symbi-exec-init against its contract (init/init.h), unprivileged
 * and outside any namespace. The test plays the helper's namespace
 * child: it blocks every signal, starts the job process and execs the
 * init over itself with the job's pid. The init reports READY and then
 * the job's wait status (exit code, or the signal, with 128+N as its own
 * exit code), also for a job that ended before the init ran, forwards
 * SIGTERM to the job, exits when the helper (the report pipe's reader)
 * is gone, and refuses bad arguments.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "init/init.h"

#include "tests/unit/tap.h"

#define INIT "build/symbi-exec-init"

struct run {
	pid_t pid; /* the init */
	int rep;   /* our read end, or -1 */
};

/* In the init-to-be: every signal blocked, the job process started with
 * an empty mask, then the init with its pid; delay_ms before the exec
 * lets a short job end first. */
static void child_side(const char *exe, char *const job[], int rep,
		       const char *tty, int delay_ms)
{
	char n_rep[16], n_job[16];
	char *argv[] = {(char *)INIT_NAME, n_rep, n_job, (char *)tty, NULL};
	struct timespec ts = {0, (long)delay_ms * 1000000L};
	sigset_t all, none;
	pid_t job_pid;

	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &all, NULL);
	job_pid = fork();
	if (job_pid == 0) {
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(exe, job);
		_exit(127);
	}
	snprintf(n_rep, sizeof(n_rep), "%d", rep);
	snprintf(n_job, sizeof(n_job), "%d", (int)job_pid);
	nanosleep(&ts, NULL);
	execve(INIT, argv, (char *const[]){NULL});
	_exit(99);
}

/* close_rep: the report pipe's reader is gone before the init starts. */
static struct run start(const char *exe, char *const job[], bool close_rep,
			int delay_ms)
{
	struct run r = {-1, -1};
	int rep[2];

	if (pipe(rep) == -1)
		return r;
	if (close_rep)
		close(rep[0]);
	r.pid = fork();
	if (r.pid == 0)
		child_side(exe, job, rep[1], INIT_NO_TTY, delay_ms);
	close(rep[1]);
	r.rep = close_rep ? -1 : rep[0];
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
	return status;
}

/* A job exiting with code, started delay_ms before the init runs. */
static void check_exit(const char *what, const char *cmd, int delay_ms,
		       int code)
{
	char *job[] = {"sh", "-c", (char *)cmd, NULL};
	struct run r = start("/bin/sh", job, false, delay_ms);
	struct init_report rp;
	int status;

	ok(report(r.rep, &rp) == 0 && rp.kind == INIT_READY,
	   "%s: the init reports READY once it took over the job", what);
	ok(report(r.rep, &rp) == 0 && rp.kind == INIT_EXITED &&
		   WIFEXITED(rp.status) && WEXITSTATUS(rp.status) == code,
	   "%s: the job's own status is reported (exit %d)", what, code);
	status = finish(&r);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == code,
	   "%s: ... and is the init's exit code", what);
}

static void test_signal(void)
{
	char *job[] = {"sh", "-c", "kill -TERM $$", NULL};
	struct run r = start("/bin/sh", job, false, 0);
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
	struct run r = start("/bin/sleep", job, false, 0);
	struct init_report rp;

	ok(report(r.rep, &rp) == 0 && rp.kind == INIT_READY,
	   "forward: control: the init took over");
	kill(r.pid, SIGTERM);
	ok(report(r.rep, &rp) == 0 && rp.kind == INIT_EXITED &&
		   WIFSIGNALED(rp.status) && WTERMSIG(rp.status) == SIGTERM,
	   "SIGTERM to the init reaches the job");
	finish(&r);
}

static void test_helper_gone(void)
{
	char *job[] = {"sleep", "1", NULL};
	struct run r = start("/bin/sleep", job, true, 0);
	int status = finish(&r);

	ok(WIFEXITED(status) && WEXITSTATUS(status) == 125,
	   "the helper gone: the init exits 125 (in a pid namespace the "
	   "kernel then kills the job)");
}

/* Whether the init exits 125 on argv; its report pipe, fd 1, is
 * /dev/null here. */
static bool refused(char *const argv[])
{
	pid_t pid = fork();
	int status = -1;

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null == -1 || dup2(null, 1) == -1)
			_exit(98);
		execve(INIT, argv, (char *const[]){NULL});
		_exit(99);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 125;
}

static void test_refusals(void)
{
	char *few[] = {(char *)INIT_NAME, (char *)"1", (char *)"2", NULL};
	char *pid1[] = {(char *)INIT_NAME, (char *)"1", (char *)"1",
			(char *)INIT_NO_TTY, NULL};
	char *tty[] = {(char *)INIT_NAME, (char *)"1", (char *)"2",
		       (char *)"yes", NULL};
	/* pid 2 is never a child of ours: the kernel's kthreadd, or the
	 * init of a pid namespace we are not in. */
	char *stranger[] = {(char *)INIT_NAME, (char *)"1", (char *)"2",
			    (char *)INIT_NO_TTY, NULL};
	char *job[] = {"true", NULL};
	struct init_report rp;
	struct run r;

	ok(refused(few), "too few arguments: exit 125");
	ok(refused(pid1), "a job pid below 2: exit 125");
	ok(refused(tty), "a TTY argument that is neither: exit 125");
	ok(refused(stranger),
	   "a job that is not its child: exit 125, no wait for ever");
	r = start("/bin/true", job, false, 0);
	ok(report(r.rep, &rp) == 0 && rp.kind == INIT_READY,
	   "... while the same arguments for its own child are taken "
	   "(control)");
	finish(&r);
}

int main(void)
{
	printf("1..16\n");
	signal(SIGPIPE, SIG_IGN);
	check_exit("a running job", "sleep 0.2; exit 3", 0, 3);
	check_exit("a job that ended before the init ran", "exit 4", 300, 4);
	test_signal();
	test_forward();
	test_helper_gone();
	test_refusals();
	return failures != 0;
}

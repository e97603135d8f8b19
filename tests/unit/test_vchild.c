/*
 * helper/vchild.c: a child sharing our memory (or, with fs.suid_dumpable
 * 1, a fork) reports its exit status; one that never ends, or one that
 * is stopped, is killed at the deadline and reaped, and nothing of it is
 * left; the stack of a child that exec'd goes after EOF on its
 * close-on-exec pipe. vchild_spawn_in (clone3 on a stack of its own)
 * the same, where the architecture has it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "helper/vchild.c"

#include "tests/unit/tap.h"

static volatile int shared_word;

static int child_exit3(void *arg)
{
	(void)arg;
	shared_word = 42; /* seen by the parent only when memory is shared */
	return 3;
}

static int child_sleep(void *arg)
{
	(void)arg;
	while (pause() == -1)
		;
	return 0;
}

static int child_stop(void *arg)
{
	(void)arg;
	(void)kill(getpid(), SIGSTOP);
	return 0;
}

/* Holds the write end of a close-on-exec pipe until its exec. */
static int child_exec(void *arg)
{
	char *const argv[] = {"true", NULL};

	(void)arg;
	execve("/bin/true", argv, (char *const[]){NULL});
	return 127;
}

static bool no_such_pid(pid_t pid)
{
	return kill(pid, 0) == -1 && errno == ESRCH;
}

static void test_exec_eof(void)
{
	struct vchild vc;
	siginfo_t si;
	int p[2];
	char c;

	ok(pipe2(p, O_CLOEXEC) == 0, "a close-on-exec pipe");
	ok(vchild_spawn(&vc, child_exec, NULL) == 0, "a child that execs");
	close(p[1]);
	ok(read(p[0], &c, 1) == 0, "EOF once it exec'd");
	vchild_release(&vc);
	ok(vc.stack == NULL, "its stack released");
	ok(vchild_wait(&vc, now_ms() + 5000, &si) == 0 &&
		   si.si_code == CLD_EXITED && si.si_status == 0,
	   "/bin/true ran and was reaped");
	close(p[0]);
}

/* cgroup -1: where we are (the cgroup case is tests/20's, as root). */
static void test_spawn_in(void)
{
	struct vchild vc;
	siginfo_t si;

	shared_word = 0;
	if (vchild_spawn_in(&vc, -1, child_exit3, NULL) == -1) {
		ok(errno == ENOSYS || errno == EPERM,
		   "spawn_in: refused only off x86-64 or with suid_dumpable 1");
		return;
	}
	ok(vc.pidfd >= 0 && vchild_wait(&vc, now_ms() + 5000, &si) == 0 &&
		   si.si_code == CLD_EXITED && si.si_status == 3 &&
		   shared_word == 42,
	   "spawn_in: shared memory, its pidfd, its exit status");
	ok(vchild_spawn_in(&vc, -1, child_stop, NULL) == 0 &&
		   vchild_wait(&vc, now_ms() + 200, &si) == -1 &&
		   si.si_code == CLD_KILLED,
	   "spawn_in: a stopped child is killed at the deadline");
}

int main(void)
{
	struct vchild vc;
	siginfo_t si;
	uint64_t t0;
	pid_t pid;

	ok(vchild_spawn(&vc, child_exit3, NULL) == 0 && vc.pidfd >= 0,
	   "spawn: a pid and a pidfd");
	ok(vchild_wait(&vc, now_ms() + 5000, &si) == 0 &&
		   si.si_code == CLD_EXITED && si.si_status == 3,
	   "its return value is its exit status");
	ok(vc.pidfd == -1 && vc.stack == NULL, "pidfd closed, stack released");
	ok(shared_word == (drop_makes_undumpable() ? 42 : 0),
	   "memory shared, unless fs.suid_dumpable makes it a fork");

	ok(vchild_spawn(&vc, child_sleep, NULL) == 0, "a child that hangs");
	pid = vc.pid;
	t0 = now_ms();
	errno = 0;
	ok(vchild_wait(&vc, t0 + 200, &si) == -1 && errno == ETIMEDOUT,
	   "... is late: ETIMEDOUT");
	ok(now_ms() - t0 < 2000, "... within the deadline and the kill");
	ok(si.si_code == CLD_KILLED && si.si_status == SIGKILL && no_such_pid(pid),
	   "... killed and reaped");

	ok(vchild_spawn(&vc, child_stop, NULL) == 0, "a child that stops");
	pid = vc.pid;
	ok(vchild_wait(&vc, now_ms() + 200, &si) == -1 && no_such_pid(pid),
	   "... is killed and reaped at the deadline");

	test_exec_eof();
	test_spawn_in();
	printf("1..%d\n", test_no);
	return failures != 0;
}

/*
 * helper/vchild.c: a child sharing our memory (or, with fs.suid_dumpable
 * 1, a fork) reports its exit status; one that never ends, or one that
 * is stopped, is killed at the deadline and reaped, and nothing of it is
 * left; the stack of a child that exec'd goes after EOF on its
 * close-on-exec pipe. vchild_spawn_ns (clone3 on a stack of its own)
 * the same, where the architecture has it. As root: a child that took
 * another uid is closed to that uid (no /proc/PID/mem, no ptrace, no
 * process_vm_readv of the memory it shares with us), though the uid may
 * signal it: the reason for vchild.c's rule.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
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
	if (vchild_spawn_ns(&vc, -1, 0, child_exit3, NULL) == -1) {
		ok(errno == ENOSYS || errno == EPERM,
		   "spawn_in: refused only off x86-64 or with suid_dumpable 1");
		return;
	}
	ok(vc.pidfd >= 0 && vchild_wait(&vc, now_ms() + 5000, &si) == 0 &&
		   si.si_code == CLD_EXITED && si.si_status == 3 &&
		   shared_word == 42,
	   "spawn_in: shared memory, its pidfd, its exit status");
	ok(vchild_spawn_ns(&vc, -1, 0, child_stop, NULL) == 0 &&
		   vchild_wait(&vc, now_ms() + 200, &si) == -1 &&
		   si.si_code == CLD_KILLED,
	   "spawn_in: a stopped child is killed at the deadline");
}

#define NOBODY 65534

/* The kernel's word, not libc's: under fakeroot (a package build)
 * geteuid says 0 and setresuid only pretends. */
static bool really_root(void)
{
	return syscall(SYS_geteuid) == 0;
}

/* Raw system calls for the same reason (and no groups to keep). */
static int become_nobody(void)
{
	if (syscall(SYS_setgroups, 0, NULL) == -1 ||
	    syscall(SYS_setresgid, NOBODY, NOBODY, NOBODY) == -1 ||
	    syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY) == -1)
		return -1;
	return 0;
}

static int child_as_nobody(void *arg)
{
	(void)arg;
	if (become_nobody() == -1)
		return 1;
	while (pause() == -1)
		;
	return 0;
}

static bool runs_as_nobody(pid_t pid)
{
	char path[64], line[256];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	for (int i = 0; i < 100 && !found; i++, usleep(10000)) {
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f))
			if (strncmp(line, "Uid:\t65534\t", 11) == 0)
				found = true;
		if (f)
			fclose(f);
	}
	return found;
}

/* In a fork as nobody: bit 0 /proc/PID/mem opened, 1 ptrace attached,
 * 2 process_vm_readv read, 3 signalling it refused. */
static int probe_as_nobody(pid_t pid)
{
	char path[64], byte;
	struct iovec local = {&byte, 1}, remote = {(void *)&shared_word, 1};
	int bits = 0, fd;

	if (become_nobody() == -1)
		return 255;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd != -1)
		bits |= 1;
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) == 0)
		bits |= 2;
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) == 1)
		bits |= 4;
	if (kill(pid, 0) == -1)
		bits |= 8;
	return bits;
}

static void test_dropped_child_closed(void)
{
	struct vchild vc;
	siginfo_t si;
	pid_t probe;
	int status = -1;

	if (!really_root()) {
		printf("ok %d # skip not root\n", ++test_no);
		return;
	}
	if (!drop_makes_undumpable()) {
		skip_or_fail_in_ci("fs.suid_dumpable is 1: the shared-memory "
				   "child of a drop is a fork");
		return;
	}
	ok(vchild_spawn(&vc, child_as_nobody, NULL) == 0 &&
		   runs_as_nobody(vc.pid),
	   "a shared-memory child took uid nobody");
	probe = fork();
	if (probe == 0)
		_exit(probe_as_nobody(vc.pid));
	(void)waitpid(probe, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "... nobody may signal it but not open its /proc/PID/mem, "
	   "ptrace it or read it with process_vm_readv (bits %d)",
	   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	(void)vchild_wait(&vc, now_ms(), &si);
}

/* The control: the same probe gets into a process of nobody's own (one
 * that exec'd as nobody, so dumpable again). Not where Yama restricts
 * ptrace to descendants. */
static void test_probe_control(void)
{
	char *const argv[] = {"sleep", "30", NULL};
	int status = -1;
	pid_t pid, probe;
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	int scope = 0;

	if (f) {
		if (fscanf(f, "%d", &scope) != 1)
			scope = 1;
		fclose(f);
	}
	if (!really_root()) {
		printf("ok %d # skip not root\n", ++test_no);
		return;
	}
	if (scope != 0) {
		skip_or_fail_in_ci("Yama's ptrace_scope is not 0");
		return;
	}
	pid = fork();
	if (pid == 0) {
		if (become_nobody() == 0)
			execv("/bin/sleep", argv);
		_exit(127);
	}
	usleep(100000);
	probe = fork();
	if (probe == 0)
		_exit(probe_as_nobody(pid));
	(void)waitpid(probe, &status, 0);
	ok(WIFEXITED(status) && (WEXITSTATUS(status) & 3) == 3 &&
		   !(WEXITSTATUS(status) & 8),
	   "control: the probe opens the /proc/PID/mem of, and attaches to, "
	   "a process of nobody's own (bits %d)",
	   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
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
	test_dropped_child_closed();
	test_probe_control();
	printf("1..%d\n", test_no);
	return failures != 0;
}

/*
 * A child that shares its parent's memory until it execs or exits
 * (CLONE_VM | CLONE_VFORK on a stack of its own, as posix_spawn does),
 * for the helper's short-lived children: the volume check as the caller
 * (volume.c) and the isolated init's job process (ns.c).
 *
 * Why: a fork copies the page tables of the whole helper, and
 * copy-on-write faults follow on both sides, each dear on a virtual
 * machine (on the project's VM about 12 us a fault; a fork, exit and
 * wait of a process of 4 MB about 1.3 ms, against 0.03 ms shared).
 *
 * The memory shared is root's, and these children take the caller's (or
 * the job's) uid before they exit or exec. A change of credentials makes
 * a process non-dumpable (no ptrace, no /proc/PID/mem, no
 * process_vm_writev by its new owner) unless fs.suid_dumpable is 1, the
 * administrator's insecure debugging setting: then, and whenever that
 * setting cannot be read, the child is a plain fork.
 *
 * The child runs on a stale cached thread id and the parent's glibc
 * state: fn keeps to system calls and plain library calls (no threads,
 * no raise). Its descriptor table and signal handlers are its own; its
 * return value is its exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helper.h"

/* Generous: only the pages the child touches cost anything. A guard
 * page below. */
#define VCHILD_STACK_SIZE ((size_t)256 * 1024)

/* fs.suid_dumpable 0 or 2: a credential change leaves the child
 * non-dumpable. Unreadable counts as no. */
static bool drop_makes_undumpable(void)
{
	char c = '1';
	int fd = open("/proc/sys/fs/suid_dumpable", O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return false;
	if (read(fd, &c, 1) != 1)
		c = '1';
	close(fd);
	return c == '0' || c == '2';
}

pid_t vchild_start(int (*fn)(void *), void *arg)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = VCHILD_STACK_SIZE + page;
	char *stack;
	pid_t pid;
	int e;

	if (!drop_makes_undumpable()) {
		pid = fork();
		if (pid == 0)
			_exit(fn(arg));
		return pid;
	}
	stack = mmap(NULL, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE,
		     -1, 0);
	if (stack == MAP_FAILED)
		return -1;
	pid = -1;
	if (mprotect(stack, page, PROT_NONE) == 0)
		pid = clone(fn, stack + len, CLONE_VM | CLONE_VFORK | SIGCHLD,
			    arg);
	e = errno;
	(void)munmap(stack, len);
	errno = e;
	return pid;
}

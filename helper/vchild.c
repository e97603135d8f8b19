/*
 * Children that share their parent's memory until they exec or exit
 * (CLONE_VM on a stack of their own), for the helper's short-lived
 * children: the volume check as the caller (volume.c), systemd's busctl
 * as root until its exec (cgroup_systemd.c), tier none's job until its
 * exec (spawn.c) and tier isolated's first process in its new
 * namespaces until it execs the init (ns.c), with the job process that
 * one starts until the job's exec (CLONE_VFORK, from ns.c).
 *
 * THE RULE. From its start to its exec or _exit, such a child never
 * allocates (no malloc, realpath(p, NULL), libcap, strerror,
 * asprintf), never uses stdio (not even snprintf), and writes no
 * process-wide library state (no fork(3), whose atfork lock lives in
 * the shared memory; no log.c, no getpwnam): system calls, string and
 * memory functions on its own stack, and the parent's data read only.
 * The caller of the job may SIGKILL it at any instant after its drop,
 * and whatever it half-updated would stay half-updated in the root
 * helper. errno is shared too (the thread's TLS is the parent's): the
 * parent reads no errno while such a child runs.
 *
 * Why: a fork copies the page tables of the whole helper, and
 * copy-on-write faults follow on both sides, each dear on a virtual
 * machine (on the project's VM about 12 us a fault; a fork, exit and
 * wait of a process of 4 MB about 1.3 ms, against 0.03 ms shared).
 *
 * The memory shared is root's. A child that takes another uid (the
 * job's) becomes non-dumpable (no ptrace, no /proc/PID/mem, no
 * process_vm_writev by its new owner) unless fs.suid_dumpable is 1, the
 * administrator's insecure debugging setting: then, and whenever that
 * setting cannot be read, the child is a plain fork. With 2 it stays
 * dumpable by root, so the job child makes itself non-dumpable right
 * after the drop (spawn.c): no core of the helper's memory.
 *
 * vchild_spawn (and vchild_spawn_ns, born in a cgroup and new
 * namespaces): no CLONE_VFORK, the parent runs on, and must
 * only wait (poll, read, the pidfd) until the child exec'd or exited,
 * touching nothing the child uses; then vchild_release unmaps the
 * stack. Proof that the child left the memory: its exit (reaped, or the pidfd readable) or EOF on a
 * close-on-exec descriptor that only the child holds. The kernel drops
 * the shared mm before it closes descriptors on both ways out:
 * do_exit() calls exit_mm() before exit_files() (kernel/exit.c), and
 * begin_new_exec() switches to the new mm in exec_mmap() before its
 * do_close_on_exec() (fs/exec.c).
 *
 * The child runs on a stale cached thread id and the parent's glibc
 * state (no threads, no raise). Its descriptor table and signal
 * handlers are its own; its return value is its exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../shared/util.h"
#include "helper.h"

/* Generous: only the pages the child touches cost anything. A guard
 * page below. */
#define VCHILD_STACK_SIZE ((size_t)256 * 1024)
/* How long a child killed by vchild_wait may take to go (a killable
 * wait in a file system wakes at once). */
#define VCHILD_KILL_MS 2000

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

static char *map_stack(size_t *len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *stack;

	*len = VCHILD_STACK_SIZE + page;
	stack = mmap(NULL, *len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE,
		     -1, 0);
	if (stack == MAP_FAILED)
		return NULL;
	if (mprotect(stack, page, PROT_NONE) == -1) {
		(void)munmap(stack, *len);
		return NULL;
	}
	return stack;
}

/* The fallback: a copy of our memory, nothing to release but the pidfd. */
static int spawn_forked(struct vchild *vc, int (*fn)(void *), void *arg)
{
	vc->pid = fork();
	if (vc->pid == 0)
		_exit(fn(arg));
	if (vc->pid == -1)
		return -1;
	vc->pidfd = (int)syscall(SYS_pidfd_open, vc->pid, 0);
	if (vc->pidfd == -1) {
		(void)kill(vc->pid, SIGKILL);
		(void)waitpid(vc->pid, NULL, 0);
		vc->pid = -1;
		return -1;
	}
	return 0;
}

int vchild_spawn(struct vchild *vc, int (*fn)(void *), void *arg)
{
	vc->pid = -1;
	vc->pidfd = -1;
	vc->stack = NULL;
	vc->stack_len = 0;
	if (!drop_makes_undumpable())
		return spawn_forked(vc, fn, arg);
	vc->stack = map_stack(&vc->stack_len);
	if (!vc->stack)
		return -1;
	/* CLONE_PIDFD: the kernel writes the descriptor before the child
	 * runs; our errno is the child's from here on. */
	vc->pid = clone(fn, vc->stack + vc->stack_len,
			CLONE_VM | CLONE_PIDFD | SIGCHLD, arg, &vc->pidfd);
	if (vc->pid == -1) {
		vchild_release(vc);
		vc->pidfd = -1;
		return -1;
	}
	return 0;
}

#if defined(__x86_64__)
#define VCHILD_STR_(x) #x
#define VCHILD_STR(x) VCHILD_STR_(x)
/*
 * clone3 for a child on a stack of its own: glibc's clone() wrapper does
 * that only for the old clone system call, which cannot start a child
 * in a cgroup (CLONE_INTO_CGROUP), and a child that joins its cgroup2
 * itself waits for an RCU grace period (cgroup.procs takes the
 * threadgroup lock for writing: 6.9 ms mean after an idle moment on the
 * project's VM, against 0.5 ms). The kernel starts the child at the
 * instruction after the syscall with its stack pointer at the top of
 * args->stack; every register but rax, rcx and r11 is the parent's, so
 * fn and arg wait in r8 and r9. The child calls fn(arg) and exits (the
 * thread alone, SYS_exit) with its return value.
 *   long vchild_clone3(struct clone_args *args, size_t size,
 *                      int (*fn)(void *), void *arg);
 * returns the child's pid, or -errno.
 */
long vchild_clone3(struct clone_args *args, size_t size, int (*fn)(void *),
		   void *arg) __attribute__((visibility("hidden")));
__asm__(".text\n"
	".globl vchild_clone3\n"
	".hidden vchild_clone3\n"
	".type vchild_clone3, @function\n"
	"vchild_clone3:\n"
	"	endbr64\n"
	"	mov %rdx, %r8\n"
	"	mov %rcx, %r9\n"
	"	mov $" VCHILD_STR(__NR_clone3) ", %eax\n"
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	xor %ebp, %ebp\n"
	"	mov %r9, %rdi\n"
	"	call *%r8\n"
	"	mov %eax, %edi\n"
	"	mov $" VCHILD_STR(__NR_exit) ", %eax\n"
	"	syscall\n"
	"	hlt\n"
	"1:	ret\n"
	".size vchild_clone3, .-vchild_clone3\n");

static pid_t clone_into(struct vchild *vc, int cgroup_fd, uint64_t flags,
			int (*fn)(void *), void *arg)
{
	struct clone_args ca;
	long r;

	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_VM | CLONE_PIDFD | flags |
		   (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
	ca.pidfd = (uint64_t)(uintptr_t)&vc->pidfd;
	ca.exit_signal = SIGCHLD;
	ca.stack = (uint64_t)(uintptr_t)vc->stack;
	ca.stack_size = vc->stack_len;
	ca.cgroup = cgroup_fd >= 0 ? (uint64_t)cgroup_fd : 0;
	r = vchild_clone3(&ca, sizeof(ca), fn, arg);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (pid_t)r;
}
#else
static pid_t clone_into(struct vchild *vc, int cgroup_fd, uint64_t flags,
			int (*fn)(void *), void *arg)
{
	errno = ENOSYS;
	return -1;
}
#endif

int vchild_spawn_ns(struct vchild *vc, int cgroup_fd, uint64_t ns_flags,
		    int (*fn)(void *), void *arg)
{
	vc->pid = -1;
	vc->pidfd = -1;
	vc->stack = NULL;
	vc->stack_len = 0;
	if (!drop_makes_undumpable()) {
		errno = EPERM;
		return -1;
	}
	vc->stack = map_stack(&vc->stack_len);
	if (!vc->stack)
		return -1;
	vc->pid = clone_into(vc, cgroup_fd, ns_flags, fn, arg);
	if (vc->pid == -1) {
		vchild_release(vc);
		vc->pidfd = -1;
		return -1;
	}
	return 0;
}

void vchild_release(struct vchild *vc)
{
	if (vc->stack)
		(void)munmap(vc->stack, vc->stack_len);
	vc->stack = NULL;
}

/* Until deadline: whether the pidfd said the child exited. */
static bool exited_by(int pidfd, uint64_t deadline)
{
	struct pollfd pf = {.fd = pidfd, .events = POLLIN};
	uint64_t now;

	/* Any poll error is retried: errno may be the child's. */
	while ((now = now_ms()) < deadline)
		if (poll(&pf, 1, (int)(deadline - now)) == 1 &&
		    (pf.revents & POLLIN))
			return true;
	return false;
}

int vchild_wait(struct vchild *vc, uint64_t deadline, siginfo_t *si)
{
	bool late = !exited_by(vc->pidfd, deadline), gone = !late;

	if (late) {
		(void)syscall(SYS_pidfd_send_signal, vc->pidfd, SIGKILL,
			      NULL, 0);
		gone = exited_by(vc->pidfd, now_ms() + VCHILD_KILL_MS);
	}
	memset(si, 0, sizeof(*si));
	if (gone) {
		(void)waitid(P_PIDFD, (id_t)vc->pidfd, si, WEXITED);
		vchild_release(vc);
	}
	/* Not gone: its stack stays mapped for good, since a system call
	 * the child is still in may write to it. */
	vc->stack = NULL;
	close(vc->pidfd);
	vc->pidfd = -1;
	vc->pid = -1;
	if (late) {
		errno = ETIMEDOUT;
		return -1;
	}
	return 0;
}

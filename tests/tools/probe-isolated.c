/*
 * probe-isolated: run inside a sandbox by tests/80-isolated.t; tries what
 * an isolated job must not be able to do and prints one line per probe:
 *     NAME RESULT
 * RESULT is OK (the call succeeded), an errno name (EPERM, ENOSYS...) or
 * a signal name (SIGSYS) when the call killed the process. Each probe
 * runs in a child of its own, so a kill or a call that works (a clone, a
 * ptrace) ends there. Where the kernel lets it, the arguments are chosen
 * so that an unfiltered kernel answers something else than the filter
 * (success, EBADF, EINVAL...): the same probe run without the filter is
 * the test's control.
 *
 * Then the process's credentials, as "status KEY VALUE" lines from
 * /proc/self/status (CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs
 * Seccomp) and "ids RUID EUID SUID RGID EGID SGID".
 *
 * Usage: probe-isolated [syscalls|status]   (default: both)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifdef __NR_open_tree_attr
#define NR_OPEN_TREE_ATTR __NR_open_tree_attr
#else
#define NR_OPEN_TREE_ATTR 467
#endif
#define X32_BIT 0x40000000L
#define HIGH_BITS (1UL << 32)

struct probe {
	const char *name;
	long (*fn)(void);
};

/* A call that may have made a child: the child leaves at once. */
static long reaped(long r)
{
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, __WALL);
	return r > 0 ? 0 : r;
}

static long p_unshare_user(void) { return unshare(CLONE_NEWUSER); }
static long p_unshare_net(void) { return unshare(CLONE_NEWNET); }
static long p_setns(void) { return setns(-1, 0); }

static long p_clone_newuser(void)
{
	return reaped(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0));
}

static long p_clone_newns(void)
{
	return reaped(syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0));
}

static long p_clone3(void)
{
	struct clone_args ca = {.exit_signal = SIGCHLD};

	return reaped(syscall(SYS_clone3, &ca, sizeof ca));
}

static long p_fork(void) { return reaped(fork()); }

static void *thread_main(void *arg) { return arg; }

/* glibc tries clone3 first and must fall back to clone on ENOSYS. */
static long p_thread(void)
{
	pthread_t t;
	int e = pthread_create(&t, NULL, thread_main, NULL);

	if (e) {
		errno = e;
		return -1;
	}
	return pthread_join(t, NULL);
}

static long p_mount(void) { return mount(NULL, NULL, NULL, 0, NULL); }
static long p_umount2(void) { return umount2("/", 0x7fffffff); }
static long p_pivot_root(void) { return syscall(SYS_pivot_root, "/", "/"); }

static long p_move_mount(void)
{
	return syscall(SYS_move_mount, -1, "", -1, "", 0);
}

static long p_open_tree(void)
{
	return syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLOEXEC);
}

static long p_open_tree_attr(void)
{
	return syscall(NR_OPEN_TREE_ATTR, AT_FDCWD, "/", OPEN_TREE_CLOEXEC,
		       NULL, 0);
}

static long p_fsopen(void) { return syscall(SYS_fsopen, "tmpfs", 0); }
static long p_fsconfig(void) { return syscall(SYS_fsconfig, -1, 0, 0, 0, 0); }
static long p_fsmount(void) { return syscall(SYS_fsmount, -1, 0, 0); }
static long p_fspick(void) { return syscall(SYS_fspick, AT_FDCWD, "/", 0); }

static long p_mount_setattr(void)
{
	return syscall(SYS_mount_setattr, -1, NULL, 0, NULL, 0);
}

static long p_chroot(void) { return chroot("/"); }

static long p_init_module(void)
{
	return syscall(SYS_init_module, NULL, 0, "");
}

static long p_finit_module(void) { return syscall(SYS_finit_module, -1, "", 0); }
static long p_delete_module(void) { return syscall(SYS_delete_module, "x", 0); }
static long p_kexec_load(void) { return syscall(SYS_kexec_load, 0, 0, 0, 0); }

static long p_kexec_file_load(void)
{
	return syscall(SYS_kexec_file_load, -1, -1, 0, "", 0);
}

static long p_bpf(void) { return syscall(SYS_bpf, -1, NULL, 0); }

static long p_perf_event_open(void)
{
	return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
}

/* UFFD_USER_MODE_ONLY (1): allowed unprivileged since Linux 5.11. */
static long p_userfaultfd(void) { return syscall(SYS_userfaultfd, O_CLOEXEC | 1); }

static long p_io_uring_setup(void)
{
	char params[120] = {0};

	return syscall(SYS_io_uring_setup, 1, params);
}

static long p_io_uring_enter(void)
{
	return syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0);
}

static long p_io_uring_register(void)
{
	return syscall(SYS_io_uring_register, -1, 0, NULL, 0);
}

/* KEYCTL_GET_KEYRING_ID of KEY_SPEC_SESSION_KEYRING. */
static long p_keyctl(void) { return syscall(SYS_keyctl, 0, -3, 0); }
static long p_add_key(void) { return syscall(SYS_add_key, NULL, NULL, NULL, 0, 0); }

static long p_request_key(void)
{
	return syscall(SYS_request_key, "user", "symbi-probe-none", NULL, 0);
}

static long p_ptrace(void) { return syscall(SYS_ptrace, 0 /* TRACEME */, 0, 0, 0); }

static long p_process_vm_readv(void)
{
	return syscall(SYS_process_vm_readv, getpid(), NULL, 0, NULL, 0, 0);
}

static long p_process_vm_writev(void)
{
	return syscall(SYS_process_vm_writev, getpid(), NULL, 0, NULL, 0, 0);
}

static long tiocsti(int fd, unsigned long hi)
{
	char c = '\n';

	return syscall(SYS_ioctl, fd, hi | TIOCSTI, &c);
}

static long p_tiocsti_fd0(void) { return tiocsti(0, 0); }
static long p_tiocsti_fd0_hi(void) { return tiocsti(0, HIGH_BITS); }

static long p_tioclinux_fd0(void)
{
	char sub = 0;

	return syscall(SYS_ioctl, 0, TIOCLINUX, &sub);
}

/* A pty of our own as controlling terminal, where TIOCSTI works unless
 * filtered (as long as dev.tty.legacy_tiocsti allows it at all). */
static int own_pty(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), s;

	if (m == -1 || grantpt(m) == -1 || unlockpt(m) == -1 || setsid() == -1)
		return -1;
	s = open(ptsname(m), O_RDWR);
	if (s == -1 || ioctl(s, TIOCSCTTY, 0) == -1)
		return -1;
	return s;
}

static long pty_tiocsti(unsigned long hi)
{
	int s = own_pty();

	return s == -1 ? -1 : tiocsti(s, hi);
}

static long p_tiocsti_pty(void) { return pty_tiocsti(0); }
static long p_tiocsti_pty_hi(void) { return pty_tiocsti(HIGH_BITS); }

static long p_tcgets_pty(void)
{
	struct termios t;
	int s = own_pty();

	return s == -1 ? -1 : tcgetattr(s, &t);
}

static long p_settimeofday(void) { return syscall(SYS_settimeofday, NULL, NULL); }

static long p_clock_settime(void)
{
	struct timespec ts = {0, 0};

	return syscall(SYS_clock_settime, 12345, &ts);
}

static long p_clock_adjtime(void)
{
	struct timex tx = {.modes = 0};

	return syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx);
}

static long p_adjtimex(void)
{
	struct timex tx = {.modes = 0};

	return syscall(SYS_adjtimex, &tx);
}

static long p_reboot(void) { return syscall(SYS_reboot, 0, 0, 0, NULL); }
static long p_swapon(void) { return syscall(SYS_swapon, NULL, 0); }
static long p_swapoff(void) { return syscall(SYS_swapoff, NULL); }
static long p_acct(void) { return syscall(SYS_acct, NULL); }
static long p_quotactl(void) { return syscall(SYS_quotactl, 0, NULL, 0, NULL); }
static long p_quotactl_fd(void) { return syscall(SYS_quotactl_fd, -1, 0, 0, NULL); }
static long p_syslog(void) { return syscall(SYS_syslog, 10, NULL, 0); }
static long p_vhangup(void) { return syscall(SYS_vhangup); }
static long p_iopl(void) { return syscall(SYS_iopl, 0); }
static long p_ioperm(void) { return syscall(SYS_ioperm, 0, 1, 0); }
static long p_nfsservctl(void) { return syscall(SYS_nfsservctl, 0, NULL, NULL); }
static long p_uselib(void) { return syscall(SYS_uselib, NULL); }
static long p_lookup_dcookie(void) { return syscall(SYS_lookup_dcookie, 0, NULL, 0); }

static long p_open_by_handle_at(void)
{
	return syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, 0);
}

static long p_name_to_handle_at(void)
{
	struct file_handle *fh = malloc(sizeof *fh + MAX_HANDLE_SZ);
	int mnt;
	long r;

	if (fh == NULL)
		return -1;
	fh->handle_bytes = MAX_HANDLE_SZ;
	r = syscall(SYS_name_to_handle_at, AT_FDCWD, "/", fh, &mnt, 0);
	free(fh);
	return r;
}

/* Docker's default profile refuses these too. */
static long p_kcmp(void)
{
	return syscall(SYS_kcmp, getpid(), getpid(), 0 /* KCMP_FILE */, 0, 0);
}

static long p_sysfs(void) { return syscall(SYS_sysfs, 3); }
static long p_mbind(void) { return syscall(SYS_mbind, NULL, 0, 0, NULL, 0, 0); }
static long p_set_mempolicy(void) { return syscall(SYS_set_mempolicy, 0, NULL, 0); }

static long p_move_pages(void)
{
	return syscall(SYS_move_pages, 0, 0, NULL, NULL, NULL, 0);
}

/* Refused unless the job has the network: vsock crosses namespaces. An
 * unfiltered kernel answers OK or EAFNOSUPPORT (no vsock transport). */
static long p_socket_vsock(void)
{
	return socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

static long p_pers_norandom(void) { return personality(ADDR_NO_RANDOMIZE); }
static long p_pers_query(void) { return personality(0xffffffff); }
static long p_pers_linux(void) { return personality(PER_LINUX); }
static long p_getpid(void) { return getpid(); }
static long p_x32_getpid(void) { return syscall(X32_BIT | SYS_getpid); }

/* i386 getpid (20) through int 0x80; r8-r11 are zeroed by the kernel. */
static long p_i386_getpid(void)
{
#if defined(__x86_64__)
	long r;

	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(20L)
			 : "memory", "r8", "r9", "r10", "r11");
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
#else
	errno = ENOSYS;
	return -1;
#endif
}

#define P(n, f) {n, f}
static const struct probe PROBES[] = {
	P("unshare-user", p_unshare_user), P("unshare-net", p_unshare_net),
	P("setns", p_setns), P("clone-newuser", p_clone_newuser),
	P("clone-newns", p_clone_newns), P("clone3", p_clone3),
	P("fork", p_fork), P("thread", p_thread),
	P("mount", p_mount), P("umount2", p_umount2),
	P("pivot_root", p_pivot_root), P("move_mount", p_move_mount),
	P("open_tree", p_open_tree), P("open_tree_attr", p_open_tree_attr),
	P("fsopen", p_fsopen), P("fsconfig", p_fsconfig),
	P("fsmount", p_fsmount), P("fspick", p_fspick),
	P("mount_setattr", p_mount_setattr), P("chroot", p_chroot),
	P("init_module", p_init_module), P("finit_module", p_finit_module),
	P("delete_module", p_delete_module), P("kexec_load", p_kexec_load),
	P("kexec_file_load", p_kexec_file_load), P("bpf", p_bpf),
	P("perf_event_open", p_perf_event_open),
	P("userfaultfd", p_userfaultfd),
	P("io_uring_setup", p_io_uring_setup),
	P("io_uring_enter", p_io_uring_enter),
	P("io_uring_register", p_io_uring_register),
	P("keyctl", p_keyctl), P("add_key", p_add_key),
	P("request_key", p_request_key), P("ptrace", p_ptrace),
	P("process_vm_readv", p_process_vm_readv),
	P("process_vm_writev", p_process_vm_writev),
	P("tiocsti-fd0", p_tiocsti_fd0), P("tiocsti-fd0-hi", p_tiocsti_fd0_hi),
	P("tioclinux-fd0", p_tioclinux_fd0), P("tiocsti-pty", p_tiocsti_pty),
	P("tiocsti-pty-hi", p_tiocsti_pty_hi), P("tcgets-pty", p_tcgets_pty),
	P("settimeofday", p_settimeofday), P("clock_settime", p_clock_settime),
	P("clock_adjtime", p_clock_adjtime), P("adjtimex", p_adjtimex),
	P("reboot", p_reboot), P("swapon", p_swapon), P("swapoff", p_swapoff),
	P("acct", p_acct), P("quotactl", p_quotactl),
	P("quotactl_fd", p_quotactl_fd), P("syslog", p_syslog),
	P("vhangup", p_vhangup), P("iopl", p_iopl), P("ioperm", p_ioperm),
	P("nfsservctl", p_nfsservctl), P("uselib", p_uselib),
	P("lookup_dcookie", p_lookup_dcookie),
	P("open_by_handle_at", p_open_by_handle_at),
	P("name_to_handle_at", p_name_to_handle_at),
	P("personality-norandom", p_pers_norandom),
	P("personality-query", p_pers_query),
	P("personality-linux", p_pers_linux), P("getpid", p_getpid),
	P("x32-getpid", p_x32_getpid), P("i386-getpid", p_i386_getpid),
	P("kcmp", p_kcmp), P("sysfs", p_sysfs), P("mbind", p_mbind),
	P("set_mempolicy", p_set_mempolicy), P("move_pages", p_move_pages),
	P("socket-vsock", p_socket_vsock),
};

static void run_probe(const struct probe *p)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == -1) {
		printf("%s fork-failed\n", p->name);
		return;
	}
	if (pid == 0) {
		long r;

		errno = 0;
		r = p->fn();
		_exit(r == -1 ? (errno > 0 && errno < 255 ? errno : 255) : 0);
	}
	if (waitpid(pid, &status, 0) == -1)
		printf("%s wait-failed\n", p->name);
	else if (WIFSIGNALED(status))
		printf("%s SIG%s\n", p->name, sigabbrev_np(WTERMSIG(status)));
	else if (WEXITSTATUS(status) == 0)
		printf("%s OK\n", p->name);
	else
		printf("%s %s\n", p->name, strerrorname_np(WEXITSTATUS(status)));
}

static void print_status(void)
{
	static const char *const keys[] = {"CapInh", "CapPrm", "CapEff",
					   "CapBnd", "CapAmb", "NoNewPrivs",
					   "Seccomp"};
	FILE *f = fopen("/proc/self/status", "r");
	char line[256], key[64], val[128];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	while (f && fgets(line, sizeof line, f))
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
			if (sscanf(line, "%63[^:]: %127s", key, val) == 2 &&
			    strcmp(key, keys[i]) == 0)
				printf("status %s %s\n", key, val);
	if (f)
		fclose(f);
	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	printf("ids %u %u %u %u %u %u\n", ru, eu, su, rg, eg, sg);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "all";
	bool all = strcmp(what, "all") == 0;

	if (all || strcmp(what, "syscalls") == 0)
		for (size_t i = 0; i < sizeof PROBES / sizeof PROBES[0]; i++)
			run_probe(&PROBES[i]);
	if (all || strcmp(what, "status") == 0)
		print_status();
	return 0;
}

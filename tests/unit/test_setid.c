/*
 * helper/seccomp.c's set-id filter (review3 F1): under it, every way to
 * give a file the set-user-id or set-group-id bit fails with EPERM,
 * openat2 with ENOSYS and io_uring with EPERM, while the same calls
 * without those bits still work. Runs unprivileged: a child sets
 * no_new_privs, loads the filter and reports each call's errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper/seccomp.c"

#include "tests/unit/tap.h"

#define NR_FCHMODAT2 452

static char dir[] = "/tmp/symbi-test-setid.XXXXXX";
static char file[64], made[64];

/* 0, or the errno of a call that returned -1. */
static int err_of(long rc)
{
	return rc == -1 ? errno : 0;
}

static int try_open(int flags, mode_t mode)
{
	int fd = open(made, flags, mode);

	if (fd >= 0) {
		close(fd);
		(void)unlink(made);
	}
	return err_of(fd);
}

static int try_tmpfile(mode_t mode)
{
	int fd = open(dir, O_TMPFILE | O_WRONLY, mode);

	if (fd >= 0)
		close(fd);
	return err_of(fd);
}

static int try_mknod(mode_t mode)
{
	int err = err_of(mknodat(AT_FDCWD, made, S_IFREG | mode, 0));

	(void)unlink(made);
	return err;
}

/* glibc passes no mode without O_CREAT; a raw call may pass anything. */
static int try_plain_open(void)
{
	long fd = syscall(SYS_open, file, O_RDONLY, 04755);

	if (fd >= 0)
		close((int)fd);
	return err_of(fd);
}

static int try_openat2(void)
{
	struct open_how how = {.flags = O_RDONLY};

	return err_of(syscall(SYS_openat2, AT_FDCWD, file, &how, sizeof(how)));
}

static int try_io_uring(void)
{
	struct io_uring_params p;
	long fd;

	memset(&p, 0, sizeof(p));
	fd = syscall(SYS_io_uring_setup, 1, &p);
	if (fd >= 0)
		close((int)fd);
	return err_of(fd);
}

struct probe {
	const char *what;
	int want;
};

/* The probes, in the order probe_all makes them. */
static const struct probe PROBES[] = {
	{"chmod 4755", EPERM},
	{"chmod 2755", EPERM},
	{"chmod with garbage above the 32 bits of mode_t, 04755", EPERM},
	{"fchmod 6755", EPERM},
	{"fchmodat 4755", EPERM},
	{"fchmodat2 4755", EPERM},
	{"open O_CREAT 04755", EPERM},
	{"openat O_CREAT 02755 (raw)", EPERM},
	{"creat 04755", EPERM},
	{"open O_TMPFILE 04700", EPERM},
	{"mknod S_IFREG 04755", EPERM},
	{"openat2 (ENOSYS, so runtimes fall back)", ENOSYS},
	{"io_uring_setup", EPERM},
	{"chmod 0755 (control)", 0},
	{"chmod 1777, the sticky bit (control)", 0},
	{"open O_CREAT 0644 (control)", 0},
	{"open without O_CREAT, mode argument 04755 (control)", 0},
	{"mknod S_IFREG 0644 (control)", 0},
};
#define NPROBES (sizeof(PROBES) / sizeof(PROBES[0]))

static void probe_all(int out[NPROBES])
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	int i = 0;

	out[i++] = err_of(chmod(file, 04755));
	out[i++] = err_of(chmod(file, 02755));
	out[i++] = err_of(syscall(SYS_chmod, file, 0x100000000L | 04755));
	out[i++] = err_of(fchmod(fd, 06755));
	out[i++] = err_of(fchmodat(AT_FDCWD, file, 04755, 0));
	out[i++] = err_of(syscall(NR_FCHMODAT2, AT_FDCWD, file, 04755, 0));
	out[i++] = try_open(O_CREAT | O_WRONLY, 04755);
	out[i++] = err_of(syscall(SYS_openat, AT_FDCWD, made, O_CREAT | O_WRONLY,
				  02755));
	out[i++] = err_of(creat(made, 04755));
	out[i++] = try_tmpfile(04700);
	out[i++] = try_mknod(04755);
	out[i++] = try_openat2();
	out[i++] = try_io_uring();
	out[i++] = err_of(chmod(file, 0755));
	out[i++] = err_of(chmod(file, 01777));
	out[i++] = try_open(O_CREAT | O_WRONLY, 0644);
	out[i++] = try_plain_open();
	out[i++] = try_mknod(0644);
	if (fd >= 0)
		close(fd);
}

/* The probes' errnos from a child under the filter, or -1. */
static int run_filtered(int out[NPROBES])
{
	int p[2], st, got;
	pid_t pid;

	if (pipe(p) == -1 || (pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		close(p[0]);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
		    seccomp_load_setid_filter() == -1)
			_exit(1);
		probe_all(out);
		_exit(write(p[1], out, NPROBES * sizeof(int)) ==
			      (ssize_t)(NPROBES * sizeof(int)) ? 0 : 1);
	}
	close(p[1]);
	got = read(p[0], out, NPROBES * sizeof(int)) ==
		      (ssize_t)(NPROBES * sizeof(int)) ? 0 : -1;
	close(p[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		return -1;
	return got;
}

int main(void)
{
	int out[NPROBES], fd;
	struct stat sb;

	printf("1..%zu\n", NPROBES + 3);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(file, sizeof(file), "%s/f", dir);
	snprintf(made, sizeof(made), "%s/m", dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	if (fd >= 0)
		close(fd);
	ok(run_filtered(out) == 0, "a child under the set-id filter ran "
				   "every probe");
	for (size_t i = 0; i < NPROBES; i++)
		ok(out[i] == PROBES[i].want, "%s: %s (want %s)", PROBES[i].what,
		   out[i] ? strerror(out[i]) : "allowed",
		   PROBES[i].want ? strerror(PROBES[i].want) : "allowed");
	memset(&sb, 0, sizeof(sb));
	(void)stat(file, &sb);
	ok(sb.st_mode != 0 && !(sb.st_mode & (S_ISUID | S_ISGID)),
	   "the file never got a set-id bit (mode %o)",
	   (unsigned)sb.st_mode & 07777);
	(void)chmod(file, 04755);
	memset(&sb, 0, sizeof(sb));
	(void)stat(file, &sb);
	ok(sb.st_mode & S_ISUID, "outside the filter, chmod 4755 works "
				 "(control)");
	(void)unlink(file);
	(void)unlink(made);
	(void)rmdir(dir);
	return failures ? 1 : 0;
}

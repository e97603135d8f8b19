/*
 * detachedcwd PATH: a directory that only /proc/PID/cwd reaches. As any
 * user: a user and mount namespace of its own, a fresh tmpfs made with
 * fsopen/fsmount and never attached anywhere, PATH made in it (mode
 * 0777, parents 0755) with a file "secret" in it, and this process's
 * working directory that tmpfs's root. Prints its pid, then waits for
 * stdin to close (at most 120 s). From outside, /proc/PID/cwd/PATH is
 * that directory: what a caller's symlink may point to in the hope that
 * the helper, looking as her but with root's privileges, follows it.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		err(2, "%s", path);
	close(fd);
}

/* Root of a user namespace of our own: the only way a user may mount. */
static void own_namespaces(void)
{
	char map[64];
	unsigned uid = getuid(), gid = getgid();

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) == -1)
		err(2, "unshare");
	snprintf(map, sizeof(map), "0 %u 1", uid);
	write_file("/proc/self/uid_map", map);
	write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1", gid);
	write_file("/proc/self/gid_map", map);
}

static int detached_tmpfs(void)
{
	int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC), mnt;

	if (fs == -1 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0755", 0) ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0))
		err(2, "fsopen tmpfs");
	mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
	if (mnt == -1)
		err(2, "fsmount");
	close(fs);
	return mnt;
}

/* PATH (absolute) below the tree's root: each component made, the last
 * one open to all. */
static void make_path(int mnt, const char *path)
{
	char p[4096];
	size_t n = strlen(path);

	if (path[0] != '/' || n < 2 || n >= sizeof(p))
		errx(2, "PATH must be absolute");
	snprintf(p, sizeof(p), "%s", path + 1);
	for (char *s = p;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdirat(mnt, p, 0755) == -1 && errno != EEXIST)
			err(2, "mkdir %s", p);
		if (fchmodat(mnt, p, c ? 0755 : 0777, 0) == -1)
			err(2, "chmod %s", p);
		*s = c;
		if (c == '\0')
			break;
	}
}

int main(int argc, char **argv)
{
	char secret[4200], buf[1];
	int mnt, fd;

	if (argc != 2)
		errx(2, "usage: detachedcwd PATH");
	own_namespaces();
	mnt = detached_tmpfs();
	make_path(mnt, argv[1]);
	snprintf(secret, sizeof(secret), "%s/secret", argv[1] + 1);
	fd = openat(mnt, secret, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, "detached-secret\n", 16) != 16)
		err(2, "secret");
	close(fd);
	if (fchdir(mnt) == -1)
		err(2, "fchdir");
	printf("%d\n", (int)getpid());
	fflush(stdout);
	alarm(120);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	return 0;
}

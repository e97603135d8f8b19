/*
 * The docker tiers' mount sources. The engine (dockerd, runc, runsc)
 * resolves a bind source by path, as root, after the helper checked it
 * as the caller: a caller who swaps a component of her own path for a
 * symlink in between (renameat2 RENAME_EXCHANGE) would have whatever it
 * points to mounted, a directory that only a 0700 parent hid from her
 * included. So the engine never gets her path: the work directory and
 * each volume are cloned from the very descriptor that was checked
 * (mounts_clone: open_tree, no path lookup) and attached at
 * RUN_DIR/mnt/job-ID/N, where only root reaches and nothing can be
 * swapped. (/proc/PID/fd/N cannot serve: runc and runsc refuse a
 * source whose mount is not in their namespace.)
 * The copy is private (a peer of nothing of the caller's), nosuid,
 * nodev, and read-only for a :ro volume. Where /run is shared
 * (systemd), the attach is copied, as our peer or slave, into the
 * namespaces that receive /run's mounts (an engine in one of its own
 * sees it so), and our detach reaches those copies; the rmdir drops
 * any left. job-ID is the job's record name: after the container is
 * removed (docker_cleanup), or by the sweep of a killed helper's record
 * (sweep.c), stage_remove detaches and removes what is in it, and no
 * other mount.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/paths.h"
#include "helper.h"
#include "mounts.h"

#define STAGE_SUB "mnt"

int stage_path(char *buf, size_t cap, const char *name, unsigned i)
{
	int n = snprintf(buf, cap, RUN_DIR "/" STAGE_SUB "/%s/%u", name, i);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* An empty mount point named n in dfd: a directory, or a file. */
static int make_point(int dfd, const char *n, bool dir)
{
	int fd;

	if (dir)
		return mkdirat(dfd, n, 0700);
	fd = openat(dfd, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				    O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	close(fd);
	return 0;
}

/* name's directory in RUN_DIR/mnt (root's, 0700), made if missing. */
static int open_job_dir(const char *name)
{
	int top = run_dir_open(STAGE_SUB), fd = -1;

	if (top == -1)
		return -1;
	if (mkdirat(top, name, 0700) == 0 || errno == EEXIST)
		fd = openat(top, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					       O_CLOEXEC);
	close(top);
	return fd;
}

int stage_bind(const char *name, unsigned i, int fd, bool read_only)
{
	char n[16];
	struct stat st;
	int dfd, tree, rc = -1;

	snprintf(n, sizeof(n), "%u", i);
	if (fstat(fd, &st) == -1 || (dfd = open_job_dir(name)) == -1)
		return -1;
	tree = mounts_clone(fd, "", AT_EMPTY_PATH, read_only);
	if (tree != -1 && make_point(dfd, n, S_ISDIR(st.st_mode)) == 0)
		rc = move_mount(tree, "", dfd, n, MOVE_MOUNT_F_EMPTY_PATH);
	if (tree != -1)
		close(tree);
	close(dfd);
	return rc;
}

/* Entry n of name's directory dfd, if stage_bind's (a number): its
 * mount detached (lazily: a container may still hold it), then gone. */
static int remove_point(int dfd, const char *name, const char *n)
{
	char path[PATH_MAX];

	if (!*n || n[strspn(n, "0123456789")] != '\0')
		return 0;
	snprintf(path, sizeof(path), RUN_DIR "/" STAGE_SUB "/%s/%s", name, n);
	(void)umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
	if (unlinkat(dfd, n, AT_REMOVEDIR) == 0 ||
	    (errno == ENOTDIR && unlinkat(dfd, n, 0) == 0) || errno == ENOENT)
		return 0;
	return -1;
}

int stage_remove(const char *name)
{
	int top, dfd, rc = 0;
	struct dirent *e;
	DIR *d;

	if (strchr(name, '/') || name[0] == '.' ||
	    (top = run_dir_open(STAGE_SUB)) == -1)
		return -1;
	dfd = openat(top, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					O_CLOEXEC);
	d = dfd == -1 ? NULL : fdopendir(dfd);
	if (d == NULL) {
		rc = dfd == -1 && errno == ENOENT ? 0 : -1;
		if (dfd != -1)
			close(dfd);
		close(top);
		return rc;
	}
	while ((e = readdir(d)) != NULL)
		rc |= remove_point(dfd, name, e->d_name);
	closedir(d);
	if (unlinkat(top, name, AT_REMOVEDIR) == -1)
		rc = -1;
	close(top);
	return rc;
}

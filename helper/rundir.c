/*
 * RUN_DIR (build/paths.h) and its subdirectories, root's alone: each
 * running job's record (sweep.c), users/ (userjobs.c), pool/ (pool.c),
 * mnt/ (stage.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/paths.h"
#include "helper.h"

/* name in dir (a path, with AT_FDCWD), made if missing: trusted only if
 * root's and open to no one else. */
static int private_dir(int dir, const char *name)
{
	int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(dir, name, flags);
	struct stat st;

	if (fd == -1 && errno == ENOENT &&
	    (mkdirat(dir, name, 0700) == 0 || errno == EEXIST))
		fd = openat(dir, name, flags);
	if (fd != -1 && (fstat(fd, &st) == -1 || st.st_uid != 0 ||
			 (st.st_mode & 077))) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

int run_dir_open(const char *sub)
{
	int top = private_dir(AT_FDCWD, RUN_DIR), fd;

	if (top == -1 || sub == NULL)
		return top;
	fd = private_dir(top, sub);
	close(top);
	return fd;
}

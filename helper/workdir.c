/*
 * Step 7: the job's fresh private work directory. Its base lives in
 * world-writable /tmp by default, so root walks to it with O_NOFOLLOW
 * descriptors, creates only the last component, and then trusts the
 * directory only if it is root's and writable by no one else: a user who
 * pre-created it or planted a symlink gets a refusal, not a redirect.
 * The job directory is removed by a child that became the job user, so
 * no root unlink ever runs inside a tree the user controlled.
 * With -C DIR the helper never touches DIR: the job chdir()s there after
 * the privilege drop (spawn.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "../shared/log.h"
#include "../shared/util.h"
#include "helper.h"

static int walk_to_parent(const char *path, const char **last)
{
	char comp[NAME_MAX + 1];
	const char *p = path + 1, *slash;
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	while (fd != -1 && (slash = strchr(p, '/')) != NULL) {
		int next;

		if ((size_t)(slash - p) > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, p, (size_t)(slash - p));
		comp[slash - p] = '\0';
		next = openat(fd, comp,
			      O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = next;
		p = slash + 1;
	}
	*last = p;
	return fd;
}

/* The base: created 0711 if missing (users traverse it to reach their
 * own job directory but cannot list it), then checked on the fd. */
static int open_base(struct job *j, const char *base)
{
	const char *last;
	int parent, fd = -1;
	struct stat st;

	if (!valid_abs_path(base) || strcmp(base, "/") == 0) {
		set_message(&j->v, 125, "invalid working_directory %s", base);
		return -1;
	}
	parent = walk_to_parent(base, &last);
	if (parent != -1) {
		if (mkdirat(parent, last, 0711) == 0)
			log_audit(LOG_INFO, "created work base %s", base);
		fd = openat(parent, last,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(parent);
	}
	if (fd == -1 || fstat(fd, &st) == -1) {
		set_message(&j->v, 125, "cannot use work base %s: %s", base,
			    strerror(errno));
		goto fail;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		set_message(&j->v, 125,
			    "work base %s is not a directory owned by root "
			    "and writable only by root", base);
		goto fail;
	}
	if ((st.st_mode & 07777) != 0711 && fchmod(fd, 0711) == -1) {
		set_message(&j->v, 125, "cannot chmod work base %s: %s",
			    base, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	if (fd != -1)
		close(fd);
	return -1;
}

static void make_job_id(struct job *j)
{
	unsigned char r[8];

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		die("getrandom: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(j->job_id + 2 * i, 3, "%02x", r[i]);
	snprintf(j->work_name, sizeof(j->work_name), "job-%s", j->job_id);
	(void)copy_str(j->v.job_id, sizeof(j->v.job_id), j->job_id);
}

int workdir_make(struct job *j)
{
	const char *base = j->pol.native.working_directory;

	make_job_id(j);
	if (j->req.workdir) {
		(void)copy_str(j->v.workdir, sizeof(j->v.workdir),
			       j->req.workdir);
		return 0;
	}
	j->base_fd = open_base(j, base);
	if (j->base_fd == -1)
		return -1;
	if (mkdirat(j->base_fd, j->work_name, 0700) == -1 ||
	    (j->work_fd = openat(j->base_fd, j->work_name,
				 O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					 O_CLOEXEC)) == -1 ||
	    fchown(j->work_fd, j->user.c.uid, j->user.c.gid) == -1) {
		set_message(&j->v, 125, "cannot create a work directory in "
			    "%s: %s", base, strerror(errno));
		return -1;
	}
	snprintf(j->v.workdir, sizeof(j->v.workdir), "%s/%s", base,
		 j->work_name);
	return 0;
}

void workdir_describe_dry(struct job *j)
{
	if (j->req.workdir)
		(void)copy_str(j->v.workdir, sizeof(j->v.workdir),
			       j->req.workdir);
	else
		snprintf(j->v.workdir, sizeof(j->v.workdir),
			 "%s/job-XXXX (created at run)",
			 j->pol.native.working_directory);
}

static int remove_tree(int dfd);

/* A directory the job left mode 000 is still the user's: make it
 * usable before descending. */
static int remove_entry(int dfd, const char *name)
{
	int sub, rc;

	if (unlinkat(dfd, name, 0) == 0)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	if (fchmodat(dfd, name, 0700, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					O_CLOEXEC);
	if (sub == -1)
		return -1;
	rc = remove_tree(sub);
	close(sub);
	if (rc == 0)
		rc = unlinkat(dfd, name, AT_REMOVEDIR);
	return rc;
}

/* Empties dfd (closing nothing of the caller's). */
static int remove_tree(int dfd)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd == -1 ? NULL : fdopendir(fd);
	struct dirent *e;
	int rc = 0;

	if (d == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (remove_entry(dfd, e->d_name) == -1)
			rc = -1;
	}
	closedir(d);
	return rc;
}

static void empty_as_user(struct job *j)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		if (priv_drop(&j->user.c) == -1 || fchmod(j->work_fd, 0700) ||
		    remove_tree(j->work_fd) == -1)
			_exit(1);
		_exit(0);
	}
	if (pid == -1 || waitpid(pid, &status, 0) == -1 ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		log_audit(LOG_WARNING, "job=%s: could not empty %s",
			  j->job_id, j->v.workdir);
}

void workdir_remove(struct job *j)
{
	if (j->work_fd == -1)
		return;
	if (j->req.flags & REQ_KEEP_WORKDIR) {
		close(j->work_fd);
		j->work_fd = -1;
		return;
	}
	empty_as_user(j);
	close(j->work_fd);
	j->work_fd = -1;
	if (unlinkat(j->base_fd, j->work_name, AT_REMOVEDIR) == -1)
		log_audit(LOG_WARNING, "job=%s: cannot remove %s: %s",
			  j->job_id, j->v.workdir, strerror(errno));
}

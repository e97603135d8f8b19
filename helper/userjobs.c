/*
 * max_concurrent_jobs: how many jobs one caller may run at once, counted
 * race-free across helpers. One root-only file per caller,
 * RUN_DIR/users/UID; a running job holds an open-file-description
 * write lock on one byte of it, its slot. A job takes the first free
 * slot below the limit with F_OFD_SETLK, which the kernel grants to one
 * helper only; the lock goes when the helper's descriptor closes: once
 * the job's last process is gone, before its result (the slot counts
 * running jobs, not a helper still removing a finished one's work
 * directory, so the caller's next job never finds it taken), or at the
 * helper's death, so a killed helper's slot is free at once, with
 * nothing to sweep. No free slot: refused at once, nothing queued.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"
#include "build/paths.h"

#define USERS_DIR "users"

static int open_user_file(uid_t uid)
{
	char name[16];
	struct stat st;
	int dir = run_dir_open(USERS_DIR), fd;

	if (dir == -1)
		return -1;
	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	fd = openat(dir, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	close(dir);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_uid != 0) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/* Open, holding the job's slot, until userjobs_release or the helper's
 * exit. Nothing forked before the release lives past it: the job child
 * execs (O_CLOEXEC), the sweepers close it. */
static int held_fd = -1;

int userjobs_claim(struct job *j)
{
	uint64_t max = j->dec.max_concurrent_jobs;
	int fd;

	if (max == 0)
		return 0;
	if ((fd = open_user_file(j->id.uid)) == -1) {
		set_message(&j->v, 125, "cannot count the caller's jobs "
			    "(%s/" USERS_DIR "/%u): %m", RUN_DIR,
			    (unsigned)j->id.uid);
		return -1;
	}
	for (uint64_t slot = 0; slot < max; slot++) {
		struct flock fl = {
			.l_type = F_WRLCK, .l_whence = SEEK_SET,
			.l_start = (off_t)slot, .l_len = 1,
		};

		if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
			held_fd = fd;
			return 0;
		}
		if (errno != EAGAIN && errno != EACCES) {
			set_message(&j->v, 125, "cannot count the caller's "
				    "jobs: %m");
			close(fd);
			return -1;
		}
	}
	close(fd);
	set_message(&j->v, 125, "max_concurrent_jobs: user %s already runs "
		    "%llu jobs, the policy's limit", j->id.user,
		    (unsigned long long)max);
	return -1;
}

void userjobs_release(void)
{
	if (held_fd == -1)
		return;
	close(held_fd);
	held_fd = -1;
}

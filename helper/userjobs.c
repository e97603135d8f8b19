/*
 * max_concurrent_jobs: how many jobs one caller may have at once, counted
 * race-free across helpers. One root-only file per caller,
 * RUN_DIR/users/UID; each slot is two bytes of it, locked with
 * open-file-description write locks, which the kernel grants to one
 * helper only: byte 2*SLOT while the job runs, byte 2*SLOT+1 while its
 * helper lives. The first goes once the job's last process is gone,
 * before its result (userjobs_release); the second when the helper
 * exits, after the job's cleanup (its work directory, a pool uid's
 * sweep), or at its death, so a killed helper's slot is free at once,
 * with nothing to sweep. A caller's cleanups count too: without them
 * she could leave a helper (and, under run_as_pool, a uid) behind per
 * job, as many as she likes. A slot whose job has ended but whose
 * helper still cleans up is worth a short wait (WAIT_MS), so the
 * caller's next job is not refused for the last one's cleanup; with
 * every slot's job running, a job is refused at once, nothing queued.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../shared/util.h"
#include "helper.h"
#include "build/paths.h"

#define USERS_DIR "users"
#define WAIT_MS 5000 /* for a slot whose job's cleanup is under way */
#define WAIT_STEP_MS 2

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

/* One byte of fd, locked (F_WRLCK) or unlocked (F_UNLCK): 0, or -1. */
static int lock_byte(int fd, off_t at, short type)
{
	struct flock fl = {
		.l_type = type, .l_whence = SEEK_SET, .l_start = at, .l_len = 1,
	};

	return fcntl(fd, F_OFD_SETLK, &fl);
}

/* Open, holding the job's slot, until the helper's exit (and its first
 * byte until userjobs_release). Nothing forked lives past the helper
 * with it: the job child execs (O_CLOEXEC), the sweepers close it. */
static int held_fd = -1;
static off_t held_slot;

/* Slot s, both bytes: 0 taken; 1 held (*cleaning when only its helper
 * lives on); -1 error. */
static int take_slot(int fd, off_t s, bool *cleaning)
{
	if (lock_byte(fd, 2 * s, F_WRLCK) == -1)
		return errno == EAGAIN || errno == EACCES ? 1 : -1;
	if (lock_byte(fd, 2 * s + 1, F_WRLCK) == 0)
		return 0;
	if (errno != EAGAIN && errno != EACCES)
		return -1;
	(void)lock_byte(fd, 2 * s, F_UNLCK);
	*cleaning = true;
	return 1;
}

/* The first free slot below max: its number, -1 for none (*cleaning
 * when one is only being cleaned up), -2 for an error. */
static off_t free_slot(int fd, uint64_t max, bool *cleaning)
{
	*cleaning = false;
	for (uint64_t s = 0; s < max; s++) {
		int rc = take_slot(fd, (off_t)s, cleaning);

		if (rc != 1)
			return rc == 0 ? (off_t)s : -2;
	}
	return -1;
}

int userjobs_claim(struct job *j)
{
	struct timespec step = { 0, WAIT_STEP_MS * 1000000L };
	uint64_t max = j->dec.max_concurrent_jobs, deadline = 0;
	bool cleaning;
	off_t slot;
	int fd;

	if (max == 0)
		return 0;
	if ((fd = open_user_file(j->id.uid)) == -1) {
		set_message(&j->v, 125, "cannot count the caller's jobs "
			    "(%s/" USERS_DIR "/%u): %m", RUN_DIR,
			    (unsigned)j->id.uid);
		return -1;
	}
	while ((slot = free_slot(fd, max, &cleaning)) == -1 && cleaning) {
		if (deadline == 0)
			deadline = now_ms() + WAIT_MS;
		else if (now_ms() >= deadline)
			break;
		nanosleep(&step, NULL);
	}
	if (slot >= 0) {
		held_fd = fd;
		held_slot = slot;
		return 0;
	}
	if (slot == -2)
		set_message(&j->v, 125, "cannot count the caller's jobs: %m");
	else
		set_message(&j->v, 125, "max_concurrent_jobs: user %s already "
			    "runs %llu jobs, the policy's limit%s", j->id.user,
			    (unsigned long long)max,
			    cleaning ? " (the cleanup of a finished one held "
				       "its slot longer than the wait)" : "");
	close(fd);
	return -1;
}

void userjobs_release(void)
{
	if (held_fd != -1)
		(void)lock_byte(held_fd, 2 * held_slot, F_UNLCK);
}

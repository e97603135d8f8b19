/*
 * What a helper killed outright (SIGKILL, a crash) left behind: its job's
 * work directory and cgroup directories. Each job keeps a record in
 * RUN_DIR (root's alone) that names exactly what it made, and holds an
 * exclusive flock(2) on it for as long as the helper, or a cleaner it
 * left running after its reply, lives: the kernel drops the lock when
 * the last of them dies, so an unlocked record is a job that is gone,
 * with no pid to be reused and nothing to race. Every run looks at the
 * records first (an opendir of a directory that holds one entry per
 * running job); an unlocked one goes to a detached sweeper, which
 * removes what it names, nothing else, and then the record. So does a
 * record still under its temporary name (stale_tmp). A docker job's
 * staged mounts (stage.c) are found by the record's name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../shared/log.h"
#include "../shared/util.h"
#include "helper.h"
#include "build/paths.h"

#define CG_PREFIX CG_ROOT "/"

static int record_fd = -1; /* this job's record, locked */

static bool is_record(const char *name)
{
	return strncmp(name, "job-", 4) == 0;
}

/* Written under a temporary name, locked, then renamed: a sweeper never
 * sees a record without its lock. */
void sweep_record(const struct job *j)
{
	char tmp[64], text[4096];
	int dfd = run_dir_open(NULL), fd = -1, n, len;

	snprintf(tmp, sizeof(tmp), "tmp-%s", j->job_id);
	len = snprintf(text, sizeof(text), "helper %d\nuser %u %u\n",
		       (int)getpid(), (unsigned)j->user.c.uid,
		       (unsigned)j->user.c.gid);
	if (j->work_fd != -1 && !(j->req.flags & REQ_KEEP_WORKDIR))
		len += snprintf(text + len, sizeof(text) - (size_t)len,
				"base %s\nwork %s\n",
				j->pol.native.working_directory,
				j->work_name);
	for (int d = 0; d < CGD_COUNT; d++)
		if (j->cg.dir[d][0])
			len += snprintf(text + len, sizeof(text) - (size_t)len,
					"cgroup %s\n", j->cg.dir[d]);
	if (dfd != -1)
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					      O_CLOEXEC, 0600);
	/* Locked before it holds a word: a sweeper takes only an unlocked
	 * tmp- file (stale_tmp). */
	n = fd == -1 || flock(fd, LOCK_EX) == -1
		    ? -1
		    : (int)write(fd, text, (size_t)len);
	if (n != len || renameat(dfd, tmp, dfd, j->work_name) == -1) {
		log_audit(LOG_WARNING, "job=%s: cannot record the job in %s: "
			  "%s; a killed helper's leftovers would stay",
			  j->job_id, RUN_DIR, strerror(errno));
		if (fd != -1) {
			(void)unlinkat(dfd, tmp, 0);
			close(fd);
		}
	} else {
		record_fd = fd;
	}
	if (dfd != -1)
		close(dfd);
}

void sweep_forget(const struct job *j)
{
	int dfd;

	if (record_fd == -1)
		return;
	dfd = run_dir_open(NULL);
	if (dfd != -1) {
		(void)unlinkat(dfd, j->work_name, 0);
		close(dfd);
	}
	close(record_fd);
	record_fd = -1;
}

void sweep_note_left(const char *why)
{
	char line[160];
	int n = snprintf(line, sizeof(line), "left %s\n", why);

	if (record_fd != -1 && n > 0 && (size_t)n < sizeof(line) &&
	    write(record_fd, line, (size_t)n) != n)
		log_audit(LOG_WARNING, "cannot note in the job's record why it "
			  "stays");
}

/* Only a job directory under the cgroup root, named as cgroup.c names
 * it (symbi-exec-job-ID) for the record's job. */
static int sweep_cgroup(const char *dir, const char *name)
{
	char kill_file[PATH_MAX];
	const char *last = strrchr(dir, '/');
	int fd;

	if (strncmp(dir, CG_PREFIX, strlen(CG_PREFIX)) != 0 ||
	    !valid_abs_path(dir) || last == NULL ||
	    strncmp(last + 1, CG_JOB_PREFIX, strlen(CG_JOB_PREFIX)) != 0 ||
	    strcmp(last + 1 + strlen(CG_JOB_PREFIX), name) != 0)
		return -1;
	if (rmdir(dir) == 0 || errno == ENOENT)
		return 0;
	/* Not empty: what the dead helper's job left in it dies (a v1
	 * hierarchy has no cgroup.kill: the unified one, recorded first,
	 * killed the same processes). */
	snprintf(kill_file, sizeof(kill_file), "%s/cgroup.kill", dir);
	fd = open(kill_file, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd != -1) {
		if (write(fd, "1", 1) != 1)
			log_audit(LOG_WARNING, "cannot kill what is left in %s: "
				  "%s", dir, strerror(errno));
		close(fd);
	}
	for (int i = 0; i < 50; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* "UID GID" of a record's user line (never 0: jobs never run as root). */
static bool parse_user(char *s, struct creds *c)
{
	char *sp = strchr(s, ' ');
	uint64_t uid, gid;

	if (sp == NULL)
		return false;
	*sp = '\0';
	if (parse_u64(s, UINT32_MAX - 1, &uid) == -1 ||
	    parse_u64(sp + 1, UINT32_MAX - 1, &gid) == -1)
		return false;
	c->uid = (uid_t)uid;
	c->gid = (gid_t)gid;
	return true;
}

/* One unlocked record (locked now, by us): 0 when everything it names
 * is gone. */
static int sweep_one(int fd, const char *name)
{
	char text[4096], *line, *save = NULL, base[PATH_MAX] = "",
			     work[64] = "", left[128] = "";
	struct creds c = {.uid = 0, .gid = 0, .ngroups = 0};
	ssize_t n = read(fd, text, sizeof(text) - 1);
	int rc = 0;

	if (n < 0)
		return -1;
	text[n] = '\0';
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "user ", 5) == 0)
			(void)parse_user(line + 5, &c);
		else if (strncmp(line, "base ", 5) == 0)
			(void)copy_str(base, sizeof(base), line + 5);
		else if (strncmp(line, "work ", 5) == 0)
			(void)copy_str(work, sizeof(work), line + 5);
		else if (strncmp(line, "cgroup ", 7) == 0)
			rc |= sweep_cgroup(line + 7, name);
		else if (strncmp(line, "left ", 5) == 0)
			(void)copy_str(left, sizeof(left), line + 5);
	}
	/* A docker job's staged mounts (stage.c), named by the record. */
	rc |= stage_remove(name);
	if (work[0] && strcmp(work, name) == 0 && c.uid != 0 &&
	    valid_abs_path(base))
		rc |= workdir_sweep(base, work, &c);
	/* A record its helper left on purpose says why (sweep_note_left). */
	log_audit(rc == 0 ? LOG_NOTICE : LOG_WARNING, "swept %s, %s%s%s", name,
		  left[0] ? "left since " : "left by a helper that was killed",
		  left, rc == 0 ? "" : " (not all of it yet)");
	return rc;
}

/* A listing from the first entry: a dup shares its file offset. */
static DIR *open_listing(int dfd)
{
	int fd = dup(dfd);
	DIR *d = fd == -1 ? NULL : fdopendir(fd);

	if (d == NULL && fd != -1)
		close(fd);
	if (d)
		rewinddir(d);
	return d;
}

/* A tmp- record (sweep_record) a helper killed before its rename left:
 * a regular file no one holds, untouched for TMP_STALE_S (a live helper
 * locks it at once). Returns it locked, or -1. */
#define TMP_STALE_S 10

static int stale_tmp(int dfd, const char *name)
{
	int fd;
	struct stat st;

	if (strncmp(name, "tmp-", 4) != 0)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_mtime > time(NULL) - TMP_STALE_S ||
	    flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A record of a job that is gone, locked by us, or -1: a job- record no
 * live process holds, or a stale tmp- one, whose record name (job-ID)
 * goes to rec. */
static int claim_record(int dfd, const char *name, char *rec, size_t cap)
{
	int fd;

	if (strncmp(name, "tmp-", 4) == 0) {
		snprintf(rec, cap, "job-%.40s", name + 4);
		return stale_tmp(dfd, name);
	}
	if (!is_record(name) || copy_str(rec, cap, name) == -1)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd != -1 && flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Each record of a job that is gone, in turn: swept if sweep (what it
 * names, then the file), else only seen. Whether there was one. */
static bool unlocked_records(int dfd, bool sweep)
{
	DIR *d = open_listing(dfd);
	struct dirent *e;
	bool found = false;
	char rec[64];
	int fd;

	while (d && (sweep || !found) && (e = readdir(d)) != NULL) {
		if ((fd = claim_record(dfd, e->d_name, rec, sizeof(rec))) == -1)
			continue;
		found = true;
		if (sweep && sweep_one(fd, rec) == 0)
			(void)unlinkat(dfd, e->d_name, 0);
		close(fd);
	}
	if (d)
		closedir(d);
	return found;
}

/* The sweep runs detached (a grandchild in a session of its own, on
 * /dev/null, no descriptor of the job's): this job does not wait for
 * it, and the helper's kill of its children at the job's end never
 * reaches it. */
void sweep_leftovers(void)
{
	int dfd = run_dir_open(NULL), null;
	pid_t pid;

	if (dfd == -1)
		return;
	if (!unlocked_records(dfd, false)) {
		close(dfd);
		return;
	}
	pid = fork();
	if (pid == 0) {
		if (fork() != 0)
			_exit(0);
		null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (setsid() == -1 || null == -1 || dup2(null, 0) == -1 ||
		    dup2(null, 1) == -1 || dup2(null, 2) == -1 ||
		    dup2(dfd, 3) == -1 || close_range(4, ~0U, 0) == -1)
			_exit(1);
		(void)unlocked_records(3, true);
		_exit(0);
	}
	if (pid != -1)
		(void)waitpid(pid, NULL, 0);
	close(dfd);
}

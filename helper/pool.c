/*
 * run_as_pool: every running job of the rule gets a uid and gid that no
 * other live job has (as systemd's DynamicUser), so no job of any caller
 * can see, signal, trace or plant code for another's: the same uid is
 * what /proc/PID/root, kill(2), ptrace(2) and a shared home all allow.
 *
 * A uid is held by a flock(2) on its record RUN_DIR/pool/UID,
 * in root's 0700 directories: concurrent helpers never take the same
 * one, and the lock of a helper that died goes with it. A uid that has
 * an account or a group on this host is in use by something else and
 * never taken.
 *
 * Before the job and after it, a sweeper that became the uid (and
 * nothing else: no groups, no capabilities) kills every process the uid
 * has (kill(-1) reaches exactly them), removes the files and directories
 * it owns at the top of /tmp, /var/tmp, /dev/shm and /dev/mqueue, and
 * the System V IPC objects it created or owns. Working as the uid, it
 * can remove nothing else, whatever the job planted meanwhile. The sweep
 * before the job clears what a killed helper left. A directory it cannot
 * empty (another user's files in it) root takes from the uid instead
 * (disown_dir), and once a sweep finished the uid's directory in the
 * work base is emptied (workdir_clear_pool); a uid that cannot be
 * cleared is passed over for the next free one, and logged: it costs
 * the pool one uid, not its jobs.
 *
 * The sweep after the job, the removal of its work directory, and the
 * job's one bounded turn on what pool jobs set aside in the base's .left
 * (workdir_purge_left) come after its result: the caller may start the
 * next job at once. A record
 * whose holder has answered says so ("cleaning", pool_mark_cleaning), and
 * a helper that finds every uid held waits up to WAIT_MS for such a one
 * instead of refusing: the uid is free within moments, and only then,
 * with nothing of its last job left.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../shared/log.h"
#include "../shared/util.h"
#include "helper.h"
#include "build/paths.h"

#define POOL_DIR "pool"
#define KILL_ROUNDS 500 /* of 2 ms: a fork loop is outrun long before */
#define WAIT_MS 5000     /* for a uid whose last job is being cleaned up */
#define WAIT_STEP_MS 2
#define WAIT_UIDS 8      /* such uids watched at once */
#define STATE_LEN 8      /* "running " or "cleaning", the record's start */

static const char *const SWEPT_DIRS[] = { "/tmp", "/var/tmp", "/dev/shm",
					  "/dev/mqueue" };

/* ---- the sweeper, running as the pool uid alone ---------------------- */

/* A process of uid (real, effective or saved) other than this one that
 * is not yet a zombie, from /proc/PID/status: its pid (and *ruid, its
 * real uid), 0 when there is none, -1 when /proc cannot be read. */
static long live_process_of(uid_t uid, unsigned long *ruid)
{
	char self[24];
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool found = false;
	long pid = 0;

	if (d == NULL)
		return -1;
	snprintf(self, sizeof(self), "%ld", (long)getpid());
	while (!found && (e = readdir(d)) != NULL) {
		char path[64], line[256], state = '?';
		unsigned long id[3] = { 0, 0, 0 };
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9' ||
		    strcmp(e->d_name, self) == 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/status", e->d_name);
		f = fopen(path, "re");
		if (f == NULL)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char *p = line + strcspn(line, ":") + 1;

			p += strspn(p, " \t");
			if (strncmp(line, "State:", 6) == 0)
				state = *p;
			else if (strncmp(line, "Uid:", 4) == 0)
				for (int k = 0; k < 3; k++)
					id[k] = strtoul(p, &p, 10);
		}
		fclose(f);
		found = state != 'Z' && state != '?' &&
			(id[0] == uid || id[1] == uid || id[2] == uid);
		if (found) {
			pid = strtol(e->d_name, NULL, 10);
			*ruid = id[0];
		}
	}
	closedir(d);
	return pid;
}

static void kill_all_of_uid(uid_t uid)
{
	struct timespec ts = { 0, 2000000 };

	/* kill(-1) as an unprivileged uid reaches every process whose real
	 * or saved uid is ours, in every pid namespace below ours; it
	 * answers 0 whenever any other process exists, so /proc says
	 * when none of ours is left. */
	for (int i = 0; i < KILL_ROUNDS; i++) {
		(void)kill(-1, SIGKILL);
		unsigned long ruid;

		if (live_process_of(uid, &ruid) == 0)
			return;
		nanosleep(&ts, NULL);
	}
	_exit(2);
}

/* 0 once name is gone, -1 when it stays. */
static int remove_entry(int dfd, const char *name, const struct stat *st)
{
	int fd;

	if (!S_ISDIR(st->st_mode))
		return unlinkat(dfd, name, 0);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				       O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fchmod(fd, 0700) == 0)
		(void)workdir_empty_tree(fd);
	close(fd);
	return unlinkat(dfd, name, AT_REMOVEDIR);
}

/* 0, or -1 when something of uid's stays at the top of dir. */
static int remove_files_of(uid_t uid, const char *dir)
{
	DIR *d = opendir_at(AT_FDCWD, dir, O_NOFOLLOW);
	struct dirent *e;
	struct stat st;
	int rc = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
			    0 && st.st_uid == uid)
			rc |= remove_entry(dirfd(d), e->d_name, &st);
	}
	closedir(d);
	return rc;
}

/* *_STAT_ANY (Linux 4.17) lists every object whatever its mode. */
static void remove_ipc_of(uid_t uid)
{
	struct shmid_ds shm;
	struct semid_ds sem;
	struct msqid_ds msq;
	struct shm_info si;
	struct seminfo mi;
	struct msginfo qi;
	int max, id;

	max = shmctl(0, SHM_INFO, (struct shmid_ds *)(void *)&si);
	for (int i = 0; i <= max; i++)
		if ((id = shmctl(i, SHM_STAT_ANY, &shm)) != -1 &&
		    (shm.shm_perm.uid == uid || shm.shm_perm.cuid == uid))
			(void)shmctl(id, IPC_RMID, NULL);
	max = semctl(0, 0, SEM_INFO, &mi);
	for (int i = 0; i <= max; i++)
		if ((id = semctl(i, 0, SEM_STAT_ANY, &sem)) != -1 &&
		    (sem.sem_perm.uid == uid || sem.sem_perm.cuid == uid))
			(void)semctl(id, 0, IPC_RMID);
	max = msgctl(0, MSG_INFO, (struct msqid_ds *)(void *)&qi);
	for (int i = 0; i <= max; i++)
		if ((id = msgctl(i, MSG_STAT_ANY, &msq)) != -1 &&
		    (msq.msg_perm.uid == uid || msq.msg_perm.cuid == uid))
			(void)msgctl(id, IPC_RMID, NULL);
}

/* Exit status 0, or SWEEP_LEFT when something of the uid's stays at
 * the top of a swept directory (root's turn then: disown_left). */
#define SWEEP_LEFT 3

static void sweeper(uid_t uid)
{
	struct creds c = { .uid = uid, .gid = (gid_t)uid, .ngroups = 0 };
	int left = 0;

	/* Nothing of the helper's (the client's socket, the record) stays
	 * open in a process the uid's leftovers could reach. */
	closefrom(0);
	if (setsid() == -1 || priv_drop(&c) == -1)
		_exit(1);
	kill_all_of_uid(uid);
	if (keys_clear_own() == -1)
		_exit(1);
	for (size_t i = 0; i < sizeof(SWEPT_DIRS) / sizeof(SWEPT_DIRS[0]); i++)
		left |= remove_files_of(uid, SWEPT_DIRS[i]);
	remove_ipc_of(uid);
	_exit(left ? SWEEP_LEFT : 0);
}

/* ---- what the sweeper could not remove, taken from the uid by root ---- */

/* What root may spend on one such directory: the caller may hold a
 * descriptor inside it and go on adding entries of hers. */
#define DISOWN_BUDGET 4096
#define DISOWN_MS 1000

/* name in dfd, a directory of uid's the sweeper could not empty: another
 * user put files in it (the job had opened it to all). Root takes it
 * from the uid through its descriptor, root's and 0700, so that no later
 * holder of the uid finds it as its own nor anyone enters it by its
 * path, then removes the uid's entries in it by descriptor
 * (workdir_purge_tree) and the directory once empty. Another user's
 * entries stay (she could have moved in a tree she may not delete), on
 * her quota, logged with their size. The uid's processes are gone
 * (kill_all_of_uid) and the swept directories are sticky, so no one
 * else can rename the entry meanwhile. */
static int disown_dir(int dfd, const char *dir, const char *name, uid_t uid)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					   O_CLOEXEC);
	struct purge p = { .budget = DISOWN_BUDGET,
			   .deadline = now_ms() + DISOWN_MS };
	struct stat st;
	int rc = -1;

	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == 0 && st.st_uid == uid &&
	    fchown(fd, 0, 0) == 0 && fchmod(fd, 0700) == 0) {
		rc = 0;
		if (workdir_purge_tree(fd, uid, &p) == 0 &&
		    unlinkat(dfd, name, AT_REMOVEDIR) == 0) {
			close(fd);
			return 0;
		}
		log_audit(LOG_WARNING, "pool uid %lu: %s/%s holds other users' "
			  "files: it is root's now, 0700; %zu entries (%llu "
			  "bytes) stay, theirs (on their quota) or the uid's "
			  "past the bound (remove it by hand)",
			  (unsigned long)uid, dir, name, p.left,
			  (unsigned long long)p.left_bytes);
	}
	close(fd);
	return rc;
}

/* Whatever of uid's is still at the top of the swept directories after
 * its sweeper: 0 once none of it is the uid's. */
static int disown_left(uid_t uid)
{
	int rc = 0;

	for (size_t i = 0; i < sizeof(SWEPT_DIRS) / sizeof(SWEPT_DIRS[0]); i++) {
		DIR *d = opendir_at(AT_FDCWD, SWEPT_DIRS[i], O_NOFOLLOW);
		struct dirent *e;
		struct stat st;

		if (d == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (fstatat(dirfd(d), e->d_name, &st,
				    AT_SYMLINK_NOFOLLOW) == -1 ||
			    st.st_uid != uid)
				continue;
			rc |= S_ISDIR(st.st_mode)
				      ? disown_dir(dirfd(d), SWEPT_DIRS[i],
						   e->d_name, uid)
				      : unlinkat(dirfd(d), e->d_name, 0);
		}
		closedir(d);
	}
	return rc;
}

/* Returns 0 once the sweeper finished its whole round and nothing of
 * the uid's is left where it sweeps. */
static int sweep_uid(uid_t uid)
{
	pid_t pid = fork();
	int status;

	if (pid == 0)
		sweeper(uid);
	if (pid == -1 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	/* Most sweeps leave nothing: root looks only when one did. */
	if (WEXITSTATUS(status) == SWEEP_LEFT)
		return disown_left(uid);
	return WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- taking and giving back a uid --------------------------------------- */

static bool uid_has_owner(uid_t uid)
{
	return getpwuid(uid) != NULL || getgrgid((gid_t)uid) != NULL;
}

/* Whether the record's holder answered its client and only cleans up. */
static bool record_cleaning(int fd)
{
	char state[STATE_LEN];

	return pread(fd, state, sizeof(state), 0) == (ssize_t)sizeof(state) &&
	       memcmp(state, "cleaning", STATE_LEN) == 0;
}

/* The record of uid, locked: its fd, or -1 when another helper holds it
 * (*cleaning then says whether that helper only cleans up). */
static int lock_record(int dir, uid_t uid, bool *cleaning)
{
	char name[16];
	struct stat st;
	int fd;

	*cleaning = false;
	snprintf(name, sizeof(name), "%lu", (unsigned long)uid);
	fd = openat(dir, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_uid != 0) {
		close(fd);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		*cleaning = record_cleaning(fd);
		close(fd);
		return -1;
	}
	return fd;
}

static void note_holder(int fd, const struct job *j)
{
	char line[160];
	int n = snprintf(line, sizeof(line), "running  pid=%ld user=%s\n",
			 (long)getpid(), j->id.user);

	/* For the administrator only: the lock is what counts. */
	if (ftruncate(fd, 0) == 0 && n > 0 &&
	    pwrite(fd, line, (size_t)n, 0) != n)
		log_audit(LOG_WARNING, "cannot note the holder of a pool uid");
}

static void fill_account(struct job *j, uid_t uid)
{
	struct account *a = &j->user;

	memset(a, 0, sizeof(*a));
	a->c.uid = uid;
	a->c.gid = (gid_t)uid;
	a->c.ngroups = 0;
	snprintf(a->name, sizeof(a->name), "symbi-pool-%lu",
		 (unsigned long)uid);
	/* HOME is the job's work directory (env.c): nothing is shared. */
	(void)copy_str(a->shell, sizeof(a->shell), "/bin/sh");
}

/* Uids of the pool whose holder only cleans up. */
struct cleaning {
	size_t n;
	uid_t uid[WAIT_UIDS];
};

/* The first free uid of from..last, its record locked: the fd and *uid,
 * or -1 with the held ones that are being cleaned up in *k. */
static int take_free_uid(int dir, uid_t from, uid_t last, uid_t *uid,
			 struct cleaning *k)
{
	bool cleaning;
	int fd;

	k->n = 0;
	for (uid_t u = from; u >= from && u <= last; u++) {
		if (uid_has_owner(u))
			continue;
		if ((fd = lock_record(dir, u, &cleaning)) != -1) {
			*uid = u;
			return fd;
		}
		if (cleaning && k->n < WAIT_UIDS)
			k->uid[k->n++] = u;
	}
	return -1;
}

/* Every uid held, some only until their last job's cleanup ends: the
 * first of those to be free, within WAIT_MS. */
static int wait_cleaned_uid(int dir, const struct cleaning *k, uid_t *uid)
{
	struct timespec step = { 0, WAIT_STEP_MS * 1000000L };
	uint64_t deadline = now_ms() + WAIT_MS;
	bool cleaning;
	int fd;

	while (k->n > 0 && now_ms() < deadline) {
		nanosleep(&step, NULL);
		for (size_t i = 0; i < k->n; i++)
			if ((fd = lock_record(dir, k->uid[i], &cleaning)) !=
			    -1) {
				*uid = k->uid[i];
				return fd;
			}
	}
	return -1;
}

/* uid, just taken: its processes killed, the top of the swept
 * directories and its directory in the base emptied of what earlier
 * holders left. Returns 0, or -1 (logged) when it cannot be. */
static int clear_uid(const struct job *j, uid_t uid)
{
	const char *what = "its directory in the work base cannot be emptied";
	unsigned long ruid = 0;
	long pid;

	if (sweep_uid(uid) == 0) {
		if (workdir_clear_pool(j, uid) == 0)
			return 0;
		log_audit(LOG_WARNING, "pool uid %lu skipped: %s",
			  (unsigned long)uid, what);
		return -1;
	}
	/* Naming what stays says whose it is: a process its sweeper cannot
	 * kill has another real and saved uid (someone else's set-id file
	 * of the uid ran). */
	pid = live_process_of(uid, &ruid);
	if (pid > 0)
		log_audit(LOG_WARNING, "pool uid %lu skipped: its sweep did not "
			  "finish: process %ld (real uid %lu) stays",
			  (unsigned long)uid, pid, ruid);
	else
		log_audit(LOG_WARNING, "pool uid %lu skipped: its sweep did not "
			  "finish", (unsigned long)uid);
	return -1;
}

/* A free uid of the pool, cleared, its record locked: the fd and *uid,
 * or -1. One that cannot be cleared is passed over, so it costs the
 * pool that uid, not every job; *skipped counts them. */
static int take_cleared_uid(const struct job *j, int dir, uid_t *uid,
			    struct cleaning *k, unsigned *skipped)
{
	uid_t from = j->dec.pool_first, last = j->dec.pool_last;
	int fd;

	*skipped = 0;
	for (;;) {
		fd = take_free_uid(dir, from, last, uid, k);
		if (fd == -1)
			fd = wait_cleaned_uid(dir, k, uid);
		if (fd == -1 || clear_uid(j, *uid) == 0)
			return fd;
		close(fd);
		++*skipped;
		if (*uid == last)
			return -1;
		from = *uid + 1;
	}
}

int pool_acquire(struct job *j, char *msg, size_t cap)
{
	uid_t first = j->dec.pool_first, last = j->dec.pool_last, uid = 0;
	int dir = run_dir_open(POOL_DIR), fd;
	struct cleaning k;
	unsigned skipped;

	if (dir == -1) {
		snprintf(msg, cap, "cannot use the run_as_pool records under "
			 "%s/" POOL_DIR ": %s", RUN_DIR, strerror(errno));
		return -1;
	}
	fd = take_cleared_uid(j, dir, &uid, &k, &skipped);
	close(dir);
	if (fd == -1) {
		snprintf(msg, cap, "every uid of run_as_pool %lu-%lu is in "
			 "use%s%s", (unsigned long)first, (unsigned long)last,
			 k.n ? " (the cleanup of a finished job held one "
			       "longer than the wait)" : "",
			 skipped ? " or cannot be cleared of what an earlier "
				   "job left (see the system log)" : "");
		return -1;
	}
	j->pool_fd = fd;
	note_holder(fd, j);
	fill_account(j, uid);
	return 0;
}

void pool_mark_cleaning(const struct job *j)
{
	if (j->pool_fd != -1 &&
	    pwrite(j->pool_fd, "cleaning", STATE_LEN, 0) != STATE_LEN)
		log_audit(LOG_WARNING, "job=%s: cannot mark pool uid %lu as "
			  "being cleaned up", j->job_id,
			  (unsigned long)j->user.c.uid);
}

bool pool_release(struct job *j)
{
	bool cleared = false;

	if (j->pool_fd == -1)
		return false;
	/* A uid the sweep could not clear stays locked until this helper
	 * exits, its directory in the base left as it is: the next holder
	 * sweeps again and clears it first, as for any uid (clear_uid), or
	 * passes it over. Otherwise what is left in that directory is set
	 * aside now, so the uid's next job does not wait for it. */
	if (sweep_uid(j->user.c.uid) == -1)
		log_audit(LOG_WARNING, "job=%s: pool uid %lu: the sweep did "
			  "not finish", j->job_id,
			  (unsigned long)j->user.c.uid);
	else
		cleared = workdir_clear_pool(j, j->user.c.uid) == 0;
	/* The job's one turn on what earlier pool jobs set aside, after its
	 * result: its caller does not wait for it. */
	workdir_purge_left(j);
	close(j->pool_fd);
	j->pool_fd = -1;
	return cleared;
}

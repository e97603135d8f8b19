/*
 * Step 7: the job's fresh private work directory. Its base may live in
 * world-writable /tmp, so root reaches it through the trust walk
 * (shared/trust.h): a user who pre-created it or planted a symlink gets
 * a refusal, not a redirect. In the base each job account has a
 * directory of its own, named by uid and kept; the job directory is made
 * inside it with the account's file credentials, so a kept one is the
 * user's to remove. A run_as_pool uid's is root's (take_pool_dir): the
 * uid serves other callers next, so a job directory of it that cannot
 * be emptied (another user's files in it) is set aside where only root
 * reaches it (set_aside). A job directory left non-empty is emptied by
 * a child with the job user's file-system ids alone (start_cleaner,
 * priv_fs_enter: its real and saved uids stay root, so the user can
 * neither signal nor trace it), so no unlink with root's rights runs
 * inside a tree the user controlled; that child holds a few descriptors
 * whatever the depth (a FUSE mount in the tree could stall it: it has a
 * deadline). A tree it cannot empty in 5 s is not abandoned: it goes on
 * after the reply (workdir_finish, for up to 30 min; a pool job's is
 * set aside if it still cannot), and what a killed helper left is swept
 * by the next run (sweep.c, workdir_sweep). The same walker, run by
 * root, removes a pool uid's own entries from what was set aside
 * (workdir_purge_tree, one bounded turn per pool job), and nothing of
 * anyone else's.
 * The caller's directory (the default, or -C DIR) is only checked here,
 * as the caller (check_caller_dir); the job chdir()s there after the
 * privilege drop (spawn.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "../shared/log.h"
#include "../shared/trust.h"
#include "../shared/util.h"
#include "helper.h"

/* The base may sit in world-writable /tmp: it is trusted only if it and
 * every directory above it is root's and writable by no one else, a
 * sticky one excepted (others cannot move root's entries in it); a
 * missing component is created by root, 0711 (users traverse it to
 * reach their own job directory but cannot list it). A user who
 * pre-created it or planted a symlink gets a refusal, not a redirect. */
static int open_base(struct job *j, const char *base)
{
	char why[160];
	int fd;

	if (!valid_abs_path(base) || strcmp(base, "/") == 0) {
		set_message(&j->v, 125, "invalid working_directory %s", base);
		return -1;
	}
	fd = trust_open(base, TRUST_STICKY | TRUST_MKDIR,
			O_RDONLY | O_DIRECTORY, NULL, why, sizeof(why));
	if (fd == -1)
		set_message(&j->v, 125, "cannot use work base %s: %s", base,
			    why);
	return fd;
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

/* Opened as the caller, no symlink on the way (dir is canonical: the
 * judge checked), no magic link such as /proc/PID/cwd either; the
 * access the tier needs on it (search, and for a tier that mounts it
 * writable read and write too) checked on that descriptor, with the
 * file-system ids just set (AT_EACCESS), not the real ones. The
 * descriptor, or -1 with errno (*denied: the access check said no). */
static int open_as_caller(struct job *j, const char *dir, bool *denied)
{
	int mode = X_OK | j->ops->caller_dir_access;
	int fd, err = 0;

	if (priv_fs_enter(&j->inv.caller) == -1)
		return -1;
	fd = open_no_links(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		err = errno;
	else if (syscall(SYS_faccessat2, fd, "", mode,
			 AT_EACCESS | AT_EMPTY_PATH) == -1) {
		err = errno;
		*denied = true;
		close(fd);
		fd = -1;
	}
	priv_fs_leave();
	errno = err;
	return fd;
}

static int refuse_caller_dir(struct job *j, const char *dir, bool denied)
{
	if (errno == ELOOP)
		set_message(&j->v, 125, "work directory %s is reached through "
			    "a symbolic link", dir);
	else if (denied && j->ops->caller_dir_access)
		set_message(&j->v, 125, "cannot use work directory %s: tier "
			    "%s mounts it writable, and you may not read and "
			    "write it (run from another, give -C DIR, or use "
			    "--private)", dir, tier_name(j->dec.tier));
	else
		set_message(&j->v, 125, "cannot use work directory %s: %s",
			    dir, strerror(errno));
	return -1;
}

/* The caller's own directory (or -C DIR): opened with the caller's
 * credentials, it must be the directory the path names with no symlink
 * on the way, so what the job is given is what the caller could reach
 * by that very path. The job account enters it again after the drop;
 * a tier that mounts it takes the descriptor (j->caller_dir_fd): one
 * walk of the path, as the caller, for every use of it. */
static int check_caller_dir(struct job *j)
{
	const char *dir = j->dec.workdir;
	bool denied = false;
	int fd = open_as_caller(j, dir, &denied);

	if (fd == -1)
		return refuse_caller_dir(j, dir, denied);
	/* Moved, or a mount of another namespace (its path is not ours):
	 * the path she gave must still name it here. Its other name is
	 * not told: it may lie where she cannot look. */
	if (!trust_fd_is_path(fd, dir)) {
		close(fd);
		set_message(&j->v, 125, "work directory %s is not the "
			    "directory that path names here", dir);
		return -1;
	}
	j->caller_dir_fd = fd;
	(void)copy_str(j->v.workdir, sizeof(j->v.workdir), dir);
	return 0;
}

/* Group or other write on the account's directory would let another
 * local user rename the job directory away and put a symlink in its
 * place: HOME, and the docker tiers' mount source, are paths. */
static int refuse_open_dir(struct job *j, const char *uid,
			   const struct stat *st)
{
	set_message(&j->v, 125, "%s/%s is writable by others (mode %04o): "
		    "no job directory is made there (chmod go-w it)",
		    j->pol.native.working_directory, uid,
		    (unsigned)(st->st_mode & 07777));
	return -1;
}

/* A caller's (or run_as account's) directory in the base: made once and
 * kept, the account's own, so that a kept job directory lies in a
 * directory of the user's and plain rm -rf removes it. */
static int take_account_dir(struct job *j, int fd, bool made, const char *uid)
{
	struct stat st;

	if ((made && fchown(fd, j->user.c.uid, j->user.c.gid) == -1) ||
	    fstat(fd, &st) == -1)
		return -1;
	if (st.st_uid != j->user.c.uid) {
		errno = EPERM; /* another account's: never shared */
		return -1;
	}
	return st.st_mode & 022 ? refuse_open_dir(j, uid, &st) : 0;
}

/* A pool uid's directory is root's, 0711: the uid serves other callers'
 * jobs next, so no job of it may change the directory in which the next
 * holder's job directory (its HOME) is made. One of the older layout
 * (the uid's own, which a job could chmod 0777) is taken back as root
 * through its descriptor before anything is made in it. What an earlier
 * holder left in it went before (workdir_clear_pool, when the uid was
 * taken); since then only root can add to it. */
static int take_pool_dir(int fd, uid_t uid)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return -1;
	if (st.st_uid != 0 && st.st_uid != uid) {
		errno = EPERM;
		return -1;
	}
	if ((st.st_uid != 0 || st.st_gid != 0) && fchown(fd, 0, 0) == -1)
		return -1;
	if ((st.st_mode & 07777) != 0711 && fchmod(fd, 0711) == -1)
		return -1;
	return 0;
}

/* The job account's directory in the base, named by its uid, made in
 * root's base, where no one else can meddle. Returns its fd, or -1
 * (with j->v filled, or errno). */
static int open_user_dir(struct job *j, int base_fd, const char *name)
{
	int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, fd, rc;
	bool made = mkdirat(base_fd, name, 0700) == 0;

	if (!made && errno != EEXIST)
		return -1;
	fd = openat(base_fd, name, flags);
	if (fd == -1)
		return -1;
	rc = j->pool_fd != -1 ? take_pool_dir(fd, j->user.c.uid)
			      : take_account_dir(j, fd, made, name);
	if (rc == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Made with the job account's file credentials: in the user's own
 * directory, root creates nothing. A pool uid's directory is root's:
 * there root makes it and gives it to the uid by its descriptor. */
static int make_job_dir(struct job *j)
{
	int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, fd = -1;
	const struct creds *c = &j->user.c;

	if (j->pool_fd != -1) {
		if (mkdirat(j->base_fd, j->work_name, 0700) == -1)
			return -1;
		fd = openat(j->base_fd, j->work_name, flags);
		if (fd != -1 && fchown(fd, c->uid, c->gid) == -1) {
			close(fd);
			fd = -1;
		}
		if (fd == -1)
			(void)unlinkat(j->base_fd, j->work_name, AT_REMOVEDIR);
		return fd;
	}
	if (priv_fs_enter(c) == -1)
		return -1;
	if (mkdirat(j->base_fd, j->work_name, 0700) == 0)
		fd = openat(j->base_fd, j->work_name, flags);
	priv_fs_leave();
	return fd;
}

int workdir_make(struct job *j)
{
	const char *base = j->pol.native.working_directory;
	char uid[24];
	int base_fd;

	make_job_id(j);
	if (j->dec.workdir)
		return check_caller_dir(j);
	base_fd = open_base(j, base);
	if (base_fd == -1)
		return -1;
	snprintf(uid, sizeof(uid), "%lu", (unsigned long)j->user.c.uid);
	j->base_fd = open_user_dir(j, base_fd, uid);
	close(base_fd);
	if (j->base_fd == -1 && j->v.status != 0)
		return -1;
	if (j->base_fd == -1 || (j->work_fd = make_job_dir(j)) == -1) {
		set_message(&j->v, 125, "cannot create a work directory in "
			    "%s/%s: %s", base, uid, strerror(errno));
		return -1;
	}
	snprintf(j->v.workdir, sizeof(j->v.workdir), "%s/%s/%s", base, uid,
		 j->work_name);
	return 0;
}

int workdir_describe_dry(struct job *j)
{
	if (j->dec.workdir)
		return check_caller_dir(j);
	snprintf(j->v.workdir, sizeof(j->v.workdir),
		 "%s/%lu/job-XXXX (created at run)",
		 j->pol.native.working_directory,
		 (unsigned long)j->user.c.uid);
	return 0;
}

/* How long the helper waits for the cleaner before it answers, and how
 * long the cleaner may go on after that. */
#define EMPTY_DEADLINE_MS 5000
#define CLEANER_MAX_MS 1800000 /* 30 min */
/* What could not be removed, skipped from then on so the walk ends:
 * a few for the user's cleaner, more for root's purge of set-aside
 * trees, whose other users' entries all stay. */
#define STUCK_MAX 64
#define PURGE_STUCK_MAX 4096

/* One walk: the job user's cleaner removes all it may; root's purge
 * (workdir_purge_tree) only the pool uid's entries, on the top's file
 * system, within a budget of entries and time. left and left_bytes
 * count what stays, as its last pass over each directory saw it. */
struct walk {
	bool as_root;
	uid_t uid;
	dev_t dev;
	size_t budget, stuck_max, nstuck, left;
	uint64_t deadline, left_bytes;
	struct { dev_t dev; ino_t ino; } *stuck;
};

static bool is_stuck(const struct walk *w, const struct stat *st)
{
	for (size_t i = 0; i < w->nstuck; i++)
		if (w->stuck[i].dev == st->st_dev &&
		    w->stuck[i].ino == st->st_ino)
			return true;
	return false;
}

static int add_stuck(struct walk *w, const struct stat *st)
{
	void *grown;

	if (w->nstuck == w->stuck_max)
		return -1;
	grown = reallocarray(w->stuck, w->nstuck + 1, sizeof(*w->stuck));
	if (grown == NULL)
		return -1;
	w->stuck = grown;
	w->stuck[w->nstuck].dev = st->st_dev;
	w->stuck[w->nstuck++].ino = st->st_ino;
	return 0;
}

/* A subdirectory of dfd as root: by descriptor, no symlink, no mount
 * crossed, and the very directory fstatat saw. */
static int open_sub_as_root(int dfd, const char *n, const struct stat *st)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, dfd, n, &how, sizeof(how));
	struct stat now;

	if (fd != -1 && (fstat(fd, &now) == -1 || now.st_dev != st->st_dev ||
			 now.st_ino != st->st_ino)) {
		close(fd);
		fd = -1;
		errno = ESTALE; /* another directory than the one seen */
	}
	return fd;
}

/* Root's choice for entry n of dfd: 0 when it is gone or stays (*left
 * counts it), 1 with *sub to enter, -1 to give up. Only the uid's
 * entries go: whatever another user owns, she could have moved in
 * from where she may not delete it. */
static int purge_entry(int dfd, const char *n, struct walk *w, int *sub,
		       size_t *left, uint64_t *bytes)
{
	struct stat st;

	if (fstatat(dfd, n, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode) && st.st_dev == w->dev && !is_stuck(w, &st)) {
		if (st.st_uid == w->uid && unlinkat(dfd, n, AT_REMOVEDIR) == 0)
			return 0;
		*sub = open_sub_as_root(dfd, n, &st);
		if (*sub != -1)
			return 1;
		/* A mount point, or swapped meanwhile: it stays. */
		if (errno == ENOENT)
			return 0;
		if (add_stuck(w, &st) == -1)
			return -1;
		++*left;
		return 0;
	}
	if (!S_ISDIR(st.st_mode) && st.st_uid == w->uid &&
	    (unlinkat(dfd, n, 0) == 0 || errno == ENOENT))
		return 0;
	if (S_ISDIR(st.st_mode) && st.st_dev != w->dev &&
	    !is_stuck(w, &st) && add_stuck(w, &st) == -1)
		return -1;
	++*left;
	*bytes += S_ISDIR(st.st_mode) ? 0 : (uint64_t)st.st_size;
	return 0;
}

/* The user's cleaner's choice for entry n of dfd, as purge_entry. */
static int clean_entry(int dfd, const char *n, struct walk *w, int *sub,
		       size_t *left)
{
	struct stat st;

	if (w->nstuck > 0 &&
	    fstatat(dfd, n, &st, AT_SYMLINK_NOFOLLOW) == 0 && is_stuck(w, &st)) {
		++*left;
		return 0;
	}
	if (unlinkat(dfd, n, 0) == 0 || errno == ENOENT ||
	    ((errno == EISDIR || errno == EPERM) &&
	     unlinkat(dfd, n, AT_REMOVEDIR) == 0))
		return 0;
	/* Not empty: made usable (the job may have left it mode 000) and
	 * emptied before the next look at dfd. */
	if ((errno == ENOTEMPTY || errno == EEXIST) &&
	    fchmodat(dfd, n, 0700, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (*sub = openat(dfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					   O_CLOEXEC)) != -1)
		return 1;
	++*left;
	return fstatat(dfd, n, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		       add_stuck(w, &st) == -1 ? -1 : 0;
}

/* Removes what it may of dfd's entries; returns a descriptor of the
 * first subdirectory to be emptied first, -2 when done (*skipped tells
 * whether something stays), or -1 to give up (the budget spent). */
static int sweep(int dfd, struct walk *w, bool *skipped)
{
	DIR *d = now_ms() > w->deadline ? NULL : opendir_at(dfd, ".", 0);
	struct dirent *e;
	size_t left = 0;
	uint64_t bytes = 0;
	int sub = -2, rc = 0;

	if (d == NULL)
		return -1;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		const char *n = e->d_name;

		if (!strcmp(n, ".") || !strcmp(n, ".."))
			continue;
		if (w->budget == 0) {
			rc = -1;
			break;
		}
		w->budget--;
		rc = w->as_root ? purge_entry(dfd, n, w, &sub, &left, &bytes)
				: clean_entry(dfd, n, w, &sub, &left);
	}
	closedir(d);
	if (rc == -1)
		return -1;
	if (rc == 1)
		return sub;
	*skipped = left > 0;
	w->left += left;
	w->left_bytes += bytes;
	return -2;
}

/* Back to the parent through "..", which must still be the directory
 * the walk came from. */
static int climb(int fd, const struct stat *parent)
{
	int up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	close(fd);
	if (up != -1 && (fstat(up, &st) == -1 || st.st_dev != parent->st_dev ||
			 st.st_ino != parent->st_ino)) {
		close(up);
		up = -1;
	}
	return up;
}

/* A directory the walk leaves for good: one whose entries stay, or,
 * for root, another user's (root never removes it). */
static bool stays(const struct walk *w, const struct stat *st, bool skipped)
{
	return skipped || (w->as_root && st->st_uid != w->uid);
}

/* Depth first without recursion: one descriptor for the current
 * directory, a stack of the identities above it. */
static int walk_tree(int top, struct walk *w)
{
	struct stat *path = NULL, *grown;
	size_t depth = 0, cap = 0;
	int fd = openat(top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), sub;
	int rc = -1;
	bool skipped = false;

	while (fd != -1) {
		if (depth == cap) {
			grown = reallocarray(path, cap = cap * 2 + 64,
					     sizeof(*path));
			if (grown == NULL)
				break;
			path = grown;
		}
		if (fstat(fd, &path[depth]) == -1 ||
		    (sub = sweep(fd, w, &skipped)) == -1)
			break;
		if (sub >= 0) {
			close(fd);
			fd = sub;
			depth++;
			continue;
		}
		if (depth == 0) {
			rc = skipped ? -1 : 0;
			break;
		}
		if (stays(w, &path[depth], skipped) &&
		    add_stuck(w, &path[depth]) == -1)
			break;
		fd = climb(fd, &path[--depth]);
	}
	if (fd != -1)
		close(fd);
	free(path);
	free(w->stuck);
	w->stuck = NULL;
	return rc;
}

int workdir_empty_tree(int top)
{
	struct walk w = { .budget = SIZE_MAX, .deadline = UINT64_MAX,
			  .stuck_max = STUCK_MAX };

	return walk_tree(top, &w);
}

int workdir_purge_tree(int top, uid_t uid, struct purge *p)
{
	struct stat st;
	struct walk w = { .as_root = true, .uid = uid, .budget = p->budget,
			  .deadline = p->deadline,
			  .stuck_max = PURGE_STUCK_MAX };
	int rc;

	if (fstat(top, &st) == -1)
		return -1;
	w.dev = st.st_dev;
	rc = walk_tree(top, &w);
	p->budget = w.budget;
	p->left = w.left;
	p->left_bytes = w.left_bytes;
	return rc;
}

enum cleaner_end { CLEANER_RUNNING, CLEANER_DONE, CLEANER_FAILED };

/* Waits for the cleaner until deadline and reaps it through its pidfd,
 * never by pid: a cleaner reaped earlier (it failed) answers ECHILD here
 * instead of naming whatever process took its pid since. */
static enum cleaner_end cleaner_wait(int pidfd, uint64_t deadline)
{
	struct pollfd pf = {.fd = pidfd, .events = POLLIN};
	siginfo_t si;
	uint64_t now;

	while ((now = now_ms()) < deadline &&
	       poll(&pf, 1, (int)(deadline - now)) == 0)
		;
	if (!(pf.revents & POLLIN))
		return CLEANER_RUNNING;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) == -1)
		return CLEANER_FAILED;
	return si.si_code == CLD_EXITED && si.si_status == 0 ? CLEANER_DONE
							      : CLEANER_FAILED;
}

/* A cleaner past its time: killed and reaped, both through its pidfd. */
static void cleaner_kill(int pidfd)
{
	siginfo_t si;

	(void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	(void)waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED);
}

/* The child works with the user's file credentials alone: its real and
 * saved uids stay root, so the user can neither signal nor trace it (a
 * stopped or killed cleaner would leave the tree behind), and it runs
 * nothing but the removal. Returns its pid (and *pidfd), or -1. */
static pid_t start_cleaner(const struct creds *c, int work_fd, int *pidfd)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (setsid() == -1 || priv_fs_enter(c) == -1 ||
		    fchmod(work_fd, 0700) || workdir_empty_tree(work_fd) == -1)
			_exit(1);
		_exit(0);
	}
	*pidfd = pid == -1 ? -1 : (int)syscall(SYS_pidfd_open, pid, 0);
	if (pid != -1 && *pidfd == -1) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

static void close_work_fd(struct job *j)
{
	close(j->work_fd);
	j->work_fd = -1;
}

static void remove_emptied(struct job *j)
{
	if (unlinkat(j->base_fd, j->work_name, AT_REMOVEDIR) == -1)
		log_audit(LOG_WARNING, "job=%s: cannot remove %s: %s",
			  j->job_id, j->v.workdir, strerror(errno));
}

void workdir_remove(struct job *j)
{
	if (j->work_fd == -1)
		return;
	/* Most jobs leave nothing: an empty directory goes without the
	 * child (rmdir in root's base never looks inside the user's tree). */
	if ((j->req.flags & REQ_KEEP_WORKDIR) ||
	    unlinkat(j->base_fd, j->work_name, AT_REMOVEDIR) == 0) {
		close_work_fd(j);
		return;
	}
	j->cleaner = start_cleaner(&j->user.c, j->work_fd, &j->cleaner_fd);
	close_work_fd(j);
	if (j->cleaner == -1) {
		j->cleaner = 0;
		log_audit(LOG_WARNING, "job=%s: cannot start the cleaner of "
			  "%s: %s; left for the next run", j->job_id,
			  j->v.workdir, strerror(errno));
		return;
	}
	/* A big tree takes longer: then the cleaner goes on after the
	 * reply (workdir_finish). */
	if (cleaner_wait(j->cleaner_fd, now_ms() + EMPTY_DEADLINE_MS) ==
	    CLEANER_DONE) {
		workdir_forget_cleaner(j);
		remove_emptied(j);
	}
}

void workdir_forget_cleaner(struct job *j)
{
	if (j->cleaner == 0)
		return;
	close(j->cleaner_fd);
	j->cleaner_fd = -1;
	j->cleaner = 0;
}

/* The job account's directory in the base, as open_user_dir made it:
 * the account's, or root's (a pool uid's), and writable by no one else.
 * Returns its fd, or -1 (errno). */
static int open_swept_user_dir(const char *base, const struct creds *c)
{
	char why[160], uid[24];
	struct stat st;
	int bfd, ufd;

	bfd = trust_open(base, TRUST_STICKY, O_RDONLY | O_DIRECTORY, NULL, why,
			 sizeof(why));
	if (bfd == -1)
		return -1;
	snprintf(uid, sizeof(uid), "%lu", (unsigned long)c->uid);
	ufd = openat(bfd, uid, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(bfd);
	if (ufd != -1 && (fstat(ufd, &st) == -1 ||
			  (st.st_uid != c->uid && st.st_uid != 0) ||
			  (st.st_mode & 022))) {
		close(ufd);
		errno = EPERM;
		return -1;
	}
	return ufd;
}

/* name in ufd, a job directory of c's an earlier job left: emptied as
 * c by a child for up to max_ms, then removed. Returns 0 when it is
 * gone. */
static int remove_left(int ufd, const char *name, const struct creds *c,
		       uint64_t max_ms)
{
	struct stat st;
	int wfd, pidfd;

	wfd = openat(ufd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				       O_CLOEXEC);
	if (wfd == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(wfd, &st) == 0 && st.st_uid == c->uid &&
	    unlinkat(ufd, name, AT_REMOVEDIR) == -1 &&
	    start_cleaner(c, wfd, &pidfd) != -1) {
		enum cleaner_end end = cleaner_wait(pidfd, now_ms() + max_ms);

		if (end == CLEANER_DONE)
			(void)unlinkat(ufd, name, AT_REMOVEDIR);
		else if (end == CLEANER_RUNNING)
			cleaner_kill(pidfd);
		close(pidfd);
	}
	close(wfd);
	return faccessat(ufd, name, F_OK, AT_SYMLINK_NOFOLLOW) == -1 &&
			       errno == ENOENT ? 0 : -1;
}

/* The work base, through the trust walk, nothing made: its fd, or -1
 * when it is missing or cannot be trusted (workdir_make makes it, or
 * refuses it). */
static int open_made_base(const struct job *j)
{
	char why[160];

	return trust_open(j->pol.native.working_directory, TRUST_STICKY,
			  O_RDONLY | O_DIRECTORY, NULL, why, sizeof(why));
}

/* Where what cannot be removed from a pool uid's directory goes: LEFT_DIR
 * in the base, root's and 0700, so no job nor user reaches it by path
 * (a caller may still hold a descriptor of a directory of hers in it);
 * made if missing. Its fd, or -1. */
#define LEFT_DIR ".left"

static int open_left_dir(int bfd)
{
	int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, fd;
	struct stat st;

	if (mkdirat(bfd, LEFT_DIR, 0700) == -1 && errno != EEXIST)
		return -1;
	fd = openat(bfd, LEFT_DIR, flags);
	if (fd != -1 && (fstat(fd, &st) == -1 || st.st_uid != 0 ||
			 (st.st_mode & 077))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* name in the pool uid's directory ufd, which its cleaner could not empty:
 * another user put files in it (the job had opened it to all), a tree
 * bigger than the deadline allows, a mount. Root takes it from the uid
 * by its descriptor (root's, 0700) and moves it into LEFT_DIR, out of
 * the way of the uid's next jobs, named UID-NAME for purge_left, which
 * removes the uid's part of it. Returns 0 when it is gone from ufd. */
static int set_aside(int bfd, int ufd, const char *name, uid_t uid)
{
	char to[NAME_MAX + 1];
	struct stat st;
	int fd, lfd, rc = -1;

	fd = openat(ufd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == -1 || (st.st_uid == uid &&
				     (fchown(fd, 0, 0) == -1 ||
				      fchmod(fd, 0700) == -1))) {
		close(fd);
		return -1;
	}
	close(fd);
	lfd = open_left_dir(bfd);
	if (lfd != -1 && (size_t)snprintf(to, sizeof(to), "%lu-%s",
					  (unsigned long)uid, name) <
				 sizeof(to))
		rc = renameat2(ufd, name, lfd, to, RENAME_NOREPLACE);
	if (lfd != -1)
		close(lfd);
	log_audit(LOG_WARNING, "pool uid %lu: %s could not be emptied (other "
		  "users' files in it?): %s", (unsigned long)uid, name,
		  rc == 0 ? "moved to " LEFT_DIR " in the work base, root's, "
			    "where root removes the uid's files"
			  : "it stays, and so the uid is not used");
	return rc;
}

/* A pool job's directory its cleaner could not empty: set aside at
 * once, since another cleaner would stop where this one did. 0 when it
 * is gone from the uid's directory. */
static int set_aside_job(const struct job *j)
{
	int bfd = open_made_base(j), rc;

	if (bfd == -1)
		return -1;
	rc = set_aside(bfd, j->base_fd, j->work_name, j->user.c.uid);
	close(bfd);
	return rc;
}

/* After the reply: the cleaner has all the time it needs, up to a
 * bound past which the tree is left to the next run's sweep (its
 * record stays); a pool job's is set aside instead, out of the way of
 * the uid's next job. True once the job directory is gone. */
bool workdir_finish(struct job *j)
{
	const char *then = j->pool_fd != -1 ? "" : "; left for the next run";
	enum cleaner_end end;
	bool done;

	if (j->cleaner == 0)
		return true;
	end = cleaner_wait(j->cleaner_fd, now_ms() + CLEANER_MAX_MS);
	done = end == CLEANER_DONE;
	if (end == CLEANER_RUNNING) {
		cleaner_kill(j->cleaner_fd);
		log_audit(LOG_WARNING, "job=%s: %s not emptied within %d s%s",
			  j->job_id, j->v.workdir,
			  (int)(CLEANER_MAX_MS / 1000), then);
	} else if (end == CLEANER_FAILED) {
		log_audit(LOG_WARNING, "job=%s: %s could not be emptied%s",
			  j->job_id, j->v.workdir, then);
	}
	workdir_forget_cleaner(j);
	if (done)
		remove_emptied(j);
	else if (j->pool_fd != -1)
		done = set_aside_job(j) == 0;
	return done;
}

/* What root may spend on LEFT_DIR per pool job: a caller who keeps a
 * descriptor inside a set-aside directory of hers can go on adding
 * entries there, so the work is bounded and the next job's cleanup
 * goes on where this one stopped. */
#define PURGE_BUDGET 4096
#define PURGE_MS 1000

/* The pool uid a LEFT_DIR entry's name (UID-NAME, set_aside's) gives. */
static bool left_owner(const char *name, uid_t *uid)
{
	char *end;
	unsigned long v;

	if (name[0] < '0' || name[0] > '9')
		return false;
	errno = 0;
	v = strtoul(name, &end, 10);
	if (errno != 0 || *end != '-' || v == 0 || v > (uid_t)-2)
		return false;
	*uid = (uid_t)v;
	return true;
}

/* LEFT_DIR's entry name: the uid's part removed by root, the entry
 * itself once empty; what stays (other users' files, on their quota)
 * logged with its size. */
static void purge_left_entry(int lfd, const char *name, struct purge *p)
{
	int fd = openat(lfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					   O_CLOEXEC);
	uid_t uid;

	if (fd == -1 || !left_owner(name, &uid)) {
		if (fd != -1)
			close(fd);
		return;
	}
	if (workdir_purge_tree(fd, uid, p) == 0 &&
	    unlinkat(lfd, name, AT_REMOVEDIR) == 0) {
		close(fd);
		return;
	}
	close(fd);
	log_audit(LOG_WARNING, "work base " LEFT_DIR "/%s: %zu entries "
		  "(%llu bytes) stay%s: other users' (counted to them) or "
		  "not reached yet", name, p->left,
		  (unsigned long long)p->left_bytes,
		  p->budget == 0 ? "; the next pool job goes on" : "");
}

/* Every entry of LEFT_DIR in the base bfd, within one job's budget. */
static void purge_left(int bfd)
{
	struct purge p = { .budget = PURGE_BUDGET,
			   .deadline = now_ms() + PURGE_MS };
	int lfd = openat(bfd, LEFT_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					       O_CLOEXEC);
	struct stat st;
	struct dirent *e;
	DIR *d;

	if (lfd == -1)
		return;
	d = fstat(lfd, &st) == 0 && st.st_uid == 0 && !(st.st_mode & 077)
		    ? opendir_at(lfd, ".", 0)
		    : NULL;
	while (d != NULL && p.budget > 0 && now_ms() < p.deadline &&
	       (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			purge_left_entry(lfd, e->d_name, &p);
	if (d != NULL)
		closedir(d);
	close(lfd);
}

/* A pool uid's directory (root's, so only helpers made what is in it)
 * before its next job, the uid's processes gone: every job directory an
 * earlier holder left (a killed helper's, a tree its cleaner could not
 * empty) goes, so nothing of one caller's job reaches the next
 * caller's; what cannot be removed is set aside. Anything else is
 * unlinked, or, another user's directory from the older layout, set
 * aside too. Returns 0, or -1 when something stays. */
static int clear_pool_dir(int bfd, int ufd, const struct creds *c)
{
	DIR *d = opendir_at(ufd, ".", 0);
	struct dirent *e;
	struct stat st;
	int rc = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		const char *n = e->d_name;

		if (!strcmp(n, ".") || !strcmp(n, "..") ||
		    fstatat(ufd, n, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (!S_ISDIR(st.st_mode))
			rc |= unlinkat(ufd, n, 0);
		else if ((st.st_uid == c->uid &&
			  remove_left(ufd, n, c, EMPTY_DEADLINE_MS) == -1) ||
			 (st.st_uid != c->uid &&
			  unlinkat(ufd, n, AT_REMOVEDIR) == -1))
			rc |= set_aside(bfd, ufd, n, c->uid);
	}
	closedir(d);
	return rc;
}

int workdir_clear_pool(const struct job *j, uid_t uid)
{
	struct creds c = { .uid = uid, .gid = (gid_t)uid, .ngroups = 0 };
	char name[24];
	int bfd = open_made_base(j), ufd, rc;

	if (bfd == -1)
		return 0; /* no base yet: nothing to clear */
	snprintf(name, sizeof(name), "%lu", (unsigned long)uid);
	ufd = openat(bfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ufd == -1)
		rc = errno == ENOENT ? 0 : -1;
	else
		rc = take_pool_dir(ufd, uid) == -1 ? -1
						   : clear_pool_dir(bfd, ufd, &c);
	if (ufd != -1)
		close(ufd);
	close(bfd);
	return rc;
}

void workdir_purge_left(const struct job *j)
{
	int bfd = open_made_base(j);

	if (bfd == -1)
		return;
	purge_left(bfd);
	close(bfd);
}

/* A record's leftover (sweep.c): the job directory name in the recorded
 * user's directory of the base, emptied as that user, by this (detached)
 * process itself. The base is reached through the trust walk as for a
 * job, but nothing is created. Returns 0 when it is gone. */
int workdir_sweep(const char *base, const char *name, const struct creds *c)
{
	int ufd = open_swept_user_dir(base, c), rc;

	if (ufd == -1)
		return errno == ENOENT ? 0 : -1;
	rc = remove_left(ufd, name, c, CLEANER_MAX_MS);
	close(ufd);
	return rc;
}

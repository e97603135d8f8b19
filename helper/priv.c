/*
 * Every credential change and the exec of the job: the only file that
 * calls setgroups, setres[ug]id, setfs[ug]id, capset, PR_SET_NO_NEW_PRIVS
 * or execveat. After the drop it proves the drop by trying to get root
 * back, like OpenSSH's privsep.
 *
 * priv_drop, priv_fs_as and priv_exec also run in children that share
 * the helper's memory (vchild.c's rule): system calls only, nothing
 * allocated (so capget/capset on stack structures, not libcap, whose
 * cap_t is malloc'd), no stdio, no log line.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../shared/log.h"
#include "../shared/util.h"
#include "helper.h"

/* All three uids and gids 0: the caller's uid is no longer the real uid
 * of the helper, so the caller cannot kill(2) or ptrace it. */
void priv_take_root(pid_t parent)
{
	if (setresgid(0, 0, 0) == -1 || setgroups(0, NULL) == -1)
		die("cannot become root: %s (is the helper setuid root?)",
		    strerror(errno));
	/* Here, after the gid change that would clear it: a helper that
	 * the caller leaves stopped as root (below) dies with its parent. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
	    getppid() != parent)
		die("the client is gone");
	if (setresuid(0, 0, 0) == -1)
		die("cannot become root: %s (is the helper setuid root?)",
		    strerror(errno));
}

/* The effective capabilities: none, or all the permitted ones. */
static int caps_effective(bool on)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) == -1)
		return -1;
	for (int i = 0; i < 2; i++)
		d[i].effective = on ? d[i].permitted : 0;
	return (int)syscall(SYS_capset, &h, d);
}

/* setgroups, then the file-system gid and uid, verified, then no
 * effective capability at all: setfsuid clears only the file ones, and
 * a lookup by root's CAP_SYS_PTRACE would let the caller's path go
 * through /proc/PID/cwd or /proc/PID/root of anyone's process (review
 * of 2026-12-04, F1). 0, or -1. */
static int fs_creds(const struct creds *c)
{
	if (setgroups(c->ngroups, c->groups) == -1)
		return -1;
	(void)setfsgid(c->gid);
	(void)setfsuid(c->uid);
	/* setfs*id report nothing; an invalid id reads the current one. */
	if ((uid_t)setfsuid((uid_t)-1) != c->uid ||
	    (gid_t)setfsgid((gid_t)-1) != c->gid) {
		errno = EPERM;
		return -1;
	}
	return caps_effective(false);
}

/* File access as c, for the paths a user supplies: her groups and
 * file-system ids, and no effective capability (fs_creds), so neither
 * root's DAC override nor any other privilege applies until
 * priv_fs_leave. */
int priv_fs_enter(const struct creds *c)
{
	log_hold(true);
	if (fs_creds(c) == -1) {
		priv_fs_leave();
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* For good, in a child that shares our memory (log_hold's state is the
 * parent's there). Real and saved uid stay 0, so c cannot signal or
 * trace the child. c must not be root: that would keep root's DAC
 * override. */
int priv_fs_as(const struct creds *c)
{
	if (c->uid == 0 || c->gid == 0) {
		errno = EPERM;
		return -1;
	}
	return fs_creds(c);
}

void priv_fs_leave(void)
{
	/* First: setgroups needs CAP_SETGID. */
	if (caps_effective(true) == -1)
		die("cannot take the capabilities back: %s", strerror(errno));
	(void)setfsuid(0);
	(void)setfsgid(0);
	if ((uid_t)setfsuid((uid_t)-1) != 0 || setgroups(0, NULL) == -1)
		die("cannot return to root file access: %s", strerror(errno));
	log_hold(false);
}

/* Bounding and ambient sets go while we still may change them; the
 * first capability the kernel does not know answers EINVAL. */
static int drop_cap_sets(void)
{
	for (int cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1) {
			if (errno == EINVAL)
				break;
			return -1;
		}
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

/* setresuid from 0 clears permitted and effective; inheritable stays
 * unless cleared. Version 3: 64 capabilities in two words. */
static int clear_caps(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct none[2];

	memset(none, 0, sizeof(none));
	return (int)syscall(SYS_capset, &h, none);
}

static bool caps_empty(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct now[2];

	if (syscall(SYS_capget, &h, now) == -1)
		return false;
	for (int i = 0; i < 2; i++)
		if (now[i].effective || now[i].permitted || now[i].inheritable)
			return false;
	return true;
}

static bool groups_are(const struct creds *c)
{
	gid_t now[HELPER_MAX_GROUPS];
	int n = getgroups(HELPER_MAX_GROUPS, now);

	if (n < 0 || (size_t)n != c->ngroups)
		return false;
	for (int i = 0; i < n; i++)
		if (now[i] != c->groups[i])
			return false;
	return true;
}

static bool drop_holds(const struct creds *c)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (setresuid(0, 0, 0) != -1 || setuid(0) != -1 || setgid(0) != -1 ||
	    setegid(0) != -1)
		return false;
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		return false;
	return ru == c->uid && eu == c->uid && su == c->uid && rg == c->gid &&
	       eg == c->gid && sg == c->gid && groups_are(c) && caps_empty() &&
	       prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
}

/* Groups, then gid, then uid; capabilities gone; no_new_privs; then
 * verified. Returns 0, or -1 with errno (EPERM when the proof failed). */
int priv_drop(const struct creds *c)
{
	if (c->uid == 0 || c->gid == 0) {
		errno = EPERM;
		return -1;
	}
	if (drop_cap_sets() == -1 || setgroups(c->ngroups, c->groups) == -1 ||
	    setresgid(c->gid, c->gid, c->gid) == -1 ||
	    setresuid(c->uid, c->uid, c->uid) == -1 || clear_caps() == -1 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
	if (!drop_holds(c)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* The job runs from the very file that was checked. For a script the
 * kernel hands the interpreter /dev/fd/N, and fails with ENOENT when N
 * is close-on-exec; and N must be readable, since perl reads /dev/fd/N
 * from the descriptor itself (an O_PATH one reads as empty). So then it
 * is retried from an inheritable read-only descriptor of the same file,
 * reopened through /proc as the job's user, who must be able to read a
 * script to run it anyway. */
void priv_exec(int fd, char *const argv[], char *const envp[])
{
	char self[40], num[21];
	int rfd;

	execveat(fd, "", argv, envp, AT_EMPTY_PATH);
	if (errno != ENOENT)
		return;
	/* No stdio: vchild.c's rule. */
	dec_u64(num, (uint64_t)fd);
	(void)path_join(self, sizeof(self), "/proc/self/fd", num);
	rfd = open(self, O_RDONLY); /* inherited: the interpreter's N */
	if (rfd != -1)
		execveat(rfd, "", argv, envp, AT_EMPTY_PATH);
}

/* --volume checks: see volume.h for the contract and the design. */
#include "helper/volume.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared/util.h"

/* Host paths no job may mount, nor anything under them: the engines'
 * control sockets and state (a container with the docker socket is root
 * on the host), kernel interfaces, host secrets and boot files. The
 * seeds' DANGEROUS_HOST_PATHS plus the run and state directories of
 * docker, containerd, CRI-O and gVisor, and /dev. The host root "/" is
 * refused by volume_path_dangerous on its own. */
static const char *const dangerous_paths[] = {
	"/var/run/docker.sock", "/run/docker.sock", "/var/run/docker",
	"/run/docker", "/var/run/containerd", "/run/containerd",
	"/var/run/crio", "/run/crio", "/run/runc", "/run/runsc",
	"/var/run", "/run", "/proc", "/sys", "/dev", "/boot", "/etc", "/root",
	"/var/lib/docker", "/var/lib/containerd", "/var/lib/kubelet",
	"/var/lib/rancher", "/var/lib/crio",
};

/* Where no volume may land inside the job: it would hide or expose the
 * kernel's views the runtime sets up, or replace the whole root. */
static const char *const forbidden_targets[] = { "/proc", "/sys", "/dev" };

struct child_answer {
	int ok;
	char msg[256];
};

bool volume_path_under(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return path[0] == '/';
	return strncmp(path, root, n) == 0 &&
	       (path[n] == '\0' || path[n] == '/');
}

static const char *dangerous_match(const char *path)
{
	size_t i;

	if (strcmp(path, "/") == 0)
		return "/";
	for (i = 0; i < sizeof dangerous_paths / sizeof *dangerous_paths; i++)
		if (volume_path_under(path, dangerous_paths[i]))
			return dangerous_paths[i];
	return NULL;
}

bool volume_path_dangerous(const char *path)
{
	return dangerous_match(path) != NULL;
}

static bool has_control_char(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Split "SRC:DST[:ro|:rw]" at its first two ':' into out. The mode is
 * exactly "ro" or "rw" (absent: rw), so a third ':' makes it invalid. */
static int split_spec(const char *spec, struct volume *out, char *err,
		      size_t errlen)
{
	const char *c1 = strchr(spec, ':'), *c2, *mode;
	size_t slen, dlen;

	if (!c1) {
		fmt_msg(err, errlen, "volume %s: expected SRC:DST[:ro|:rw]", spec);
		return -1;
	}
	c2 = strchr(c1 + 1, ':');
	slen = (size_t)(c1 - spec);
	dlen = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
	mode = c2 ? c2 + 1 : "rw";
	if (slen >= sizeof out->src || dlen >= sizeof out->dst) {
		fmt_msg(err, errlen, "volume %.64s...: path too long", spec);
		return -1;
	}
	memcpy(out->src, spec, slen);
	out->src[slen] = '\0';
	memcpy(out->dst, c1 + 1, dlen);
	out->dst[dlen] = '\0';
	if (strcmp(mode, "ro") == 0)
		out->read_only = true;
	else if (strcmp(mode, "rw") == 0)
		out->read_only = false;
	else {
		fmt_msg(err, errlen,
			"volume %s: mode must be ro or rw, not \"%s\"", spec,
			mode);
		return -1;
	}
	return 0;
}

int volume_parse(const char *spec, struct volume *out, char *err,
		 size_t errlen)
{
	memset(out, 0, sizeof *out);
	out->src_fd = -1;
	/* First, and without echoing spec: every later message names it,
	 * and it goes to the caller's terminal and to syslog. */
	if (has_control_char(spec)) {
		fmt_msg(err, errlen, "volume: control characters are refused");
		return -1;
	}
	if (split_spec(spec, out, err, errlen) != 0)
		return -1;
	/* Canonical paths only: the later prefix tests (volume_admit) and
	 * the realpath comparison (resolve_as_caller) rely on it. */
	if (!valid_abs_path(out->src)) {
		fmt_msg(err, errlen,
			"volume %s: source must be an absolute path without "
			"empty, \".\" or \"..\" components", spec);
		return -1;
	}
	if (!valid_abs_path(out->dst)) {
		fmt_msg(err, errlen,
			"volume %s: target must be an absolute path without "
			"empty, \".\" or \"..\" components", spec);
		return -1;
	}
	return 0;
}

/* The first entry of forbidden_targets that dst is in, or NULL. */
static const char *forbidden_match(const char *dst)
{
	unsigned i;

	for (i = 0; i < sizeof forbidden_targets / sizeof *forbidden_targets;
	     i++)
		if (volume_path_under(dst, forbidden_targets[i]))
			return forbidden_targets[i];
	return NULL;
}

static bool under_a_root(const char *src, const struct strlist *roots)
{
	unsigned i;

	for (i = 0; roots && i < roots->n; i++)
		if (volume_path_under(src, roots->s[i]))
			return true;
	return false;
}

int volume_admit(const char *spec, const struct volume *v,
		 const struct strlist *roots, char *err, size_t errlen)
{
	const char *bad = dangerous_match(v->src);

	if (bad) {
		fmt_msg(err, errlen,
			"volume %s: the host path %s is never mounted into a job",
			spec, bad);
		return -1;
	}
	if (strcmp(v->dst, "/") == 0) {
		fmt_msg(err, errlen, "volume %s: target / is refused", spec);
		return -1;
	}
	bad = forbidden_match(v->dst);
	if (bad) {
		fmt_msg(err, errlen, "volume %s: target in %s is refused", spec,
			bad);
		return -1;
	}
	if (under_a_root(v->src, roots))
		return 0;
	fmt_msg(err, errlen, "volume %s: %s is not under any of the policy's "
		"volume_roots", spec, v->src);
	return -1;
}

/* In the child: become the caller for good, or die. */
static void drop_to_caller(uid_t uid, gid_t gid, const gid_t *groups,
			   int ngroups)
{
	if (setgroups((size_t)ngroups, groups) != 0 ||
	    setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
		_exit(2);
	if (uid != 0 && (setresuid(0, 0, 0) == 0 || setegid(0) == 0))
		_exit(2);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		_exit(2);
}

static int fd_path_is(int fd, const char *want)
{
	char link[64], got[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, got, sizeof got - 1);
	if (n < 0)
		return 0;
	got[n] = '\0';
	return strcmp(got, want) == 0;
}

/* Runs as the caller. Returns the O_PATH fd of v->src, or -1 with a
 * reason in a->msg. */
static int resolve_as_caller(const struct volume *v, struct child_answer *a)
{
	char *canon, link[64];
	struct stat st;
	int fd, mode;

	canon = realpath(v->src, NULL);
	if (!canon) {
		fmt_msg(a->msg, sizeof a->msg, "%s: %s", v->src, strerror(errno));
		return -1;
	}
	if (strcmp(canon, v->src) != 0) {
		fmt_msg(a->msg, sizeof a->msg,
			 "%s goes through a symlink (it resolves to %.100s)",
			 v->src, canon);
		free(canon);
		return -1;
	}
	free(canon);
	fd = open(v->src, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !fd_path_is(fd, v->src)) {
		fmt_msg(a->msg, sizeof a->msg, "%s changed while checked",
			 v->src);
		return -1;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		fmt_msg(a->msg, sizeof a->msg,
			 "%s is neither a directory nor a regular file", v->src);
		close(fd);
		return -1;
	}
	mode = R_OK | (S_ISDIR(st.st_mode) ? X_OK : 0) | (v->read_only ? 0 : W_OK);
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if (access(link, mode) != 0) {
		fmt_msg(a->msg, sizeof a->msg, "%s is not %s by you", v->src,
			 v->read_only ? "readable" : "readable and writable");
		close(fd);
		return -1;
	}
	return fd;
}

static void send_answer(int sock, const struct child_answer *a, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)a, sizeof *a };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd >= 0) {
		memset(cbuf, 0, sizeof cbuf);
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof cbuf;
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof *a)
		_exit(2);
}

/* Receive the child's answer; *fd is the passed descriptor or -1. */
static int recv_answer(int sock, struct child_answer *a, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { a, sizeof *a };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm;
	ssize_t n;

	*fd = -1;
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	for (cm = CMSG_FIRSTHDR(&mh); n >= 0 && cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)) && *fd < 0)
			memcpy(fd, CMSG_DATA(cm), sizeof *fd);
	if (n != (ssize_t)sizeof *a || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return -1;
	a->msg[sizeof a->msg - 1] = '\0';
	return 0;
}

static int check_as_caller(const char *spec, struct volume *v, uid_t uid,
			   gid_t gid, const gid_t *groups, int ngroups,
			   char *err, size_t errlen)
{
	struct child_answer a;
	int sv[2], fd, status, rc;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		fmt_msg(err, errlen, "volume %s: socketpair: %s", spec,
			strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fmt_msg(err, errlen, "volume %s: fork: %s", spec, strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		signal(SIGPIPE, SIG_IGN);
		drop_to_caller(uid, gid, groups, ngroups);
		memset(&a, 0, sizeof a);
		fd = resolve_as_caller(v, &a);
		a.ok = fd >= 0;
		send_answer(sv[1], &a, fd);
		_exit(0);
	}
	close(sv[1]);
	rc = recv_answer(sv[0], &a, &fd);
	close(sv[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    !a.ok || fd < 0) {
		if (fd >= 0)
			close(fd);
		fmt_msg(err, errlen, "volume %s: %s", spec,
			rc == 0 && a.msg[0] ? a.msg : "could not be checked");
		return -1;
	}
	/* Same object, seen from the helper: the path still names it. */
	if (!fd_path_is(fd, v->src)) {
		close(fd);
		fmt_msg(err, errlen, "volume %s: %s changed while checked", spec,
			v->src);
		return -1;
	}
	v->src_fd = fd;
	return 0;
}

int volume_check(const char *spec, const struct strlist *roots, uid_t uid,
		 gid_t gid, const gid_t *groups, int ngroups, unsigned flags,
		 struct volume *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	out->src_fd = -1;
	if (!roots || roots->n == 0) {
		fmt_msg(err, errlen, "volume %s: the policy allows no volumes "
			"(volume_roots is empty)", spec);
		return -1;
	}
	if (volume_parse(spec, out, err, errlen) != 0 ||
	    volume_admit(spec, out, roots, err, errlen) != 0 ||
	    check_as_caller(spec, out, uid, gid, groups, ngroups, err,
			    errlen) != 0) {
		out->src_fd = -1;
		return -1;
	}
	if (!(flags & VOLUME_WANT_FD))
		volume_release(out);
	return 0;
}

void volume_release(struct volume *v)
{
	if (v->src_fd >= 0)
		close(v->src_fd);
	v->src_fd = -1;
}

/* --volume checks: see volume.h for the contract and the design. */
#include "helper/volume.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared/trust.h"
#include "shared/util.h"
#include "helper/helper.h"

struct child_answer {
	int ok;
	char msg[256];
};

/* Runs as the caller. Returns the O_PATH fd of v->src, or -1 with a
 * reason in a->msg. */
static int resolve_as_caller(const struct volume *v, struct child_answer *a)
{
	char *canon, link[64];
	struct stat st;
	int fd, mode;

	canon = realpath(v->src, NULL);
	if (!canon) {
		fmt_msg(a->msg, sizeof(a->msg), "%s: %s", v->src,
			strerror(errno));
		return -1;
	}
	if (strcmp(canon, v->src) != 0) {
		fmt_msg(a->msg, sizeof(a->msg),
			 "%s goes through a symlink (it resolves to %.100s)",
			 v->src, canon);
		free(canon);
		return -1;
	}
	free(canon);
	fd = open(v->src, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !trust_fd_is_path(fd, v->src)) {
		fmt_msg(a->msg, sizeof(a->msg), "%s changed while checked",
			 v->src);
		return -1;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		fmt_msg(a->msg, sizeof(a->msg),
			 "%s is neither a directory nor a regular file", v->src);
		close(fd);
		return -1;
	}
	mode = R_OK | (S_ISDIR(st.st_mode) ? X_OK : 0) | (v->read_only ? 0 : W_OK);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if (access(link, mode) != 0) {
		fmt_msg(a->msg, sizeof(a->msg), "%s is not %s by you", v->src,
			 v->read_only ? "readable" : "readable and writable");
		close(fd);
		return -1;
	}
	return fd;
}

static void send_answer(int sock, const struct child_answer *a, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)a, sizeof(*a) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(*a))
		_exit(2);
}

/* Receive the child's answer; *fd is the passed descriptor or -1. */
static int recv_answer(int sock, struct child_answer *a, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { a, sizeof(*a) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t n;

	*fd = -1;
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	for (cm = CMSG_FIRSTHDR(&mh); n >= 0 && cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)) && *fd < 0)
			memcpy(fd, CMSG_DATA(cm), sizeof(*fd));
	if (n != (ssize_t)sizeof(*a) ||
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return -1;
	a->msg[sizeof(a->msg) - 1] = '\0';
	return 0;
}

struct checker {
	int sock;
	const struct volume *v;
	const struct creds *caller;
};

/* The child: the caller, entirely, then the check. */
static int checker_main(void *p)
{
	const struct checker *c = p;
	struct child_answer a;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	if (priv_drop(c->caller) != 0)
		return 2;
	memset(&a, 0, sizeof(a));
	fd = resolve_as_caller(c->v, &a);
	a.ok = fd >= 0;
	send_answer(c->sock, &a, fd);
	return 0;
}

static int check_as_caller(const char *spec, struct volume *v,
			   const struct creds *caller, char *err, size_t errlen)
{
	struct child_answer a;
	struct checker c = {.v = v, .caller = caller};
	int sv[2], fd, status, rc;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		fmt_msg(err, errlen, "--volume %s: socketpair: %s", spec,
			strerror(errno));
		return -1;
	}
	c.sock = sv[1];
	pid = vchild_start(checker_main, &c);
	if (pid < 0) {
		fmt_msg(err, errlen, "--volume %s: fork: %s", spec, strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
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
		fmt_msg(err, errlen, "--volume %s: %s", spec,
			rc == 0 && a.msg[0] ? a.msg : "could not be checked");
		return -1;
	}
	/* Same object, seen from the helper: the path still names it. */
	if (!trust_fd_is_path(fd, v->src)) {
		close(fd);
		fmt_msg(err, errlen, "--volume %s: %s changed while checked", spec,
			v->src);
		return -1;
	}
	v->src_fd = fd;
	return 0;
}

int volume_check(const char *spec, const struct creds *caller,
		 unsigned flags, struct volume *out, char *err, size_t errlen)
{
	if (volume_parse(spec, out, err, errlen) != 0 ||
	    check_as_caller(spec, out, caller, err, errlen) != 0) {
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

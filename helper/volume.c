/* --volume checks: see volume.h for the contract and the design. */
#include "helper/volume.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shared/trust.h"
#include "shared/util.h"
#include "helper/helper.h"

/* How long the check as the caller may take: a path lookup, but a hung
 * network or FUSE file system must not hold the helper (and the
 * caller's slot, a pool uid) for ever. */
#define VOLUME_CHECK_MS 5000

/* What the child found: no words, the parent writes them (vchild.c's
 * rule: the child formats nothing). */
enum check_result {
	CHECK_OK = 1,
	CHECK_CREDS,   /* could not take the caller's file credentials */
	CHECK_OPEN,    /* cannot open SRC (err) */
	CHECK_SYMLINK, /* a component of SRC is a symlink */
	CHECK_TYPE,    /* neither a directory nor a regular file */
	CHECK_ACCESS,  /* the caller may not read (write) it */
};

struct child_answer {
	int32_t result;
	int32_t err;
};

/* In the child, with the caller's file credentials: the O_PATH fd of
 * v->src, or -1 with the reason in *a. src is canonical (volume_parse:
 * no ".", "..", "//"), so "no symlink on the way" is the whole of
 * "its canonical path is the path given"; open_no_links checks it
 * without allocating (realpath may). The access check uses the file-system ids
 * (AT_EACCESS), whose uid is the caller's, not the real uid, root. */
static int open_as_caller(const struct volume *v, struct child_answer *a)
{
	struct stat st;
	int fd = open_no_links(v->src, O_PATH | O_CLOEXEC), mode;

	if (fd == -1) {
		a->result = errno == ELOOP ? CHECK_SYMLINK : CHECK_OPEN;
		a->err = errno;
		return -1;
	}
	a->result = CHECK_TYPE;
	if (fstat(fd, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
		mode = R_OK | (S_ISDIR(st.st_mode) ? X_OK : 0) |
		       (v->read_only ? 0 : W_OK);
		a->result = syscall(SYS_faccessat2, fd, "", mode,
				    AT_EACCESS | AT_EMPTY_PATH) == 0
				    ? CHECK_OK : CHECK_ACCESS;
	}
	if (a->result == CHECK_OK)
		return fd;
	close(fd);
	return -1;
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
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	for (cm = CMSG_FIRSTHDR(&mh); n >= 0 && cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)) && *fd < 0)
			memcpy(fd, CMSG_DATA(cm), sizeof(*fd));
	if (n != (ssize_t)sizeof(*a) ||
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return -1;
	return 0;
}

struct checker {
	int sock;
	const struct volume *v;
	const struct creds *caller;
};

/* The child (shares our memory: vchild.c's rule): the caller's file
 * credentials alone, then the check. Its real and saved uid stay root,
 * so the caller can neither signal nor stop it. */
static int checker_main(void *p)
{
	const struct checker *c = p;
	struct child_answer a = {CHECK_CREDS, 0};
	int fd = -1;

	if (priv_fs_as(c->caller) == -1)
		a.err = errno;
	else
		fd = open_as_caller(c->v, &a);
	send_answer(c->sock, &a, fd);
	return 0;
}

/* The child's answer, until the deadline; then the child reaped (killed
 * if late). 0 with *a and *fd, or -1: no answer (*late: in time). */
static int await_checker(struct vchild *vc, int sock, struct child_answer *a,
			 int *fd, bool *late)
{
	uint64_t end = now_ms() + VOLUME_CHECK_MS, now;
	struct pollfd pf = {.fd = sock, .events = POLLIN};
	siginfo_t si;
	int rc = -1;

	*fd = -1;
	/* Errors retried until the deadline: errno is the child's too. */
	while ((now = now_ms()) < end)
		if (poll(&pf, 1, (int)(end - now)) == 1)
			break;
	if (pf.revents & POLLIN)
		rc = recv_answer(sock, a, fd);
	*late = vchild_wait(vc, end, &si) == -1;
	if (rc == 0 && !*late && si.si_code == CLD_EXITED &&
	    si.si_status == 0)
		return 0;
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	return -1;
}

/* The parent's words for a child's refusal. */
static void describe(const char *spec, const struct volume *v,
		     const struct child_answer *a, char *err, size_t errlen)
{
	switch (a->result) {
	case CHECK_OPEN:
		fmt_msg(err, errlen, "--volume %s: %s: %s", spec, v->src,
			strerror(a->err));
		break;
	case CHECK_SYMLINK:
		fmt_msg(err, errlen, "--volume %s: %s goes through a symlink",
			spec, v->src);
		break;
	case CHECK_TYPE:
		fmt_msg(err, errlen, "--volume %s: %s is neither a directory "
			"nor a regular file", spec, v->src);
		break;
	case CHECK_ACCESS:
		fmt_msg(err, errlen, "--volume %s: %s is not %s by you", spec,
			v->src, v->read_only ? "readable"
					     : "readable and writable");
		break;
	default:
		fmt_msg(err, errlen, "--volume %s: could not be checked", spec);
	}
}

static int check_as_caller(const char *spec, struct volume *v,
			   const struct creds *caller, char *err, size_t errlen)
{
	struct child_answer a = {0, 0};
	struct checker c = {.v = v, .caller = caller};
	struct vchild vc;
	int sv[2], fd, rc;
	bool late;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		fmt_msg(err, errlen, "--volume %s: socketpair: %s", spec,
			strerror(errno));
		return -1;
	}
	c.sock = sv[1];
	if (vchild_spawn(&vc, checker_main, &c) == -1) {
		fmt_msg(err, errlen, "--volume %s: fork: %s", spec, strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[1]);
	rc = await_checker(&vc, sv[0], &a, &fd, &late);
	close(sv[0]);
	if (late) {
		fmt_msg(err, errlen, "--volume %s: the check of %s as you did "
			"not finish within %d s", spec, v->src,
			VOLUME_CHECK_MS / 1000);
		return -1;
	}
	if (rc != 0 || a.result != CHECK_OK || fd < 0) {
		describe(spec, v, &a, err, errlen);
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

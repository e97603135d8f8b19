/*
 * One record per send/recv on a SOCK_SEQPACKET socket. proto_recv refuses
 * ancillary data outright, and proto_recv_fd accepts exactly one passed
 * descriptor (the REQUEST's pty slave) and nothing else: an fd slipped in
 * by a hostile peer must not survive in the (setuid) receiver.
 */
#include "shared/proto.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int send_record(int fd, const uint8_t *msg, size_t len, int flags)
{
	ssize_t n;

	if (len < PROTO_HDR_LEN || len > PROTO_MAX_MSG)
		return -1;
	do
		n = send(fd, msg, len, MSG_NOSIGNAL | flags);
	while (n < 0 && errno == EINTR);
	return n >= 0 && (size_t)n == len ? 0 : -1;
}

int proto_send(int fd, const uint8_t *msg, size_t len)
{
	return send_record(fd, msg, len, 0);
}

int proto_send_nowait(int fd, const uint8_t *msg, size_t len)
{
	return send_record(fd, msg, len, MSG_DONTWAIT);
}

/* Close every descriptor carried in SCM_RIGHTS messages. */
static void close_passed_fds(struct msghdr *mh)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		const unsigned char *data = CMSG_DATA(c);
		size_t n, i;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int pfd;

			memcpy(&pfd, data + i * sizeof(int), sizeof(int));
			close(pfd);
		}
	}
}

int proto_send_fd(int fd, const uint8_t *msg, size_t len, int passfd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	ssize_t n;

	if (len < PROTO_HDR_LEN || len > PROTO_MAX_MSG)
		return -1;
	memset(&control, 0, sizeof(control));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n >= 0 && (size_t)n == len ? 0 : -1;
}

/* The single descriptor of a lone SCM_RIGHTS message, or -1. */
static int lone_passed_fd(struct msghdr *mh)
{
	struct cmsghdr *c = CMSG_FIRSTHDR(mh);
	int pfd;

	if (c == NULL || CMSG_NXTHDR(mh, c) != NULL ||
	    c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&pfd, CMSG_DATA(c), sizeof(int));
	return pfd;
}

long proto_recv_fd(int fd, uint8_t *buf, size_t cap, int *passed)
{
	/* Room for the most fds one message can carry (SCM_MAX_FD), so
	 * that every fd a peer passes is received here and closed, rather
	 * than half of them. */
	union {
		char buf[CMSG_SPACE(253 * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	ssize_t n;

	if (passed)
		*passed = -1;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (mh.msg_controllen > 0) {
		int pfd = lone_passed_fd(&mh);

		if (passed == NULL || pfd < 0 ||
		    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
			close_passed_fds(&mh);
			return -1;
		}
		*passed = pfd;
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		if (passed && *passed >= 0)
			close(*passed);
		return -1;
	}
	return (long)n;
}

long proto_recv(int fd, uint8_t *buf, size_t cap)
{
	return proto_recv_fd(fd, buf, cap, NULL);
}

/*
 * fusetrap DIR PIDFILE: a file system on DIR whose every lookup hangs, as
 * a stuck network or FUSE file system does, spoken to the kernel over
 * /dev/fuse directly (no libfuse). Run as root; mounted allow_other so a
 * checker with a user's file credentials gets in. The pid of the first
 * process whose lookup hangs goes to PIDFILE. A hung request is answered
 * EINTR only when the kernel forwards an interrupt (its process got a
 * signal), as a well-behaved daemon does, so a SIGKILL ends the process.
 * Ends when DIR is unmounted (umount -l DIR) or on SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/uio.h>
#include <unistd.h>

/* At least the kernel's minimum read size for /dev/fuse. */
static uint8_t req[FUSE_MIN_READ_BUFFER + 65536];

static void reply(int fd, uint64_t unique, int error, const void *body,
		  size_t len)
{
	struct fuse_out_header h = {
		.len = (uint32_t)(sizeof(h) + len),
		.error = error,
		.unique = unique,
	};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)body, len}};

	(void)!writev(fd, iov, body ? 2 : 1);
}

static void init_reply(int fd, const struct fuse_in_header *in)
{
	struct fuse_init_out out;

	memset(&out, 0, sizeof(out));
	out.major = FUSE_KERNEL_VERSION;
	out.minor = FUSE_KERNEL_MINOR_VERSION;
	out.max_write = 4096;
	out.max_readahead = 4096;
	reply(fd, in->unique, 0, &out, sizeof(out));
}

static void note_pid(const char *file, pid_t pid)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%d\n", (int)pid);
	if (fclose(f) == 0)
		(void)rename(tmp, file);
}

static void serve(int fd, const char *pidfile)
{
	const struct fuse_in_header *in = (const void *)req;
	const struct fuse_interrupt_in *intr = (const void *)(in + 1);
	bool noted = false;
	ssize_t n;

	while ((n = read(fd, req, sizeof(req))) >= 0 || errno == EINTR ||
	       errno == ENOENT) {
		if (n < (ssize_t)sizeof(*in))
			continue;
		switch (in->opcode) {
		case FUSE_INIT:
			init_reply(fd, in);
			break;
		case FUSE_LOOKUP: /* never answered: the hang */
			if (!noted)
				note_pid(pidfile, (pid_t)in->pid);
			noted = true;
			break;
		case FUSE_INTERRUPT:
			reply(fd, intr->unique, -EINTR, NULL, 0);
			break;
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
			break;
		default:
			reply(fd, in->unique, -ENOSYS, NULL, 0);
		}
	}
}

int main(int argc, char **argv)
{
	char opts[128];
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: fusetrap DIR PIDFILE\n");
		return 2;
	}
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd == -1) {
		perror("fusetrap: /dev/fuse");
		return 2;
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40755,user_id=0,"
		 "group_id=0,allow_other", fd);
	if (mount("symbi-fusetrap", argv[1], "fuse", MS_NOSUID | MS_NODEV,
		  opts) == -1) {
		perror("fusetrap: mount");
		return 2;
	}
	serve(fd, argv[2]);
	return 0;
}

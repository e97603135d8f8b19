/* The docker engine's socket, trusted like the policy: see enginesock.h. */
#include "shared/enginesock.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/trust.h"

#define UNIX_PREFIX "unix://"

/* Its group may write it when that group is root's or docker's. */
static int group_ok(gid_t gid)
{
	struct group *gr;

	if (gid == 0)
		return 1;
	gr = getgrgid(gid);
	return gr != NULL && strcmp(gr->gr_name, "docker") == 0;
}

/* Root's, writable by no one else but a trusted group (Debian's
 * root:docker 0660). */
static int socket_ok(const struct stat *st, char *why, size_t cap)
{
	if (!S_ISSOCK(st->st_mode))
		snprintf(why, cap, "not a socket");
	else if (st->st_uid != 0)
		snprintf(why, cap, "the socket is not owned by root");
	else if (st->st_mode & S_IWOTH)
		snprintf(why, cap, "the socket is writable by others");
	else if ((st->st_mode & S_IWGRP) && !group_ok(st->st_gid))
		snprintf(why, cap, "the socket is writable by a group other "
			 "than root or docker");
	else
		return 0;
	errno = EPERM;
	return -1;
}

int engine_socket_open(const char *host, char *why, size_t cap)
{
	const char *path = host + strlen(UNIX_PREFIX);
	struct stat st;
	int fd;

	if (strncmp(host, UNIX_PREFIX "/", strlen(UNIX_PREFIX) + 1) != 0) {
		snprintf(why, cap, "not a unix:// socket");
		errno = EINVAL;
		return -1;
	}
	fd = trust_open(path, TRUST_FOLLOW | TRUST_ANY_LEAF, 0, NULL, why, cap);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || socket_ok(&st, why, cap) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * The docker engine's socket is trusted like the policy: whoever answers
 * on it receives the helper's requests as root (other callers' -e values
 * and work directories included) and decides their results. docker_host
 * must be a unix socket reached through root's alone directories (the
 * trust walk, symlinks root made followed, as /var/run is) and owned by
 * root, writable by no one else but its group when that group is root or
 * docker (the socket Debian's docker.io ships: root:docker 0660).
 *
 * Used by the helper on the descriptor it then connects through (by
 * /proc/self/fd/N: the very inode checked), before it runs the docker
 * client, and by symbi-exec-check (--check-policy).
 */
#ifndef SYMBI_ENGINESOCK_H
#define SYMBI_ENGINESOCK_H

#include <stddef.h>

/* host is "unix:///path". Returns an O_PATH descriptor of the checked
 * socket, or -1 with errno (ENOENT: there is none; EPERM: untrusted) and
 * a one-line reason in why. */
int engine_socket_open(const char *host, char *why, size_t cap);

#endif

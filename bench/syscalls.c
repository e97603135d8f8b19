/*
 * Syscall-heavy job for the throughput benchmark: COUNT round trips of a
 * 1-byte write and a 1-byte read on a pipe of its own, so it needs no file
 * system view and every iteration crosses any seccomp filter twice.
 * Usage: syscalls COUNT
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000L;
	int fd[2];
	char c = 'x';

	if (pipe(fd) != 0) {
		perror("syscalls: pipe");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		if (write(fd[1], &c, 1) != 1 || read(fd[0], &c, 1) != 1) {
			perror("syscalls: pipe round trip");
			return 1;
		}
	}
	return 0;
}

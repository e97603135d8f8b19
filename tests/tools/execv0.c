/*
 * execv0 PATH: exec PATH with an empty argument vector (argc 0), keeping
 * the environment and open descriptors. A setuid program that indexes
 * argv[1] on argc 0 reads the environment instead (CVE-2021-4034), so the
 * helper must refuse this outright.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	char *empty[] = { NULL };

	if (argc != 2) {
		fprintf(stderr, "usage: execv0 PATH\n");
		return 2;
	}
	execve(argv[1], empty, environ);
	fprintf(stderr, "execv0: %s: %s\n", argv[1], strerror(errno));
	return 127;
}

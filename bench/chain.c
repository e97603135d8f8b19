/*
 * The floor of tier none's startup (issue 6): the client starts the
 * helper, the helper starts the job, so three programs start in a row,
 * each waiting for the next. This does the same with nothing else:
 * chain N CMD... forks, execs itself with N-1 in the child and waits; at
 * N = 0 it execs CMD. `chain 2 /bin/true` is three process starts.
 * Dynamically linked, as the client and the helper are.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char depth[16];
	int status;
	pid_t pid;

	if (argc < 3)
		return 2;
	if (atoi(argv[1]) <= 0) {
		execv(argv[2], argv + 2);
		return errno == ENOENT ? 127 : 126;
	}
	snprintf(depth, sizeof(depth), "%d", atoi(argv[1]) - 1);
	argv[1] = depth;
	pid = fork();
	if (pid == 0) {
		execv("/proc/self/exe", argv);
		_exit(126);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 125;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

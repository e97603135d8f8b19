/*
 * One hop of the startup floor (issue 15): fork, exec PROGRAM ARG..., wait,
 * exit with its status. The floor of tier none is
 *   hop HOP-SETUID /bin/true
 * a plain program that starts a setuid-root one that starts the job: the
 * client, the helper and the job, with nothing else. Linked dynamically,
 * as the client and the helper are, so the loader's cost (and the setuid
 * hop's secure-mode loader) is in the floor too.
 */
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int status;
	pid_t pid;

	if (argc < 2)
		return 2;
	pid = fork();
	if (pid == 0) {
		execv(argv[1], argv + 1);
		_exit(errno == ENOENT ? 127 : 126);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 125;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * One hop of the startup floor (issue 15): fork, exec PROGRAM ARG..., wait,
 * exit with its status. The floor of tier none is
 *   hop HOP-SETUID /bin/true
 * a plain program that starts a setuid-root one that starts the job: the
 * client, the helper and the job, with nothing else. Linked dynamically,
 * as the client and the helper are, so the loader's cost (and the setuid
 * hop's secure-mode loader) is in the floor too. Installed setuid, the
 * child drops to the caller's uid, gid and supplementary groups and sets
 * no_new_privs before the exec, as the helper does: a setuid hop that
 * kept root would be a root shell for whoever may run it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Not when run plainly: no_new_privs would stop the setuid hop after us. */
static int drop_to_caller(void)
{
	uid_t uid = getuid();
	gid_t gid = getgid(), groups[256];
	int n = getgroups(256, groups);

	if (geteuid() == uid && getegid() == gid)
		return 0;
	return n < 0 || setgroups((size_t)n, groups) < 0 ||
			       setresgid(gid, gid, gid) < 0 ||
			       setresuid(uid, uid, uid) < 0 ||
			       prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0
		       ? -1
		       : 0;
}

int main(int argc, char **argv)
{
	int status;
	pid_t pid;

	if (argc < 2)
		return 2;
	pid = fork();
	if (pid == 0) {
		if (drop_to_caller() < 0)
			_exit(125);
		execv(argv[1], argv + 1);
		_exit(errno == ENOENT ? 127 : 126);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 125;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * The job's terminal. The client (unprivileged) allocates a pseudo-
 * terminal, keeps the master, and passes the slave with its request; the
 * job's process (tier isolated: its init) makes it its controlling
 * terminal after the credential drop. So the job never holds the
 * caller's own terminal: it could read what the user types to the
 * shell, or push input into it (TIOCSTI).
 * The helper checks what it received as if no client existed: only a
 * Unix98 pty slave the caller owns, open for reading and writing, that
 * is not the caller's controlling terminal, is accepted; and TIOCSCTTY
 * without privilege refuses a terminal that is already another
 * session's.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "../shared/util.h"
#include "helper.h"

/* linux/major.h: UNIX98_PTY_SLAVE_MAJOR, and UNIX98_PTY_MAJOR_COUNT of
 * them. */
#define PTY_SLAVE_MAJOR 136
#define PTY_MAJOR_COUNT 8

/* The device of the caller's controlling terminal (field 7 of
 * /proc/PID/stat, tty_nr, in the kernel's new_encode_dev form), or 0. */
static dev_t caller_tty(pid_t caller)
{
	char path[64], line[1024], tok[24];
	const char *p;
	uint64_t nr = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)caller);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	/* comm may hold spaces and parens: parse after the last ')'. */
	if (fgets(line, sizeof(line), f) == NULL ||
	    (p = strrchr(line, ')')) == NULL ||
	    sscanf(p + 1, " %*c %*d %*d %*d %23s", tok) != 1 ||
	    parse_u64(tok, UINT32_MAX, &nr) == -1)
		nr = 0;
	fclose(f);
	return nr ? makedev((nr >> 8) & 0xfff,
			    (nr & 0xff) | ((nr >> 12) & 0xfff00))
		  : 0;
}

int pty_check(struct job *j, int fd)
{
	struct termios t;
	struct stat st;
	int fl;

	if (fstat(fd, &st) == -1 || !S_ISCHR(st.st_mode) ||
	    major(st.st_rdev) < PTY_SLAVE_MAJOR ||
	    major(st.st_rdev) >= PTY_SLAVE_MAJOR + PTY_MAJOR_COUNT ||
	    tcgetattr(fd, &t) == -1) {
		set_message(&j->v, 125, "the terminal passed for the job is "
			    "not a pseudo-terminal");
		return -1;
	}
	if (st.st_uid != j->inv.caller.uid) {
		set_message(&j->v, 125, "the terminal passed for the job is "
			    "not the caller's");
		return -1;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl == -1 || (fl & O_ACCMODE) != O_RDWR) {
		set_message(&j->v, 125, "the terminal passed for the job is "
			    "not open for reading and writing");
		return -1;
	}
	if (st.st_rdev == caller_tty(j->inv.ppid)) {
		set_message(&j->v, 125, "the terminal passed for the job is "
			    "the caller's own: the job gets a new one");
		return -1;
	}
	return 0;
}

/* An anchor: nothing but to exist, holding no descriptor, deaf to the
 * terminal's signals (the one in the job's group gets every ^C). */
static void __attribute__((noreturn)) idle(void)
{
	static const int deaf[] = {SIGINT, SIGQUIT, SIGTSTP, SIGHUP};

	for (size_t i = 0; i < sizeof(deaf) / sizeof(*deaf); i++)
		(void)signal(deaf[i], SIG_IGN);
	(void)prctl(PR_SET_NAME, "symbi-anchor", 0, 0, 0);
	(void)close_range(0, ~0u, 0);
	for (;;)
		pause();
}

/* A plain copy of this process. Not fork(3): glibc's fork takes its
 * atfork lock, which lies in the helper's memory when the job child
 * shares it (vchild.c's rule). The copies then keep to system calls. */
static pid_t copy_self(void)
{
	struct clone_args ca = {.exit_signal = SIGCHLD};

	return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

/* In a process reparented away from the job: a group of its own, and a
 * child back in the job's group. */
static void __attribute__((noreturn)) anchor(pid_t group)
{
	pid_t member;

	if (setpgid(0, 0) == -1)
		_exit(1);
	member = copy_self();
	if (member == 0) {
		if (setpgid(0, group) == -1 ||
		    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
			_exit(1);
		idle();
	}
	idle();
}

/* The job leads a session of its own (tier none; under the isolated
 * init, the init leads it: pty_take), so its parent, the helper, is
 * outside it, and the kernel takes its group for orphaned: it discards
 * the terminal's ^Z for such a group, and nothing would stop. A group
 * is not orphaned while one member has a parent in the same session but
 * another group (sudo keeps a monitor process for this). So two idle
 * processes of the job's own: one in a group of its own, double-forked
 * so that it is not the job's child (the job may wait for all of its
 * children), and its child in the job's group. They run as the job,
 * after the drop, and die with it. Without them job control only
 * fails; the job still runs. */
static void anchor_group(void)
{
	pid_t group = getpgrp(), mid = copy_self();

	if (mid == 0) {
		if (copy_self() == 0)
			anchor(group);
		_exit(0);
	}
	if (mid > 0)
		while (waitpid(mid, NULL, 0) == -1 && errno == EINTR)
			;
}

/* In the job child, after the drop: the job, a session leader, takes the
 * slave as its controlling terminal (arg 0: never steal it from another
 * session), and the descriptor goes. Under an init of the tier's own
 * (!job_leads: the isolated namespace's), the init leads the session and
 * keeps the descriptor to put the job's own group in the foreground; the
 * job's parent, the init, is then in the same session, so no anchors. */
int pty_take(const struct job *j, bool job_leads)
{
	if (j->pty_fd < 0)
		return 0;
	if (ioctl(j->pty_fd, TIOCSCTTY, 0) == -1)
		return -1;
	if (!job_leads)
		return 0;
	anchor_group();
	return close(j->pty_fd);
}

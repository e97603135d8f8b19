/*
 * The kernel's floor under tier isolated (issue 15): how long a clone3
 * with the tier's namespaces, a small root (tmpfs, /proc), pivot_root,
 * the detach of the old root, exit and wait take, against a plain fork,
 * exit and wait of the same small program. Run as root:
 *
 *     cc -O2 -o /tmp/nsfloor bench/nsfloor.c && sudo /tmp/nsfloor [RUNS]
 *
 * Prints the median of each. The helper's own costs (its size, its
 * system calls, the init as a second process) come on top of the
 * difference. A report, not a test.
 */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NS_ALL (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | \
		CLONE_NEWNET)

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* In the new namespaces: what the tier's init does to the mount table,
 * reduced to its kinds of operation. */
static void small_root(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m") == -1 ||
	    mkdir("/tmp/proc", 0555) == -1 ||
	    mount("proc", "/tmp/proc", "proc", 0, NULL) == -1 ||
	    chdir("/tmp") == -1 || syscall(SYS_pivot_root, ".", ".") == -1 ||
	    umount2(".", MNT_DETACH) == -1)
		_exit(1);
	_exit(0);
}

static double one_run(uint64_t flags)
{
	struct clone_args ca = {.flags = flags, .exit_signal = SIGCHLD};
	double t0 = now_ms();
	int status;
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));

	if (pid == 0) {
		if (flags)
			small_root();
		_exit(0);
	}
	if (pid == -1 || waitpid((pid_t)pid, &status, 0) == -1 ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		perror("nsfloor: clone3 or the child");
		exit(1);
	}
	return now_ms() - t0;
}

static double median_of(uint64_t flags, double *t, int runs)
{
	for (int i = 0; i < runs; i++)
		t[i] = one_run(flags);
	qsort(t, (size_t)runs, sizeof(*t), cmp);
	return t[runs / 2];
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 200;
	double *t;

	if (runs < 1 || runs > 100000 || !(t = calloc((size_t)runs, sizeof(*t)))) {
		fprintf(stderr, "usage: nsfloor [RUNS]\n");
		return 2;
	}
	/* Interleaved halves, so a drift of the machine lands on both. */
	for (int round = 0; round < 2; round++) {
		printf("plain fork, exit, wait: %.3f ms\n",
		       median_of(0, t, runs / 2 + 1));
		printf("clone3 with mount, pid, ipc, uts, net namespaces, tmpfs, "
		       "/proc, pivot_root, detach, exit, wait: %.3f ms\n",
		       median_of(NS_ALL, t, runs / 2 + 1));
	}
	free(t);
	return 0;
}

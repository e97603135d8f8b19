/*
 * Reference for the syscall-heavy case: runs a command under a seccomp
 * filter of one instruction (allow everything), so the table shows what
 * any filter costs on this kernel (the slow system-call entry a filtered
 * task takes) apart from what the isolated tier's own filter adds.
 * Usage: seccomp-floor COMMAND [ARG...]
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sock_filter allow[] = {
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 1, .filter = allow };

	if (argc < 2) {
		fprintf(stderr, "usage: seccomp-floor COMMAND [ARG...]\n");
		return 125;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		perror("seccomp-floor: seccomp");
		return 125;
	}
	execv(argv[1], argv + 1);
	perror("seccomp-floor: execv");
	return 127;
}

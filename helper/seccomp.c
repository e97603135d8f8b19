/*
 * Installs the helper's seccomp filters in the job child: the isolated
 * tier's, and the set-id one for jobs of another account. The filters,
 * their rules and the reason for each are in helper/gen/seccomp_gen.c,
 * compiled to BPF at build time.
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "build/seccomp_filter.h"
#include "seccomp.h"

/* No flags: in particular not SPEC_ALLOW, so the kernel keeps its
 * speculative-store-bypass mitigation for the job. */
static int load(struct sock_fprog *prog)
{
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) == 0
		       ? 0 : -1;
}

int seccomp_load_job_filter(bool network)
{
	struct sock_fprog prog = {
		.len = sizeof(job_filter) / sizeof(job_filter[0]),
		.filter = (struct sock_filter *)job_filter,
	};

	if (network) {
		prog.len = sizeof(job_filter_net) / sizeof(job_filter_net[0]);
		prog.filter = (struct sock_filter *)job_filter_net;
	}

	return load(&prog);
}

int seccomp_load_setid_filter(void)
{
	struct sock_fprog prog = {
		.len = sizeof(setid_filter) / sizeof(setid_filter[0]),
		.filter = (struct sock_filter *)setid_filter,
	};

	return load(&prog);
}

/*
 * The helper's seccomp filters, compiled to BPF at build time from
 * gen/seccomp_gen.c. The isolated tier's: default allow, with one table
 * of the system calls a job must never make, each failing with EPERM
 * (or ENOSYS for clone3), plus socket(AF_VSOCK) unless the job was
 * granted the network, and every foreign syscall ABI (i386 through int
 * 0x80, x32) killing the whole process. The set-id filter, for a job of
 * another account in any tier: see below.
 *
 * Usage, in the job child, after the privilege drop (no_new_privs set)
 * and chdir, as the very last step before execveat:
 *       if (seccomp_load_job_filter(net) == -1) fail;
 * Every later system call, including the execveat itself, is filtered.
 */
#ifndef SYMBI_SECCOMP_H
#define SYMBI_SECCOMP_H

#include <stdbool.h>

/* Install the filter on the calling thread: with network, the one for a
 * job granted the network (vsock sockets allowed). Requires no_new_privs
 * (or CAP_SYS_ADMIN). Returns 0, or -1 with errno; the caller must then
 * not exec. No message here: the job child may share the helper's
 * memory (vchild.c's rule), so its parent words the failure. */
int seccomp_load_job_filter(bool network);

/* Install the set-id filter on the calling thread, for a job of another
 * account than its caller's (the judge's no_setid), in any tier the
 * helper runs itself: chmod, open, mknod and their kin refuse the
 * set-user-id and set-group-id bits with EPERM, openat2 gives ENOSYS,
 * io_uring EPERM, foreign ABIs kill. Stacks on the isolated tier's
 * filter (the kernel runs both; the strictest answer wins). Same rules
 * of use and return as above. */
int seccomp_load_setid_filter(void);

#endif

/*
 * The isolated tier's seccomp filter: default allow, with one table
 * (gen/seccomp_gen.c, compiled to BPF at build time) of the system calls
 * a job must never make, each failing with EPERM (or ENOSYS for clone3),
 * plus socket(AF_VSOCK) unless the job was granted the network,
 * and every foreign syscall ABI (i386 through int 0x80, x32) killing the
 * whole process.
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

#endif

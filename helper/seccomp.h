/*
 * The isolated tier's seccomp filter: default allow, with one table
 * (gen/seccomp_gen.c, compiled to BPF at build time) of the system calls
 * a job must never make, each failing with EPERM (or ENOSYS for clone3),
 * and every foreign syscall ABI (i386 through int 0x80, x32) killing the
 * whole process.
 *
 * Usage, in the job child, after the privilege drop (no_new_privs set)
 * and chdir, as the very last step before execveat:
 *       if (seccomp_load_job_filter(err, sizeof(err)) == -1) fail;
 * Every later system call, including the execveat itself, is filtered.
 */
#ifndef SYMBI_SECCOMP_H
#define SYMBI_SECCOMP_H

#include <stddef.h>

/* Install the filter on the calling thread. Requires no_new_privs (or
 * CAP_SYS_ADMIN). Returns 0, or -1 with a message in err; the caller
 * must then not exec. */
int seccomp_load_job_filter(char *err, size_t errlen);

#endif

/*
 * The few system calls symbi-exec-init makes, without a C library: a
 * static glibc's start-up alone (its self-relocation, CPU feature
 * probing, TLS set-up, stdio) costs about 25 page faults, about 1 ms of
 * the init's start on the project's virtual machine, and the init has
 * nothing to ask of a library. Each call returns the kernel's value:
 * -errno on failure.
 */
#ifndef SYMBI_INIT_SYS_H
#define SYMBI_INIT_SYS_H

#include <asm/unistd.h>

#if defined(__x86_64__)
static inline long sys6(long n, long a, long b, long c, long d, long e,
			long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
static inline long sys6(long n, long a, long b, long c, long d, long e,
			long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}
#else
#error "symbi-exec-init: no system call entry for this architecture"
#endif

#define SYS(n, a, b, c, d, e, f)                                          \
	sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e),  \
	     (long)(f))

#endif

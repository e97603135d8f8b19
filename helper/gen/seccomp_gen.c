/*
 * Build-time generator of the helper's seccomp filters (run by the
 * Makefile, never installed): compiles the tables below to BPF with
 * libseccomp and prints them as C arrays, build/seccomp_filter.h, that
 * helper/seccomp.c installs. The setuid helper so neither links
 * libseccomp nor builds a filter per job: the isolated tier's filter
 * (two: with and without the network), and the set-id filter for jobs
 * of another account in any tier the helper runs (SETID, below).
 *
 * Default allow: the job is an ordinary program and must keep working;
 * what it must never do is in DENY below, one row per rule, with the
 * reason beside it. The job has no capabilities already, so most rows
 * also fail without the filter; the filter takes the kernel code behind
 * them out of reach, which is what matters when a permission check has
 * a bug.
 *
 * Foreign ABIs: the filter is built for the native architecture only, so
 * an i386 call (int 0x80, AUDIT_ARCH_I386) does not match its arch and
 * takes the bad-arch action, KILL_PROCESS: none of the rows below would
 * apply to i386 numbers, so such a call must never run. x32 calls carry
 * the native AUDIT_ARCH_X86_64 with bit 30 set in the number; libseccomp
 * (2.4+) emits "nr >= 0x40000000 -> bad arch" for x86_64 filters that do
 * not include x32, so they die the same way (tests check both).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Newer than the build's kernel headers; since Linux 5.1 new syscalls
 * share one number on every architecture. */
#ifdef __NR_open_tree_attr
#define NR_OPEN_TREE_ATTR __NR_open_tree_attr
#else
#define NR_OPEN_TREE_ATTR 467
#endif

/* fchmodat2 (Linux 6.6) is unknown to Debian 12's libseccomp and
 * headers; since 5.1 new syscalls share one number everywhere. */
#ifdef __NR_fchmodat2
#define NR_FCHMODAT2 __NR_fchmodat2
#else
#define NR_FCHMODAT2 452
#endif

enum match {
	ALWAYS,  /* every call */
	A0_BITS, /* any bit of value set in argument 0 (one rule per bit) */
	A0_EQ32, /* the low 32 bits of argument 0 equal value */
	A1_EQ32, /* the low 32 bits of argument 1 equal value */
};

struct deny {
	const char *name;
	int nr;
	uint32_t action;
	enum match match;
	uint64_t value;
};

#define EPERM_ SCMP_ACT_ERRNO(EPERM)
#define SYS(name) #name, SCMP_SYS(name)

/* clone()'s flags word is argument 0 on x86_64 and arm64. CLONE_NEWTIME
 * (0x80) is absent on purpose: in clone() those low bits are the exit
 * signal, and the kernel honours the time namespace only via clone3 and
 * unshare, both refused whole. */
#define CLONE_NEW_ANY                                                      \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |     \
	 CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

/* personality() flags that switch off the job's own exploit mitigations
 * (ASLR, NX, the mmap layout). The query value 0xffffffff has every bit
 * set and is refused too: a libseccomp 2.5 rule cannot test one argument
 * twice, no runtime the tier targets queries it, and i386 personalities
 * are pointless where i386 code is killed. */
#define PERSONALITY_WEAKENING                                              \
	(ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC | MMAP_PAGE_ZERO |          \
	 ADDR_COMPAT_LAYOUT | ADDR_LIMIT_3GB)

static const struct deny DENY[] = {
	/* Namespaces: a user namespace gives the job every capability over
	 * its own copies of kernel objects, the start of most container
	 * escapes; any other namespace change undoes the isolation. */
	{SYS(unshare), EPERM_, ALWAYS, 0},
	{SYS(setns), EPERM_, ALWAYS, 0},
	{SYS(clone), EPERM_, A0_BITS, CLONE_NEW_ANY},
	/* clone3's flags sit in memory, out of the filter's sight. ENOSYS
	 * (not EPERM) makes glibc 2.34+ and other runtimes fall back to
	 * clone, which is filtered above. */
	{SYS(clone3), SCMP_ACT_ERRNO(ENOSYS), ALWAYS, 0},

	/* The mount family: the view of the filesystem is the policy's. */
	{SYS(mount), EPERM_, ALWAYS, 0},
	{SYS(umount2), EPERM_, ALWAYS, 0},
	{SYS(pivot_root), EPERM_, ALWAYS, 0},
	{SYS(move_mount), EPERM_, ALWAYS, 0},
	{SYS(open_tree), EPERM_, ALWAYS, 0},
	{"open_tree_attr", NR_OPEN_TREE_ATTR, EPERM_, ALWAYS, 0},
	{SYS(fsopen), EPERM_, ALWAYS, 0},
	{SYS(fsconfig), EPERM_, ALWAYS, 0},
	{SYS(fsmount), EPERM_, ALWAYS, 0},
	{SYS(fspick), EPERM_, ALWAYS, 0},
	{SYS(mount_setattr), EPERM_, ALWAYS, 0},
	{SYS(chroot), EPERM_, ALWAYS, 0},

	/* Loading code into the kernel, or replacing it. */
	{SYS(init_module), EPERM_, ALWAYS, 0},
	{SYS(finit_module), EPERM_, ALWAYS, 0},
	{SYS(delete_module), EPERM_, ALWAYS, 0},
	{SYS(kexec_load), EPERM_, ALWAYS, 0},
	{SYS(kexec_file_load), EPERM_, ALWAYS, 0},
	/* Large kernel attack surfaces with a long CVE record and no use
	 * in a job: eBPF, perf, userfaultfd (stalls kernel copies for race
	 * exploits), io_uring (programs fall back to ordinary I/O). */
	{SYS(bpf), EPERM_, ALWAYS, 0},
	{SYS(perf_event_open), EPERM_, ALWAYS, 0},
	{SYS(userfaultfd), EPERM_, ALWAYS, 0},
	{SYS(io_uring_setup), EPERM_, ALWAYS, 0},
	{SYS(io_uring_enter), EPERM_, ALWAYS, 0},
	{SYS(io_uring_register), EPERM_, ALWAYS, 0},
	/* Kernel keyrings are not namespaced: keys outlive the job and can
	 * be shared with the user's other sessions. */
	{SYS(keyctl), EPERM_, ALWAYS, 0},
	{SYS(add_key), EPERM_, ALWAYS, 0},
	{SYS(request_key), EPERM_, ALWAYS, 0},

	/* Other processes' memory. The pid namespace already hides every
	 * process outside, and init is not dumpable; refusing ptrace whole
	 * also removes its kernel paths (PTRACE_TRACEME bugs). Debuggers
	 * inside the job do not work: a deliberate trade. */
	{SYS(ptrace), EPERM_, ALWAYS, 0},
	{SYS(process_vm_readv), EPERM_, ALWAYS, 0},
	{SYS(process_vm_writev), EPERM_, ALWAYS, 0},

	/* Pushing input into a terminal (CVE-2017-5226 in bubblewrap). The
	 * kernel truncates the request to 32 bits, so only those are
	 * compared: high garbage bits must not slip past. */
	{SYS(ioctl), EPERM_, A1_EQ32, TIOCSTI},
	{SYS(ioctl), EPERM_, A1_EQ32, TIOCLINUX},

	/* The host's clock is everyone's. */
	{SYS(settimeofday), EPERM_, ALWAYS, 0},
	{SYS(clock_settime), EPERM_, ALWAYS, 0},
	{SYS(clock_adjtime), EPERM_, ALWAYS, 0},
	{SYS(adjtimex), EPERM_, ALWAYS, 0},

	/* Host administration. */
	{SYS(reboot), EPERM_, ALWAYS, 0},
	{SYS(swapon), EPERM_, ALWAYS, 0},
	{SYS(swapoff), EPERM_, ALWAYS, 0},
	{SYS(acct), EPERM_, ALWAYS, 0},
	{SYS(quotactl), EPERM_, ALWAYS, 0},
	{SYS(quotactl_fd), EPERM_, ALWAYS, 0},
	{SYS(syslog), EPERM_, ALWAYS, 0}, /* kernel log: addresses leak */
	{SYS(vhangup), EPERM_, ALWAYS, 0},
	{SYS(iopl), EPERM_, ALWAYS, 0},
	{SYS(ioperm), EPERM_, ALWAYS, 0},
	{SYS(nfsservctl), EPERM_, ALWAYS, 0},
	{SYS(uselib), EPERM_, ALWAYS, 0}, /* a.out loader, old bugs */
	{SYS(lookup_dcookie), EPERM_, ALWAYS, 0},

	/* File handles bypass the path walk, so a handle opens a file
	 * outside the new root ("shocker" container escape). */
	{SYS(open_by_handle_at), EPERM_, ALWAYS, 0},
	{SYS(name_to_handle_at), EPERM_, ALWAYS, 0},

	{SYS(personality), EPERM_, A0_BITS, PERSONALITY_WEAKENING},

	/* As Docker's default profile. kcmp compares kernel objects of two
	 * processes (which files they share: an oracle for heap layout in
	 * exploits); sysfs is an obsolete filesystem-type query. */
	{SYS(kcmp), EPERM_, ALWAYS, 0},
	{SYS(sysfs), EPERM_, ALWAYS, 0},
	/* NUMA placement: pinning or moving memory between nodes is a
	 * host-wide resource decision, and move_pages may name another
	 * process's pages. */
	{SYS(mbind), EPERM_, ALWAYS, 0},
	{SYS(set_mempolicy), EPERM_, ALWAYS, 0},
	{SYS(move_pages), EPERM_, ALWAYS, 0},
};

/* Rows for a job without the network only: two filters are built, and a
 * job granted the network (--network, where the policy allows it) gets
 * the one without these. */
static const struct deny DENY_OFFLINE[] = {
	/* vsock is not confined by network namespaces: on a virtual machine
	 * it reaches the hypervisor's and the host's services whatever the
	 * job's network namespace. */
	{SYS(socket), EPERM_, A0_EQ32, AF_VSOCK},
};

/* ---- jobs of another account: no set-user-id or set-group-id file -----
 *
 * A job running as an account other than its caller's (run_as_pool, a
 * shared run_as) owns what it makes; a set-id copy of a program of its
 * uid, left where the caller reaches it, would let her run as that uid
 * outside every job and reach the next job on it (no_new_privs binds
 * only the job's own execs). This filter, installed for those jobs only
 * (the judge's no_setid), refuses every way to give a file those bits.
 * Clearing them is allowed, and so is everything else. */

/* A call that sets a file's mode: mode_arg holds the mode; flags_arg,
 * when not -1, holds open flags, and only a call that creates a file
 * (O_CREAT, O_TMPFILE) uses the mode at all. */
struct setid_row {
	const char *name;
	int nr;
	int flags_arg;
	int mode_arg;
};

static const struct setid_row SETID[] = {
	{SYS(chmod), -1, 1},
	{SYS(fchmod), -1, 1},
	{SYS(fchmodat), -1, 2},
	{"fchmodat2", NR_FCHMODAT2, -1, 2},
	{SYS(creat), -1, 1},
	{SYS(open), 1, 2},
	{SYS(openat), 2, 3},
	/* An unprivileged mknod makes regular files (and FIFOs). */
	{SYS(mknod), -1, 1},
	{SYS(mknodat), -1, 2},
};

static const uint64_t SETID_BITS[] = {S_ISUID, S_ISGID};
/* O_TMPFILE includes O_DIRECTORY, which a plain open has too: only its
 * own bit tells the two apart. */
static const uint64_t CREATE_FLAGS[] = {O_CREAT, O_TMPFILE & ~O_DIRECTORY};

/* Whole calls, for the same jobs. */
static const struct deny DENY_SETID[] = {
	/* openat2's mode sits in a struct, out of the filter's sight; ENOSYS
	 * makes runtimes that try it fall back to openat (glibc's open
	 * never uses it). */
	{SYS(openat2), SCMP_ACT_ERRNO(ENOSYS), ALWAYS, 0},
	/* io_uring's OPENAT ops open files without a system call the
	 * filter sees. */
	{SYS(io_uring_setup), EPERM_, ALWAYS, 0},
	{SYS(io_uring_enter), EPERM_, ALWAYS, 0},
	{SYS(io_uring_register), EPERM_, ALWAYS, 0},
};

static struct scmp_arg_cmp bit_of(int arg, uint64_t bit)
{
	return SCMP_CMP((unsigned)arg, SCMP_CMP_MASKED_EQ, bit, bit);
}

/* One rule per set-id bit, and per creating flag where there are flags:
 * a rule's conditions must all hold, and each tests one bit. */
static int add_setid_row(scmp_filter_ctx ctx, const struct setid_row *r)
{
	int rc = 0;

	for (size_t b = 0; rc == 0 && b < 2; b++) {
		struct scmp_arg_cmp c[2] = {bit_of(r->mode_arg, SETID_BITS[b])};

		if (r->flags_arg < 0) {
			rc = seccomp_rule_add_exact_array(ctx, EPERM_, r->nr,
							  1, c);
			continue;
		}
		for (size_t f = 0; rc == 0 && f < 2; f++) {
			c[1] = bit_of(r->flags_arg, CREATE_FLAGS[f]);
			rc = seccomp_rule_add_exact_array(ctx, EPERM_, r->nr,
							  2, c);
		}
	}
	if (rc < 0)
		fprintf(stderr, "seccomp_gen: rule for %s: %s\n", r->name,
			strerror(-rc));
	return rc;
}

static int add_bit_rules(scmp_filter_ctx ctx, const struct deny *d)
{
	for (int bit = 0; bit < 64; bit++) {
		uint64_t b = (uint64_t)1 << bit;
		int rc;

		if (!(d->value & b))
			continue;
		rc = seccomp_rule_add_exact(ctx, d->action, d->nr, 1,
					    SCMP_A0(SCMP_CMP_MASKED_EQ, b, b));
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int add_row(scmp_filter_ctx ctx, const struct deny *d)
{
	switch (d->match) {
	case ALWAYS:
		return seccomp_rule_add_exact(ctx, d->action, d->nr, 0);
	case A0_BITS:
		return add_bit_rules(ctx, d);
	case A0_EQ32:
		return seccomp_rule_add_exact(
			ctx, d->action, d->nr, 1,
			SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, d->value));
	case A1_EQ32:
		return seccomp_rule_add_exact(
			ctx, d->action, d->nr, 1,
			SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, d->value));
	}
	return -EINVAL;
}

static int add_rows(scmp_filter_ctx ctx, const struct deny *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = add_row(ctx, &rows[i]);

		if (rc < 0) {
			fprintf(stderr, "seccomp_gen: rule for %s: %s\n",
				rows[i].name, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int add_setid_rows(scmp_filter_ctx ctx)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < sizeof(SETID) / sizeof(SETID[0]); i++)
		rc = add_setid_row(ctx, &SETID[i]);
	if (rc == 0)
		rc = add_rows(ctx, DENY_SETID,
			      sizeof(DENY_SETID) / sizeof(DENY_SETID[0]));
	return rc;
}

enum filter { JOB, JOB_NET, SETID_ONLY };

static int add_filter_rows(scmp_filter_ctx ctx, enum filter which)
{
	int rc;

	if (which == SETID_ONLY)
		return add_setid_rows(ctx);
	rc = add_rows(ctx, DENY, sizeof(DENY) / sizeof(DENY[0]));
	if (rc == 0 && which == JOB)
		rc = add_rows(ctx, DENY_OFFLINE,
			      sizeof(DENY_OFFLINE) / sizeof(DENY_OFFLINE[0]));
	return rc;
}

static scmp_filter_ctx build(enum filter which)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc;

	if (ctx == NULL) {
		fprintf(stderr, "seccomp_gen: seccomp_init failed\n");
		return NULL;
	}
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
			      SCMP_ACT_KILL_PROCESS);
	if (rc < 0) {
		fprintf(stderr, "seccomp_gen: bad-arch action: %s\n",
			strerror(-rc));
		goto fail;
	}
	/* A binary tree of the system-call numbers, not a list: the kernel
	 * runs the filter once per number when it is loaded (its cache of
	 * always-allowed calls) and then for every call it could not
	 * cache, each time a walk of about log2(rules) tests instead of
	 * one per rule (144 -> 101 us to load the job's filter here). */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (rc < 0) {
		fprintf(stderr, "seccomp_gen: binary tree: %s\n",
			strerror(-rc));
		goto fail;
	}
	rc = add_filter_rows(ctx, which);
	if (rc < 0)
		goto fail;
	return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

/* libseccomp 2.5 exports BPF only to a file descriptor: a memfd. */
static int print_bpf(scmp_filter_ctx ctx, const char *name)
{
	static struct sock_filter insns[BPF_MAXINSNS];
	int fd = memfd_create("symbi-seccomp", MFD_CLOEXEC);
	ssize_t n = -1;

	if (fd != -1 && seccomp_export_bpf(ctx, fd) == 0)
		n = pread(fd, insns, sizeof(insns), 0);
	if (fd != -1)
		close(fd);
	if (n <= 0 || n % (ssize_t)sizeof(insns[0]) != 0 ||
	    (size_t)n == sizeof(insns)) {
		fprintf(stderr, "seccomp_gen: cannot export the filter\n");
		return -1;
	}
	printf("static const struct sock_filter %s[] = {\n", name);
	for (size_t i = 0; i < (size_t)n / sizeof(insns[0]); i++)
		printf("\t{0x%04x, %u, %u, 0x%08x},\n", insns[i].code,
		       insns[i].jt, insns[i].jf, insns[i].k);
	printf("};\n");
	return fflush(stdout) == 0 ? 0 : -1;
}

static int emit(enum filter which, const char *name)
{
	scmp_filter_ctx ctx = build(which);
	int rc;

	if (ctx == NULL)
		return -1;
	rc = print_bpf(ctx, name);
	seccomp_release(ctx);
	return rc;
}

int main(void)
{
	printf("/* Generated by build/seccomp_gen (helper/gen/seccomp_gen.c). */\n");
	return emit(JOB, "job_filter") == 0 &&
	       emit(JOB_NET, "job_filter_net") == 0 &&
	       emit(SETID_ONLY, "setid_filter") == 0 ? 0 : 1;
}

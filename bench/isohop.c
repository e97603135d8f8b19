/*
 * The kernel's floor under tier isolated (issue 15): bench/cghop.c's
 * setuid hop and cgroups plus the namespaces and the view the tier must
 * build, with nothing of symbi-exec's own. Installed setuid root and run
 * as `hop isohop /bin/true`, it
 *  - makes the job's cgroups as cghop does (a memory and a process limit),
 *  - clones straight into them with new mount, pid, ipc, uts and network
 *    namespaces; the child joins the v1 hierarchies, then takes a cgroup
 *    namespace rooted there, sets the hostname and brings loopback up,
 *  - builds the tier's view on a tmpfs: /proc, a tmpfs /tmp, a /dev of
 *    host nodes bound one by one with devpts and /dev/shm, the read-only
 *    trees of the default policy (/usr, /bin, /lib, /lib64, /etc) and the
 *    caller's directory, then pivot_root, detaches the old root and makes
 *    the new one read-only,
 *  - drops to the caller's uid and gid and executes the job as the
 *    namespace's pid 1 (no init, no seccomp filter: both are the tier's
 *    guarantees, not the kernel's price of the view),
 *  - waits, kills the cgroup and removes every directory it made.
 * Errors end it with 125 (bench/cgfloor.h has the cgroups). Tier
 * isolated's distance to this row is what symbi-exec itself costs there;
 * setuid bubblewrap does the same kernel work but the cgroups. A
 * benchmark tool, never installed by the product.
 */
#define _GNU_SOURCE
#include <linux/mount.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>

#include "cgfloor.h"

#define NEWROOT "/tmp"
#define NS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | \
	    CLONE_NEWNET)

/* The same two ioctls as the helper's (helper/ns.c); the bench keeps
 * its own copy so that no change to the product moves its floor. */
static int loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = -1;

	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return rc;
}

/* A read-only recursive clone of SRC attached at NEWROOT/SRC. */
static int ro_bind(const char *src, const char *dst)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	int t = (int)syscall(SYS_open_tree, AT_FDCWD, src,
			     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
				     AT_RECURSIVE);
	int rc;

	if (t < 0)
		return -1;
	rc = mkdir(dst, 0755) < 0 && errno != EEXIST ? -1 : 0;
	if (rc == 0)
		rc = (int)syscall(SYS_mount_setattr, t, "", AT_EMPTY_PATH |
				  AT_RECURSIVE, &ro, sizeof(ro));
	if (rc == 0)
		rc = (int)syscall(SYS_move_mount, t, "", AT_FDCWD, dst,
				  MOVE_MOUNT_F_EMPTY_PATH);
	close(t);
	return rc;
}

static int make_dev(void)
{
	static const char *const nodes[] = {"null", "zero", "full",
					    "random", "urandom", "tty"};
	char host[32], dst[64];

	if (mkdir(NEWROOT "/dev", 0755) < 0 ||
	    mount("tmpfs", NEWROOT "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
		  "mode=0755,size=1m") < 0)
		return -1;
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		snprintf(host, sizeof(host), "/dev/%s", nodes[i]);
		snprintf(dst, sizeof(dst), NEWROOT "/dev/%s", nodes[i]);
		if (mknod(dst, S_IFREG | 0644, 0) < 0 ||
		    mount(host, dst, NULL, MS_BIND, NULL) < 0)
			return -1;
	}
	return mkdir(NEWROOT "/dev/pts", 0755) < 0 ||
			       mkdir(NEWROOT "/dev/shm", 01777) < 0 ||
			       mount("devpts", NEWROOT "/dev/pts", "devpts",
				     MS_NOSUID | MS_NOEXEC,
				     "newinstance,ptmxmode=0666,mode=0600") < 0 ||
			       mount("tmpfs", NEWROOT "/dev/shm", "tmpfs",
				     MS_NOSUID | MS_NODEV, "mode=1777") < 0 ||
			       symlink("pts/ptmx", NEWROOT "/dev/ptmx") < 0
		       ? -1
		       : 0;
}

static int make_view(const char *cwd)
{
	static const char *const trees[] = {"/usr", "/bin", "/lib", "/lib64",
					    "/etc"};
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	char dst[4200];

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV,
		  "mode=0755,size=1m") < 0 ||
	    mkdir(NEWROOT "/proc", 0555) < 0 ||
	    mount("proc", NEWROOT "/proc", "proc",
		  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
	    mkdir(NEWROOT "/tmp", 01777) < 0 ||
	    mount("tmpfs", NEWROOT "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
		  "mode=1777") < 0 ||
	    make_dev() < 0)
		return -1;
	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
		snprintf(dst, sizeof(dst), NEWROOT "%s", trees[i]);
		if (ro_bind(trees[i], dst) < 0)
			return -1;
	}
	/* The caller's directory, writable, at its own path (one level is
	 * enough for the bench user's home). */
	snprintf(dst, sizeof(dst), NEWROOT "%s", cwd);
	if (mkdir(NEWROOT "/home", 0755) < 0 || mkdir(dst, 0755) < 0 ||
	    mount(cwd, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -1;
	return chdir(NEWROOT) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
			       umount2(".", MNT_DETACH) < 0 ||
			       syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, &ro,
				       sizeof(ro)) < 0 ||
			       chdir(cwd) < 0
		       ? -1
		       : 0;
}

/* In the new namespaces, as root, after the v1 joins. The caller's
 * directory must be hers, one level under /home (the bench user's). */
static int setup(void)
{
	char cwd[4096];
	struct stat sb;

	if (!getcwd(cwd, sizeof(cwd)) || strncmp(cwd, "/home/", 6) != 0 ||
	    strchr(cwd + 6, '/') || stat(".", &sb) < 0 ||
	    sb.st_uid != getuid())
		return -1;
	return unshare(CLONE_NEWCGROUP) < 0 || sethostname("job", 3) < 0 ||
			       loopback_up() < 0 || make_view(cwd) < 0
		       ? -1
		       : 0;
}

int main(int argc, char **argv)
{
	return argc < 2 ? 125 : cgfloor_run(argv + 1, NS, setup);
}

/* Unit tests of shared/trust.c: the walk's flags, on a scratch tree
 * under /tmp (world-writable and sticky on purpose). TAP; needs root,
 * since "/" must be owned by the trusted uid. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/trust.h"

#include "tests/unit/tap.h"

static char base[] = "/tmp/symbi-trust-XXXXXX";
static char why[200];

static const char *at(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", base, rel);
	return buf[i];
}

static int opened(const char *rel, unsigned flags, char *canon)
{
	int fd = trust_open(at(rel), flags, 0, canon, why, sizeof(why));

	if (fd == -1)
		printf("# %s: %s\n", rel, why);
	else
		close(fd);
	return fd != -1;
}

static void refused(const char *rel, unsigned flags, const char *want,
		    const char *desc)
{
	int fd = trust_open(at(rel), flags, 0, NULL, why, sizeof(why));

	if (fd != -1)
		close(fd);
	ok(fd == -1 && strstr(why, want), "%s (%s)", desc,
	   fd == -1 ? why : "opened");
}

static void setup(void)
{
	int fd;

	if (!mkdtemp(base) || chmod(base, 0755) ||
	    mkdir(at("d"), 0755) || mkdir(at("open"), 0777) ||
	    chmod(at("open"), 0777) || mkdir(at("sticky"), 01777) ||
	    chmod(at("sticky"), 01777) || mkdir(at("sticky/in"), 0755) ||
	    symlink("d", at("link")) || mkfifo(at("d/fifo"), 0600) ||
	    symlink("/nonexistent", at("d/dangling"))) {
		printf("Bail out! setup: %s\n", strerror(errno));
		exit(1);
	}
	fd = open(at("d/f"), O_CREAT | O_WRONLY, 0644);
	if (fd == -1 || fchmod(fd, 0644) || close(fd) ||
	    (fd = open(at("d/shared"), O_CREAT | O_WRONLY, 0666)) == -1 ||
	    fchmod(fd, 0666) || close(fd)) {
		printf("Bail out! setup: %s\n", strerror(errno));
		exit(1);
	}
}

static void test_walk(void)
{
	char canon[PATH_MAX];

	refused("d/f", 0, "directory /tmp is writable by group or others",
		"a sticky /tmp is no excuse by default");
	ok(opened("d/f", TRUST_STICKY, canon) && strcmp(canon, at("d/f")) == 0,
	   "TRUST_STICKY passes sticky /tmp, canonical path out (control)");
	refused("open/x", TRUST_STICKY | TRUST_MKDIR,
		"is writable by group or others",
		"a non-sticky directory others can write is refused");
	ok(opened("sticky/in", TRUST_STICKY, NULL),
	   "a root's directory inside a sticky one passes");
	refused("sticky", TRUST_STICKY, "is writable by group or others",
		"the last component gets no sticky excuse");
	refused("link/f", TRUST_STICKY, "is a symbolic link",
		"a symlink on the way is refused by default");
	ok(opened("link/f", TRUST_STICKY | TRUST_FOLLOW, canon) &&
	   strcmp(canon, at("d/f")) == 0,
	   "TRUST_FOLLOW follows it to the canonical path");
	ok(opened("d/../d/./f", TRUST_STICKY | TRUST_FOLLOW, canon) &&
	   strcmp(canon, at("d/f")) == 0, "TRUST_FOLLOW walks . and ..");
	refused("d/../d/f", TRUST_STICKY, "are refused",
		"\"..\" is refused without TRUST_FOLLOW");
	refused("d/dangling", TRUST_STICKY | TRUST_FOLLOW, "No such file",
		"a dangling symlink fails");
	refused("d/shared", TRUST_STICKY, "file is writable by group or others",
		"a group-writable leaf is refused");
	ok(opened("d/shared", TRUST_STICKY | TRUST_ANY_LEAF, NULL),
	   "TRUST_ANY_LEAF leaves the leaf to the caller");
	refused("d/fifo", TRUST_STICKY | TRUST_REGULAR, "not a regular file",
		"TRUST_REGULAR refuses a FIFO");
	refused("d/missing", TRUST_STICKY, "cannot open file",
		"a missing leaf fails");
	refused("d/f/x", TRUST_STICKY, "is not a directory",
		"a file on the way fails");
}

static void test_mkdir_and_reopen(void)
{
	struct stat st;
	char buf[8];
	int fd;

	ok(opened("d/new/deeper", TRUST_STICKY | TRUST_MKDIR, NULL) &&
	   stat(at("d/new/deeper"), &st) == 0 && (st.st_mode & 07777) == 0711,
	   "TRUST_MKDIR creates what is missing, mode 0711");
	fd = trust_open(at("d/f"), TRUST_STICKY | TRUST_REGULAR,
			O_RDONLY | O_NOFOLLOW, NULL, why, sizeof(why));
	ok(fd != -1 && read(fd, buf, sizeof(buf)) == 0,
	   "oflags reopen the checked file for reading");
	if (fd != -1)
		close(fd);
	fd = open(at("d/f"), O_RDONLY | O_CLOEXEC);
	ok(fd != -1 && trust_fd_is_path(fd, at("d/f")) &&
		   !trust_fd_is_path(fd, at("d/g")),
	   "trust_fd_is_path: the descriptor names its path, no other");
	ok(rename(at("d/f"), at("d/g")) == 0 &&
		   !trust_fd_is_path(fd, at("d/f")) &&
		   trust_fd_is_path(fd, at("d/g")) &&
		   rename(at("d/g"), at("d/f")) == 0,
	   "... and no longer its old name once renamed");
	if (fd != -1)
		close(fd);
	trust_set_uid(65534);
	refused("d/f", TRUST_STICKY, "directory / is not owned by root",
		"ownership is checked against the trusted uid");
	trust_set_uid(0);
}

int main(void)
{
	char cmd[64];

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (\"/\" must be the trusted "
		       "owner's)\n");
		return 0;
	}
	setup();
	test_walk();
	test_mkdir_and_reopen();
	printf("1..%d\n", test_no);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		printf("# cleanup failed\n");
	return failures != 0;
}

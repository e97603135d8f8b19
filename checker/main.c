/*
 * symbi-exec-check: what `symbi-exec --check-policy[=FILE]` runs. The
 * client is linked statically (-static-pie: no loader, no shared
 * libraries on every job), and a static glibc cannot load NSS modules, so
 * the one part of the client that asks the account databases (does a
 * run_as account exist, which groups is it in, which pool uids are taken)
 * lives here, dynamically linked, and sees LDAP or sssd accounts as
 * getent does. Unprivileged, like the client; run as the caller.
 *
 * Usage (the client's, not a user's interface):
 *   symbi-exec-check [-q] [-f FILE]
 * -f FILE checks a draft without the trust checks; none: the installed
 * policy. -q: no "ok" line.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "checker/checkpolicy.h"
#include "shared/log.h"

/* Installed setuid or setgid by mistake, it would read any file for the
 * caller as root. */
static void refuse_privileges(void)
{
	if (getauxval(AT_SECURE) || getuid() != geteuid() ||
	    getgid() != getegid())
		die("refusing to run with privileges: symbi-exec-check must "
		    "not be setuid or setgid");
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	bool quiet = false;
	int c, status;

	/* Its messages are the client's: the user typed symbi-exec. */
	log_init("symbi-exec");
	refuse_privileges();
	opterr = 0;
	while ((c = getopt(argc, argv, "+qf:")) != -1) {
		if (c == 'q')
			quiet = true;
		else if (c == 'f' && *optarg != '\0')
			file = optarg;
		else
			die("usage: symbi-exec-check [-q] [-f FILE] (run by "
			    "symbi-exec --check-policy)");
	}
	if (optind != argc)
		die("usage: symbi-exec-check [-q] [-f FILE] (run by "
		    "symbi-exec --check-policy)");
	status = check_policy(file, quiet);
	if (fflush(stdout) != 0) {
		log_warn("cannot write to standard output: %s",
			 strerror(errno));
		return 125;
	}
	return status;
}

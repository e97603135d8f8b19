/*
 * --check-policy runs symbi-exec-check: the policy check asks the account
 * databases (run_as accounts, their groups, the uids of a pool) through
 * NSS, which this statically linked client cannot load (LDAP or sssd
 * accounts would be missed, or a module of another glibc loaded into
 * it). The checker is dynamically linked and unprivileged, as this is.
 */
#include "client/checkpolicy.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "shared/log.h"

void check_policy_exec(const char *file, bool quiet)
{
	const char *argv[5];
	int n = 0;

	argv[n++] = "symbi-exec-check";
	if (quiet)
		argv[n++] = "-q";
	if (file) {
		argv[n++] = "-f";
		argv[n++] = file;
	}
	argv[n] = NULL;
	execv(CHECK_PATH, (char *const *)argv);
	die("cannot execute %s: %s", CHECK_PATH, strerror(errno));
}

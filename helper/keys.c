/*
 * Kernel keyrings (keyctl(2)) outlive the processes that fill them: a
 * uid's user keyrings stay as long as the kernel keeps the uid, and a
 * session keyring passes through fork and exec. So a job that runs as
 * another account than its caller's gets a session keyring of its own
 * (never the caller's), and a run_as_pool uid's user keyrings are
 * emptied with the rest of what an earlier holder left (pool.c).
 */
#include <errno.h>
#include <linux/keyctl.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper.h"

/* A kernel built without keys has none to pass on. */
static bool no_keys(void)
{
	return errno == ENOSYS || errno == EOPNOTSUPP;
}

static int clear_ring(long ring)
{
	if (syscall(SYS_keyctl, KEYCTL_CLEAR, ring) == -1 && !no_keys())
		return -1;
	return 0;
}

/* As a login's pam_keyinit does: a new session keyring with the uid's
 * user keyring linked in, so the job possesses (and may read back) the
 * keys it stores there. */
int keys_new_session(void)
{
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) == -1 ||
	    syscall(SYS_keyctl, KEYCTL_LINK, KEY_SPEC_USER_KEYRING,
		    KEY_SPEC_SESSION_KEYRING) == -1)
		return no_keys() ? 0 : -1;
	return 0;
}

int keys_clear_own(void)
{
	long persistent;
	int rc = 0;

	if (clear_ring(KEY_SPEC_USER_KEYRING) == -1 ||
	    clear_ring(KEY_SPEC_USER_SESSION_KEYRING) == -1)
		rc = -1;
	/* The uid's persistent keyring, where the kernel has them, linked
	 * into this process's own keyring just to reach it. */
	persistent = syscall(SYS_keyctl, KEYCTL_GET_PERSISTENT, (uid_t)-1,
			     KEY_SPEC_PROCESS_KEYRING);
	if (persistent == -1 ? !no_keys() : clear_ring(persistent) == -1)
		rc = -1;
	return rc;
}

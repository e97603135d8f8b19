/* --check-policy: report every error of a policy file, like a compiler. */
#include "client/checkpolicy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "policy/policy.h"
#include "shared/log.h"

static void print_errors(const char *path, const struct policy_errors *errs)
{
	char buf[PROTO_MSG_LEN];
	unsigned i, kept = errs->count < POLICY_MAX_ERRORS ? errs->count
							  : POLICY_MAX_ERRORS;

	/* errs is static and filled by policy_load: cppcheck takes it as
	 * always empty. */
	// cppcheck-suppress knownConditionTrueFalse
	for (i = 0; i < kept; i++) {
		policy_error_format(&errs->e[i], buf, sizeof(buf));
		/* Errors about the file itself already name it. */
		if (errs->e[i].line)
			fprintf(stderr, "%s:%s\n", path, buf);
		else
			fprintf(stderr, "%s\n", buf);
	}
	if (errs->count > kept)
		fprintf(stderr, "%s: %u more errors not shown\n", path,
			errs->count - kept);
	if (errs->count == 0)
		fprintf(stderr, "%s: invalid\n", path);
}

int check_policy(const char *file, bool quiet)
{
	static struct policy pol;
	static struct policy_errors errs;
	const char *path = file ? file : POLICY_PATH;
	int fd, rc;

	/* The loader cannot tell "unreadable" from "invalid": ask first. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		log_warn("%s: %s", path, strerror(errno));
		return 125;
	}
	close(fd);
	if (file)
		rc = policy_load_untrusted(path, &pol, &errs);
	else
		rc = policy_load(path, &pol, &errs);
	if (rc != 0) {
		print_errors(path, &errs);
		return 1;
	}
	policy_free(&pol);
	if (!quiet)
		printf("%s: ok\n", path);
	return 0;
}

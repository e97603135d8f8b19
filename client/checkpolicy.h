/* symbi-exec --check-policy[=FILE]: handed to symbi-exec-check. */
#ifndef SYMBI_CLIENT_CHECKPOLICY_H
#define SYMBI_CLIENT_CHECKPOLICY_H

#include <stdbool.h>

/* Executes symbi-exec-check (checker/main.c) in place of the client, with
 * file (NULL: the installed policy) and quiet; its status is the client's
 * (0 valid, 1 invalid, 125 unreadable). Returns only by die(). */
void check_policy_exec(const char *file, bool quiet)
	__attribute__((noreturn));

#endif

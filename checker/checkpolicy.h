/* symbi-exec --check-policy[=FILE]: the policy code, run as the caller. */
#ifndef SYMBI_CHECKER_CHECKPOLICY_H
#define SYMBI_CHECKER_CHECKPOLICY_H

#include <stdbool.h>

/* file NULL: the installed policy, trust checks included; else FILE as a
 * draft, without them. Prints "FILE:line:col: message" for every error on
 * stderr, or "FILE: ok" on stdout unless quiet. Returns 0 valid, 1
 * invalid, 125 unreadable. */
int check_policy(const char *file, bool quiet);

#endif

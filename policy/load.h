/*
 * Internal to policy/ and its tests: the owner policy_load trusts. It is
 * root (0) in the programs and nothing there calls the setter; a unit
 * test run without root sets its own uid to exercise the other checks.
 */
#ifndef SYMBI_POLICY_LOAD_H
#define SYMBI_POLICY_LOAD_H

#include <sys/types.h>

void policy_set_trusted_uid(uid_t uid);

#endif

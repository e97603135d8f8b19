/*
 * The conversation with the helper: one request, one answer, and for a
 * running job the poll loop that forwards signals, captures output
 * (--json) and waits for the result.
 */
#ifndef SYMBI_CLIENT_RUN_H
#define SYMBI_CLIENT_RUN_H

#include "client/options.h"

/* From here on, a die() also prints the --json object of the failure
 * (exit_code 125 and its "error"), so stdout always parses. */
void run_report_errors_as_json(void);

/* Returns the client's exit status (SPEC "Exit status"). */
int run_request(const struct opts *o, const struct request *req);

#endif

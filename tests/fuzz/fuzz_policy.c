/*
 * libFuzzer target: the policy parser on arbitrary bytes. Whatever the
 * input, it must return, report errors with sane positions, and leave
 * nothing allocated (ASan checks the last part).
 * Build it with clang -fsanitize=fuzzer,address,undefined from this file,
 * every policy/ and shared/ source (or run make fuzz-policy); seed it with
 * tests/fuzz/corpus/policy/ (copy the directory: libFuzzer adds to it).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy p;
	static struct policy_errors errs;
	unsigned i;
	int r;

	r = policy_parse((const char *)data, size, &p, &errs);
	if ((r == 0) != (errs.count == 0))
		abort();
	for (i = 1; i < errs.count && i < POLICY_MAX_ERRORS; i++)
		if (errs.e[i].line < errs.e[i - 1].line ||
		    (errs.e[i].line == errs.e[i - 1].line &&
		     errs.e[i].col < errs.e[i - 1].col))
			abort(); /* errors must come sorted */
	if (r == 0 && (p.nrules > POLICY_MAX_RULES || !p.strings))
		abort();
	policy_free(&p);
	return 0;
}

/*
 * exchanger: swap two paths again and again, atomically
 * (renameat2 RENAME_EXCHANGE), for tests/97-adversarial-phases.t only
 * (never installed). The test runs it as a user in a directory of the
 * user's own, on a symlink to an allowed executable and a symlink to a
 * root-owned program that is not allowed, while jobs start with the
 * first path as their command: what that path leads to changes between
 * every step of the helper's resolution, allowlist match, check and
 * exec.
 *
 *   exchanger PATH1 PATH2 MILLISECONDS
 *
 * MILLISECONDS 0: exactly one exchange.
 * Prints the number of exchanges; exit status 0, or 2 on an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shared/util.h"

int main(int argc, char **argv)
{
	uint64_t ms = 0, end, n = 0;

	if (argc != 4 || (strcmp(argv[3], "0") != 0 &&
			  parse_u64(argv[3], 3600000, &ms) == -1)) {
		fputs("usage: exchanger PATH1 PATH2 MILLISECONDS\n", stderr);
		return 2;
	}
	end = now_ms() + ms;
	do {
		if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2],
			      RENAME_EXCHANGE) == -1) {
			fprintf(stderr, "exchanger: %s <-> %s: %s\n", argv[1],
				argv[2], strerror(errno));
			return 2;
		}
		n++;
	} while (now_ms() < end);
	printf("exchanges=%llu\n", (unsigned long long)n);
	return 0;
}

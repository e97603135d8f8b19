/*
 * Output job for the capture benchmark: writes BYTES of printable text to
 * stdout in 64 KiB writes (plain ASCII, so a JSON encoder escapes nothing
 * and the rate measured is the capture path, not the escaping).
 * Usage: emit BYTES
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[65536];
	long long left = argc > 1 ? strtoll(argv[1], NULL, 10) : 104857600LL;

	memset(buf, 'a', sizeof(buf));
	for (size_t i = 63; i < sizeof(buf); i += 64)
		buf[i] = '\n';
	while (left > 0) {
		size_t want = left < (long long)sizeof(buf) ? (size_t)left
							    : sizeof(buf);
		ssize_t got = write(STDOUT_FILENO, buf, want);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			perror("emit: write");
			return 1;
		}
		left -= got;
	}
	return 0;
}

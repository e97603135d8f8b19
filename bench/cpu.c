/*
 * CPU-bound job for the throughput benchmark: an integer hash loop with no
 * system calls inside, so any slowdown under a tier is scheduling, cgroup
 * CPU accounting or frequency noise, never a filter.
 * Usage: cpu ITERATIONS
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 300000000ULL;
	uint64_t h = 1469598103934665603ULL;

	for (uint64_t i = 0; i < n; i++) {
		h ^= i;
		h *= 1099511628211ULL;
	}
	/* Printed so the compiler cannot drop the loop. */
	printf("%llu\n", (unsigned long long)(h & 0xffff));
	return 0;
}

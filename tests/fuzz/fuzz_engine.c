/*
 * libFuzzer target: the scanner the helper runs, as root, over the docker
 * engine's answers (helper/engine.c). Any input, as a NUL-terminated
 * string, for a few keys and the exec-failure test: no crash, no read past the end, and a found
 * value always lies inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "helper/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "State", "ExitCode", "OOMKilled",
					    "Runtimes", "Error", "" };
	char *s = malloc(size + 1);
	size_t i;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = engine_json_member(s, keys[i]);

		if (v && (v < s || v > s + size))
			abort();
	}
	engine_exec_failed(s);
	free(s);
	return 0;
}

/*
 * helper/engine.c's readers of the engine's JSON: a member at its own
 * level only, and which container start errors are the command's (the
 * runtime's exec step) rather than the engine's, as runc and runsc word
 * them (State.Error copied from docker inspect here).
 */
#include <string.h>

#include "helper/engine.c"

#include "tests/unit/tap.h"

static bool exec_failed(const char *error)
{
	char state[1024];

	snprintf(state, sizeof(state),
		 "{\"Status\":\"created\",\"Error\":%s,\"ExitCode\":127}", error);
	return engine_exec_failed(state);
}

int main(void)
{
	const char *v;

	v = engine_json_member("{\"a\":{\"ExitCode\":1},\"ExitCode\":2}",
			       "ExitCode");
	ok(v && *v == '2', "a member at the object's own level, not a nested one");
	ok(!engine_json_member("{\"x\":\"\\\"ExitCode\\\":3\"}", "ExitCode"),
	   "a key inside a string is no member");
	ok(exec_failed("\"failed to create shim task: OCI runtime create failed: "
		       "runc create failed: unable to start container process: "
		       "exec: \\\"nonexist\\\": executable file not found in "
		       "$PATH: unknown\""),
	   "runc: a command not found is the command's");
	ok(exec_failed("\"failed to create shim task: OCI runtime create failed: "
		       "runc create failed: unable to start container process: "
		       "exec: \\\"/etc/passwd\\\": permission denied: unknown\""),
	   "runc: a command not executable is the command's");
	ok(exec_failed("\"OCI runtime start failed: starting container: "
		       "starting root container: starting sandbox: error "
		       "finding executable \\\"nonexist\\\" in PATH [/bin]: no "
		       "such file or directory: unknown\""),
	   "runsc: a command not found is the command's");
	ok(exec_failed("\"OCI runtime start failed: starting container: "
		       "starting root container: starting sandbox: creating "
		       "process: failed to load /etc/passwd: permission denied: "
		       "unknown\""),
	   "runsc: a command not executable is the command's");
	ok(!exec_failed("\"failed to create shim task: OCI runtime create "
			"failed: runc create failed: unable to start container "
			"process: error during container init: error mounting "
			"\\\"/home/a/d\\\" to rootfs at \\\"/workspace\\\": no "
			"such file or directory: unknown\""),
	   "runc: a bind source gone at mount time is the engine's (125)");
	ok(!exec_failed("\"\""), "no error");
	ok(!exec_failed("null"), "an error that is no string");
	ok(!exec_failed("\"unable to start container process: exec"),
	   "an unterminated string");
	ok(!engine_exec_failed("{\"Cmd\":\"container process: exec: \"}"),
	   "the words elsewhere in the state, not in its Error, count for "
	   "nothing");
	printf("1..%d\n", test_no);
	return failures != 0;
}

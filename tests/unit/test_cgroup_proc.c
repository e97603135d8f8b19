/*
 * helper/cgroup_proc.c: /proc/PID/cgroup text as the kernel writes it on
 * hybrid, pure v2 and pure v1 hosts and under Slurm, to the path of each
 * hierarchy a job uses; and what must be refused (a path outside the
 * cgroup namespace, "." or ".." components, a hierarchy listed twice).
 */
#include <string.h>

#include "helper/cgroup_proc.c"

#include "tests/unit/tap.h"

static char rel[CGD_COUNT][CG_PATH];

static int parse(const char *text)
{
	return cg_parse_proc(text, strlen(text), rel);
}

int main(void)
{
	ok(parse("9:name=systemd:/\n8:pids:/\n6:freezer:/slurm_vm/uid_1/job_2/"
		 "step_0\n4:memory:/slurm_vm/uid_1/job_2/step_0/task_0\n"
		 "2:cpuacct:/x\n1:cpu:/\n0::/\n") == 0 &&
		   strcmp(rel[CGD_MEMORY], "/slurm_vm/uid_1/job_2/step_0/task_0") ==
			   0 &&
		   strcmp(rel[CGD_PIDS], "/") == 0 &&
		   strcmp(rel[CGD_CPU], "/") == 0 &&
		   strcmp(rel[CGD_UNIFIED], "/") == 0,
	   "a Slurm step on a hybrid host: memory, pids, cpu, unified");
	ok(parse("0::/user.slice/user-1000.slice/session-3.scope\n") == 0 &&
		   strcmp(rel[CGD_UNIFIED],
			  "/user.slice/user-1000.slice/session-3.scope") == 0 &&
		   rel[CGD_MEMORY][0] == '\0',
	   "pure v2: the one unified path, no v1 hierarchy");
	ok(parse("3:cpu,cpuacct:/a/b\n4:memory:/a") == 0 &&
		   strcmp(rel[CGD_CPU], "/a/b") == 0 &&
		   strcmp(rel[CGD_MEMORY], "/a") == 0,
	   "co-mounted cpu,cpuacct; no final newline");
	ok(parse("4:memory:/..\n") == -1, "a path outside the namespace (/..)");
	ok(parse("4:memory:/a/../b\n") == -1, "a .. component");
	ok(parse("4:memory:/a/./b\n") == -1, "a . component");
	ok(parse("4:memory:/a//b\n") == -1, "an empty component");
	ok(parse("4:memory:a/b\n") == -1, "a relative path");
	ok(parse("4:memory:/a\n5:memory:/b\n") == -1, "memory listed twice");
	ok(parse("4:memory\n") == -1, "a line without a path");
	ok(parse("4:memory:/a b\n") == -1, "a space in a path");
	ok(parse("4:cpuset:/a/../b\n") == 0 && rel[CGD_MEMORY][0] == '\0',
	   "a hierarchy the job does not use is not looked at");
	printf("1..%d\n", test_no);
	return failures != 0;
}

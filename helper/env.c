/*
 * The job's environment, built from nothing: PATH from the policy's
 * secure_path, the account's HOME (tier isolated: the work directory)
 * USER/LOGNAME/SHELL, the env_keep names
 * found in the caller's environment, then the request's --env entries
 * (the judge allowed their names). Values are opaque; only the total
 * size is bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper.h"

#define ENV_MAX_ENTRIES 160
#define ENV_MAX_BYTES ((size_t)256 * 1024)

struct env {
	char *e[ENV_MAX_ENTRIES + 1];
	size_t n, bytes;
	bool no_memory;
};

static int env_put(struct env *env, const char *name, size_t nlen,
		   const char *value)
{
	size_t i, len = nlen + 1 + strlen(value);
	char *s;

	if (env->bytes + len + 1 > ENV_MAX_BYTES)
		return -1;
	for (i = 0; i < env->n; i++)
		if (strncmp(env->e[i], name, nlen) == 0 &&
		    env->e[i][nlen] == '=')
			break;
	if (i == ENV_MAX_ENTRIES)
		return -1;
	if (asprintf(&s, "%.*s=%s", (int)nlen, name, value) < 0) {
		env->no_memory = true;
		return -1;
	}
	if (i < env->n)
		free(env->e[i]);
	else
		env->n++;
	env->e[i] = s;
	env->bytes += len + 1;
	return 0;
}

static const char *inherited(char **environ, const char *name)
{
	size_t len = strlen(name);

	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

static int put_base(struct env *env, const struct job *j)
{
	const struct account *a = &j->user;
	/* The isolated view has no /home, and a pool uid has no home of
	 * its own: HOME is the work directory. */
	const char *home = j->dec.tier == TIER_ISOLATED || j->pool_fd != -1
				   ? j->v.workdir
				   : a->home;

	return env_put(env, "PATH", 4, j->pol.native.secure_path) |
	       env_put(env, "HOME", 4, home) |
	       env_put(env, "USER", 4, a->name) |
	       env_put(env, "LOGNAME", 7, a->name) |
	       env_put(env, "SHELL", 5, a->shell);
}

int env_build(struct job *j)
{
	static struct env env;
	const struct strlist *keep = &j->pol.native.env_keep;
	int rc = put_base(&env, j);

	for (unsigned i = 0; i < keep->n && rc == 0; i++) {
		const char *v = inherited(j->inv.environ, keep->s[i]);

		if (v)
			rc = env_put(&env, keep->s[i], strlen(keep->s[i]), v);
	}
	for (uint32_t i = 0; i < j->req.envc && rc == 0; i++) {
		const char *eq = strchr(j->req.env[i], '=');

		/* The judge let only NAME=VALUE through. */
		rc = eq == NULL ? -1 : env_put(&env, j->req.env[i],
			     (size_t)(eq - j->req.env[i]), eq + 1);
	}
	if (rc != 0 && env.no_memory) {
		set_message(&j->v, 125, "out of memory building the job "
			    "environment");
		return -1;
	}
	if (rc != 0) {
		set_message(&j->v, 125, "the job environment is too large "
			    "(at most %zu bytes)", ENV_MAX_BYTES);
		return -1;
	}
	env.e[env.n] = NULL;
	j->envp = env.e;
	return 0;
}

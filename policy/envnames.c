/*
 * The never-list of environment names (see envnames.h). Each entry says
 * what acts on the name; the list errs on the side of refusing, since an
 * administrator can let one exact name through with env_allow_unsafe.
 */
#include <string.h>

#include "policy/envnames.h"
#include "shared/util.h"

#define EXACT(n, why) { n, false, why }
#define PREFIX(n, why) { n, true, why }

static const struct env_never NEVER[] = {
	/* The dynamic loader and libc (glibc drops these for setuid
	 * programs; the job is not one, so they would act). */
	PREFIX("LD_", "the dynamic loader acts on it: LD_PRELOAD, "
	       "LD_LIBRARY_PATH, LD_AUDIT load code"),
	EXACT("GLIBC_TUNABLES", "the dynamic loader parses it (CVE-2023-4911)"),
	EXACT("GCONV_PATH", "iconv loads conversion modules from it"),
	EXACT("GETCONF_DIR", "getconf runs programs from it"),
	EXACT("LOCPATH", "libc reads locale files from it"),
	EXACT("NLSPATH", "libc reads message catalogs (format strings) from it"),
	EXACT("HOSTALIASES", "the resolver reads any file it names"),
	EXACT("RESOLV_HOST_CONF", "the resolver reads any file it names"),
	EXACT("LOCALDOMAIN", "it redirects the resolver's lookups"),
	EXACT("RES_OPTIONS", "it changes the resolver's behaviour"),
	EXACT("NIS_PATH", "libc's NIS+ lookups follow it"),
	EXACT("TZDIR", "libc reads zone files from it"),
	PREFIX("MALLOC_", "libc's allocator acts on it: MALLOC_TRACE "
	       "writes any file"),
	EXACT("OPENSSL_CONF", "OpenSSL loads engines (code) it names"),
	EXACT("OPENSSL_ENGINES", "OpenSSL loads engines (code) from it"),
	EXACT("OPENSSL_MODULES", "OpenSSL loads providers (code) from it"),

	/* Shells. */
	EXACT("BASH_ENV", "bash runs the file it names at start"),
	EXACT("ENV", "sh and bash in POSIX mode run the file it names"),
	PREFIX("BASH_FUNC_", "bash imports it as a function (Shellshock)"),
	EXACT("SHELLOPTS", "bash turns on xtrace and more, running PS4"),
	EXACT("BASHOPTS", "bash turns on shell options at start"),
	EXACT("PS0", "an interactive bash expands $(...) in it"),
	EXACT("PS1", "an interactive shell expands $(...) in it"),
	EXACT("PS2", "an interactive shell expands $(...) in it"),
	EXACT("PS4", "bash expands $(...) in it under xtrace"),
	EXACT("PROMPT_COMMAND", "an interactive bash runs it"),
	EXACT("INPUTRC", "readline reads key bindings (macros) from it"),
	EXACT("ZDOTDIR", "zsh runs its start files from it"),
	EXACT("FPATH", "ksh and zsh load functions from it"),

	/* Interpreters. */
	PREFIX("PYTHON", "python imports code through many: PYTHONPATH, "
	       "PYTHONSTARTUP, PYTHONHOME, PYTHONBREAKPOINT, PYTHONWARNINGS"),
	EXACT("PERL5LIB", "perl loads modules from it"),
	EXACT("PERLLIB", "perl loads modules from it"),
	EXACT("PERL5OPT", "perl takes options (-M loads a module) from it"),
	EXACT("PERL5DB", "perl runs it as the debugger"),
	EXACT("NODE_OPTIONS", "node takes options (--require) from it"),
	EXACT("NODE_PATH", "node loads modules from it"),
	EXACT("RUBYOPT", "ruby takes options (-r loads code) from it"),
	EXACT("RUBYLIB", "ruby loads libraries from it"),
	EXACT("JAVA_TOOL_OPTIONS", "the JVM takes options (-javaagent) "
	      "from it"),
	EXACT("_JAVA_OPTIONS", "the JVM takes options (-javaagent) from it"),
	EXACT("JDK_JAVA_OPTIONS", "the java launcher takes options from it"),
	EXACT("CLASSPATH", "the JVM loads classes from it"),
	PREFIX("LUA_INIT", "lua runs it, or the file it names, at start"),
	PREFIX("LUA_PATH", "lua loads modules from it"),
	PREFIX("LUA_CPATH", "lua loads C modules from it"),
	EXACT("TCLLIBPATH", "tclsh loads packages from it"),
	EXACT("PHPRC", "php reads a configuration (auto_prepend_file) "
	      "from it"),
	EXACT("PHP_INI_SCAN_DIR", "php reads configurations from it"),
};

#define NNEVER (sizeof(NEVER) / sizeof(NEVER[0]))

static bool begins(const char *s, size_t len, const char *with)
{
	size_t n = strlen(with);

	return len >= n && memcmp(s, with, n) == 0;
}

const struct env_never *env_never_name(const char *name, size_t len)
{
	for (size_t i = 0; i < NNEVER; i++) {
		const struct env_never *e = &NEVER[i];

		if (e->prefix ? begins(name, len, e->name)
			      : strlen(e->name) == len &&
					memcmp(e->name, name, len) == 0)
			return e;
	}
	return NULL;
}

const struct env_never *env_never_pattern(const char *prefix, size_t len)
{
	for (size_t i = 0; i < NNEVER; i++) {
		const struct env_never *e = &NEVER[i];

		/* "PERL*" covers PERL5LIB; "LD_PRE*" lies inside LD_. */
		if (strlen(e->name) >= len &&
		    memcmp(e->name, prefix, len) == 0)
			return e;
		if (e->prefix && begins(prefix, len, e->name))
			return e;
	}
	return NULL;
}

bool env_valid_pattern(const char *s)
{
	size_t n = strlen(s);

	if (n > 1 && s[n - 1] == '*')
		n--;
	return valid_env_name(s, n);
}

bool env_in_patterns(const struct strlist *l, const char *name, size_t len)
{
	for (unsigned i = 0; i < l->n; i++) {
		const char *s = l->s[i];
		size_t n = strlen(s);

		if (s[n - 1] == '*' ? len >= n - 1 && memcmp(s, name, n - 1) == 0
				    : n == len && memcmp(s, name, len) == 0)
			return true;
	}
	return false;
}

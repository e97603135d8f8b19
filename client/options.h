/*
 * The client's command line and the SYMBIONT_* defaults, parsed into what
 * the user asked for. Nothing here talks to the helper: every error is a
 * usage error, reported by die() (one line, audit log, exit 125).
 */
#ifndef SYMBI_CLIENT_OPTIONS_H
#define SYMBI_CLIENT_OPTIONS_H

#include <stdbool.h>

#include "shared/proto.h"

enum opts_action {
	ACT_RUN,
	ACT_DRY_RUN,
	ACT_LIST,
	ACT_CHECK_POLICY,
};

struct opts {
	enum opts_action action;
	bool json, quiet, verbose, network, keep_workdir, private_dir;
	int pty_mode; /* --pty 1, --no-pty -1, else 0 */
	bool pty;     /* the job gets a pseudo-terminal (client/term.c) */
	int tier; /* enum tier, or -1: the policy's default */
	struct limits lim;
	char *workdir;            /* canonical absolute path, or NULL */
	bool workdir_chosen;      /* -C DIR (else: the current directory) */
	const char *image;        /* NULL: none */
	const char *policy_file;  /* --check-policy=FILE; NULL: installed */
	unsigned nenv;
	const char *env[PROTO_MAX_ENV];
	unsigned nvol;
	const char *vol[PROTO_MAX_VOLUMES];
	int cmd_argc; /* COMMAND [ARG...] */
	char **cmd_argv;
};

/* Whether --json is among the options, read before anything else so that
 * an error in any other option can be reported as a JSON object too. */
bool opts_want_json(int argc, char **argv);

/* Parse argv (stopping at the first non-option or "--"), then fill what
 * the command line left unset from the SYMBIONT_* variables. Prints and
 * exits for --help and --version. */
void opts_parse(int argc, char **argv, struct opts *o);

/* The request for the helper; dies if it breaks a protocol cap. */
void opts_build_request(const struct opts *o, struct request *r);

#endif

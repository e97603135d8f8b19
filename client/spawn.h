/*
 * Starting symbi-exec-helper: the request socket becomes its fd 3, and
 * with --json its stdout and stderr become pipes the client reads, with
 * a terminal for the job the pty slave replaces what was the user's. It
 * inherits the caller's environment unchanged (it reads the policy's
 * env_keep names from it) and no other descriptor.
 */
#ifndef SYMBI_CLIENT_SPAWN_H
#define SYMBI_CLIENT_SPAWN_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "client/term.h"

struct helper {
	pid_t pid;
	int sock;  /* the client's end of the socketpair */
	int pidfd; /* readable once the helper ended; -1 if unavailable */
	int out;   /* --json: read ends of the job's stdout and stderr; */
	int err;   /*         -1 otherwise */
};

/* Start the helper: its exec from a child that shares our memory until
 * then. The child runs with *mask as its signal mask (the caller's
 * original one). With t, the job's terminal replaces the stdio
 * descriptors of t->mask, so that neither the helper nor the job holds
 * the user's own terminal. Dies with 125 when the helper cannot be
 * started, naming its path. */
void helper_spawn(struct helper *h, bool capture, const struct term *t,
		  const sigset_t *mask);

/* Reap the helper (waiting for it when block, else only if it already
 * ended) and close the client's descriptors of h. */
void helper_reap(struct helper *h, bool block);

#endif

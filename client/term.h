/*
 * The job's terminal, all of it unprivileged (sudo's use_pty, ssh -t):
 * the client allocates a pseudo-terminal, the helper makes its slave the
 * job's controlling terminal, and the client relays between the master
 * and the user's terminal, which it puts in raw mode and always
 * restores. The job never holds the user's terminal: it cannot read
 * what the user types to the shell, nor push input into it (TIOCSTI).
 */
#ifndef SYMBI_CLIENT_TERM_H
#define SYMBI_CLIENT_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

struct term {
	int master;     /* -1: no terminal for the job, or it closed */
	int slave;      /* until handed to the helper, else -1 */
	unsigned mask;  /* bit fd: the job's fd 0..2 is the slave */
	int tty;        /* the user's terminal (modes, size), or -1 */
	int in;         /* read keystrokes from it (stdin), or -1 */
	int out;        /* the job's terminal output goes there */
	bool raw;       /* the user's terminal is in raw mode */
	struct termios saved;
	char buf[4096]; /* keystrokes not yet written to the master */
	size_t len;
	bool mid_line;  /* the job's last output did not end a line */
};

/* Allocate the pseudo-terminal (posix_openpt), with the modes and size
 * of the user's terminal; which of the job's stdin, stdout and stderr
 * it replaces: those that are a terminal, or all three when none is.
 * Dies on failure. */
void term_open(struct term *t);

/* Raw mode on the user's terminal (when keystrokes are relayed and the
 * client is in the foreground), and the window size copied. Restored
 * by term_restore, which exit() also runs. */
void term_take(struct term *t);
void term_restore(struct term *t);

/* The user's terminal's window size to the job's (SIGWINCH). */
void term_winsize(const struct term *t);

/* Whether the client runs as a job of a shell with job control, in the
 * foreground: only then may it stop itself to give the shell back. */
bool term_can_suspend(const struct term *t);

/* Whether keystrokes are to be read now (raw, in the foreground, room
 * in the buffer). */
bool term_reading(const struct term *t);

/* Relays: keystrokes into the buffer, the buffer to the master, the
 * master's output to the user. term_from_job returns false once the
 * job's side is closed (master set to -1). term_drain relays whatever
 * the job's terminal still holds, without waiting. */
void term_from_user(struct term *t);
void term_to_job(struct term *t);
bool term_from_job(struct term *t);
void term_drain(struct term *t);

/* Once the terminal is restored: end the job's last line, so that a
 * message of the client's starts on a line of its own. */
void term_end_line(struct term *t);

#endif

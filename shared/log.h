/*
 * Messages for the user (stderr) and the audit trail (syslog, authpriv).
 *
 * syslog lines go straight to /dev/log over a non-blocking datagram socket
 * (never glibc's syslog(3), which can block when the reader is slow): if no
 * daemon listens, or its queue is full, the line is dropped and the program
 * goes on. Each line is "<pri>TIMESTAMP prog[pid]: text", RFC 3164 style.
 * The helper names a fallback file: a line syslog does not take is
 * appended there instead, so none is lost without a trace.
 */
#ifndef SYMBI_LOG_H
#define SYMBI_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <time.h>

/* prog is the name used on stderr and in syslog ("symbi-exec"). */
void log_init(const char *prog);

/* "prog: text\n" on stderr; never fails, never allocates. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* While on, stderr lines end with CR LF: a terminal in raw mode does not
 * return the carriage at a bare LF, and the lines would stair-step. */
void log_set_crlf(bool on);

/* One syslog line at LOG_AUTHPRIV | prio (LOG_INFO, LOG_WARNING, ...). */
void log_audit(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* log_warn, then log_audit(LOG_WARNING) of the same text, then _exit(125).
 * For errors before any job exists: nothing left behind by construction. */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* A function die() calls with its text after the stderr and syslog lines
 * and before it exits (the client's --json: the refusal as an object on
 * stdout). NULL: none, the default. */
void log_set_die_hook(void (*hook)(const char *text));

/* Audit lines syslog does not take go to path (the helper's, compiled
 * in): appended to a root-owned 0600 file in a directory of root's
 * alone, which is created 0700 when missing; a file or directory that
 * is anything else is never written. */
void log_set_fallback(const char *path);

/* Whether an audit line can be kept now: a syslog daemon listens on the
 * socket, or the fallback file opens. */
bool log_audit_writable(void);

/* On: lines for the fallback file wait (the helper acts as a user, who
 * cannot open it); off: they are written. */
void log_hold(bool on);

/* gmtime_r's year, month, day and time of t (what the audit header
 * prints), without reading the zone file as glibc's does. */
void log_utc(time_t t, struct tm *tm);

/* Set the socket path (tests of the log module only). */
void log_set_socket_path(const char *path);

#endif

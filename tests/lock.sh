# shellcheck shell=bash
# open_lock VAR PATH: a lock file root alone can create, in /run, mode
# 0600, held read-only (flock needs no more, and a process that inherits
# the descriptor cannot write to /run through it); VAR is set to the
# descriptor. Not in /run/lock, which is world-writable: a user's
# symbolic link there would have root truncate its target, and any user
# may flock a readable file and stall every run. Sourced by tests/lib.sh
# and bench/lib.sh: the tests' and the benchmarks' machine lock.
open_lock() {
	local -n _fd=$1
	local old
	old=$(umask)
	umask 077
	: >>"$2" || {
		umask "$old"
		return 1
	}
	umask "$old"
	exec {_fd}<"$2"
}

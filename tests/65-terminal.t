#!/bin/bash
# The terminal contract (issue 12), in a real terminal: tmux drives the
# installed client as a test user at an interactive shell, as a person
# would. The job gets a pseudo-terminal of its own (the REPL prompt,
# isatty, a resize reaches it); ^Z stops the job itself and gives the
# shell its prompt back, a line typed then goes to the shell and never to
# the job, fg resumes it, ^D ends it; the same in tier isolated; an
# interactive bash has job control; the user's terminal modes survive a
# timeout. Then the helper's side, from a raw client: it takes only a
# pty slave of the caller's, never the caller's own terminal.
# Every wait polls the screen with a bound; nothing asserts on time.
# Single quotes are meant: the shell in tmux expands them.
# shellcheck disable=SC2016
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/docker-setup.sh
. "$(dirname "$0")/docker-setup.sh"

t_setup

A=symbi-alice
C=$T_CLIENT
RAW=$T_TOOLS/rawclient
# pgrep -x takes an ERE of at most 15 characters (a process's name is
# no longer): python3, or python3.11 as the interpreter names itself.
PY='python3[.0-9]*'

command -v tmux >/dev/null || bail "tmux is missing (tests/deps.sh installs it)"

TMUX_SOCK=symbi-test-$$
tm() { tmux -L "$TMUX_SOCK" "$@"; }
T_AT_EXIT+=("tmux -L $TMUX_SOCK kill-server")

# The user's login shell in a fresh tmux window: alice's credentials and
# a clean environment, as as_user gives them.
shell=$T_SCRATCH/shell.sh
cat >"$shell" <<EOF
#!/bin/sh
cd / && exec setpriv --reuid=$A --regid=$(id -g $A) --init-groups -- \
	env -i PATH=$T_SECURE_PATH HOME=$(home_of $A) TERM=xterm LANG=C.UTF-8 \
	PS1='user\$ ' bash --norc --noprofile -i
EOF
chmod 0755 "$shell"

end_window() { tm kill-server 2>/dev/null; }

new_window() {
	end_window
	tm new-session -d -s t -x 100 -y 30 "$shell"
	wait_screen 'user\$ $' || bail "no shell prompt in tmux"
}

screen() { tm capture-pane -p -J -t t -S -200; }

# wait_screen ERE: until the screen shows a line matching ERE (30 s at
# most: the machine may be loaded).
wait_screen() {
	local i
	for ((i = 0; i < 300; i++)); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	diag "screen, waiting for /$1/:" "$(screen | tail -n 15)"
	return 1
}

# say TEXT: a line, as typed; keys KEY...: tmux key names (C-z, C-d).
say() { tm send-keys -t t -l -- "$1"; tm send-keys -t t Enter; }
keys() { tm send-keys -t t "$@"; }

# state_of ERE: the process state letters of alice's process whose name
# matches ERE exactly (empty when there is none).
state_of() {
	local pid
	pid=$(pgrep -u $A -x "$1" | head -n 1)
	[[ -n "$pid" ]] && ps -o stat= -p "$pid"
}

# wait_state ERE LETTER: until that process's state starts with LETTER.
wait_state() {
	local i s
	for ((i = 0; i < 300; i++)); do
		s=$(state_of "$1")
		[[ "$s" == "$2"* ]] && return 0
		sleep 0.1
	done
	diag "state of $1: '$s', wanted $2"
	return 1
}

no_process_within() {
	local i
	for ((i = 0; i < 300; i++)); do
		pgrep -u $A -x "$1" >/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# repl_session DESC [OPTION...]: the python REPL through symbi-exec.
repl_session() {
	local desc=$1
	shift
	new_window
	say "$C $* -- python3 -q"
	ok "$desc: the REPL prompt appears" wait_screen '^>>> $'
	say 'import os; print("isatty", os.isatty(0), os.isatty(1), os.isatty(2))'
	ok "$desc: stdin, stdout and stderr are a terminal" \
		wait_screen '^isatty True True True$'
	tm resize-window -t t -x 91 -y 27
	say 'print("size", tuple(os.get_terminal_size()))'
	ok "$desc: a resize reaches the job" wait_screen '^size \(91, 27\)$'
	keys C-c
	ok "$desc: ^C reaches the job (its line discipline)" \
		wait_screen '^KeyboardInterrupt$'
	keys C-z
	ok "$desc: ^Z gives the shell its prompt back" \
		wait_screen 'Stopped +.*symbi-exec'
	ok "$desc: ... and the job itself is stopped (state T)" \
		wait_state "$PY" T
	say 'echo "shell-$((6 * 7))"'
	ok "$desc: a line typed then reaches the shell" wait_screen '^shell-42$'
	say fg
	ok "$desc: fg resumes the job" wait_state "$PY" S
	say 'print("py-" + str(6 * 7))'
	ok "$desc: ... which reads the terminal again" wait_screen '^py-42$'
	unlike "$(screen)" 'NameError|SyntaxError' \
		"$desc: the line meant for the shell never reached the job"
	keys C-d
	ok "$desc: ^D ends the job" no_process_within "$PY"
	say 'echo "status-$?"'
	ok "$desc: ... with status 0" wait_screen '^status-0$'
	end_window
	ok_clean "$desc"
}

repl_session "tier none"
repl_session "tier isolated" -t isolated

# ---- an interactive shell has job control ------------------------------
new_window
say "$C -- bash --norc --noprofile -i"
ok "bash -i: its prompt appears" wait_screen 'bash-[0-9.]+\$ $'
say 'sleep 300'
wait_state sleep S >/dev/null
keys C-z
ok "bash -i: ^Z stops its foreground job, the inner shell reports it" \
	wait_screen 'Stopped +sleep 300'
ok "... and the sleep is stopped (state T)" wait_state sleep T
unlike "$(screen)" 'no job control' "bash -i under symbi-exec has job control"
say 'kill -9 %1'
wait_screen 'Killed +sleep 300' >/dev/null
say 'exit'
ok "bash -i: exit ends the job, the user's shell prompts again" \
	wait_screen '^user\$ $'
end_window
ok_clean "bash -i"

# ---- the terminal's modes survive a timeout ---------------------------
modes=$(user_dir $A 0755)
new_window
say "stty -g >$modes/before; $C --timeout=1 -- python3 -q; echo \"rc-\$?\"; stty -g >$modes/after"
ok "a REPL killed by --timeout: exit 124" wait_screen '^rc-124$'
like "$(screen)" 'symbi-exec: job killed: wall-clock limit of 1 s reached' \
	"... and the client says why"
for ((i = 0; i < 100; i++)); do [[ -s $modes/after ]] && break; sleep 0.1; done
ok "... and the terminal's modes are restored (stty -g before and after)" \
	cmp -s "$modes/before" "$modes/after"
end_window
ok_clean "timeout in a terminal"

# ---- the container tiers: docker run -t ---------------------------------
# The job's pty is the docker client's controlling terminal, which gives
# the container a terminal of its own (-t), passes on the window size and
# relays; the REPL, isatty, a resize and ^D as in the other tiers, and
# the user's modes come back. (Inside gVisor the job's processes are the
# sentry's, not the host's: no process state to poll, the screen says it.)
container_session() {
	local desc=$1 tag=$2
	shift 2
	new_window
	say "stty -g >$modes/$tag.before; $C $* --image=$DK_IMAGE_PY -- python3 -q; echo \"rc-\$?\"; stty -g >$modes/$tag.after"
	ok "$desc: the REPL prompt appears" wait_screen '^>>> $'
	say 'import os; print("isatty", os.isatty(0), os.isatty(1), os.isatty(2))'
	ok "$desc: stdin, stdout and stderr are a terminal" \
		wait_screen '^isatty True True True$'
	# The new size travels the docker client, the engine, the shim and
	# (gVisor) the sentry: the job asks until it is there, 10 s at most.
	tm resize-window -t t -x 93 -y 25
	say 'exec("import time\nfor _ in range(100):\n s = tuple(os.get_terminal_size())\n if s == (93, 25): break\n time.sleep(0.1)\nprint(\"size\", s)")'
	ok "$desc: a resize reaches the job" wait_screen '^size \(93, 25\)$'
	keys C-d
	ok "$desc: ^D ends the job, status 0" wait_screen '^rc-0$'
	for ((i = 0; i < 100; i++)); do [[ -s $modes/$tag.after ]] && break; sleep 0.1; done
	ok "$desc: the terminal's modes are restored (stty -g before and after)" \
		cmp -s "$modes/$tag.before" "$modes/$tag.after"
	end_window
	ok "$desc: no container is left" dk_gone
	ok_clean "$desc"
}

if dk_start && dk_image_python; then
	at_exit dk_stop
	write_policy "$(dk_policy)"
	container_session "tier docker" docker -t docker
	container_session "tier gvisor" gvisor -t gvisor
	write_policy "$(test_policy)"
else
	skip_or_fail_in_ci "docker engine unavailable: ${DK_WHY:-no python image}" 14
	dk_stop
fi

# ---- the helper's side: what it accepts as the job's terminal -----------
# The job proves it has a controlling terminal by opening /dev/tty.
mark=$(user_dir $A 0755)
ctty_job=(sh -c "exec 3</dev/tty && touch $mark/ran")
raw() { run $A "$RAW" -q -m "$mark" "$@" -- "${ctty_job[@]}"; }
raw -P new "$T_HELPER" valid
is "$rc" 0 "raw client, control: a fresh pty slave becomes the job's controlling terminal"
[[ $rc == 0 ]] || show_run
for what in /dev/null master none; do
	raw -P "$what" "$T_HELPER" forbidden
	is "$rc" 0 "raw client: -P $what as the job's terminal is refused, nothing runs"
	[[ $rc == 0 ]] || show_run
done
# Someone else's pty (root's here), passed as an inherited descriptor:
# the wrapper opens it as root, then becomes alice and runs the raw client.
python3 - "$(id -u $A)" "$(id -g $A)" "$(getent group symbi-agents | cut -d: -f3)" \
	"$RAW" -q -m "$mark" "$T_HELPER" forbidden -- "${ctty_job[@]}" \
	>"$T_SCRATCH/raw.out" 2>&1 <<'EOF'
import os, sys
m, s = os.openpty()
os.set_inheritable(s, True)
uid, gid, agents = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
os.setgroups([gid, agents]); os.setresgid(gid, gid, gid); os.setresuid(uid, uid, uid)
raw = sys.argv[4:]
os.execv(raw[0], [raw[0], "-P", "fd:%d" % s] + raw[1:])
EOF
rc=$?
is "$rc" 0 "raw client: a pty slave that is not the caller's is refused"
[[ $rc == 0 ]] || diag "$(cat "$T_SCRATCH/raw.out")"
# The caller's own terminal: the raw client at the tmux shell passes its
# stdin.
new_window
say "$RAW -q -m $mark -P stdin $T_HELPER forbidden -- sh -c 'touch $mark/ran'; echo \"raw-\$?\""
ok "raw client: the caller's own terminal is refused as the job's" \
	wait_screen '^raw-0$'
end_window
ok_clean "raw client"

# ---- without a terminal, and the options --------------------------------
run $A "$C" -- python3 -c 'import os; print(os.isatty(0), os.isatty(1))'
is "$rc:$out" "0:False False" "no terminal: stdio is the caller's, as before"
run $A "$C" --pty -- python3 -c 'import os; print(os.isatty(0), os.isatty(1))'
is "$rc:$(tr -d '\r' <<<"$out")" "0:True True" "--pty without a terminal: the job gets one"
run $A "$C" --pty --json -- true
is "$rc" 125 "--pty --json is refused (the output is captured)"
ok_clean "options"

done_testing

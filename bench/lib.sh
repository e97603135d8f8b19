# shellcheck shell=bash
# Root's file handling shared by bench/run.sh (through bench/setup.sh)
# and bench/ab.sh.

# shellcheck source=tests/lock.sh
. "$(dirname "${BASH_SOURCE[0]}")/../tests/lock.sh"

# disarm_rm DIR [SKIP...]: DIR removed, root's set-id files in it made
# plain first. chmod acts on the file, so a descriptor someone opened on
# one (or a hard link) no longer runs it as root once it is gone. SKIP:
# find patterns of trees the bench user writes (jobs' work directories),
# left out: a symlink swapped in there would turn root's chmod on a file
# of the host, and nothing of root's is set-id there.
disarm_rm() {
	local dir=$1 skip prune=()
	shift
	if [ -d "$dir" ] && [ ! -L "$dir" ]; then
		for skip in "$@"; do
			prune+=(-path "$skip" -prune -o)
		done
		find "$dir" -xdev "${prune[@]}" -type f -user root -perm /6000 \
			-exec chmod ug-s {} +
	fi
	rm -rf "$dir"
}

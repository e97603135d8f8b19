#!/bin/sh
# The helper's files call each other without a circle (HACKING.md): an
# edge from each object of DIR to every other one that defines a symbol
# it uses, then tsort(1), which names the files of any loop and fails.
set -eu
dir=${1:-build/helper}
for o in "$dir"/*.o; do
	f=$(basename "$o" .o)
	nm --defined-only "$o" |
		awk -v f="$f" 'NF == 3 && $2 ~ /^[TDBR]$/ { print "D", $3, f }'
	nm --undefined-only "$o" | awk -v f="$f" 'NF == 2 { print "U", $2, f }'
done | awk '
	$1 == "D" { def[$2] = $3; next }
	{ use[++n] = $2; user[n] = $3 }
	END {
		for (i = 1; i <= n; i++)
			if ((use[i] in def) && def[use[i]] != user[i])
				print user[i], def[use[i]]
	}' | sort -u | tsort >/dev/null

#!/bin/sh
# Each program's --help and its man page name the same set of flags.
# Run by make check from the build directory; $srcdir is the source tree.
status=0
flags() { grep -o -- '--[a-z][a-z-]*' | sed 's/-$//' | sort -u; }
while read -r prog page; do
	if ! help=$("./$prog" --help </dev/null); then
		echo "$prog --help failed"
		status=1
		continue
	fi
	help=$(echo "$help" | flags)
	# the man page writes flags as \-\-name
	man=$(sed 's/\\-/-/g' "$srcdir/$page" | flags)
	if [ "$help" != "$man" ]; then
		echo "$prog: --help and $page disagree:"
		echo "  --help: $(echo $help)"
		echo "  man:    $(echo $man)"
		status=1
	fi
done <<'LIST'
interop/eio-conformance-server man/eio-conformance-server.1
interop/sio-conformance-server man/sio-conformance-server.1
src/socketiod man/socketiod.8
LIST
exit $status

#!/bin/sh
# Each program's --help and its man page name the same set of flags.
# Run by make check from the build directory; $srcdir is the source tree.
status=0
flags() { grep -o -- '--[a-z][a-z-]*' | sed 's/-$//' | sort -u; }
for prog in eio-conformance-server sio-conformance-server; do
	help=$(./interop/$prog --help | flags)
	# the man page writes flags as \-\-name
	man=$(sed 's/\\-/-/g' "$srcdir/man/$prog.1" | flags)
	if [ "$help" != "$man" ]; then
		echo "$prog: --help and man/$prog.1 disagree:"
		echo "  --help: $(echo $help)"
		echo "  man:    $(echo $man)"
		status=1
	fi
done
exit $status

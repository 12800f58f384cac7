#!/bin/sh
# The integration suite, as one automake TAP test: every tests/integration/
# *.test.mjs file starts its own PostgreSQL, vardata pool and nginx (see
# harness.mjs) and talks HTTP to them.  Exits with node's status.
#
# Environment: VARDATA_SRCDIR (default: the checkout this script is in),
# VARDATA_BIN (default: $VARDATA_SRCDIR/src/vardata), NODE (default: node),
# VARDATA_KEEP=1 to keep each stack's directory and logs.
set -u

here=$(cd -- "$(dirname -- "$0")" && pwd)
VARDATA_SRCDIR=${VARDATA_SRCDIR:-$(cd -- "$here/../.." && pwd)}
VARDATA_BIN=${VARDATA_BIN:-$VARDATA_SRCDIR/src/vardata}
export VARDATA_SRCDIR VARDATA_BIN
node=${NODE:-node}

if ! command -v "$node" >/dev/null 2>&1; then
	echo "Bail out! node not found: install nodejs (18 or later)"
	exit 1
fi
major=$("$node" -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
	echo "Bail out! node $major is too old: the suite needs node 18 or later"
	exit 1
fi

# node nests every test of a file under its describe(); flatten that so
# each test is one TAP point.  The exit status stays node's.
status_file=$(mktemp)
trap 'rm -f "$status_file"' EXIT
{ "$node" --test --test-reporter=tap "$VARDATA_SRCDIR"/tests/integration/*.test.mjs; echo $? > "$status_file"; } |
	awk -f "$here/flatten-tap.awk"
exit "$(cat "$status_file")"

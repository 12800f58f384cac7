#!/bin/sh
# bench/smoke.sh: the benchmark's place in "make check", as one TAP test.
# It runs bench/run.sh --quick (tiny sizes, one-second load runs), which
# goes through every measurement end to end so that the benchmark never
# rots, and passes when the run completes.  It never judges the figures:
# tests must not depend on timing.  Without wrk or pgbench it skips.
#
# Environment: as bench/run.sh (VARDATA_BIN, VARDATA_SRCDIR, ...).
set -u

here=$(cd -- "$(dirname -- "$0")" && pwd)

skip() {
	echo "1..0 # SKIP $1"
	exit 0
}

command -v wrk >/dev/null 2>&1 || skip "wrk not installed"
command -v curl >/dev/null 2>&1 || skip "curl not installed"
ls /usr/lib/postgresql/*/bin/pgbench >/dev/null 2>&1 || skip "pgbench not installed"

echo "1..1"
out=$("$here/run.sh" --quick 2>&1)
status=$?
printf '%s\n' "$out" | sed 's/^/# /'
if [ "$status" -eq 0 ]; then
	echo "ok 1 - bench/run.sh --quick"
else
	echo "not ok 1 - bench/run.sh --quick exited with status $status"
fi

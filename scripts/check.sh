#!/usr/bin/env bash
# Builds vardata and runs its whole test suite: "make check" is the contract
# (unit tests, then integration tests against a real PostgreSQL, the real
# worker pool and a real nginx).
#
#   scripts/check.sh          build/ with --enable-werror, make check
#   scripts/check.sh --asan   also build-asan/ with --enable-asan, make check
#   scripts/check.sh --full   also make distcheck (slow)
#   scripts/check.sh --fuzz   also each libFuzzer harness for a bounded time
#                             (VARDATA_FUZZ_SECONDS each, default 15; needs clang)
#
# VARDATA_CHECK_ASAN=1 and VARDATA_CHECK_FULL=1 do the same as the flags.
# Every build is a VPATH build (build/, build-asan/), never in the source
# tree: "make distcheck" and VPATH builds both need a clean source tree.
# The last line says "N passed, N failed", counted from each build's
# test-suite.log; the exit status is non-zero when anything failed.
set -euo pipefail

readonly prog=check.sh
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
readonly root
jobs=2

passed=0
failed=0

note() {
	printf '%s: %s\n' "$prog" "$*" >&2
}

usage() {
	printf 'usage: %s [--asan] [--full] [--fuzz]\n' "$prog" >&2
	exit 2
}

# A step that failed without a test-suite.log to count (configure, the
# build, distcheck's own checks) counts as one failure.
step_failed() {
	note "FAILED: $*"
	failed=$((failed + 1))
}

# Adds the counts of BUILDDIR/test-suite.log to the totals; false when none.
count_results() {
	local log=$1/test-suite.log p f
	[[ -f $log ]] || return 1
	p=$(sed -n 's/^# PASS: *\([0-9]*\)$/\1/p' -- "$log" | head -n 1)
	f=$(awk '/^# (FAIL|XPASS|ERROR): *[0-9]+$/ { n += $3 } END { print n + 0 }' "$log")
	passed=$((passed + ${p:-0}))
	failed=$((failed + f))
	note "$(basename -- "$1"): ${p:-0} passed, $f failed"
}

# Each failed test point with its diagnostics (node's YAML block: the
# assertion and where), collected by print_failed_logs() and printed once
# more at the very end of the output, where a CI log that keeps only its
# tail still shows why.
failures=''

# The logs of the tests that did not pass (their .trs files say which).
print_failed_logs() {
	local builddir=$1 trs log
	while IFS= read -r -d '' trs; do
		if grep -Eq '^:test-result: (FAIL|XPASS|ERROR)' -- "$trs"; then
			log=${trs%.trs}.log
			printf '\n===== %s =====\n' "${log#"$builddir"/}"
			cat -- "$log" 2>/dev/null || printf '(no log)\n'
			failures+=$(printf '\n----- %s -----\n' "${log#"$root"/}")
			failures+=$'\n'
			failures+=$(awk '/^not ok / { n = 40 } n > 0 { print; n--; if ($0 ~ /^# *\.\.\.$/) n = 0 }' \
				"$log" 2>/dev/null | head -n 200)
		fi
	done < <(find "$builddir/tests" "$builddir/bench" -name '*.trs' -print0 2>/dev/null)
}

# configure, make, make check in one build directory.
build_and_check() {
	local name=$1
	shift
	local builddir=$root/$name
	note "$name: configure $*"
	mkdir -p -- "$builddir"
	rm -f -- "$builddir/test-suite.log"
	# No results of an earlier run may be taken for this one's.
	if [[ -d $builddir/tests || -d $builddir/bench ]]; then
		find "$builddir/tests" "$builddir/bench" \( -name '*.trs' -o -name '*.log' \) -type f -delete 2>/dev/null || true
	fi
	if ! (cd -- "$builddir" && "$root/configure" --quiet "$@"); then
		step_failed "$name: configure (see $name/config.log)"
		return 1
	fi
	note "$name: make"
	if ! make -C "$builddir" -s -j"$jobs"; then
		step_failed "$name: make"
		return 1
	fi
	note "$name: make check"
	if make -C "$builddir" -s -j"$jobs" check; then
		count_results "$builddir" || step_failed "$name: no test-suite.log"
		return 0
	fi
	print_failed_logs "$builddir"
	local before=$failed
	count_results "$builddir" || true
	# make check failed, so something must count as failed.
	((failed > before)) || step_failed "$name: make check"
	return 1
}

# Every fuzz harness for a bounded time: a crash or a sanitizer report fails.
fuzz() {
	local seconds=${VARDATA_FUZZ_SECONDS:-15}
	note "build: make fuzz FUZZ_SECONDS=$seconds"
	if make -C "$root/build" -s fuzz FUZZ_SECONDS="$seconds"; then
		passed=$((passed + 1))
	else
		step_failed "make fuzz"
	fi
}

distcheck() {
	note "build: make distcheck"
	if ! make -C "$root/build" -s -j"$jobs" distcheck; then
		# A failing distcheck keeps its tree; show the logs of its tests.
		local sub
		sub=$(find "$root/build" -maxdepth 4 -path '*/_build/sub' -type d 2>/dev/null | head -n 1)
		[[ -n $sub ]] && print_failed_logs "$sub"
		step_failed "make distcheck"
	fi
}

main() {
	local asan=${VARDATA_CHECK_ASAN:-0} full=${VARDATA_CHECK_FULL:-0} fuzzing=${VARDATA_CHECK_FUZZ:-0}
	local arg ok=true
	for arg in "$@"; do
		case $arg in
		--asan) asan=1 ;;
		--full) full=1 ;;
		--fuzz) fuzzing=1 ;;
		*) usage ;;
		esac
	done
	cd -- "$root"

	if [[ -f $root/config.status ]]; then
		note "the source tree is configured in place; run 'make distclean' in $root first"
		note "(check.sh builds out of tree, in build/ and build-asan/)"
		step_failed "source tree not clean"
		finish
	fi

	if ! "$root/scripts/deps.sh"; then
		step_failed "installing the dependencies (scripts/deps.sh)"
		finish
	fi
	note "autoreconf"
	if ! autoreconf -fi; then
		step_failed "autoreconf"
		finish
	fi

	build_and_check build --enable-werror || ok=false
	if [[ $asan == 1 ]]; then
		build_and_check build-asan --enable-asan || ok=false
	fi
	if [[ $fuzzing == 1 ]]; then
		fuzz
	fi
	if [[ $full == 1 ]]; then
		if $ok; then
			distcheck
		else
			note "make distcheck skipped: the builds above failed"
		fi
	fi

	finish
}

finish() {
	if [[ -n $failures ]]; then
		printf '\n===== what failed =====%s\n\n' "$failures"
	fi
	printf '%d passed, %d failed\n' "$passed" "$failed"
	((failed == 0)) || exit 1
	exit 0
}

main "$@"

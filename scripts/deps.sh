#!/usr/bin/env bash
# Installs the Debian packages that vardata needs to build, test and run,
# and only those that are missing.
#
#   scripts/deps.sh            everything, the fuzzing toolchain and Apache
#                              (for tests/integration/apache.test.mjs) included
#   scripts/deps.sh --minimal  what the quick start runs on: without clang
#                              and its fuzzing runtime, Apache, and the tools
#                              only the tests and the benchmark use (wrk,
#                              pgbouncer, spawn-fcgi, openssl, strace)
#
# Installing "postgresql" and "nginx-light" may start a system cluster and a
# system nginx; vardata's scripts run private ones and never touch those.
# For Apache only "apache2-bin" is installed: the server and its modules,
# without the system service that the "apache2" package would start.
set -euo pipefail

readonly prog=deps.sh

packages=(
	build-essential autoconf automake pkg-config
	libpq-dev libjson-c-dev libfcgi-dev libseccomp-dev
	postgresql postgresql-client nginx-light curl acl
)
fuzz_packages=(clang libclang-rt-14-dev)
# Only tests and the benchmark need them: openssl makes a TLS certificate
# (seccomp.test.mjs), strace holds vardata right after one system call
# (security.test.mjs), spawn-fcgi hands the pool its socket on fd 0
# (security.test.mjs), pgbouncer stands between the pools and the database
# (instances.test.mjs), and wrk loads the pool (bench/).
# pgbouncer's package also starts a system pgbouncer, which the quick start
# has no use for.
test_tools=(openssl strace spawn-fcgi pgbouncer wrk)
# Only the Apache test needs it (mod_proxy_fcgi is part of it).
apache_packages=(apache2-bin)

usage() {
	printf 'usage: %s [--minimal]\n' "$prog" >&2
	exit 2
}

minimal=false
for arg in "$@"; do
	case $arg in
	--minimal) minimal=true ;;
	*) usage ;;
	esac
done

$minimal || packages+=("${fuzz_packages[@]}" "${apache_packages[@]}" "${test_tools[@]}")

# Node.js may come from elsewhere than Debian (a newer release, say); any
# working node and npm will do for the integration tests.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	packages+=(nodejs npm)
fi

installed() {
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

missing=()
for p in "${packages[@]}"; do
	installed "$p" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

printf '%s: missing Debian packages: %s\n' "$prog" "${missing[*]}" >&2
if [[ $(id -u) -eq 0 ]]; then
	sudo=()
elif command -v sudo >/dev/null 2>&1; then
	sudo=(sudo)
else
	printf '%s: not root and no sudo: as root, run\n  apt-get install %s\n' "$prog" "${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends "${missing[@]}"

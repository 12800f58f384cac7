#!/usr/bin/env bash
# The quick start: installs what is missing, builds vardata, and runs it with
# demo data behind nginx, everything private to ./run in the project folder:
#
#   a PostgreSQL cluster     run/pgdata, socket in run/, log run/postgres.log
#   the vardata worker pool  socket run/vardata.sock, log run/vardata.log
#   nginx                    run/nginx/, listening on 127.0.0.1:8080
#
#   scripts/quickstart.sh           start, print examples, stop all on Ctrl-C
#   scripts/quickstart.sh --detach  start, print examples, return
#   scripts/quickstart.sh stop      stop what a detached run started
#
# Environment: VARDATA_PORT (nginx's port on 127.0.0.1; default 8080).
# Nothing here touches a system PostgreSQL or nginx.
set -euo pipefail

readonly prog=quickstart.sh
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
readonly root
readonly run=$root/run
readonly port=${VARDATA_PORT:-8080}
readonly base=http://127.0.0.1:$port/engine-rest
readonly ready_timeout=30

die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 1
}

note() {
	printf '%s: %s\n' "$prog" "$*" >&2
}

usage() {
	printf 'usage: %s [--detach | stop]\n' "$prog" >&2
	exit 2
}

is_root() {
	[[ $(id -u) -eq 0 ]]
}

# As root, lets USER pass through every ancestor of DIR (nginx's workers run
# as www-data and must reach the vardata socket in run/).
grant_search() {
	local user=$1 a=$2
	is_root || return 0
	local -a ancestors=()
	while [[ $a != / ]]; do
		a=$(dirname -- "$a")
		ancestors=("$a" "${ancestors[@]}")
	done
	for a in "${ancestors[@]}"; do
		if ! runuser -u "$user" -- test -x "$a"; then
			setfacl -m "u:$user:x" -- "$a"
			note "granted search permission on $a to user $user only (setfacl -m u:$user:x)"
		fi
	done
}

# A sed replacement string: the delimiter |, & and \ escaped.
sed_repl() {
	printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'
}

build() {
	local builddir
	note "building"
	if [[ -f $root/config.status ]]; then
		# Configured in the source tree by hand: build there.
		builddir=$root
	else
		builddir=$root/build
		[[ -x $root/configure ]] || (cd -- "$root" && autoreconf -fi)
		mkdir -p -- "$builddir"
		if [[ ! -f $builddir/Makefile ]]; then
			(cd -- "$builddir" && "$root/configure" --quiet) || die "configure failed"
		fi
	fi
	make -C "$builddir" -s -j"$(nproc)" || die "build failed"
	bin=$builddir/src/vardata
	[[ -x $bin ]] || die "no binary at $bin after the build"
}

# The pid of the vardata pool that a run started, if it is still running:
# a vardata listening on this run's socket, not any process that got the
# pid since.
vardata_pid() {
	local pid
	[[ -f $run/vardata.pid ]] || return 0
	pid=$(<"$run/vardata.pid")
	if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
		[[ $(cat "/proc/$pid/comm" 2>/dev/null) == vardata ]] &&
		tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "unix:$run/vardata.sock"; then
		printf '%s\n' "$pid"
	fi
}

stop_vardata() {
	local pid deadline
	pid=$(vardata_pid)
	rm -f -- "$run/vardata.pid"
	[[ -n $pid ]] || return 0
	note "stopping vardata (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || return 0
	# vardata gives its workers --shutdown-timeout (30 s) to finish.
	deadline=$((SECONDS + 40))
	while kill -0 "$pid" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			note "vardata did not stop: killing it"
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
}

stop_all() {
	"$root/scripts/nginxctl" stop "$run/nginx" || true
	stop_vardata
	"$root/scripts/pgctl" stop "$run" || true
}

start_db() {
	note "starting PostgreSQL in $run"
	"$root/scripts/pgctl" start "$run" >/dev/null
	"$root/scripts/pgctl" psql "$run" <"$root/sql/schema.sql"
	"$root/scripts/pgctl" psql "$run" <"$root/sql/demo.sql"
}

start_vardata() {
	local -a args
	stop_vardata
	rm -f -- "$run/vardata.sock"
	args=(--db "$(<"$run/conninfo")" --listen "unix:$run/vardata.sock"
		--socket-mode 0666 --workers 2)
	if is_root; then
		args+=(--user "$("$root/scripts/pgctl" user)")
	fi
	note "starting vardata (log: run/vardata.log)"
	# A session of its own: neither a Ctrl-C in this terminal nor its
	# closing reaches the pool directly; this script stops it.
	setsid "$bin" "${args[@]}" </dev/null >>"$run/vardata.log" 2>&1 &
	printf '%s\n' "$!" >"$run/vardata.pid"
}

start_nginx() {
	local conf=$run/nginx/vardata.conf
	note "starting nginx on 127.0.0.1:$port (logs: run/nginx/)"
	grant_search www-data "$run"
	mkdir -p -- "$run/nginx"
	sed -e "s|127\.0\.0\.1:8080|$(sed_repl "127.0.0.1:$port")|g" \
		-e "s|/run/vardata/vardata\.sock|$(sed_repl "$run/vardata.sock")|g" \
		-- "$root/nginx/vardata.conf" >"$conf"
	"$root/scripts/nginxctl" start "$run/nginx" "$conf" >/dev/null ||
		die "nginx did not start (is port $port taken? set VARDATA_PORT)"
}

# Ready when a request through nginx reaches a vardata worker that can ask the
# database: an unknown variable instance is then a 404 from vardata (nginx
# answers 503 while the pool is not there).
wait_ready() {
	local deadline code
	deadline=$((SECONDS + ready_timeout))
	while :; do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
			"$base/variable-instance/none/data" || true)
		[[ $code == 404 ]] && return 0
		if [[ -z $(vardata_pid) ]]; then
			tail -n 20 -- "$run/vardata.log" >&2 || true
			die "vardata exited (log: run/vardata.log)"
		fi
		if ((SECONDS >= deadline)); then
			tail -n 20 -- "$run/vardata.log" >&2 || true
			die "no answer from vardata through nginx after ${ready_timeout}s (last status: $code)"
		fi
		sleep 0.2
	done
}

examples() {
	cat <<EOF

vardata is serving the demo data at $base

  # A Bytes variable of process instance demo-pi, read through its user task:
  curl -sS $base/task/demo-task/variables/invoice/data

  # A File variable (note Content-Type and Content-Disposition):
  curl -sS -i $base/task/demo-task/localVariables/notes/data
  curl -sS -D - -o contract.pdf $base/process-instance/demo-pi/variables/contract/data

  # Upload a file as a task-local File variable, then read it back:
  curl -sS -i -F 'data=@README.md;type=text/markdown' -F valueType=File \\
      $base/task/demo-task/localVariables/readme/data
  curl -sS -i $base/task/demo-task/localVariables/readme/data

  # Upload bytes to the process instance:
  printf 'hello' | curl -sS -i -F 'data=@-' -F valueType=Bytes \\
      $base/process-instance/demo-pi/variables/greeting/data
  curl -sS $base/process-instance/demo-pi/variables/greeting/data

  # A case execution, a variable by id, and a non-binary variable (400):
  curl -sS $base/case-execution/demo-ce/variables/evidence/data | od -An -tx1
  curl -sS $base/variable-instance/demo-var-invoice/data
  curl -sS $base/process-instance/demo-pi/variables/status/data

  Logs: run/vardata.log, run/postgres.log, run/nginx/nginx-error.log, run/nginx/nginx-access.log
  SQL:  scripts/pgctl psql run
EOF
}

# Until the start has gone through, a failure or an interrupt stops whatever
# was started already.
on_exit() {
	local rc=$?
	# Stop everything even when the terminal or a pipe reading our output is
	# gone already (Ctrl-C on "quickstart.sh | tee log" ends tee too), and
	# let no second signal cut the stopping short.
	trap '' PIPE INT TERM HUP
	set +e
	if [[ $state == starting ]]; then
		note "start failed: stopping what was started"
		stop_all
	elif [[ $state == serving ]]; then
		stop_all
		note "stopped"
	fi
	exit "$rc"
}

on_signal() {
	printf '\n' >&2
	note "stopping"
	# on_exit (through exit) does the stopping.
	[[ $state == serving ]] && exit 0
	exit 130
}

main() {
	local mode=foreground pid
	case ${1:-} in
	"") ;;
	--detach) mode=detach ;;
	stop)
		stop_all
		return
		;;
	*) usage ;;
	esac
	(($# <= 1)) || usage
	if [[ ! $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
		die "VARDATA_PORT must be a port number"
	fi

	"$root/scripts/deps.sh" --minimal
	build

	state=starting
	trap on_exit EXIT
	trap on_signal INT TERM HUP
	start_db
	start_vardata
	start_nginx
	wait_ready
	examples

	if [[ $mode == detach ]]; then
		state=detached
		printf '\n  Stop it with: scripts/quickstart.sh stop\n'
		return
	fi
	state=serving
	printf '\n  Press Ctrl-C to stop.\n'
	while pid=$(vardata_pid) && [[ -n $pid ]]; do
		# Waiting on a short background sleep lets the traps run at once.
		sleep 1 &
		wait "$!" || true
	done
	note "vardata exited (log: run/vardata.log)"
	exit 1
}

state=idle
bin=
main "$@"

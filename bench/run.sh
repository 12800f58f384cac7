#!/usr/bin/env bash
# bench/run.sh: vardata's benchmark.  It starts its own PostgreSQL, vardata
# pool, reference FastCGI pool and nginx in a temporary directory (as the
# integration tests do), loads fixtures, measures, prints one table, saves
# it under bench/results/ and tears everything down.  bench/README.md says
# what each figure means and why its reference is the right one.
#
#   bench/run.sh            the full run (about five minutes on two cores)
#   bench/run.sh --quick    a smoke run with tiny sizes (make check runs it)
#
# Every figure is a ratio against references measured in the same run on
# the same machine.  The run is a report, not a test: it exits 0 whether
# the goals are met or not, and 1 only when something broke (a server did
# not start, a response was wrong, a tool failed).
#
# Environment: VARDATA_BIN (the vardata binary; default src/vardata of the
# checkout), VARDATA_SRCDIR (the checkout; default the parent of bench/),
# CC (compiler for bench/fcgi_ref.c; default cc), TMPDIR.
set -euo pipefail
export LC_ALL=C

readonly prog=bench
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
srcdir=${VARDATA_SRCDIR:-$(cd -- "$here/.." && pwd)}
readonly here srcdir
readonly pgctl=$srcdir/scripts/pgctl nginxctl=$srcdir/scripts/nginxctl

# Goals of issue 5, and the worker memory bound it sets for large values.
readonly GOAL_GET=0.85 GOAL_POST=0.80 GOAL_BIG_GET=0.70 GOAL_BIG_POST=0.70
readonly RSS_LIMIT_MIB=32

# Settings; parse_args and the mode fill in what is left empty.
quick=false
keep=false
duration=
warmup=
reps=
rounds=
big_mib=
workers=
connections=16
results_dir=
bin=${VARDATA_BIN:-}
readonly sweep_workers=(1 2 4 8) latency_connections=(1 16 64)
# The write benchmark goes round this many tasks (bench/post.lua,
# sql/write.sql), and at least one per worker: each pgbench client of
# sql/write.sql writes to tasks of its own.
write_tasks=64
# Other process instances around the benchmark's own (sql/fixtures.sql).
readonly filler=5000
# Measurement 3's URL, under the vardata server block.
readonly big_path=/engine-rest/task/bench-task/variables/big/data
# The row id under which measurement 4's reference loads the large value.
readonly copy_id=bench-copy

# State for the cleanup trap.
tmp=
vd_pid=
ref_pid=
pg_started=false
nginx_started=false

declare -A R=()		# every measured figure, by name
table=()		# the report, line by line
notes=()		# remarks printed under the table

note() {
	printf '%s: %s\n' "$prog" "$*" >&2
}

die() {
	printf '%s: error: %s\n' "$prog" "$*" >&2
	exit 1
}

usage() {
	cat >&2 <<-EOF
	usage: bench/run.sh [--quick] [options]
	  --quick            smoke run: tiny sizes, 1 s per load run, nothing saved
	  --duration S       seconds per load run (default 5; quick 1)
	  --warmup S         seconds of warm-up before each load run (default 1; quick 0)
	  --rounds N         interleaved rounds of every load run, best kept (default 2; quick 1)
	  --reps N           repetitions of each large transfer, best kept (default 5; quick 1)
	  --big-mib N        size of the large value in MiB (default 256; quick 3)
	  --workers N        pool size of vardata and of the reference (default: cores)
	  --connections N    wrk connections for measurements 1 and 2 (default 16)
	  --bin PATH         the vardata binary (default \$VARDATA_BIN, else src/vardata)
	  --results DIR      where the table is saved (default bench/results)
	  --keep             keep the temporary directory (logs, cluster)
	EOF
	exit 2
}

want_number() {
	[[ $2 =~ ^[0-9]+$ ]] && (($2 >= $3)) || die "$1 wants a whole number of at least $3, not \"$2\""
}

parse_args() {
	while (($# > 0)); do
		case $1 in
		--quick) quick=true ;;
		--keep) keep=true ;;
		--duration) want_number "$1" "${2-}" 1; duration=$2; shift ;;
		--warmup) want_number "$1" "${2-}" 0; warmup=$2; shift ;;
		--reps) want_number "$1" "${2-}" 1; reps=$2; shift ;;
		--rounds) want_number "$1" "${2-}" 1; rounds=$2; shift ;;
		--big-mib) want_number "$1" "${2-}" 1; big_mib=$2; shift ;;
		--workers) want_number "$1" "${2-}" 1; workers=$2; shift ;;
		--connections) want_number "$1" "${2-}" 1; connections=$2; shift ;;
		--bin) [[ -n ${2-} ]] || usage; bin=$2; shift ;;
		--results) [[ -n ${2-} ]] || usage; results_dir=$2; shift ;;
		-h | --help) usage ;;
		*) note "unknown argument: $1"; usage ;;
		esac
		shift
	done
	cores=$(nproc)
	if $quick; then
		: "${duration:=1}" "${warmup:=0}" "${reps:=1}" "${rounds:=1}" "${big_mib:=3}"
	else
		: "${duration:=5}" "${warmup:=1}" "${reps:=5}" "${rounds:=2}" "${big_mib:=256}"
		: "${results_dir:=$here/results}"
	fi
	: "${workers:=$cores}"
	((write_tasks >= workers)) || write_tasks=$workers
	: "${bin:=$srcdir/src/vardata}"
	big_size=$((big_mib * 1024 * 1024))
}

# ---- tools ----

pg_bindir() {
	local d
	d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
	[[ -n $d && -x $d/pgbench && -x $d/psql ]] ||
		die "pgbench and psql not found under /usr/lib/postgresql: install postgresql and postgresql-contrib"
	printf '%s\n' "$d"
}

check_tools() {
	local t
	for t in wrk curl md5sum od; do
		command -v "$t" >/dev/null || die "$t not found: install it"
	done
	[[ -x $bin ]] || die "vardata binary not found: $bin (build it, or set VARDATA_BIN or --bin)"
	[[ -x $pgctl && -x $nginxctl ]] || die "scripts/pgctl and scripts/nginxctl not found in $srcdir"
	pgbin=$(pg_bindir)
}

build_ref() {
	local cc=${CC:-cc}
	"$cc" -O2 -Wall -Wextra -o "$tmp/fcgi_ref" "$here/fcgi_ref.c" -lfcgi 2>"$tmp/fcgi_ref.build.log" || {
		cat -- "$tmp/fcgi_ref.build.log" >&2
		die "cannot build bench/fcgi_ref.c with $cc (libfcgi-dev installed?)"
	}
}

# ---- the temporary directory and its servers ----

setup_dirs() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/vd-bench-XXXXXX")
	# pgctl, nginx's workers and the pools' users must all pass through it.
	chmod 0755 -- "$tmp"
	pgdir=$tmp/pg
	ngdir=$tmp/nginx
	rundir=$tmp/run
	mkdir -p -- "$rundir"
}

cleanup() {
	local status=$?
	set +e
	trap - EXIT INT TERM
	[[ -n $vd_pid ]] && stop_pid "$vd_pid"
	[[ -n $ref_pid ]] && stop_pid "$ref_pid"
	$nginx_started && "$nginxctl" stop "$ngdir" >/dev/null 2>&1
	$pg_started && "$pgctl" stop "$pgdir" >/dev/null 2>&1
	if ((status != 0)) && [[ -n $tmp ]]; then
		dump_logs
	fi
	if [[ -n $tmp ]]; then
		if $keep || ((status != 0 && ${BENCH_KEEP_ON_FAILURE:-0} == 1)); then
			note "kept $tmp"
		else
			rm -rf -- "$tmp"
		fi
	fi
	exit "$status"
}

dump_logs() {
	local f
	for f in "$rundir/vardata.log" "$rundir/ref.log" "$ngdir/nginx-error.log" "$pgdir/postgres.log" \
		"$tmp/wrk.log" "$tmp/pgbench.log"; do
		[[ -s $f ]] || continue
		printf '%s: ---- last lines of %s\n' "$prog" "${f#"$tmp"/}" >&2
		tail -n 25 -- "$f" >&2
	done
}

# Sends SIGTERM to a process this script started and waits for it to exit.
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		note "process $pid ignored SIGTERM for 30 s: killing it"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null || true
}

start_pg() {
	"$pgctl" start "$pgdir" >"$tmp/pgctl.log" 2>&1 || {
		cat -- "$tmp/pgctl.log" >&2
		die "PostgreSQL did not start"
	}
	pg_started=true
	conninfo=$(<"$pgdir/conninfo")
	pgport=$(<"$pgdir/port")
	pguser=$("$pgctl" user)
	# Root runs the pools as the cluster's unprivileged user, as the tests do.
	run_as=()
	if (($(id -u) == 0)); then
		run_as=(--user "$pguser")
		chown -- "$pguser:" "$rundir"
	fi
}

# psql and pgbench straight to the cluster (trust authentication on its
# socket), so that no user switch is inside a timed command.
pg_psql() {
	"$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h "$pgdir" -p "$pgport" -U "$pguser" -d vardata "$@"
}

pg_value() {
	pg_psql -At -c "$1"
}

# The children of a pool's supervisor: its workers.
children_of() {
	local f=/proc/$1/task/$1/children
	if [[ -r $f ]]; then
		{ tr ' ' '\n' <"$f"; } 2>/dev/null | grep -E '^[0-9]+$' || true
	else
		ps -o pid= --ppid "$1" | tr -d ' ' || true
	fi
}

wait_workers() {
	local pid=$1 n=$2 what=$3 deadline=$((SECONDS + 30))
	until (($(children_of "$pid" | wc -l) == n)); do
		kill -0 "$pid" 2>/dev/null || die "$what exited during start"
		((SECONDS < deadline)) || die "$what did not start $n workers within 30 s"
		sleep 0.05
	done
}

# Polls a URL until it answers with the expected status.
wait_http() {
	local url=$1 want=$2 what=$3 deadline=$((SECONDS + 30)) got
	while :; do
		got=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url" || true)
		[[ $got == "$want" ]] && return 0
		((SECONDS < deadline)) || die "$what does not answer $want at $url (last: $got)"
		sleep 0.05
	done
}

start_vardata() {
	local n=$1
	"$bin" --db "$conninfo" --listen "unix:$rundir/vardata.sock" --socket-mode 0666 \
		--workers "$n" --seccomp "${run_as[@]}" >>"$rundir/vardata.log" 2>&1 &
	vd_pid=$!
	wait_workers "$vd_pid" "$n" vardata
	vd_workers=$n
}

start_ref() {
	local n=$1
	"$tmp/fcgi_ref" --listen "$rundir/ref.sock" --workers "$n" --body "$tmp/small.bin" \
		--socket-mode 0666 "${run_as[@]}" >>"$rundir/ref.log" 2>&1 &
	ref_pid=$!
	wait_workers "$ref_pid" "$n" fcgi_ref
	ref_workers=$n
}

# A fresh pool of n workers (a fresh pool also resets the workers' VmHWM).
pools() {
	local n=$1
	if [[ -z $vd_pid || ${2-} == fresh || $vd_workers != "$n" ]]; then
		[[ -n $vd_pid ]] && stop_pid "$vd_pid"
		vd_pid=
		start_vardata "$n"
	fi
	if [[ -z $ref_pid || $ref_workers != "$n" ]]; then
		[[ -n $ref_pid ]] && stop_pid "$ref_pid"
		ref_pid=
		start_ref "$n"
	fi
	if $nginx_started; then
		wait_http "$vd_url/engine-rest/variable-instance/none/data" 404 vardata
		wait_http "$ref_url/engine-rest/ready" 200 fcgi_ref
	fi
}

free_port() {
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + RANDOM % 40000))
		[[ $p == "${1-}" ]] && continue
		# Nothing answers a connect: nobody listens there.
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			printf '%s\n' "$p"
			return
		fi
	done
	die "found no free port on 127.0.0.1"
}

# One nginx, two copies of the production server block: one in front of
# vardata, one in front of the reference responder.  Only the listen port
# and the socket path differ.
start_nginx() {
	local conf=$srcdir/nginx/vardata.conf vd_port ref_port attempt
	grep -q '127\.0\.0\.1:8080' "$conf" && grep -q '/run/vardata/vardata\.sock' "$conf" ||
		die "nginx/vardata.conf no longer contains 127.0.0.1:8080 and /run/vardata/vardata.sock"
	mkdir -p -- "$ngdir"
	# A port found free can be taken by another process before nginx binds
	# it: then try other ports.
	for ((attempt = 1; ; attempt++)); do
		vd_port=$(free_port)
		ref_port=$(free_port "$vd_port")
		{
			sed -e "s|127\.0\.0\.1:8080|127.0.0.1:$vd_port|" \
				-e "s|/run/vardata/vardata\.sock|$rundir/vardata.sock|" "$conf"
			sed -e "s|127\.0\.0\.1:8080|127.0.0.1:$ref_port|" \
				-e "s|/run/vardata/vardata\.sock|$rundir/ref.sock|" "$conf"
		} >"$ngdir/server.conf"
		"$nginxctl" start "$ngdir" "$ngdir/server.conf" >"$tmp/nginxctl.log" 2>&1 && break
		if ((attempt < 3)) && grep -qs 'Address already in use' "$ngdir/nginx-error.log"; then
			note "a port was taken before nginx could bind it: trying others"
			continue
		fi
		cat -- "$tmp/nginxctl.log" >&2
		die "nginx did not start"
	done
	nginx_started=true
	vd_url=http://127.0.0.1:$vd_port
	ref_url=http://127.0.0.1:$ref_port
}

# ---- values and fixtures ----

hex_of() {
	od -An -v -tx1 -- "$1" | tr -d ' \n'
}

# Big-endian 16- and 32-bit integers, as binary COPY wants them.
be16() {
	local n=$1
	# shellcheck disable=SC2059 # the format is the byte escapes built here
	printf "$(printf '\\%03o' $(((n >> 8) & 255)) $((n & 255)))"
}

be32() {
	local n=$1
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o' $(((n >> 24) & 255)) $(((n >> 16) & 255)) $(((n >> 8) & 255)) $((n & 255)))"
}

# The COPY BINARY input of the reference of measurement 4: the row of
# ACT_GE_BYTEARRAY (id_, rev_, type_, name_, bytes_) that a File upload
# makes, with the columns vardata's own COPY fills (src/store.c, copy_head).
# Layout: PostgreSQL documentation, COPY, "Binary Format".
write_copy_file() {
	local id=$copy_id name=big
	{
		printf 'PGCOPY\n\377\r\n\0'	# signature
		be32 0				# flags
		be32 0				# header extension length
		be16 5				# fields in the tuple
		be32 ${#id}
		printf '%s' "$id"
		be32 4				# rev_ = 1
		be32 1
		be32 4				# type_ = 2
		be32 2
		be32 ${#name}
		printf '%s' "$name"
		be32 "$big_size"
		cat -- "$tmp/big.bin"
		be16 65535			# trailer: -1
	} >"$tmp/big.copy"
}

make_values() {
	head -c 1024 /dev/urandom >"$tmp/small.bin"
	head -c 1024 /dev/urandom >"$tmp/small2.bin"
	head -c "$big_size" /dev/urandom >"$tmp/big.bin"
	big_md5=$(md5sum <"$tmp/big.bin" | cut -d' ' -f1)
	write_copy_file
}

load_fixtures() {
	pg_psql -f "$srcdir/sql/schema.sql" >/dev/null
	pg_psql -v small="\\x$(hex_of "$tmp/small.bin")" -v write_tasks="$write_tasks" \
		-v filler="$filler" -f "$here/sql/fixtures.sql" >/dev/null
}

# Every path answers what it should before anything is timed.
verify_small() {
	local url=$vd_url/engine-rest/task/bench-task/variables/small/data
	local purl=$vd_url/engine-rest/task/bench-wtask-1/localVariables/upload/data
	curl -sS -f -o "$tmp/check.bin" "$url" || die "GET $url failed"
	cmp -s "$tmp/check.bin" "$tmp/small.bin" || die "GET $url returned other bytes than stored"
	curl -sS -f -o "$tmp/check.bin" "$ref_url${url#"$vd_url"}" || die "GET from fcgi_ref failed"
	cmp -s "$tmp/check.bin" "$tmp/small.bin" || die "fcgi_ref returned other bytes than the value"
	[[ $(post_small "$purl" "$tmp/small2.bin") == 204 ]] || die "POST $purl did not answer 204"
	[[ $(pg_value "select encode(b.bytes_, 'hex') from act_ru_variable v join act_ge_bytearray b
		on b.id_ = v.bytearray_id_ where v.var_scope_ = 'bench-wtask-1' and v.name_ = 'upload'") == \
		"$(hex_of "$tmp/small2.bin")" ]] || die "POST $purl did not store the bytes sent"
	[[ $(post_small "$ref_url${purl#"$vd_url"}" "$tmp/small2.bin") == 204 ]] ||
		die "POST to fcgi_ref did not answer 204"
}

# POSTs a file as a Bytes value, as clients do; prints the status.
post_small() {
	curl -sS -o /dev/null -w '%{http_code}' -F "data=@$2;filename=value.bin;type=application/octet-stream" \
		-F valueType=Bytes "$1"
}

# ---- load generators ----

# Latency as wrk prints it ("512.00us", "2.03ms", "1.20s") in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
		else if (u != "ms") exit 1
		printf "%.3f", n }'
}

is_number() {
	[[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]
}

# True when a new rate beats the one kept under KEY (or none is kept yet).
# Other processes on the machine can only slow a run down, so of several
# rounds the fastest is the closest to what the machine can do.
beats() {
	[[ -z ${R[$1]-} ]] || awk -v n="$2" -v o="${R[$1]}" 'BEGIN { exit !(n > o) }'
}

# wrk_run KEY CONNECTIONS URL [LUA_SCRIPT LUA_ARGS...]: one load run after a
# warm-up; keeps in R[KEY.rps], R[KEY.p50], R[KEY.p99] (ms) the figures of
# the fastest run so far under that key.
wrk_run() {
	local key=$1 conns=$2 url=$3 threads out bad p50 p99 rps
	shift 3
	threads=$((conns < cores ? conns : cores))
	local -a cmd=(wrk -t "$threads" -c "$conns" --timeout 30s --latency)
	local -a tail=("$url")
	if (($# > 0)); then
		cmd+=(-s "$1")
		shift
		tail+=(-- "$@" "$threads")
	fi
	if ((warmup > 0)); then
		"${cmd[@]}" -d "${warmup}s" "${tail[@]}" >/dev/null 2>&1 || die "wrk warm-up failed on $url"
	fi
	out=$("${cmd[@]}" -d "${duration}s" "${tail[@]}" 2>&1) || {
		printf '%s\n' "$out" >&2
		die "wrk failed on $url"
	}
	printf '==== %s: %s\n%s\n' "$key" "${cmd[*]} -d ${duration}s ${tail[*]}" "$out" >>"$tmp/wrk.log"
	rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
	p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
	bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
	if [[ -n $bad && $bad != 0 ]]; then
		printf '%s\n' "$out" >&2
		die "$bad answers to $url were not 2xx (see the logs below)"
	fi
	is_number "$rps" && [[ -n $p50 && -n $p99 ]] || {
		printf '%s\n' "$out" >&2
		die "cannot read wrk's output"
	}
	p50=$(to_ms "$p50") && p99=$(to_ms "$p99") || die "cannot read wrk latency $p50 $p99"
	if grep -q 'Socket errors' <<<"$out"; then
		notes+=("$key: wrk reported $(grep 'Socket errors' <<<"$out" | sed 's/^ *//')")
	fi
	note "$key: $(printf '%.0f' "$rps") req/s, p50 $p50 ms, p99 $p99 ms"
	if beats "$key.rps" "$rps"; then
		R[$key.rps]=$rps R[$key.p50]=$p50 R[$key.p99]=$p99
	fi
}

# pgbench_run KEY CLIENTS SCRIPT [pgbench -D options...]: keeps the best
# R[KEY.tps] and its R[KEY.lat] (ms, average).
pgbench_run() {
	local key=$1 clients=$2 script=$3 threads out failed tps lat
	shift 3
	threads=$((clients < cores ? clients : cores))
	local -a cmd=("$pgbin/pgbench" -n -M prepared -h "$pgdir" -p "$pgport" -U "$pguser"
		-c "$clients" -j "$threads" -f "$script" "$@")
	if ((warmup > 0)); then
		"${cmd[@]}" -T "$warmup" vardata >/dev/null 2>&1 || die "pgbench warm-up failed with $script"
	fi
	out=$("${cmd[@]}" -T "$duration" vardata 2>&1) || {
		printf '%s\n' "$out" >&2
		die "pgbench failed with $script"
	}
	printf '==== %s\n%s\n' "$key" "$out" >>"$tmp/pgbench.log"
	failed=$(awk '/^number of failed transactions:/ { print $5 }' <<<"$out")
	[[ -z $failed || $failed == 0 ]] || die "pgbench: $failed transactions failed with $script"
	tps=$(awk '/^tps = / { print $3; exit }' <<<"$out")
	lat=$(awk '/^latency average = / { print $4 }' <<<"$out")
	is_number "$tps" || {
		printf '%s\n' "$out" >&2
		die "cannot read pgbench's output"
	}
	note "$key: $(printf '%.0f' "$tps") tps, latency $lat ms"
	if beats "$key.tps" "$tps"; then
		R[$key.tps]=$tps R[$key.lat]=$lat
	fi
}

vacuum() {
	pg_psql -c 'vacuum act_ru_variable' -c 'vacuum act_ge_bytearray' -c 'vacuum act_ru_task' >/dev/null
}

calc() {
	awk "BEGIN { printf \"%.6f\", $1 }"
}

# The limit of a request whose two unavoidable costs share the machine.
limit_of() {
	calc "1 / (1 / $1 + 1 / $2)"
}

# The shortest of the times in a file, one per repetition (the best of
# them).  Anything but $reps positive numbers there is the benchmark's own
# bug, and no figure may come from it.
fastest() {
	awk -v want="$reps" -v f="$1" '
		$0 !~ /^[0-9]+(\.[0-9]+)?$/ || $0 + 0 <= 0 { bad = 1 }
		NR == 1 || $0 + 0 < best { best = $0 + 0 }
		END {
			if (bad || NR != want) { printf "%s: not %d times\n", f, want > "/dev/stderr"; exit 1 }
			printf "%.6f", best
		}' "$1" || die "no figure from $1"
}

# R[KEY.s], the fastest of the times in FILE, and R[KEY.mbs], the large
# value's MB/s at that time.
transfer_rate() {
	R[$1.s]=$(fastest "$2")
	R[$1.mbs]=$(calc "$big_size / ${R[$1.s]} / 1e6")
}

# KEY's rate (transfer_rate) and every time in FILE, in the order taken,
# for the log: the best alone hides how much the transfers of one run differ.
rate_and_times() {
	local t times=
	while read -r t; do
		times+="${times:+ }$(printf '%.2f' "$t")"
	done <"$2"
	printf '%.1f MB/s (times %s s)\n' "${R[$1.mbs]}" "$times"
}

# ---- the measurements ----

small_path=/engine-rest/task/bench-task/variables/small/data

# The three runs of a figure alternate, round after round, so that a
# disturbance from outside hits the references and vardata alike.
measure_get() {
	local w=$1 prefix=$2 round
	vacuum
	for ((round = 1; round <= rounds; round++)); do
		wrk_run "$prefix.fcgi" "$connections" "$ref_url$small_path"
		pgbench_run "$prefix.sql" "$w" "$here/sql/read.sql" -D scope=bench-pi -D name=small
		wrk_run "$prefix.vd" "$connections" "$vd_url$small_path"
	done
	R[$prefix.limit]=$(limit_of "${R[$prefix.fcgi.rps]}" "${R[$prefix.sql.tps]}")
}

measure_latency() {
	local c round
	for c in "${latency_connections[@]}"; do
		if ((c == connections)); then
			R[lat$c.vd.p50]=${R[get.vd.p50]} R[lat$c.vd.p99]=${R[get.vd.p99]}
			R[lat$c.fcgi.p50]=${R[get.fcgi.p50]} R[lat$c.fcgi.p99]=${R[get.fcgi.p99]}
			continue
		fi
		for ((round = 1; round <= rounds; round++)); do
			wrk_run "lat$c.fcgi" "$c" "$ref_url$small_path"
			wrk_run "lat$c.vd" "$c" "$vd_url$small_path"
		done
	done
}

measure_sweep() {
	local w
	for w in "${sweep_workers[@]}"; do
		if ((w == workers)); then
			local k
			for k in fcgi.rps sql.tps vd.rps limit; do
				R[w$w.$k]=${R[get.$k]}
			done
			continue
		fi
		pools "$w"
		measure_get "$w" "w$w"
	done
	pools "$workers"
}

measure_post() {
	local path=/engine-rest/task/bench-wtask-%d/localVariables/upload/data round
	for ((round = 1; round <= rounds; round++)); do
		vacuum
		wrk_run post.fcgi "$connections" "$ref_url/" "$here/post.lua" "$tmp/small.bin" "$write_tasks" "$path"
		vacuum
		pgbench_run post.sql "$workers" "$here/sql/write.sql" -D write_tasks="$write_tasks" \
			-D clients="$workers" -D value="\\x$(hex_of "$tmp/small.bin")"
		verify_writes
		vacuum
		wrk_run post.vd "$connections" "$vd_url/" "$here/post.lua" "$tmp/small.bin" "$write_tasks" "$path"
		verify_writes
	done
	R[post.limit]=$(limit_of "${R[post.fcgi.rps]}" "${R[post.sql.tps]}")
}

# After a run of writes, by either side: every write target still has its
# variable, and every byte array of theirs belongs to one (an update that
# left its old byte array behind would have done less than the whole work).
verify_writes() {
	local vars orphans
	vars=$(pg_value "select count(*) from act_ru_variable where name_ = 'upload' and var_scope_ like 'bench-wtask-%'")
	orphans=$(pg_value "select count(*) from act_ge_bytearray b where b.name_ = 'upload' and not exists
		(select 1 from act_ru_variable v where v.bytearray_id_ = b.id_)")
	((vars == write_tasks && orphans == 0)) ||
		die "after the writes: $vars of $write_tasks variables, $orphans byte arrays without a variable"
}

# Seconds a command takes, by the wall clock.
timed() {
	local t0=$EPOCHREALTIME
	"$@"
	calc "$EPOCHREALTIME - $t0"
}

# The reference of measurement 4: the large value loaded into
# ACT_GE_BYTEARRAY, the table vardata's uploads go into, as the row
# $copy_id.  rename_copied then gives that row an id of its own (untimed),
# so that the next load can use $copy_id again and the table keeps every
# value loaded, as it keeps every value uploaded.
copy_in() {
	pg_psql -c 'COPY act_ge_bytearray (id_, rev_, type_, name_, bytes_) FROM STDIN (FORMAT binary)' \
		<"$tmp/big.copy"
}

rename_copied() {
	pg_psql -c "UPDATE act_ge_bytearray SET id_ = '$1' WHERE id_ = '$copy_id'" >/dev/null
}

copied_md5() {
	pg_value "select md5(bytes_) from act_ge_bytearray where id_ = '$1'"
}

copy_out() {
	pg_psql -c "COPY (SELECT bytes_ FROM act_ge_bytearray WHERE id_ = 'bench-ba-big') TO STDOUT (FORMAT binary)"
}

copy_out_discard() {
	copy_out >/dev/null
}

# The fixture of measurement 3 (sql/big.sql): the large value loaded by
# the same COPY that is measurement 4's reference, untimed here.
load_big_value() {
	copy_in
	rename_copied bench-ba-big
	[[ $(copied_md5 bench-ba-big) == "$big_md5" ]] || die "COPY FROM did not load the large value"
	pg_psql -f "$here/sql/big.sql" >/dev/null
}

# Runs $reps pairs of the one-transfer commands $1 (the reference) and $2
# (vardata), each given the pair's number; the first of each pair
# alternates, so that the disk's moods (the time a 256 MiB transfer takes
# varies by a factor of two from one minute to the next here) fall on both.
in_turns() {
	local i
	for ((i = 1; i <= reps; i++)); do
		if ((i % 2)); then
			"$1" "$i"
			"$2" "$i"
		else
			"$2" "$i"
			"$1" "$i"
		fi
	done
}

# One timed COPY TO of measurement 3's reference.
copy_out_once() {
	printf '%s\n' "$(timed copy_out_discard)" >>"$tmp/copyout.times"
}

# One timed GET of the large value.  Timed by the wall clock around curl,
# as the reference is around psql, so that both sides pay for starting
# their client and connecting.
get_big_once() {
	local url=$vd_url$big_path out code size secs
	out=$(timed curl -sS -o /dev/null -w '%{http_code} %{size_download}\n' "$url")
	{ read -r code size; read -r secs; } <<<"$out"
	[[ $code == 200 && $size == "$big_size" ]] || die "GET $url: status $code, $size bytes"
	printf '%s\n' "$secs" >>"$tmp/get.times"
}

# The largest VmHWM of the pool's workers, in KiB.
workers_hwm() {
	local pid max=0 kb
	for pid in $(children_of "$vd_pid"); do
		kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
		[[ -n $kb ]] && ((kb > max)) && max=$kb
	done
	printf '%s\n' "$max"
}

# Measurement 3 and its reference, in turns.
measure_big_get() {
	local url=$vd_url$big_path n sum
	pools "$workers" fresh
	R[bigget.hwm0]=$(workers_hwm)
	# Untimed first passes: each side's bytes are checked, and each finds
	# the caches as warm as the other does.
	n=$(copy_out | wc -c)
	((n == big_size + 27)) || die "COPY TO wrote $n bytes, not $((big_size + 27))"
	sum=$(curl -sS "$url" | md5sum | cut -d' ' -f1)
	[[ $sum == "$big_md5" ]] || die "GET $url returned other bytes than stored"
	: >"$tmp/copyout.times"
	: >"$tmp/get.times"
	in_turns copy_out_once get_big_once
	R[bigget.hwm1]=$(workers_hwm)
	transfer_rate bigget.ref "$tmp/copyout.times"
	transfer_rate bigget.vd "$tmp/get.times"
	note "psql COPY TO: $(rate_and_times bigget.ref "$tmp/copyout.times")," \
		"vardata GET: $(rate_and_times bigget.vd "$tmp/get.times")"
}

# Before each timed write of the large value: PostgreSQL's dirty buffers
# written out, and then the kernel's.  The private cluster runs with fsync
# off, so without the sync the half GiB of table and WAL that one transfer
# leaves in the page cache is written back to disk during whichever transfer
# comes next, and a transfer's time would depend on what ran before it
# rather than on itself.
settle() {
	pg_psql -c 'CHECKPOINT' >/dev/null
	sync
}

# One timed COPY of measurement 4's reference (copy_in).  No table is
# emptied before it: loading into an emptied table was measured to be
# faster than appending, and no upload ever gets an emptied table.
copy_in_once() {
	settle
	printf '%s\n' "$(timed copy_in)" >>"$tmp/copyin.times"
	rename_copied "bench-ref-$1"
}

# One timed POST of the large value, to a new variable (an insert, as the
# COPY of the reference is), timed by the wall clock as get_big_once is.
post_big_once() {
	local base=$vd_url/engine-rest/task/bench-task/localVariables out code secs
	settle
	out=$(timed curl -sS -o "$tmp/post.out" -w '%{http_code}\n' -H 'Expect:' \
		-F "data=@$tmp/big.bin;type=application/octet-stream" -F valueType=File \
		"$base/bigup-$1/data")
	{ read -r code; read -r secs; } <<<"$out"
	[[ $code == 204 ]] || die "POST $base/bigup-$1/data: status $code: $(head -c 300 "$tmp/post.out")"
	printf '%s\n' "$secs" >>"$tmp/post.times"
}

# Measurement 4 and its reference, in turns.
measure_big_post() {
	pools "$workers" fresh
	R[bigpost.hwm0]=$(workers_hwm)
	: >"$tmp/copyin.times"
	: >"$tmp/post.times"
	in_turns copy_in_once post_big_once
	R[bigpost.hwm1]=$(workers_hwm)
	[[ $(copied_md5 bench-ref-1) == "$big_md5" ]] || die "COPY FROM did not load the large value"
	[[ $(pg_value "select md5(b.bytes_) || ' ' || v.type_ || ' ' || v.text_ from act_ru_variable v
		join act_ge_bytearray b on b.id_ = v.bytearray_id_
		where v.var_scope_ = 'bench-task' and v.name_ = 'bigup-1'") == "$big_md5 file big.bin" ]] ||
		die "POST of the large file did not store it as a File variable with the bytes sent"
	transfer_rate bigpost.ref "$tmp/copyin.times"
	transfer_rate bigpost.vd "$tmp/post.times"
	note "psql COPY FROM: $(rate_and_times bigpost.ref "$tmp/copyin.times")," \
		"vardata POST: $(rate_and_times bigpost.vd "$tmp/post.times")"
}

# ---- the report ----

verdict() {
	awk -v r="$1" -v g="$2" 'BEGIN { exit !(r >= g) }' && echo PASS || echo BELOW
}

ratio() {
	calc "$1 / $2"
}

# Appends its arguments, joined without separators, as one line of the report.
line() {
	local IFS=
	table+=("$*")
}

row() {
	local line
	line=$(printf '%-4s %-38s %-20s %-52s %6s  %-8s %s' "$@")
	table+=("${line%"${line##*[! ]}"}")
}

r0() { printf '%.0f' "$1"; }
r1() { printf '%.1f' "$1"; }
r2() { printf '%.2f' "$1"; }
mib() { printf '%.1f MiB' "$(calc "$1 / 1024")"; }

rss_verdict() {
	awk -v k="$1" -v l="$RSS_LIMIT_MIB" 'BEGIN { exit !(k / 1024 < l) }' && echo PASS || echo OVER
}

throughput_rows() {
	local id=$1 what=$2 key=$3 goal=$4 q
	q=$(ratio "${R[$key.vd.rps]}" "${R[$key.limit]}")
	row "$id" "$what" "$(r0 "${R[$key.vd.rps]}") req/s" \
		"limit $(r0 "${R[$key.limit]}") req/s = 1/(1/R_fcgi + 1/R_sql)" "$(r2 "$q")" ">= $goal" \
		"$(verdict "$q" "$goal")"
	row "" "" "" "  R_fcgi $(r0 "${R[$key.fcgi.rps]}") req/s, R_sql $(r0 "${R[$key.sql.tps]}") tps" "" "" ""
}

build_table() {
	local c w q q99 when mode cpu
	when=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
	mode=full
	if $quick; then
		mode="quick (smoke run: tiny sizes, 1 s runs; the figures mean nothing)"
	fi
	cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
	table+=("vardata benchmark, $when, $mode run")
	table+=("machine: $cores cores (${cpu:-unknown CPU}), Linux $(uname -r)")
	line "software: vardata $vd_version, $("$pgbin/postgres" --version 2>/dev/null | awk '{ print "PostgreSQL", $3 }'),"\
		" $(/usr/sbin/nginx -v 2>&1 | sed 's|^nginx version: ||'), $(wrk_version)"
	line "settings: $workers workers (vardata with --seccomp, and R_fcgi), $connections wrk connections, ${duration} s per load run" \
		" after ${warmup} s warm-up, best of $rounds interleaved rounds; large value $big_mib MiB, best of $reps" \
		" transfers; MB = 10^6 bytes"
	table+=("load average (1 min) before and after the run: $load_before, $(load_now)")
	table+=("ratio: vardata / reference (latency: reference / vardata), so 1.00 means as fast as the reference")
	table+=("")
	row "#" "measurement" "vardata" "reference" "ratio" "goal" "result"
	throughput_rows 1 "GET 1 KiB Bytes via task->exec->PI" get "$GOAL_GET"
	q=$(ratio "${R[get.vd.rps]}" "${R[get.fcgi.rps]}")
	row "1b" "same, plain ratio to R_fcgi" "$(r0 "${R[get.vd.rps]}") req/s" \
		"R_fcgi $(r0 "${R[get.fcgi.rps]}") req/s" "$(r2 "$q")" "-" "-"
	throughput_rows 2 "POST 1 KiB Bytes, multipart" post "$GOAL_POST"
	q=$(ratio "${R[bigget.vd.mbs]}" "${R[bigget.ref.mbs]}")
	row "3" "GET $big_mib MiB File via task chain" "$(r1 "${R[bigget.vd.mbs]}") MB/s" \
		"psql COPY (SELECT ...) TO STDOUT binary $(r1 "${R[bigget.ref.mbs]}") MB/s" "$(r2 "$q")" \
		">= $GOAL_BIG_GET" "$(verdict "$q" "$GOAL_BIG_GET")"
	row "3b" "worker peak RSS (VmHWM, fresh pool)" "$(mib "${R[bigget.hwm1]}")" \
		"before the GETs $(mib "${R[bigget.hwm0]}")" "-" "< $RSS_LIMIT_MIB MiB" \
		"$(rss_verdict "${R[bigget.hwm1]}")"
	q=$(ratio "${R[bigpost.vd.mbs]}" "${R[bigpost.ref.mbs]}")
	row "4" "POST $big_mib MiB File (curl -F)" "$(r1 "${R[bigpost.vd.mbs]}") MB/s" \
		"psql COPY FROM STDIN binary $(r1 "${R[bigpost.ref.mbs]}") MB/s" "$(r2 "$q")" \
		">= $GOAL_BIG_POST" "$(verdict "$q" "$GOAL_BIG_POST")"
	row "4b" "worker peak RSS (VmHWM, fresh pool)" "$(mib "${R[bigpost.hwm1]}")" \
		"before the POSTs $(mib "${R[bigpost.hwm0]}")" "-" "< $RSS_LIMIT_MIB MiB" \
		"$(rss_verdict "${R[bigpost.hwm1]}")"
	for c in "${latency_connections[@]}"; do
		q=$(ratio "${R[lat$c.fcgi.p50]}" "${R[lat$c.vd.p50]}")
		q99=$(ratio "${R[lat$c.fcgi.p99]}" "${R[lat$c.vd.p99]}")
		row "5" "GET latency p50/p99, $c conn." \
			"$(r2 "${R[lat$c.vd.p50]}")/$(r2 "${R[lat$c.vd.p99]}") ms" \
			"R_fcgi $(r2 "${R[lat$c.fcgi.p50]}")/$(r2 "${R[lat$c.fcgi.p99]}") ms (ratio of p50; of p99 $(r2 "$q99"))" \
			"$(r2 "$q")" "-" "-"
	done
	for w in "${sweep_workers[@]}"; do
		q=$(ratio "${R[w$w.vd.rps]}" "${R[w$w.limit]}")
		row "5" "GET req/s with $w worker(s)" "$(r0 "${R[w$w.vd.rps]}") req/s" \
			"limit $(r0 "${R[w$w.limit]}") (R_fcgi $(r0 "${R[w$w.fcgi.rps]}"), R_sql $(r0 "${R[w$w.sql.tps]}"))" \
			"$(r2 "$q")" "-" "-"
	done
	table+=("")
	line "R_fcgi: bench/fcgi_ref.c behind the same nginx server block, same worker count; R_sql: pgbench -M prepared," \
		" as many clients as workers (bench/sql/read.sql, bench/sql/write.sql); pgbench read latency" \
		" ${R[get.sql.lat]} ms, write latency ${R[post.sql.lat]} ms."
	if awk -v l="$load_before" 'BEGIN { exit !(l >= 0.5) }'; then
		notes+=("the machine was not idle when the run started (load average $load_before): other processes compete for the same cores, so the figures are less reliable than on an idle machine")
	fi
	for c in "${notes[@]}"; do
		table+=("note: $c")
	done
}

# wrk -v prints its version and then fails for want of a URL.
wrk_version() {
	{ wrk -v 2>&1 || true; } | awk 'NR == 1 { print $1, $2 }'
}

# The binary's version and build time, and the state of the checkout when
# the run started (the binary may have been built from another state).
vardata_version() {
	local v rev built
	v=$("$bin" --version 2>/dev/null | head -n 1 | awk '{ print $NF }')
	built=$(date -u -r "$bin" '+%Y-%m-%d %H:%M UTC' 2>/dev/null || true)
	rev=$(git -C "$srcdir" rev-parse --short HEAD 2>/dev/null || true)
	if [[ -n $rev ]] && [[ -n $(git -C "$srcdir" status --porcelain -- src 2>/dev/null) ]]; then
		rev="$rev+uncommitted src"
	fi
	printf '%s built %s%s' "${v:-?}" "${built:-?}" "${rev:+, checkout $rev at start}"
}

save_table() {
	local f suffix=
	[[ -n $results_dir ]] || return 0
	if ! mkdir -p -- "$results_dir" 2>/dev/null || [[ ! -w $results_dir ]]; then
		note "cannot write to $results_dir: the table is not saved"
		return 0
	fi
	if $quick; then
		suffix=-quick
	fi
	f=$results_dir/bench-$(date -u +%Y%m%dT%H%M%SZ)$suffix.txt
	printf '%s\n' "${table[@]}" >"$f"
	note "saved to $f"
}

load_now() {
	cut -d' ' -f1 /proc/loadavg
}

main() {
	parse_args "$@"
	load_before=$(load_now)
	check_tools
	vd_version=$(vardata_version)
	setup_dirs
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	note "working in $tmp ($cores cores, $workers workers, ${duration} s runs)"
	build_ref
	make_values
	start_pg
	load_fixtures
	pools "$workers"
	start_nginx
	pools "$workers"
	verify_small
	note "1: GET 1 KiB"
	measure_get "$workers" get
	note "5: latency and worker counts"
	measure_latency
	measure_sweep
	note "2: POST 1 KiB"
	measure_post
	note "3: GET of the large value"
	load_big_value
	measure_big_get
	note "4: POST of the large value, against COPY FROM"
	measure_big_post
	build_table
	printf '%s\n' "${table[@]}"
	save_table
}

main "$@"

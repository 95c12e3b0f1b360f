#!/usr/bin/env bash
# bench/download.sh - the download line of bench/run.sh on its own (about
# 30 s instead of 6 minutes), for work on the download path: a 10 MiB
# attachment as staff against psql's binary \copy of the same bytea, then
# the server's RSS growth during 16 concurrent downloads (each twice), and
# what of it stays after. The measurement is the one of bench/run.sh; this
# script only skips the other lines, and can repeat the line.
#
# Usage: bench/download.sh [--build DIR] [--times N] [--clients N] [--env NAME=VALUE]...
#   --times N   measure the line N times on one server (default 1)
#   --clients N concurrent downloads (default 16, as in bench/run.sh)
#   --env X=Y   start the server with X=Y in its environment (for trials,
#               e.g. MALLOC_ARENA_MAX=2)
# Prints per run: the time ratio, the growth and the "after" figure (MiB),
# the server's database connects (from /metrics) and the load average.
# Needs curl, psql; starts its own PostgreSQL cluster in build/bench-dl-pg
# on a port of CONVENE_BENCH_PORTS (default 56000-56100) and stops it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$here/build"
times=1
clients=16
envs=()
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build=$2; shift ;;
    --times) times=$2; shift ;;
    --clients) clients=$2; shift ;;
    --env) envs+=("$2"); shift ;;
    -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "download: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$build/convene" ] || { echo "download: build first (cmake --build $build)" >&2; exit 2; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
export PATH="$pgbin:$PATH"

port_range=${CONVENE_BENCH_PORTS:-56000-56100}
[[ "$port_range" =~ ^([0-9]+)-([0-9]+)$ ]] ||
    { echo "download: CONVENE_BENCH_PORTS must be FIRST-LAST (got $port_range)" >&2; exit 2; }
next_port=${BASH_REMATCH[1]}
last_port=${BASH_REMATCH[2]}
free_port() {
    local p
    while [ $next_port -le $last_port ]; do
        p=$next_port
        next_port=$((next_port + 1))
        if python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1])))' "$p" 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    echo "download: no free port in $port_range" >&2
    return 1
}

pgdir="$build/bench-dl-pg"
pgport=$(free_port)
tmp=$(mktemp -d)
cpid=
cleanup() {
    [ -z "$cpid" ] || kill "$cpid" 2>/dev/null || true
    wait 2>/dev/null || true
    bash "$here/deploy/pg.sh" stop "$pgdir" --port "$pgport" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

bash "$here/deploy/pg.sh" start "$pgdir" --port "$pgport" --fast >/dev/null
db_url=$(bash "$here/deploy/pg.sh" url "$pgdir" --port "$pgport")
psql "$db_url" -X -q -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null 2>&1
CONVENE_DATABASE_URL=$db_url CONVENE_DATA_DIR=$here "$build/convene" seed >/dev/null 2>&1 ||
    { echo "download: convene seed failed" >&2; exit 1; }
python3 "$here/bench/setup.py" "$db_url" staff
staff_cookie="Cookie: convene_session=benchstaffxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

cport=$(free_port)
env "${envs[@]+"${envs[@]}"}" CONVENE_DATABASE_URL="$db_url" CONVENE_DATA_DIR="$here" \
    CONVENE_MAIL_SENDERS=0 CONVENE_DB_POOL_SIZE=16 \
    "$build/convene" serve --listen "127.0.0.1:$cport" 2>"$build/bench-dl-convene.log" &
cpid=$!
conv="http://127.0.0.1:$cport"
for _ in $(seq 1000); do
    curl -fs -o /dev/null "$conv/readyz" && break
    sleep 0.01
done
curl -fs -o /dev/null "$conv/readyz" || { echo "download: convene did not become ready" >&2; exit 1; }

median() { python3 -c "import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
calc() { python3 -c "print(f'{$1:.2f}')"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
sample_rss() { # pid file: the highest RSS until the file "$2.stop" appears
    local max=0 v
    while [ ! -e "$2.stop" ]; do
        v=$(rss_kb "$1")
        [ "$v" -gt "$max" ] && max=$v
        sleep 0.02
    done
    echo "$max" >"$2"
}
connects() { curl -s "$conv/metrics" | awk '/^convene_db_connects_total/ {s += $2} END {print s + 0}'; }

dl_mib=10
read -r dl_sub dl_file < <(python3 "$here/bench/awards_setup.py" "$db_url" file "$dl_mib")
dl_bytes=$((dl_mib * 1048576))
dl_url="$conv/api/submissions/$dl_sub/files/$dl_file"
dl_sha=$(psql "$db_url" -X -t -A -c "SELECT encode(sha256, 'hex') FROM submission_files WHERE id = $dl_file")
code=$(curl -s -o "$tmp/download" -w '%{http_code}' -H "$staff_cookie" "$dl_url")
[ "$code" = 200 ] && [ "$(sha256sum <"$tmp/download" | cut -d' ' -f1)" = "$dl_sha" ] ||
    { echo "download: status $code, not the stored file" >&2; exit 1; }
copy_sql="\\copy (SELECT data FROM submission_files WHERE id = $dl_file) TO"
echo "idle RSS $(calc "$(rss_kb "$cpid") / 1024") MiB after one download"

for run in $(seq "$times"); do
    ds=(); dq=()
    for _ in 1 2 3; do
        read -r code size t < <(curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total}\n' \
            -H "$staff_cookie" "$dl_url")
        [ "$code" = 200 ] && [ "$size" = "$dl_bytes" ] || echo "download: status $code, $size bytes" >&2
        ds+=("$(calc "$t * 1000")")
        out=$(psql "$db_url" -X -c '\timing on' -c "$copy_sql '/dev/null' WITH (FORMAT binary)" 2>&1)
        dq+=("$(awk '/^Time:/ {print $2; exit}' <<<"$out")")
    done
    d_ms=$(median "${ds[@]}"); d_copy_ms=$(median "${dq[@]}")
    before=$(rss_kb "$cpid")
    c0=$(connects)
    hwm_reset=0
    echo 5 2>/dev/null >"/proc/$cpid/clear_refs" && hwm_reset=1
    rm -f "$tmp/rss" "$tmp/rss.stop" "$tmp"/dl.*
    sample_rss "$cpid" "$tmp/rss" &
    sampler=$!
    cl=()
    for i in $(seq "$clients"); do
        curl -s -o /dev/null -o /dev/null -w '%{http_code} %{size_download} %{time_total}\n' \
            -H "$staff_cookie" "$dl_url" "$dl_url" >"$tmp/dl.$i" &
        cl+=($!)
    done
    for p in "${cl[@]}"; do wait "$p" || true; done
    touch "$tmp/rss.stop"
    wait "$sampler"
    peak=$(cat "$tmp/rss")
    if [ $hwm_reset = 1 ]; then
        hwm=$(awk '/VmHWM/ {print $2}' "/proc/$cpid/status")
        [ "${hwm:-0}" -gt "$peak" ] && peak=$hwm
    fi
    good=$(cat "$tmp"/dl.* | grep -c "^200 $dl_bytes " || true)
    slowest=$(cat "$tmp"/dl.* | awk '{ if ($3 > m) m = $3 } END {printf "%.0f", m * 1000}')
    printf 'run %d: %s ms vs copy %s ms, ratio %s; %d concurrent: growth %s MiB, after %s MiB, %d/%d good, slowest %s ms, connects +%d; load %s\n' \
        "$run" "$d_ms" "$d_copy_ms" "$(calc "$d_ms / max($d_copy_ms, 1)")" "$clients" \
        "$(calc "max($peak - $before, 0) / 1024")" "$(calc "max($(rss_kb "$cpid") - $before, 0) / 1024")" \
        "$good" $((2 * clients)) "$slowest" $(($(connects) - c0)) "$(cut -d' ' -f1-3 /proc/loadavg)"
done

#!/usr/bin/env bash
# bench/run.sh - measures `convene serve` against reference points on this
# machine, in one run, and prints ratios (not absolute times):
#
#   healthz   GET /healthz on convene vs a bare CivetWeb handler (bench_bare)
#             answering the same bytes with the same thread/keep-alive
#             settings; wrk -t2 -c64, runs interleaved, best of each.
#   startup   start to ready (/readyz 200) on a migrated database
#   idle RSS  resident memory of an idle server
#
# Usage: bench/run.sh [--quick] [--build DIR]
# Needs wrk; starts its own PostgreSQL cluster (deploy/pg.sh) and stops it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$here/build"
duration=5
rounds=3
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) duration=3; rounds=2 ;;
    --build) build=$2; shift ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "bench: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

for tool in wrk curl; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is required (deploy/deps.sh --test)" >&2; exit 2; }
done
[ -x "$build/convene" ] && [ -x "$build/bench/bench_bare" ] ||
    { echo "bench: build first (cmake --build $build)" >&2; exit 2; }

pgdir="$build/bench-pg"
pgport=54339
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    bash "$here/deploy/pg.sh" stop "$pgdir" --port "$pgport" >/dev/null 2>&1 || true
}
trap cleanup EXIT

bash "$here/deploy/pg.sh" start "$pgdir" --port "$pgport" --fast >/dev/null
db_url=$(bash "$here/deploy/pg.sh" url "$pgdir" --port "$pgport")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_ready() { # url timeout_s
    local deadline=$((SECONDS + $2))
    until curl -fs -o /dev/null "$1"; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.01
    done
}

rps() { # url -> requests/s
    wrk -t2 -c64 -d"${duration}s" "$1" | awk '/Requests\/sec/ {print $2}'
}

# ---- start both servers ----
CONVENE_DATABASE_URL=$db_url "$build/convene" migrate >/dev/null 2>&1

cport=$(free_port)
t0=$(date +%s%N)
CONVENE_DATABASE_URL=$db_url CONVENE_DATA_DIR=$here CONVENE_LOG_LEVEL=${BENCH_LOG_LEVEL:-info} \
    "$build/convene" serve --listen "127.0.0.1:$cport" 2>"$build/bench-convene.log" &
pids+=($!)
cpid=$!
wait_ready "http://127.0.0.1:$cport/readyz" 10
t1=$(date +%s%N)
startup_ms=$(((t1 - t0) / 1000000))
sleep 1
idle_rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$cpid/status")

bport=$(free_port)
body=$(mktemp)
curl -fs "http://127.0.0.1:$cport/healthz" >"$body"
"$build/bench/bench_bare" "$bport" "$body" 2>/dev/null &
pids+=($!)
wait_ready "http://127.0.0.1:$bport/healthz" 5

# ---- healthz throughput, interleaved ----
best_bare=0
best_conv=0
for _ in $(seq "$rounds"); do
    b=$(rps "http://127.0.0.1:$bport/healthz")
    c=$(rps "http://127.0.0.1:$cport/healthz")
    best_bare=$(python3 -c "print(max($best_bare, $b))")
    best_conv=$(python3 -c "print(max($best_conv, $c))")
done
rm -f "$body"

ratio=$(python3 -c "print(f'{$best_conv / $best_bare:.2f}')")
printf '\n%-44s %12s %12s %8s %8s\n' "benchmark" "convene" "reference" "ratio" "target"
printf '%-44s %12.0f %12.0f %8s %8s\n' "GET /healthz req/s (wrk -t2 -c64)" "$best_conv" "$best_bare" "$ratio" ">=0.70"
printf '%-44s %12s %12s %8s %8s\n' "start to ready (ms, migrated database)" "$startup_ms" "-" "-" "<300"
printf '%-44s %12s %12s %8s %8s\n' "idle RSS (MiB)" "$(python3 -c "print(f'{$idle_rss_kb/1024:.1f}')")" "-" "-" "<30"
python3 -c "import sys; sys.exit(0 if $best_conv / $best_bare >= 0.7 else 1)" ||
    { echo "bench: healthz ratio below 0.70" >&2; exit 1; }

#!/usr/bin/env bash
# bench/run.sh - measures `convene serve` against reference points on this
# machine, in one run, and prints ratios (not absolute times):
#
#   healthz   GET /healthz on convene vs a bare CivetWeb handler (bench_bare)
#             answering the same bytes with the same thread/keep-alive
#             settings; wrk -t2 -c64, runs interleaved, median of each.
#   catalogue GET /api/activities (the seeded 2023 calendar) vs bench_bare
#             answering the same bytes; p99 latency at 64 connections.
#   enrol     POST /api/activities/{id}/enrollments by distinct accounts
#             (wrk -c16) vs pgbench running the same SQL (session lookup +
#             convene_enroll) with 16 clients.
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
    --quick) duration=2; rounds=3 ;;
    --build) build=$2; shift ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "bench: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

for tool in wrk curl pgbench; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is required (deploy/deps.sh --test)" >&2; exit 2; }
done
[ -x "$build/convene" ] && [ -x "$build/bench/bench_bare" ] ||
    { echo "bench: build first (cmake --build $build)" >&2; exit 2; }

pgdir="$build/bench-pg"
pgport=54339
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
export PATH="$pgbin:$PATH"
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
psql "$db_url" -X -q -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null 2>&1
CONVENE_DATABASE_URL=$db_url CONVENE_DATA_DIR=$here "$build/convene" seed >/dev/null 2>&1

cport=$(free_port)
t0=$(date +%s%N)
CONVENE_DATABASE_URL=$db_url CONVENE_DATA_DIR=$here CONVENE_LOG_LEVEL=${BENCH_LOG_LEVEL:-info} \
    CONVENE_MAIL_SENDERS=0 CONVENE_DB_POOL_SIZE=16 \
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

# The median of the rounds: one lucky or unlucky round (two cores shared
# by wrk and the server) must not decide a ratio.
median() { python3 -c "import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }

# ---- healthz throughput, interleaved ----
bare_runs=(); conv_runs=()
for _ in $(seq "$rounds"); do
    bare_runs+=("$(rps "http://127.0.0.1:$bport/healthz")")
    conv_runs+=("$(rps "http://127.0.0.1:$cport/healthz")")
done
best_bare=$(median "${bare_runs[@]}")
best_conv=$(median "${conv_runs[@]}")
rm -f "$body"
kill "${pids[-1]}" 2>/dev/null || true

# ---- catalogue: GET /api/activities vs the same bytes from bench_bare ----
cat_body=$(mktemp)
curl -fs "http://127.0.0.1:$cport/api/activities" >"$cat_body"
bport2=$(free_port)
"$build/bench/bench_bare" "$bport2" "$cat_body" 2>/dev/null &
pids+=($!)
wait_ready "http://127.0.0.1:$bport2/" 5
p99() { # url -> "req/s p99_ms"
    wrk -t2 -c64 -d"${duration}s" --latency "$1" |
        awk '/Requests\/sec/ {r=$2} /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; p=v} END {print r, p}'
}
cat_bare_runs=(); cat_runs=(); cat_p99_runs=()
for _ in $(seq "$rounds"); do
    read -r b _ < <(p99 "http://127.0.0.1:$bport2/")
    read -r c cp < <(p99 "http://127.0.0.1:$cport/api/activities")
    cat_bare_runs+=("$b"); cat_runs+=("$c"); cat_p99_runs+=("$cp")
done
best_cat_bare=$(median "${cat_bare_runs[@]}")
best_cat=$(median "${cat_runs[@]}")
cat_p99=$(median "${cat_p99_runs[@]}")
cat_bytes=$(wc -c <"$cat_body")
rm -f "$cat_body"

# ---- enrolment: the server vs pgbench running the same SQL ----
clients=16
per_client=$((duration * 1500))
read -r act_server act_pgbench < <(python3 "$here/bench/enrol_setup.py" "$db_url" "$clients" "$per_client")
enrol_rps=$(wrk -t2 -c"$clients" -d"${duration}s" -s "$here/bench/enrol.lua" \
    "http://127.0.0.1:$cport" -- "$act_server" $((per_client * clients / 2)) |
    awk '/Requests\/sec/ {print $2} /non2xx_or_errors/ {if ($2 > 0) print "errors " $2 > "/dev/stderr"}')
ics_text=$(python3 -c "print('BEGIN:VCALENDAR ' + 'x' * 600)")
pgbench_tps=$(pgbench -n -M prepared -c "$clients" -j 2 -T "$duration" -f "$here/bench/enrol.pgbench" \
    -D per="$per_client" -D n=0 -D act="$act_pgbench" -D ics="$ics_text" "$db_url" 2>/dev/null |
    awk '/^tps/ {print $3; exit}')
enrolled=$(psql "$db_url" -X -t -A -c "SELECT count(*) FILTER (WHERE activity_id = $act_server) || ' ' || count(*) FILTER (WHERE activity_id = $act_pgbench) FROM enrollments")

ratio=$(python3 -c "print(f'{$best_conv / $best_bare:.2f}')")
cat_ratio=$(python3 -c "print(f'{$best_cat / $best_cat_bare:.2f}')")
enrol_ratio=$(python3 -c "print(f'{$enrol_rps / $pgbench_tps:.2f}')")
printf '\n%-44s %12s %12s %8s %8s\n' "benchmark" "convene" "reference" "ratio" "target"
printf '%-44s %12.0f %12.0f %8s %8s\n' "GET /healthz req/s (wrk -t2 -c64)" "$best_conv" "$best_bare" "$ratio" ">=0.70"
printf '%-44s %12.0f %12.0f %8s %8s\n' "GET /api/activities req/s ($cat_bytes bytes)" "$best_cat" "$best_cat_bare" "$cat_ratio" ">=0.50"
printf '%-44s %12s %12s %8s %8s\n' "GET /api/activities p99 ms (64 conns)" "$cat_p99" "-" "-" "<10"
printf '%-44s %12.0f %12.0f %8s %8s\n' "enrol POST/s vs pgbench tps (16 clients)" "$enrol_rps" "$pgbench_tps" "$enrol_ratio" ">=0.70"
printf '%-44s %12s\n' "enrolments made (server pgbench)" "$enrolled"
printf '%-44s %12s %12s %8s %8s\n' "start to ready (ms, migrated database)" "$startup_ms" "-" "-" "<300"
printf '%-44s %12s %12s %8s %8s\n' "idle RSS (MiB)" "$(python3 -c "print(f'{$idle_rss_kb/1024:.1f}')")" "-" "-" "<30"
status=0
python3 -c "import sys; sys.exit(0 if $best_conv / $best_bare >= 0.7 else 1)" ||
    { echo "bench: healthz ratio below 0.70" >&2; status=1; }
python3 -c "import sys; sys.exit(0 if $best_cat / $best_cat_bare >= 0.5 else 1)" ||
    { echo "bench: catalogue ratio below 0.50" >&2; status=1; }
python3 -c "import sys; sys.exit(0 if $enrol_rps / $pgbench_tps >= 0.7 else 1)" ||
    { echo "bench: enrolment ratio below 0.70" >&2; status=1; }
exit $status

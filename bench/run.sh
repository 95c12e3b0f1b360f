#!/usr/bin/env bash
# bench/run.sh - measures `convene serve` against reference points on this
# machine, in one run, and prints ratios (not absolute times). Only 2xx
# answers count as throughput (bench/count.lua counts answers by status).
#
#   healthz    GET /healthz on convene vs a bare CivetWeb handler (bench_bare)
#              answering the same bytes with the same thread/keep-alive
#              settings; wrk -t2 -c64, rounds interleaved, median of each.
#   catalogue  GET /api/activities (the seeded 2023 calendar) vs bench_bare
#              answering the same bytes; p99 latency at 64 connections.
#   activity   GET /api/activities/{id} with a staff session cookie.
#   enrol      POST /api/activities/{id}/enrollments by distinct accounts
#              (wrk -c16) vs pgbench running the same SQL (session lookup +
#              convene_enroll) with 16 clients; rounds interleaved, a fresh
#              activity each round, median; rows written = 2xx answers.
#   csv        the participant CSV of 100,000 registrations vs psql \copy of
#              the same query; server RSS growth during the export.
#   login      32 clients logging in over and over; healthz p99 meanwhile.
#   stampede   5,000 more activities; staff edits (PATCH) during a
#              64-connection read load of GET /api/activities: 5xx and p99.
#   vote       PUT /api/awards/categories/{id}/vote by distinct accounts,
#              every request a change (wrk -c16) vs pgbench running the same
#              SQL (session lookup, BEGIN, convene_vote, COMMIT) with 16
#              clients; rounds interleaved, median; vote changes = 2xx.
#   preview    GET /api/awards/cycles/{id}/results as staff before
#              publication: 4 x 200 cases, 12 judges, 7 criteria, 100k
#              votes; median time.
#   results    the published results (public) vs bench_bare answering the
#              same bytes; p99 latency at 64 connections.
#   download   a 10 MiB attachment vs psql binary \copy of the same bytea;
#              server RSS growth during 16 concurrent downloads.
#   startup    start to ready (/readyz 200) on a migrated database
#   idle RSS   resident memory of an idle server
#
# Every figure with a target is checked; a miss prints
# "MISSED <what> <figure> (target ...)". An awards line whose route answers
# 404 (not in this tree yet) prints "SKIPPED: route missing (...)": not a
# pass. Exit status: 0 when everything
# was measured (misses are information), 1 when something could not be
# measured (a non-2xx answer or socket error where none is expected, rows
# written != 2xx answers, a server that did not start), 2 on bad usage.
#
# Usage: bench/run.sh [--quick] [--build DIR]
#   --quick  shorter: 3 rounds of 2 s (full: 3 rounds of 5 s for healthz,
#            catalogue and results, 5 rounds of 5 s for enrolment and
#            votes); says so.
# Needs wrk, pgbench, psql, curl; starts its own PostgreSQL cluster
# (deploy/pg.sh) and stops it. Ports: 56000-56100 on 127.0.0.1, or
# CONVENE_BENCH_PORTS=FIRST-LAST. BENCH_TRACE=1 prints the time at which
# each line starts, and of each setup statement (to stderr).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$here/build"
quick=0
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=1 ;;
    --build) build=$2; shift ;;
    -h | --help) sed -n '2,50p' "$0"; exit 0 ;;
    *) echo "bench: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
if [ $quick = 1 ]; then
    duration=2 rounds=3 enrol_duration=2 enrol_rounds=3 stampede_duration=4
    echo "bench: --quick: 3 rounds of 2 s per ratio (enrolment and votes too); the full run uses" \
        "3 x 5 s (healthz, catalogue, results) and 5 x 5 s (enrolment, votes)"
else
    duration=5 rounds=3 enrol_duration=5 enrol_rounds=5 stampede_duration=10
fi

for tool in wrk curl pgbench psql python3; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is required (deploy/deps.sh --test)" >&2; exit 2; }
done
[ -x "$build/convene" ] && [ -x "$build/bench/bench_bare" ] ||
    { echo "bench: build first (cmake --build $build)" >&2; exit 2; }

export BENCH_DIR="$here/bench"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
export PATH="$pgbin:$PATH"

# A free port in the range benchmarks may use on this host: 56000-56100, or
# CONVENE_BENCH_PORTS=FIRST-LAST (several runs side by side).
port_range=${CONVENE_BENCH_PORTS:-56000-56100}
[[ "$port_range" =~ ^([0-9]+)-([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -le "${BASH_REMATCH[2]}" ] ||
    { echo "bench: CONVENE_BENCH_PORTS must be FIRST-LAST (got $port_range)" >&2; exit 2; }
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
    echo "bench: no free port in $port_range" >&2
    return 1
}

pgdir="$build/bench-pg"
pgport=$(free_port)
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    bash "$here/deploy/pg.sh" stop "$pgdir" --port "$pgport" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

errors=()  # what could not be measured: the run fails
missed=()  # targets missed: printed, the run still succeeds
fail() { errors+=("$*"); echo "bench: ERROR $*" >&2; }

bash "$here/deploy/pg.sh" start "$pgdir" --port "$pgport" --fast >/dev/null
db_url=$(bash "$here/deploy/pg.sh" url "$pgdir" --port "$pgport")

wait_ready() { # url timeout_s
    local deadline=$((SECONDS + $2))
    until curl -fs -o /dev/null "$1"; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.01
    done
}

# wrk_case NAME ALLOW WRK-ARGS... : runs wrk with a status-counting script
# and sets W_OK W_NON2XX W_5XX W_SOCKERR W_RPS (2xx per second) W_P99 (ms). A
# non-2xx answer or socket error is an error unless ALLOW is "allow".
wrk_case() {
    local name=$1 allow=$2 out
    shift 2
    W_OK=0 W_NON2XX=0 W_5XX=0 W_SOCKERR=0 W_RPS=0 W_P99=0
    if ! out=$(wrk "$@" 2>&1); then
        fail "$name: wrk failed: $(tail -n 1 <<<"$out")"
        return 0
    fi
    W_OK=$(awk '$1 == "ok2xx" {print $2}' <<<"$out")
    W_NON2XX=$(awk '$1 == "non2xx" {print $2}' <<<"$out")
    W_5XX=$(awk '$1 == "s5xx" {print $2}' <<<"$out")
    W_SOCKERR=$(awk '$1 == "sockerr" {print $2}' <<<"$out")
    W_RPS=$(awk '$1 == "rps2xx" {print $2}' <<<"$out")
    W_P99=$(awk '$1 == "p99ms" {print $2}' <<<"$out")
    if [ -z "$W_OK" ]; then
        fail "$name: no counts from wrk: $(tail -n 1 <<<"$out")"
        W_OK=0 W_NON2XX=0 W_5XX=0 W_SOCKERR=0 W_RPS=0 W_P99=0
        return 0
    fi
    if [ "$allow" != allow ] && [ $((W_NON2XX + W_SOCKERR)) -gt 0 ]; then
        fail "$name: $W_NON2XX non-2xx answers and $W_SOCKERR socket errors"
    fi
    if [ "$W_OK" -eq 0 ] && [ "$allow" != allow ]; then
        fail "$name: no 2xx answer at all"
    fi
}
median() { python3 -c "import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
calc() { python3 -c "print(f'{$1:.2f}')"; }
# check WHAT FIGURE OP LIMIT: records a miss when not (FIGURE OP LIMIT).
check() {
    if ! python3 -c "import sys; sys.exit(0 if $2 $3 $4 else 1)"; then
        missed+=("MISSED $1 $2 (target $3 $4)")
    fi
}
# BENCH_TRACE=1: the seconds since the start at each line (to stderr).
trace() { [ -z "${BENCH_TRACE:-}" ] || echo "bench: ${SECONDS} s: $1" >&2; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# ---- the server ----
psql "$db_url" -X -q -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null 2>&1
CONVENE_DATABASE_URL=$db_url CONVENE_DATA_DIR=$here "$build/convene" seed >/dev/null 2>&1 ||
    { echo "bench: convene seed failed" >&2; exit 1; }

cport=$(free_port)
t0=$(date +%s%N)
CONVENE_DATABASE_URL=$db_url CONVENE_DATA_DIR=$here CONVENE_LOG_LEVEL=${BENCH_LOG_LEVEL:-info} \
    CONVENE_MAIL_SENDERS=0 CONVENE_DB_POOL_SIZE=16 CONVENE_LOGIN_LIMIT_PER_IP=1000000 \
    "$build/convene" serve --listen "127.0.0.1:$cport" 2>"$build/bench-convene.log" &
pids+=($!)
cpid=$!
wait_ready "http://127.0.0.1:$cport/readyz" 10 || { echo "bench: convene did not become ready" >&2; exit 1; }
t1=$(date +%s%N)
startup_ms=$(((t1 - t0) / 1000000))
sleep 1
idle_rss_kb=$(rss_kb "$cpid")
conv="http://127.0.0.1:$cport"

bport=$(free_port)
curl -fs "$conv/healthz" >"$tmp/healthz"
"$build/bench/bench_bare" "$bport" "$tmp/healthz" 2>/dev/null &
pids+=($!)
bare_pid=$!
wait_ready "http://127.0.0.1:$bport/healthz" 5 || { echo "bench: bench_bare did not start" >&2; exit 1; }

trace "healthz"
# ---- healthz, interleaved rounds, median of each ----
hb=(); hc=()
for _ in $(seq "$rounds"); do
    wrk_case "healthz (bare)" strict -t2 -c64 -d"${duration}s" -s "$BENCH_DIR/count.lua" "http://127.0.0.1:$bport/healthz"
    hb+=("$W_RPS")
    wrk_case "healthz" strict -t2 -c64 -d"${duration}s" -s "$BENCH_DIR/count.lua" "$conv/healthz"
    hc+=("$W_RPS")
done
h_bare=$(median "${hb[@]}"); h_conv=$(median "${hc[@]}")
kill "$bare_pid" 2>/dev/null || true

trace "catalogue"
# ---- catalogue: GET /api/activities vs the same bytes from bench_bare ----
curl -fs "$conv/api/activities" >"$tmp/catalogue"
cat_bytes=$(wc -c <"$tmp/catalogue")
bport2=$(free_port)
"$build/bench/bench_bare" "$bport2" "$tmp/catalogue" 2>/dev/null &
pids+=($!)
bare2_pid=$!
wait_ready "http://127.0.0.1:$bport2/" 5 || { echo "bench: bench_bare did not start" >&2; exit 1; }
cb=(); cc=(); cp=(); cbp=()
for _ in $(seq "$rounds"); do
    wrk_case "catalogue (bare)" strict -t2 -c64 -d"${duration}s" -s "$BENCH_DIR/count.lua" "http://127.0.0.1:$bport2/"
    cb+=("$W_RPS"); cbp+=("$W_P99")
    wrk_case "catalogue" strict -t2 -c64 -d"${duration}s" -s "$BENCH_DIR/count.lua" "$conv/api/activities"
    cc+=("$W_RPS"); cp+=("$W_P99")
done
c_bare=$(median "${cb[@]}"); c_conv=$(median "${cc[@]}"); c_p99=$(median "${cp[@]}"); c_bare_p99=$(median "${cbp[@]}")
kill "$bare2_pid" 2>/dev/null || true

trace "activity"
# ---- an activity page for a signed-in person ----
python3 "$here/bench/setup.py" "$db_url" staff
staff_cookie="Cookie: convene_session=benchstaffxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
act_id=$(psql "$db_url" -X -t -A -c "SELECT min(id) FROM activities WHERE status = 'published'")
wrk_case "activity page" strict -t2 -c64 -d"${duration}s" -s "$BENCH_DIR/count.lua" -H "$staff_cookie" \
    "$conv/api/activities/$act_id"
a_rps=$W_RPS a_p99=$W_P99

trace "enrolment"
# ---- enrolment: the server vs pgbench running the same SQL ----
clients=16
per_client=$((enrol_duration * 250)) # 4,000 enrolments/s at most
mapfile -t pairs < <(python3 "$here/bench/enrol_setup.py" "$db_url" "$clients" "$per_client" "$enrol_rounds")
[ ${#pairs[@]} -eq "$enrol_rounds" ] || { echo "bench: enrolment setup failed" >&2; exit 1; }
ics_text=$(python3 -c "print('BEGIN:VCALENDAR ' + 'x' * 600)")
es=(); ep=()
for pair in "${pairs[@]}"; do
    read -r act_server act_pgbench <<<"$pair"
    wrk_case "enrolment" strict -t2 -c"$clients" -d"${enrol_duration}s" -s "$BENCH_DIR/enrol.lua" \
        "$conv" -- "$act_server" $((per_client * clients / 2))
    rows=$(psql "$db_url" -X -t -A -c "SELECT count(*) FROM enrollments WHERE activity_id = $act_server")
    # Requests still in flight when wrk stops are written but not counted:
    # at most one per connection.
    [ "$rows" -ge "$W_OK" ] && [ "$rows" -le $((W_OK + clients)) ] ||
        fail "enrolment: $rows registrations written for $W_OK 2xx answers ($clients connections)"
    es+=("$W_RPS")
    out=$(pgbench -n -M prepared -c "$clients" -j 2 -T "$enrol_duration" -f "$here/bench/enrol.pgbench" \
        -D per="$per_client" -D n=0 -D act="$act_pgbench" -D ics="$ics_text" "$db_url" 2>&1) ||
        fail "pgbench failed: $(tail -n 1 <<<"$out")"
    tps=$(awk '/^tps/ {print $3; exit}' <<<"$out")
    done_tx=$(awk -F': ' '/actually processed/ {split($2, a, "/"); print a[1]; exit}' <<<"$out")
    failed_tx=$(awk -F': ' '/number of failed transactions/ {split($2, a, " "); print a[1]; exit}' <<<"$out")
    [ "${failed_tx:-0}" = 0 ] || fail "pgbench: $failed_tx failed transactions"
    rows=$(psql "$db_url" -X -t -A -c "SELECT count(*) FROM enrollments WHERE activity_id = $act_pgbench")
    [ "$rows" = "${done_tx:-x}" ] || fail "pgbench: $rows registrations written for ${done_tx:-?} transactions"
    ep+=("${tps:-0}")
done
e_conv=$(median "${es[@]}"); e_pg=$(median "${ep[@]}")

trace "csv"
# ---- participant CSV of 100,000 rows vs psql \copy of the same query ----
csv_rows=100000
csv_act=$(python3 "$here/bench/setup.py" "$db_url" csv "$csv_rows")
csv_query="SELECT convene_csv_safe(acc.name), convene_csv_safe(acc.email::text), convene_csv_safe(o.name), convene_csv_safe(o.city), convene_csv_safe(coalesce(acc.country, o.country)), convene_csv_safe(acc.position), e.status, to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM enrollments e JOIN accounts acc ON acc.id = e.account_id LEFT JOIN organisations o ON o.id = e.organisation_id WHERE e.activity_id = $csv_act ORDER BY e.created_at, e.id"
sample_rss() { # pid file: the highest RSS until the file "$2.stop" appears
    local max=0 v
    while [ ! -e "$2.stop" ]; do
        v=$(rss_kb "$1")
        [ "$v" -gt "$max" ] && max=$v
        sleep 0.02
    done
    echo "$max" >"$2"
}
cs=(); cq=(); csv_growth=0
for _ in 1 2 3; do
    before=$(rss_kb "$cpid")
    rm -f "$tmp/rss" "$tmp/rss.stop"
    sample_rss "$cpid" "$tmp/rss" &
    sampler=$!
    s0=$(date +%s%N)
    code=$(curl -s -o "$tmp/export.csv" -w '%{http_code}' -H "$staff_cookie" \
        "$conv/api/activities/$csv_act/participants.csv")
    s1=$(date +%s%N)
    touch "$tmp/rss.stop"
    wait "$sampler"
    peak=$(cat "$tmp/rss")
    [ $((peak - before)) -gt "$csv_growth" ] && csv_growth=$((peak - before))
    lines=$(($(wc -l <"$tmp/export.csv") - 1))
    [ "$code" = 200 ] && [ "$lines" = "$csv_rows" ] ||
        fail "csv export: status $code, $lines rows (expected 200, $csv_rows)"
    q0=$(date +%s%N)
    psql "$db_url" -X -q -c "\\copy ($csv_query) TO '$tmp/copy.csv' WITH (FORMAT csv, FORCE_QUOTE *)" ||
        fail "psql \\copy failed"
    q1=$(date +%s%N)
    [ "$(wc -l <"$tmp/copy.csv")" = "$csv_rows" ] || fail "psql \\copy: wrong row count"
    cs+=("$(((s1 - s0) / 1000000))"); cq+=("$(((q1 - q0) / 1000000))")
done
csv_ms=$(median "${cs[@]}"); copy_ms=$(median "${cq[@]}")
csv_bytes=$(wc -c <"$tmp/export.csv")
rm -f "$tmp/export.csv" "$tmp/copy.csv"

trace "login flood"
# ---- login flood: 32 clients log in; healthz latency meanwhile ----
printf 'bench-password\n' | CONVENE_DATABASE_URL=$db_url CONVENE_DATA_DIR=$here \
    "$build/convene" user add flood-template@bench.example.org --name Template --role participant \
    >/dev/null 2>&1 || fail "login flood: cannot create the template account"
python3 "$here/bench/setup.py" "$db_url" flood flood-template@bench.example.org
wrk -t2 -c32 -d"$((duration + 2))s" -s "$BENCH_DIR/login.lua" "$conv" >"$tmp/flood" 2>&1 &
flood_pid=$!
sleep 1
wrk_case "healthz during the login flood" strict -t1 -c4 -d"${duration}s" -s "$BENCH_DIR/count.lua" "$conv/healthz"
l_p99=$W_P99
wait "$flood_pid" || fail "login flood: wrk failed"
flood_ok=$(awk '$1 == "ok2xx" {print $2}' "$tmp/flood")
flood_bad=$(awk '$1 == "non2xx" {print $2}' "$tmp/flood")
flood_rps=$(awk '$1 == "rps2xx" {print $2}' "$tmp/flood")
[ "${flood_ok:-0}" -gt 0 ] || fail "login flood: no log-in succeeded"

trace "stampede"
# ---- stampede: edits during a 64-connection read load of the catalogue ----
edit_id=$(python3 "$here/bench/setup.py" "$db_url" stampede 5000)
curl -fs -o /dev/null "$conv/api/activities" || fail "stampede: catalogue not served"
edits() { # PATCH the title every 250 ms until $tmp/edits.stop appears
    local n=0 ok=0 code
    while [ ! -e "$tmp/edits.stop" ]; do
        n=$((n + 1))
        code=$(curl -s -o /dev/null -w '%{http_code}' -X PATCH -H "$staff_cookie" \
            -H 'X-CSRF-Token: benchcsrf' -H 'Content-Type: application/json' \
            --data "{\"title\":\"Bench activity edited $n\"}" "$conv/api/activities/$edit_id")
        [ "$code" = 200 ] && ok=$((ok + 1))
        sleep 0.25
    done
    echo "$ok $n" >"$tmp/edits"
}
edits &
editor=$!
# Non-2xx are counted here, not fatal: the 5xx count is the figure.
wrk_case "stampede" allow -t2 -c64 -d"${stampede_duration}s" -s "$BENCH_DIR/count.lua" "$conv/api/activities"
touch "$tmp/edits.stop"
wait "$editor"
read -r edits_ok edits_made <"$tmp/edits"
s_5xx=$W_5XX s_other=$((W_NON2XX - W_5XX)) s_sock=$W_SOCKERR s_p99=$W_P99 s_rps=$W_RPS
[ "$edits_ok" -gt 0 ] || fail "stampede: no edit succeeded ($edits_made tried)"
[ "$W_OK" -gt 0 ] || fail "stampede: no 2xx answer"

# ---- awards: a route another branch has not brought yet is SKIPPED ----
skipped=() # lines not measured because their route is missing (not a pass)
skip() { skipped+=("SKIPPED: route missing ($*)"); }

trace "vote"
# ---- vote PUT: the server vs pgbench running the same SQL ----
# Every request changes a vote (vote.lua, vote.pgbench); each side has its
# own accounts, enough that none reaches 30 changes an hour at 8,000/s.
vote_accounts=$((640 * enrol_rounds * enrol_duration)) # per side, a multiple of 16
mapfile -t vote_lines < <(python3 "$here/bench/awards_setup.py" "$db_url" vote "$vote_accounts" "$enrol_rounds")
[ ${#vote_lines[@]} -eq $((enrol_rounds + 1)) ] || { echo "bench: vote setup failed" >&2; exit 1; }
vote_cat=${vote_lines[0]}
trace "vote: set up"
# vote_rows FIRST_K LAST_K A B: "changes accounts votes" of round (A, B) for accounts k in [FIRST_K, LAST_K)
vote_rows() {
    # ANALYZE first: the tables changed by thousands of rows since the last
    # statistics, and with none the planner loops over them (seconds).
    psql "$db_url" -X -q -c "ANALYZE vote_changes, votes"
    psql "$db_url" -X -t -A -F ' ' -c "SELECT count(*), count(DISTINCT c.account_id),
            (SELECT count(*) FROM votes v JOIN bench_vote_tokens t ON t.account_id = v.account_id
              WHERE t.k >= $1 AND t.k < $2 AND v.category_id = $vote_cat AND v.submission_id IN ($3, $4))
        FROM vote_changes c JOIN bench_vote_tokens t ON t.account_id = c.account_id
       WHERE t.k >= $1 AND t.k < $2 AND c.category_id = $vote_cat AND c.submission_id IN ($3, $4)"
}
vs=(); vp=()
for pair in "${vote_lines[@]:1}"; do
    read -r case_a case_b <<<"$pair"
    wrk_case "vote" strict -t2 -c"$clients" -d"${enrol_duration}s" -s "$BENCH_DIR/vote.lua" \
        "$conv" -- "$vote_cat" "$case_a" "$case_b" $((vote_accounts / 2))
    read -r changes voters votes <<<"$(vote_rows 0 "$vote_accounts" "$case_a" "$case_b")"
    # In flight when wrk stops: written, not counted (one per connection).
    [ "$changes" -ge "$W_OK" ] && [ "$changes" -le $((W_OK + clients)) ] && [ "$votes" = "$voters" ] ||
        fail "vote: $changes vote changes by $voters accounts ($votes votes) for $W_OK 2xx answers"
    vs+=("$W_RPS")
    trace "vote: server round"
    out=$(pgbench -n -M prepared -c "$clients" -j 2 -T "$enrol_duration" -f "$here/bench/vote.pgbench" \
        -D per=$((vote_accounts / clients)) -D n=0 -D first="$vote_accounts" -D cat="$vote_cat" \
        -D a="$case_a" -D b="$case_b" "$db_url" 2>&1) ||
        fail "vote pgbench failed: $(tail -n 1 <<<"$out")"
    tps=$(awk '/^tps/ {print $3; exit}' <<<"$out")
    done_tx=$(awk -F': ' '/actually processed/ {split($2, a, "/"); print a[1]; exit}' <<<"$out")
    failed_tx=$(awk -F': ' '/number of failed transactions/ {split($2, a, " "); print a[1]; exit}' <<<"$out")
    [ "${failed_tx:-0}" = 0 ] || fail "vote pgbench: $failed_tx failed transactions"
    read -r changes voters votes <<<"$(vote_rows "$vote_accounts" $((2 * vote_accounts)) "$case_a" "$case_b")"
    [ "$changes" = "${done_tx:-x}" ] && [ "$votes" = "$voters" ] ||
        fail "vote pgbench: $changes vote changes by $voters accounts ($votes votes) for ${done_tx:-?} transactions"
    vp+=("${tps:-0}")
    trace "vote: pgbench round"
done
v_conv=$(median "${vs[@]}"); v_pg=$(median "${vp[@]}")

# entries_of FILE: the number of result entries in a results answer (-1: not one)
entries_of() {
    python3 -c 'import json, sys
try:
    d = json.load(open(sys.argv[1]))
    print(sum(len(c["entries"]) for c in d["categories"]))
except Exception:
    print(-1)' "$1"
}

trace "staff preview"
# ---- staff preview: GET .../results before publication, a large cycle ----
pv_cats=4 pv_cases=200 pv_judges=12 pv_per_cat=6 pv_criteria=7 pv_voters=25000
pv_cycle=$(python3 "$here/bench/awards_setup.py" "$db_url" cycle "$pv_cats" "$pv_cases" "$pv_judges" \
    "$pv_per_cat" "$pv_criteria" "$pv_voters") || { echo "bench: preview setup failed" >&2; exit 1; }
read -r pv_scores pv_votes < <(psql "$db_url" -X -t -A -F ' ' -c "SELECT
    (SELECT count(*) FROM scores s JOIN submissions c ON c.id = s.submission_id WHERE c.cycle_id = $pv_cycle),
    (SELECT count(*) FROM votes WHERE cycle_id = $pv_cycle)")
pv_url="$conv/api/awards/cycles/$pv_cycle/results"
trace "staff preview: set up"
pv_ms="-"
code=$(curl -s -o "$tmp/preview" -w '%{http_code}' -H "$staff_cookie" "$pv_url")
if [ "$code" = 404 ]; then
    skip "staff preview: GET /api/awards/cycles/{id}/results"
elif [ "$code" != 200 ]; then
    fail "staff preview: status $code"
else
    pt=()
    for _ in $(seq $((quick ? 5 : 11))); do
        read -r code t < <(curl -s -o "$tmp/preview" -w '%{http_code} %{time_total}\n' -H "$staff_cookie" "$pv_url")
        n=$(entries_of "$tmp/preview")
        [ "$code" = 200 ] && [ "$n" = $((pv_cats * pv_cases)) ] ||
            fail "staff preview: status $code, $n entries (expected 200, $((pv_cats * pv_cases)))"
        pt+=("$(calc "$t * 1000")")
    done
    pv_ms=$(median "${pt[@]}")
fi

trace "published results"
# ---- published results: the public answer vs bench_bare with its bytes ----
pub_cases=12
pub_cycle=$(python3 "$here/bench/awards_setup.py" "$db_url" cycle 4 "$pub_cases" 6 3 7 500) ||
    { echo "bench: results setup failed" >&2; exit 1; }
pub_url="$conv/api/awards/cycles/$pub_cycle/results"
trace "published results: set up"
r_conv="-" r_bare="-" r_ratio="-" r_p99="-" r_bare_p99="-" r_bytes="-"
code=$(curl -s -o "$tmp/publish" -w '%{http_code}' -X POST -H "$staff_cookie" -H 'X-CSRF-Token: benchcsrf' \
    -H 'Content-Type: application/json' --data '{}' "$conv/api/awards/cycles/$pub_cycle/publish")
if [ "$code" = 404 ]; then
    skip "published results: POST /api/awards/cycles/{id}/publish"
elif [ "$code" != 200 ] && [ "$code" != 201 ]; then
    fail "publish: status $code: $(head -c 300 "$tmp/publish")"
elif ! code=$(curl -s -o "$tmp/results" -w '%{http_code}' "$pub_url") || [ "$code" = 404 ]; then
    skip "published results: GET /api/awards/cycles/{id}/results"
elif [ "$code" != 200 ] || [ "$(entries_of "$tmp/results")" != $((4 * pub_cases)) ]; then
    fail "published results: status $code, $(entries_of "$tmp/results") entries (expected 200, $((4 * pub_cases)))"
else
    r_bytes=$(wc -c <"$tmp/results")
    bport3=$(free_port)
    "$build/bench/bench_bare" "$bport3" "$tmp/results" 2>/dev/null &
    pids+=($!)
    bare3_pid=$!
    wait_ready "http://127.0.0.1:$bport3/" 5 || { echo "bench: bench_bare did not start" >&2; exit 1; }
    rb=(); rc_=(); rp=(); rbp=()
    for _ in $(seq "$rounds"); do
        wrk_case "results (bare)" strict -t2 -c64 -d"${duration}s" -s "$BENCH_DIR/count.lua" "http://127.0.0.1:$bport3/"
        rb+=("$W_RPS"); rbp+=("$W_P99")
        wrk_case "published results" strict -t2 -c64 -d"${duration}s" -s "$BENCH_DIR/count.lua" "$pub_url"
        rc_+=("$W_RPS"); rp+=("$W_P99")
    done
    kill "$bare3_pid" 2>/dev/null || true
    r_bare=$(median "${rb[@]}"); r_conv=$(median "${rc_[@]}")
    r_p99=$(median "${rp[@]}"); r_bare_p99=$(median "${rbp[@]}")
    r_ratio=$(calc "$r_conv / $r_bare")
    # Still the same bytes after the load (a snapshot never changes).
    curl -s "$pub_url" | cmp -s - "$tmp/results" || fail "published results changed under load"
fi

trace "download"
# ---- a 10 MiB download vs psql binary COPY of the same bytea ----
dl_mib=10
read -r dl_sub dl_file < <(python3 "$here/bench/awards_setup.py" "$db_url" file "$dl_mib") ||
    { echo "bench: file setup failed" >&2; exit 1; }
dl_bytes=$((dl_mib * 1048576))
dl_url="$conv/api/submissions/$dl_sub/files/$dl_file"
trace "download: set up"
dl_sha=$(psql "$db_url" -X -t -A -c "SELECT encode(sha256, 'hex') FROM submission_files WHERE id = $dl_file")
d_ms="-" d_copy_ms="-" d_ratio="-" d_growth="-" d_after="-"
code=$(curl -s -o "$tmp/download" -w '%{http_code}' -H "$staff_cookie" "$dl_url")
if [ "$code" = 404 ]; then
    skip "download: GET /api/submissions/{id}/files/{file_id}"
elif [ "$code" != 200 ] || [ "$(sha256sum <"$tmp/download" | cut -d' ' -f1)" != "$dl_sha" ]; then
    fail "download: status $code, $(wc -c <"$tmp/download") bytes not the stored file"
else
    # The same bytes through psql: binary COPY is 19 bytes of header, 2 + 4
    # of tuple head, the bytea, 2 of trailer.
    copy_sql="\\copy (SELECT data FROM submission_files WHERE id = $dl_file) TO"
    psql "$db_url" -X -q -c "$copy_sql '$tmp/copy.bin' WITH (FORMAT binary)" || fail "psql binary \\copy failed"
    [ "$(tail -c +26 "$tmp/copy.bin" | head -c "$dl_bytes" | sha256sum | cut -d' ' -f1)" = "$dl_sha" ] &&
        [ "$(wc -c <"$tmp/copy.bin")" = $((dl_bytes + 27)) ] || fail "psql binary \\copy: not the stored file"
    rm -f "$tmp/copy.bin"
    # Timed, interleaved: each client's own time from request to last byte
    # (curl's time_total; psql's \timing of the \copy), both into /dev/null.
    ds=(); dq=()
    for _ in $(seq $((quick ? 3 : 5))); do
        read -r code size t < <(curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total}\n' \
            -H "$staff_cookie" "$dl_url")
        [ "$code" = 200 ] && [ "$size" = "$dl_bytes" ] || fail "download: status $code, $size bytes"
        ds+=("$(calc "$t * 1000")")
        out=$(psql "$db_url" -X -c '\timing on' -c "$copy_sql '/dev/null' WITH (FORMAT binary)" 2>&1) ||
            fail "psql binary \\copy failed: $out"
        grep -qx 'COPY 1' <<<"$out" || fail "psql binary \\copy: $out"
        dq+=("$(awk '/^Time:/ {print $2; exit}' <<<"$out")")
    done
    d_ms=$(median "${ds[@]}"); d_copy_ms=$(median "${dq[@]}")
    d_ratio=$(calc "$d_ms / max($d_copy_ms, 1)")
    # 16 concurrent downloads (each client fetches the file twice on one
    # connection); RSS sampled, and the kernel's high-water mark reset
    # before (clear_refs 5) so that a peak between samples counts too.
    before=$(rss_kb "$cpid")
    hwm_reset=0
    echo 5 2>/dev/null >"/proc/$cpid/clear_refs" && hwm_reset=1
    rm -f "$tmp/rss" "$tmp/rss.stop"
    sample_rss "$cpid" "$tmp/rss" &
    sampler=$!
    cl=()
    for i in $(seq 16); do
        curl -s -o /dev/null -o /dev/null -w '%{http_code} %{size_download}\n' -H "$staff_cookie" \
            "$dl_url" "$dl_url" >"$tmp/dl.$i" &
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
    d_growth=$(calc "max($peak - $before, 0) / 1024")
    d_after=$(calc "max($(rss_kb "$cpid") - $before, 0) / 1024")
    good=$(cat "$tmp"/dl.* | grep -c "^200 $dl_bytes\$" || true)
    [ "$good" = 32 ] || fail "concurrent downloads: $good of 32 complete 200 answers"
fi

trace "report"
# ---- report ----
h_ratio=$(calc "$h_conv / $h_bare")
c_ratio=$(calc "$c_conv / $c_bare")
e_ratio=$(calc "$e_conv / $e_pg")
csv_ratio=$(calc "$csv_ms / max($copy_ms, 1)")
idle_mib=$(calc "$idle_rss_kb / 1024")
growth_mib=$(calc "$csv_growth / 1024")
row() { printf '%-52s %12s %12s %8s %10s\n' "$@"; }
echo
row "benchmark" "convene" "reference" "ratio" "target"
row "GET /healthz 2xx/s (wrk -t2 -c64)" "${h_conv%.*}" "${h_bare%.*}" "$h_ratio" ">=0.80"
row "GET /api/activities 2xx/s ($cat_bytes bytes)" "${c_conv%.*}" "${c_bare%.*}" "$c_ratio" ">=0.70"
row "GET /api/activities p99 ms (64 conns; reference: bare)" "$c_p99" "$c_bare_p99" "-" "<10"
row "GET /api/activities/{id} signed in 2xx/s, p99 ms" "${a_rps%.*}" "-" "-" "-"
row "  (p99 ms)" "$a_p99" "-" "-" "-"
row "enrol 2xx/s vs pgbench tps (16 clients)" "${e_conv%.*}" "${e_pg%.*}" "$e_ratio" ">=0.80"
row "  ($enrol_rounds rounds of ${enrol_duration} s, median; rows = 2xx checked)" "" "" "" ""
row "participant CSV $csv_rows rows ms vs psql \\copy" "$csv_ms" "$copy_ms" "$csv_ratio" "<=1.50"
row "  RSS growth during the export (MiB; $csv_bytes bytes)" "$growth_mib" "-" "-" "<10"
row "login flood 2xx/s (32 clients; $flood_bad non-2xx)" "${flood_rps%.*}" "-" "-" "-"
row "  GET /healthz p99 ms during the flood" "$l_p99" "-" "-" "<50"
row "stampede: 5xx (5,000 activities, $edits_ok edits)" "$s_5xx" "-" "-" "0"
row "  other non-2xx, socket errors (wrk: timeout 2 s)" "$s_other" "$s_sock" "-" "0"
row "  GET /api/activities p99 ms, 2xx/s" "$s_p99" "${s_rps%.*}" "-" "-"
v_ratio=$(calc "$v_conv / $v_pg")
sk() { [ "$1" = "-" ] && echo SKIPPED || echo "$1"; }
row "vote PUT 2xx/s vs pgbench tps (16 clients)" "${v_conv%.*}" "${v_pg%.*}" "$v_ratio" ">=0.70"
row "  ($enrol_rounds rounds of ${enrol_duration} s, median; changes = 2xx checked)" "" "" "" ""
row "staff results preview ms, median ($pv_votes votes)" "$(sk "$pv_ms")" "-" "-" "<200"
row "  ($pv_cats x $pv_cases cases, $pv_judges judges, $pv_criteria criteria, $pv_scores scores)" "" "" "" ""
row "published results 2xx/s ($r_bytes bytes; reference: bare)" "$(sk "${r_conv%.*}")" "${r_bare%.*}" "$r_ratio" ">=0.50"
row "  p99 ms (64 conns; reference: bare)" "$(sk "$r_p99")" "$r_bare_p99" "-" "<10"
row "$dl_mib MiB download ms vs psql binary \\copy" "$(sk "$d_ms")" "$d_copy_ms" "$d_ratio" "<=1.50"
row "  RSS growth, 16 concurrent downloads (MiB; after: ${d_after:--})" "$(sk "$d_growth")" "-" "-" "<5"
row "start to ready (ms, migrated database)" "$startup_ms" "-" "-" "<300"
row "idle RSS (MiB)" "$idle_mib" "-" "-" "<30"

check "healthz ratio" "$h_ratio" ">=" 0.80
check "catalogue ratio" "$c_ratio" ">=" 0.70
check "catalogue p99 ms" "$c_p99" "<" 10
check "enrolment ratio" "$e_ratio" ">=" 0.80
check "csv vs psql ratio" "$csv_ratio" "<=" 1.50
check "csv RSS growth MiB" "$growth_mib" "<" 10
check "healthz p99 ms during login flood" "$l_p99" "<" 50
check "stampede 5xx" "$s_5xx" "==" 0
check "stampede other non-2xx + socket errors" "$((s_other + s_sock))" "==" 0
check "vote ratio" "$v_ratio" ">=" 0.70
[ "$pv_ms" = "-" ] || check "staff results preview median ms" "$pv_ms" "<" 200
[ "$r_ratio" = "-" ] || check "published results ratio" "$r_ratio" ">=" 0.50
[ "$r_p99" = "-" ] || check "published results p99 ms" "$r_p99" "<" 10
[ "$d_ratio" = "-" ] || check "download vs psql binary copy ratio" "$d_ratio" "<=" 1.50
[ "$d_growth" = "-" ] || check "download RSS growth MiB (16 concurrent)" "$d_growth" "<" 5
check "start to ready ms" "$startup_ms" "<" 300
check "idle RSS MiB" "$idle_mib" "<" 30
echo
for m in "${missed[@]}" "${skipped[@]}"; do echo "$m"; done
[ ${#missed[@]} -eq 0 ] && [ ${#skipped[@]} -eq 0 ] && echo "bench: every target met"
if [ ${#errors[@]} -gt 0 ]; then
    echo "bench: could not measure (${#errors[@]} errors):" >&2
    for e in "${errors[@]}"; do echo "  $e" >&2; done
    exit 1
fi
exit 0

#!/usr/bin/env bash
# tests/nodes/run.sh - Convene on several nodes, on loopback only: a
# PostgreSQL primary with a streaming replica (pg_basebackup), two
# `convene serve` nodes, nginx balancing them (a configuration generated
# from deploy/nginx.conf's ideas: keep-alive upstream, proxy_next_upstream,
# a bound on upstream connections) and a mail catcher. Then it checks, and
# prints each figure with PASS or FAIL:
#
#   session     a session made through node A works on node B
#   catalogue   an activity changed through node A is in node B's cached
#               catalogue within 1 s (measured from the change's answer)
#   replica     the public catalogue is read from the replica (the nodes'
#               convene_db_reads_total{served_by="standby"}, and their
#               connections on the replica)
#   enrol       500 enrolments for 50 seats through nginx across both
#               nodes: exactly 50 confirmed, a waiting list 1..450 with no
#               gap (SQL on the primary), answers spread over both nodes
#   mail        every mail sent exactly once although both nodes run
#               senders: messages at the catcher = outbox rows sent, and
#               their Message-IDs the outbox's, each once
#   metrics     each node's live /metrics (after the enrolments and the
#               mail) accepted by `promtool check metrics` ($PROMTOOL, or
#               tests/tools/promtool.sh), with its families and samples
#   sigterm     SIGTERM to node A during a read load through nginx: no
#               answer other than 200 at the client
#   sigkill     SIGKILL to node B during an enrolment load: every 2xx
#               answer has its row on the primary
#   idle        nginx holds 5,000 idle keep-alive client connections while
#               each node holds at most its upstream bound (ss), and
#               /healthz through nginx stays under 50 ms p99 (wrk)
#   no replica  with the replica stopped, the catalogue through nginx
#               answers 200 and shows a change (served from the primary)
#
# Exits 0 when every check passes, 1 when one fails, 2 when the setup
# fails. Loops are bounded and wait for states; everything started is
# stopped on exit (also on failure or Ctrl-C). As root, PostgreSQL runs
# as an unprivileged user (deploy/pg.sh's convene-pg).
#
# Usage: tests/nodes/run.sh [--build DIR]   (default build/; needs the
# convene binary, nginx, wrk, python3 with aiosmtpd: deploy/deps.sh --test)
# Ports: 57001-57099 on 127.0.0.1 (CONVENE_NODES_PORT_BASE=57000 moves them).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build="$here/build"
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift ;;
    -h | --help) sed -n '2,40p' "$0"; exit 0 ;;
    *) echo "usage: tests/nodes/run.sh [--build DIR]" >&2; exit 2 ;;
    esac
    shift
done
bin="$build/convene"
base_port=${CONVENE_NODES_PORT_BASE:-57000}
pg_primary_port=$((base_port + 1))
pg_replica_port=$((base_port + 2))
node_a_port=$((base_port + 11))
node_b_port=$((base_port + 12))
nginx_port=$((base_port + 80))
smtp_port=$((base_port + 25))
mail_http_port=$((base_port + 26))
upstream_max=32 # nginx max_conns per node: what a node may hold
idle_clients=5000
seats=50
enrolments=500

py=/usr/bin/python3
[ -x "$py" ] || py=python3
t_start=$(date +%s)
fails=0
results=()

say() { printf 'nodes: %s\n' "$*"; }
# since T0: seconds since a `date +%s.%N` time, two decimals.
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}'; }
die() { printf 'nodes: setup failed: %s\n' "$*" >&2; exit 2; }
# check NAME OK FIGURE: prints and records one result.
check() {
    local name=$1 ok=$2 figure=$3 line
    if [ "$ok" = 1 ]; then line="PASS  $name: $figure"; else line="FAIL  $name: $figure"; fails=$((fails + 1)); fi
    printf '%s\n' "$line"
    results+=("$line")
}

for tool in nginx wrk curl psql pg_basebackup ss; do
    command -v "$tool" >/dev/null || die "$tool not found (run deploy/deps.sh --test)"
done
[ -x "$bin" ] || die "no convene binary at $bin (build first)"
# Prometheus's checker for the metrics check (none: that check fails).
promtool=${PROMTOOL:-$(bash "$here/tests/tools/promtool.sh" "$build/tools" 2>/dev/null || true)}

# ---- File descriptors: 5,000 client sockets in one process, as many in
# nginx, plus nginx's upstream side.
need_fds=$((idle_clients + 2000))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need_fds" ]; then
    ulimit -Hn "$need_fds" 2>/dev/null || die "ulimit -n: hard limit $hard < $need_fds (raise it, e.g. as root)"
fi
soft_target=$((need_fds * 2))
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$soft_target" ]; then
    soft_target=$(ulimit -Hn)
fi
ulimit -Sn "$soft_target" || die "cannot raise ulimit -n to $soft_target"
say "file descriptors: ulimit -n $(ulimit -n) (need $need_fds)"

# ---- Work directory and cleanup
work=$(mktemp -d /tmp/convene-nodes.XXXXXX)
chmod 0755 "$work" # the unprivileged PostgreSQL user must reach its sockets
pids=()
nginx_conf="$work/nginx/nginx.conf"
cleanup() {
    local rc=$? p
    set +e
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null
    done
    [ -f "$work/nginx/nginx.pid" ] && nginx -c "$nginx_conf" -p "$work/nginx" -s stop 2>/dev/null
    for p in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    done
    bash "$here/deploy/pg.sh" destroy "$work/pgr" --port "$pg_replica_port" >/dev/null 2>&1
    bash "$here/deploy/pg.sh" destroy "$work/pgp" --port "$pg_primary_port" >/dev/null 2>&1
    if [ "${NODES_KEEP:-0}" = 1 ]; then echo "nodes: kept $work"; else rm -rf "$work"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# shellcheck source=tests/lib/wait.sh
. "$here/tests/lib/wait.sh"
# wait_upstream PORT: until nginx sends a request to the node on PORT again
# (a node that failed is left out for fail_timeout).
wait_upstream() {
    local port=$1 i
    for ((i = 0; i < 200; i++)); do
        curl -s -o /dev/null --max-time 2 "$front/healthz"
        if tail -n 1 "$work/nginx/access.log" | grep -q "127.0.0.1:$port 200 GET"; then return 0; fi
        sleep 0.1
    done
    say "nginx did not use the node on :$port within 20 s"
    return 1
}
http_ok() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1")" = 200 ]; }

# ---- PostgreSQL: primary, then a streaming replica of it
pg() { bash "$here/deploy/pg.sh" "$@"; }
pg start "$work/pgp" --port "$pg_primary_port" --fast 2>"$work/pg.log" || { cat "$work/pg.log"; die "primary"; }
primary_url=$(pg url "$work/pgp" --port "$pg_primary_port")
primary_run=$(readlink -m "$work/pgp/run")
psql_p() { psql "$primary_url" -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }

# The replica's layout, owned like the primary's data (pg.sh runs the
# server as that user), then a base backup that writes standby.signal and
# primary_conninfo (-R).
owner=$(stat -c %U "$(readlink -m "$work/pgp/data")")
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u "$owner" -- "$@"; else "$@"; fi
}
mkdir -p "$work/pgr/run" "$work/pgr/data"
: >"$work/pgr/postgres.log"
chmod 0755 "$work/pgr/run"
chmod 0700 "$work/pgr/data"
chmod 0600 "$work/pgr/postgres.log"
[ "$(id -u)" = 0 ] && chown "$owner:" "$work/pgr/run" "$work/pgr/data" "$work/pgr/postgres.log"
t0=$(date +%s.%N)
(cd / && as_owner pg_basebackup -D "$work/pgr/data" -R -X stream -c fast \
    -h "$primary_run" -p "$pg_primary_port" -U convene) 2>>"$work/pg.log" || { cat "$work/pg.log"; die "pg_basebackup"; }
pg start "$work/pgr" --port "$pg_replica_port" 2>>"$work/pg.log" || { cat "$work/pg.log"; die "replica"; }
replica_url=$(pg url "$work/pgr" --port "$pg_replica_port")
replica_run=$(readlink -m "$work/pgr/run")
psql_r() { psql "$replica_url" -X -q -t -A "$@"; }
[ "$(psql_r -c 'SELECT pg_is_in_recovery()')" = t ] || die "the replica is not in recovery"
streaming() { [ "$(psql_p -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ]; }
wait_for "the replica streaming" 30 streaming ||
    die "no streaming replication"
say "primary and streaming replica up in $(since "$t0") s (base backup included)"
# Reads that may lag: the replica first, the primary when it is down.
read_url="host=$replica_run,$primary_run port=$pg_replica_port,$pg_primary_port user=convene dbname=convene target_session_attrs=prefer-standby connect_timeout=2"

# ---- Database contents: migrations, accounts with sessions, activities
CONVENE_DATABASE_URL=$primary_url "$bin" migrate >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; die "migrate"; }
tokens=$("$py" - "$enrolments" <<'EOF'
import hashlib, sys
def token(k):
    t = "nodes%d" % k
    return t + "x" * (43 - len(t))
n = int(sys.argv[1])
for k in list(range(n)) + [999999]:
    print("%d\t\\\\x%s" % (k, hashlib.blake2b(token(k).encode(), digest_size=32).hexdigest()))
EOF
)
ids=$(psql_p <<EOF
CREATE TEMP TABLE t (k integer PRIMARY KEY, token_hash bytea NOT NULL, account_id bigint);
COPY t (k, token_hash) FROM STDIN;
$tokens
\.
INSERT INTO accounts (email, password_hash, name, email_verified_at)
  SELECT 'nodes-' || k || '@nodes.example.org', 'x', 'Nodes ' || k, now() FROM t;
UPDATE t SET account_id = a.id FROM accounts a WHERE a.email = 'nodes-' || t.k || '@nodes.example.org';
INSERT INTO account_roles (account_id, role) SELECT account_id, 'participant' FROM t;
INSERT INTO account_roles (account_id, role) SELECT account_id, 'staff' FROM t WHERE k = 999999;
INSERT INTO sessions (account_id, token_hash, csrf_token, expires_at)
  SELECT account_id, token_hash, 'nodescsrf', now() + interval '1 day' FROM t;
INSERT INTO activities (slug, kind, title, mode, status, timezone, starts_on, ends_on, capacity)
  VALUES ('nodes-catalogue', 'workshop', 'Nodes catalogue', 'open', 'published', 'Asia/Seoul',
          '2031-05-22', '2031-05-26', NULL),
         ('nodes-seats', 'workshop', 'Nodes seats', 'open', 'published', 'Asia/Seoul',
          '2031-06-22', '2031-06-26', $seats),
         ('nodes-writes', 'workshop', 'Nodes writes', 'open', 'published', 'Asia/Seoul',
          '2031-07-22', '2031-07-26', NULL);
SELECT string_agg(id::text, ' ' ORDER BY slug) FROM activities WHERE slug LIKE 'nodes-%';
EOF
) || die "test data"
read -r act_catalogue act_seats act_writes <<<"$(tail -n 1 <<<"$ids")"
[ -n "$act_writes" ] || die "test activities not made ($ids)"

# ---- Mail catcher
mkdir -p "$work/mail"
"$py" "$here/deploy/mailcatcher.py" --smtp "127.0.0.1:$smtp_port" --http "127.0.0.1:$mail_http_port" \
    --dir "$work/mail" >"$work/mailcatcher.log" 2>&1 &
pids+=($!)
wait_for "the mail catcher" 20 http_ok "http://127.0.0.1:$mail_http_port/api/messages" || die "mail catcher"

# ---- Two nodes
declare -A node_pid
start_node() {
    local name=$1 port=$2
    env CONVENE_DATABASE_URL="$primary_url" CONVENE_DATABASE_READ_URL="$read_url" \
        CONVENE_LISTEN="127.0.0.1:$port" CONVENE_BASE_URL="http://127.0.0.1:$nginx_port" \
        CONVENE_SMTP_URL="smtp://127.0.0.1:$smtp_port" CONVENE_TRUSTED_PROXIES=127.0.0.1 \
        CONVENE_DATA_DIR="$here" CONVENE_DB_POOL_SIZE=8 CONVENE_THREADS=$((upstream_max * 2)) \
        CONVENE_MAIL_SENDERS=2 CONVENE_ARGON2_MEMLIMIT=8M CONVENE_ARGON2_OPSLIMIT=1 \
        CONVENE_LOGIN_LIMIT_PER_IP=100000 CONVENE_MIGRATE=false \
        "$bin" serve >>"$work/node-$name.log" 2>&1 &
    node_pid[$name]=$!
    pids+=($!)
    wait_for "node $name ready" 30 http_ok "http://127.0.0.1:$port/readyz" || { tail -n 20 "$work/node-$name.log"; return 1; }
}
start_node a "$node_a_port" || die "node a"
start_node b "$node_b_port" || die "node b"
node_a="http://127.0.0.1:$node_a_port"
node_b="http://127.0.0.1:$node_b_port"

# ---- nginx: deploy/nginx.conf's upstream and proxy settings, on loopback
# without TLS, one worker (so max_conns bounds each node exactly), room for
# the idle clients.
mkdir -p "$work/nginx/tmp"
cat >"$nginx_conf" <<EOF
worker_processes 1;
worker_rlimit_nofile $(ulimit -n);
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
daemon on;
events { worker_connections $((need_fds + 1000)); }
http {
    log_format upstreamlog '\$status \$upstream_addr \$upstream_status \$request_method \$uri';
    access_log $work/nginx/access.log upstreamlog;
    client_body_temp_path $work/nginx/tmp/body;
    proxy_temp_path $work/nginx/tmp/proxy;
    keepalive_timeout 300s;
    keepalive_requests 100000;
    upstream convene {
        server 127.0.0.1:$node_a_port max_conns=$upstream_max max_fails=2 fail_timeout=5s;
        server 127.0.0.1:$node_b_port max_conns=$upstream_max max_fails=2 fail_timeout=5s;
        keepalive 16;
        keepalive_requests 10000;
        keepalive_timeout 60s;
    }
    server {
        listen 127.0.0.1:$nginx_port;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host \$host;
        proxy_set_header X-Forwarded-For \$remote_addr;
        proxy_next_upstream error timeout http_503;
        proxy_connect_timeout 5s;
        proxy_read_timeout 60s;
        location / { proxy_pass http://convene; }
    }
}
EOF
nginx -t -q -c "$nginx_conf" -p "$work/nginx" 2>"$work/nginx-t.log" || { cat "$work/nginx-t.log"; die "nginx -t"; }
nginx -c "$nginx_conf" -p "$work/nginx" 2>"$work/nginx-start.log" || { cat "$work/nginx-start.log"; die "nginx"; }
front="http://127.0.0.1:$nginx_port"
wait_for "nginx" 20 http_ok "$front/readyz" || die "nginx does not answer"
say "up: primary :$pg_primary_port, replica :$pg_replica_port, nodes :$node_a_port :$node_b_port, nginx :$nginx_port, mail :$smtp_port ($(($(date +%s) - t_start)) s)"
echo

client() { "$py" "$here/tests/nodes/client.py" "$@"; }
jget() { "$py" -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d = d.get(k, 0) if isinstance(d, dict) else 0
print(json.dumps(d) if isinstance(d, dict) else d)' "$1"; }
# Sum of one series over both nodes' /metrics.
metric_sum() {
    local total=0 v port
    for port in "$node_a_port" "$node_b_port"; do
        v=$(curl -s --max-time 5 "http://127.0.0.1:$port/metrics" | awk -v s="$1" 'index($0, s " ") == 1 {print $2}')
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

# ---- 1. A session made through one node works on the other
printf 'nodes-session-pw-1\n' | CONVENE_DATABASE_URL=$primary_url CONVENE_ARGON2_MEMLIMIT=8M CONVENE_ARGON2_OPSLIMIT=1 \
    "$bin" user add session@nodes.example.org --name "Session Test" --role participant >/dev/null 2>&1 || die "user add"
login=$(curl -s -i --max-time 10 -H 'Content-Type: application/json' \
    -d '{"email":"session@nodes.example.org","password":"nodes-session-pw-1"}' "$node_a/api/auth/login")
cookie=$(grep -i '^set-cookie: convene_session=' <<<"$login" | sed 's/^[^:]*: //; s/;.*//' | tr -d '\r')
me_status=$(curl -s -o "$work/me.json" -w '%{http_code}' --max-time 10 -H "Cookie: $cookie" "$node_b/api/me")
me_email=$(jget email <"$work/me.json" 2>/dev/null || true)
sess_ok=0
[ -n "$cookie" ] && [ "$me_status" = 200 ] && [ "$me_email" = session@nodes.example.org ] && sess_ok=1
check "session across nodes" "$sess_ok" "logged in on node A, GET /api/me on node B: $me_status ($me_email)"

# ---- 2. An activity change on node A reaches node B's cached catalogue
prop=$(client propagate "$node_a" "$node_b" "$act_catalogue" "Nodes catalogue $(date +%s%N)")
seen=$(jget seen_ms <<<"$prop")
prop_ok=$("$py" -c "import sys; print(1 if 0 <= float(sys.argv[1]) < 1000 else 0)" "$seen")
check "catalogue change across nodes" "$prop_ok" "PATCH on node A ($(jget patch_ms <<<"$prop") ms), in node B's cached list after $seen ms (limit 1000) $prop"

# ---- 3. The public catalogue is read from the replica
standby_before=$(metric_sum 'convene_db_reads_total{served_by="standby"}')
primary_before=$(metric_sum 'convene_db_reads_total{served_by="primary"}')
for i in $(seq 1 6); do
    psql_p -c "UPDATE activities SET summary = 'round $i' WHERE id = $act_catalogue" >/dev/null
    # Each change drops both nodes' caches; the next read of each rebuilds.
    sleep 0.3
    curl -s -o /dev/null --max-time 5 "$node_a/api/activities?per_page=100"
    curl -s -o /dev/null --max-time 5 "$node_b/api/activities?per_page=100"
done
standby_reads=$(($(metric_sum 'convene_db_reads_total{served_by="standby"}') - standby_before))
primary_reads=$(($(metric_sum 'convene_db_reads_total{served_by="primary"}') - primary_before))
replica_conns=$(psql_r -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'convene'")
rep_ok=0
[ "$standby_reads" -gt 0 ] && [ "$replica_conns" -gt 0 ] && rep_ok=1
check "catalogue from the replica" "$rep_ok" "12 cache rebuilds after 6 changes: $standby_reads from the replica, $primary_reads from the primary (replica not yet caught up); $replica_conns node connections on the replica"

# ---- 4. 500 enrolments for 50 seats through nginx, across both nodes
: >"$work/nginx/access.log"
t0=$(date +%s.%N)
enrol=$(client enrol "$front" "$act_seats" 0 "$enrolments" 32 "$work/enrol.txt")
enrol_s=$(since "$t0")
read -r confirmed waiting wmin wmax wdistinct <<<"$(psql_p -F ' ' -c "
    SELECT count(*) FILTER (WHERE status = 'confirmed'), count(*) FILTER (WHERE status = 'waitlisted'),
           coalesce(min(waitlist_seq), 0), coalesce(max(waitlist_seq), 0), count(DISTINCT waitlist_seq)
      FROM enrollments WHERE activity_id = $act_seats")"
seat_count=$(psql_p -c "SELECT confirmed_count FROM activities WHERE id = $act_seats")
on_a=$(grep -c "127.0.0.1:$node_a_port 201 POST" "$work/nginx/access.log" || true)
on_b=$(grep -c "127.0.0.1:$node_b_port 201 POST" "$work/nginx/access.log" || true)
answers_201=$(jget 201 <<<"$enrol")
en_ok=0
[ "$confirmed" = "$seats" ] && [ "$seat_count" = "$seats" ] && [ "$waiting" = $((enrolments - seats)) ] &&
    [ "$wmin" = 1 ] && [ "$wmax" = "$waiting" ] && [ "$wdistinct" = "$waiting" ] &&
    [ "$answers_201" = "$enrolments" ] && [ "$on_a" -gt 0 ] && [ "$on_b" -gt 0 ] && en_ok=1
check "500 enrolments for 50 seats" "$en_ok" "answers $enrol in $enrol_s s (node A $on_a, node B $on_b); $confirmed confirmed (seats taken $seat_count), $waiting waiting, positions $wmin..$wmax with $wdistinct distinct"

# ---- 5. Every mail sent exactly once, both nodes sending
outbox_total=$(psql_p -c "SELECT count(*) FROM mail_outbox")
outbox_drained() { [ "$(psql_p -c "SELECT count(*) FROM mail_outbox WHERE status IN ('pending', 'sending')")" = 0 ]; }
t0=$(date +%s.%N)
wait_for "the outbox to drain" 90 outbox_drained || true
drain_s=$(since "$t0")
read -r sent failed <<<"$(psql_p -F ' ' -c "SELECT count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'failed') FROM mail_outbox")"
psql_p -c "SELECT message_id FROM mail_outbox WHERE status = 'sent' ORDER BY 1" >"$work/outbox-ids.txt"
caught_all() { [ "$(find "$work/mail" -name '*.eml' | wc -l)" -ge "$sent" ]; }
wait_for "the catcher to hold every mail" 20 caught_all || true
files=$(find "$work/mail" -name '*.eml' | wc -l)
# Message-ID headers of the caught mails (folded headers unfolded first).
for f in "$work"/mail/*.eml; do
    sed -n '/^$/q;p' "$f" | awk '/^[ \t]/{printf "%s", $0; next} {printf "\n%s", $0} END {print ""}' |
        grep -i '^message-id:' | sed 's/^[^:]*:[ \t]*//' | tr -d '\r'
done | sort >"$work/caught-ids.txt"
dups=$(uniq -d "$work/caught-ids.txt" | wc -l)
same=0
cmp -s <(sort "$work/outbox-ids.txt") "$work/caught-ids.txt" && same=1
senders_a=$(grep -c '"mail sent"\|mail sent' "$work/node-a.log" || true)
senders_b=$(grep -c '"mail sent"\|mail sent' "$work/node-b.log" || true)
mail_ok=0
[ "$sent" = "$outbox_total" ] && [ "$files" = "$sent" ] && [ "$dups" = 0 ] && [ "$same" = 1 ] && mail_ok=1
check "every mail exactly once" "$mail_ok" "$outbox_total outbox rows, $sent sent (all within $drain_s s of the enrolments' end), $failed failed; $files messages at the catcher, $dups duplicate Message-IDs, same Message-IDs as the outbox: $([ $same = 1 ] && echo yes || echo no) (log lines 'mail sent': node A $senders_a, node B $senders_b)"

# ---- 5b. Both nodes' live /metrics pass promtool check metrics
if [ -z "$promtool" ]; then
    check "promtool check metrics" 0 "no promtool (none on PATH, PROMTOOL unset, apt-get download prometheus failed)"
else
    prom_ok=1 prom_fig=
    for node in a b; do
        port=$node_a_port
        [ "$node" = b ] && port=$node_b_port
        status=$(curl -s -o "$work/metrics-$node.txt" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/metrics" || true)
        families=$(grep -c '^# TYPE ' "$work/metrics-$node.txt" || true)
        samples=$(grep -vc '^#' "$work/metrics-$node.txt" || true)
        if out=$("$promtool" check metrics <"$work/metrics-$node.txt" 2>&1) && [ "$status" = 200 ] && [ "$families" -gt 0 ]; then
            prom_fig+="node ${node^^} $families families, $samples samples: ok; "
        else
            prom_ok=0
            prom_fig+="node ${node^^} GET /metrics $status, $families families: $(tr '\n' ' ' <<<"$out"); "
        fi
    done
    check "promtool check metrics" "$prom_ok" "${prom_fig%; } ($("$promtool" --version 2>&1 | head -n 1 | awk '{print "promtool " $3}'))"
fi

# ---- 6. SIGTERM of node A during a read load: nginx retries what it can
load_paths=(/healthz /api/activities "/api/activities/$act_catalogue" /readyz)
client load "$front" 4 16 "${load_paths[@]}" >"$work/load-term.json" &
load_pid=$!
sleep 1.2
kill -TERM "${node_pid[a]}"
term_t0=$(date +%s.%N)
wait "${node_pid[a]}" 2>/dev/null && term_rc=0 || term_rc=$?
term_s=$(since "$term_t0")
wait "$load_pid" || true
load=$(cat "$work/load-term.json")
ok200=$(jget 200 <<<"$load")
total=$("$py" -c 'import json,sys; print(sum(json.loads(sys.argv[1]).values()))' "$load")
term_ok=0
[ "$total" -gt 0 ] && [ "$ok200" = "$total" ] && [ "$term_rc" = 0 ] && term_ok=1
check "SIGTERM during load" "$term_ok" "$total GETs through nginx over 4 s (16 connections), answers $load; node A exited $term_rc after $term_s s"
start_node a "$node_a_port" || die "node a again"

# ---- 7. SIGKILL of node B during enrolments: no committed data lost
wait_upstream "$node_a_port" || true
client enrol "$front" "$act_writes" 0 "$enrolments" 16 "$work/writes.txt" >"$work/writes.json" &
writes_pid=$!
sleep 0.6
kill -KILL "${node_pid[b]}"
wait "${node_pid[b]}" 2>/dev/null || true
wait "$writes_pid" || true
writes=$(cat "$work/writes.json")
awk '$2 >= 200 && $2 < 300 {print $1}' "$work/writes.txt" | sort >"$work/writes-2xx.txt"
psql_p -c "SELECT substring(a.email from 'nodes-([0-9]+)@')::int FROM enrollments e JOIN accounts a ON a.id = e.account_id
           WHERE e.activity_id = $act_writes" | sort >"$work/writes-rows.txt"
answered=$(wc -l <"$work/writes-2xx.txt")
rows=$(wc -l <"$work/writes-rows.txt")
missing=$(comm -23 "$work/writes-2xx.txt" "$work/writes-rows.txt" | wc -l)
unanswered_rows=$(comm -13 "$work/writes-2xx.txt" "$work/writes-rows.txt" | wc -l)
kill_ok=0
[ "$answered" -gt 0 ] && [ "$missing" = 0 ] && kill_ok=1
check "SIGKILL during writes" "$kill_ok" "answers $writes; $answered 2xx, $rows rows, 2xx without a row: $missing (rows whose answer was lost with the node: $unanswered_rows)"
start_node b "$node_b_port" || die "node b again"

# ---- 8. 5,000 idle keep-alive clients at nginx; the nodes' connections
# stay bounded and /healthz stays fast
wait_upstream "$node_b_port" || true
client hold 127.0.0.1 "$nginx_port" "$idle_clients" "$work/held" 60 >"$work/hold.json" 2>"$work/hold.err" &
hold_pid=$!
wait_for "$idle_clients idle connections" 60 test -s "$work/held" || true
held=$(cat "$work/held" 2>/dev/null || echo 0)
# Latency: 2,000 requests one after the other (what one client sees);
# then throughput with wrk (4 connections flat out; informational: on a
# shared 2-core machine its tail is the machine's, not nginx's).
probe=$(client probe "$front" /healthz 2000)
p99=$(jget p99 <<<"$probe")
# The nodes' connections from nginx, sampled while wrk runs: the most seen.
wrk -t1 -c4 -d3s --latency "$front/healthz" >"$work/wrk.txt" 2>&1 &
wrk_pid=$!
conns_a=0 conns_b=0
for ((i = 0; i < 100; i++)); do
    kill -0 "$wrk_pid" 2>/dev/null || break
    n=$(ss -Htn state established "( dport = :$node_a_port )" | wc -l); [ "$n" -gt "$conns_a" ] && conns_a=$n
    n=$(ss -Htn state established "( dport = :$node_b_port )" | wc -l); [ "$n" -gt "$conns_b" ] && conns_b=$n
    sleep 0.1
done
wait "$wrk_pid" || true
wrk_p99=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000}; print v}' "$work/wrk.txt")
wrk_rate=$(awk '/Requests\/sec/ {printf "%d", $2}' "$work/wrk.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.txt")
client_conns=$(ss -Htn state established "( dport = :$nginx_port )" | wc -l)
kill -TERM "$hold_pid" 2>/dev/null || true
wait "$hold_pid" || true
idle_ok=0
[ "$held" = "$idle_clients" ] && [ "$client_conns" -ge "$idle_clients" ] && [ "$conns_a" -le "$upstream_max" ] &&
    [ "$conns_b" -le "$upstream_max" ] && [ "$(jget statuses.200 <<<"$probe")" = 2000 ] && [ -z "$non2xx" ] &&
    "$py" -c "import sys; sys.exit(0 if float(sys.argv[1]) < 50 else 1)" "$p99" && idle_ok=1
check "5,000 idle clients" "$idle_ok" "nginx held $held idle keep-alive clients (ss after the load: $client_conns client connections established), the nodes held at most A $conns_a and B $conns_b connections from nginx during the wrk load (bound $upstream_max each); /healthz p99 $p99 ms (limit 50; p50 $(jget p50 <<<"$probe"), max $(jget max <<<"$probe"), answers $(jget statuses <<<"$probe")); flat out with wrk -c4: $wrk_rate/s, p99 ${wrk_p99:-?} ms${non2xx:+, $non2xx non-2xx}"

# ---- 9. Replica stopped: the service carries on from the primary
primary_before=$(metric_sum 'convene_db_reads_total{served_by="primary"}')
pg stop "$work/pgr" --port "$pg_replica_port" 2>>"$work/pg.log" || true
title="Nodes without replica $(date +%s%N)"
curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X PATCH -H 'Content-Type: application/json' \
    -H "Cookie: convene_session=$("$py" -c 'print("nodes999999" + "x" * 32)')" -H 'X-CSRF-Token: nodescsrf' \
    -d "{\"title\":\"$title\"}" "$front/api/activities/$act_catalogue" >"$work/patch-status.txt"
poll=$(client poll "$front" "$title" 2)
primary_reads=$(($(metric_sum 'convene_db_reads_total{served_by="primary"}') - primary_before))
statuses=$(jget statuses <<<"$poll")
seen=$(jget seen_ms <<<"$poll")
nr_ok=0
[ "$(cat "$work/patch-status.txt")" = 200 ] &&
    "$py" -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if set(d["statuses"]) == {"200"} and d["seen_ms"] >= 0 else 1)' "$poll" &&
    [ "$primary_reads" -gt 0 ] && nr_ok=1
check "replica stopped" "$nr_ok" "PATCH $(cat "$work/patch-status.txt"); catalogue through nginx for 2 s: answers $statuses, change seen after $seen ms; $primary_reads reads from the primary"

say "for sizing: database $(psql_p -c "SELECT pg_size_pretty(pg_database_size('convene'))") after the run; replica lag at the end of the load $(psql_p -c "SELECT coalesce(max(replay_lag)::text, 'none') FROM pg_stat_replication")"
echo
say "$(( ${#results[@]} - fails )) of ${#results[@]} checks passed in $(($(date +%s) - t_start)) s"
[ "$fails" = 0 ] || exit 1

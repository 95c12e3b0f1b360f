#!/usr/bin/env bash
# bench/certificates.sh - certificates of attendance: the time and the
# server's peak RSS for issuing 500 certificates in one request
# (POST /api/activities/{id}/certificates), beside the time to render one
# certificate (build/tests/render_certificate: the first one of a process,
# which loads the fonts, and the mean of the next 50), and the time the
# mail senders take to render and send the 500 PDFs through the mail
# catcher, with the peak RSS meanwhile.
#
# Issuing draws no PDF (a mail names its certificate; the sender renders it
# when it sends): the request costs database rows, not rendering. The send
# line shows where the rendering went.
#
# Usage: bench/certificates.sh [--build DIR] [--count N]
# Needs curl, psql, python3 (Debian's, with python3-aiosmtpd); starts its
# own PostgreSQL (deploy/pg.sh), server and mail catcher, and stops them.
# Ports: CONVENE_BENCH_PORTS=FIRST-LAST (default 56000-56100).
# Exit status: 0 measured, 1 something failed, 2 bad usage.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$here/build"
count=500
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build=$2; shift ;;
    --count) count=$2; shift ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "bench: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
for tool in curl psql python3; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is required (deploy/deps.sh --test)" >&2; exit 2; }
done
[ -x "$build/convene" ] && [ -x "$build/tests/render_certificate" ] ||
    { echo "bench: build first (cmake --build $build)" >&2; exit 2; }
python=/usr/bin/python3
[ -x "$python" ] || python=python3

port_range=${CONVENE_BENCH_PORTS:-56000-56100}
[[ "$port_range" =~ ^([0-9]+)-([0-9]+)$ ]] ||
    { echo "bench: CONVENE_BENCH_PORTS must be FIRST-LAST (got $port_range)" >&2; exit 2; }
next_port=${BASH_REMATCH[1]}
last_port=${BASH_REMATCH[2]}
# take_port VAR: the next free port of the range into VAR (not in a
# subshell, so the range moves on).
take_port() {
    local p
    while [ "$next_port" -le "$last_port" ]; do
        p=$next_port
        next_port=$((next_port + 1))
        if python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1])))' "$p" 2>/dev/null; then
            printf -v "$1" '%s' "$p"
            return 0
        fi
    done
    echo "bench: no free port in $port_range" >&2
    exit 1
}

pgdir="$build/bench-cert-pg"
take_port pgport
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    bash "$here/deploy/pg.sh" stop "$pgdir" --port "$pgport" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

now() { date +%s.%N; }
ms_since() { python3 -c "import sys; print(f'{(float(sys.argv[2]) - float(sys.argv[1])) * 1000:.0f}')" "$1" "$(now)"; }
kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

bash "$here/deploy/pg.sh" start "$pgdir" --port "$pgport" --fast >/dev/null
db_url=$(bash "$here/deploy/pg.sh" url "$pgdir" --port "$pgport")
psql "$db_url" -X -q -c "DROP DATABASE IF EXISTS bench_cert" -c "CREATE DATABASE bench_cert" >/dev/null 2>&1
db_url=${db_url/\/convene\?/\/bench_cert?}
CONVENE_DATABASE_URL=$db_url "$build/convene" migrate >"$tmp/migrate.log" 2>&1 ||
    { cat "$tmp/migrate.log" >&2; echo "bench: migrate failed" >&2; exit 1; }

# Render one: the first of a process (fonts loaded), then the mean of 50.
url="http://127.0.0.1:8080/certificates/verify.html?code=0123456789abcdef0123456789abcdef"
t0=$(now)
"$build/tests/render_certificate" "$tmp/one.pdf" "Nguyễn Thị Lan" "$url"
first_ms=$(ms_since "$t0")
warm_ms=$("$build/tests/render_certificate" "$tmp/one.pdf" "김민준" "$url" "" 50)

take_port smtp
take_port mhttp
"$python" "$here/deploy/mailcatcher.py" --smtp "127.0.0.1:$smtp" --http "127.0.0.1:$mhttp" \
    --dir "$tmp/mail" >"$tmp/catcher.log" 2>&1 &
pids+=($!)
take_port port
CONVENE_DATABASE_URL=$db_url CONVENE_LISTEN=127.0.0.1:$port CONVENE_BASE_URL=http://127.0.0.1:$port \
    CONVENE_SMTP_URL=smtp://127.0.0.1:$smtp CONVENE_MAIL_SENDERS=0 CONVENE_LOG_LEVEL=warn \
    "$build/convene" serve >"$tmp/server.log" 2>&1 &
server=$!
pids+=($server)
for _ in $(seq 500); do curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.02; done
curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" || { echo "bench: the server did not start" >&2; exit 1; }

python3 "$here/bench/setup.py" "$db_url" staff
act=$(psql "$db_url" -X -q -t -A -v ON_ERROR_STOP=1 <<SQL
INSERT INTO organisations (name, kind) VALUES ('Bench City', 'member_city');
INSERT INTO activities (slug, kind, title, mode, status, timezone, starts_on, ends_on,
                        host_organisation_id)
  VALUES ('bench-certificates', 'training_programme', 'Bench training', 'open', 'published',
          'Asia/Seoul', '2030-06-01', '2030-06-03', (SELECT id FROM organisations));
INSERT INTO accounts (email, password_hash, name, email_verified_at)
  SELECT 'cert-' || k || '@bench.example.org', 'x',
         (ARRAY['김민준', 'สมชาย ใจดี', 'अमित शर्मा', 'Nguyễn Thị Lan'])[1 + k % 4] || ' ' || k, now()
    FROM generate_series(1, $count) k;
INSERT INTO enrollments (activity_id, account_id, status)
  SELECT (SELECT id FROM activities WHERE slug = 'bench-certificates'), id, 'attended'
    FROM accounts WHERE email LIKE 'cert-%@bench.example.org';
INSERT INTO activity_certificates (activity_id, enabled)
  SELECT id, true FROM activities WHERE slug = 'bench-certificates';
SELECT id FROM activities WHERE slug = 'bench-certificates';
SQL
)
cookie="Cookie: convene_session=benchstaffxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

rss_before=$(kb "$server" VmRSS)
out=$(curl -s -w '\n%{http_code} %{time_total}' -X POST -H "$cookie" -H "X-CSRF-Token: benchcsrf" \
    "http://127.0.0.1:$port/api/activities/$act/certificates")
status=$(tail -n1 <<<"$out" | cut -d' ' -f1)
secs=$(tail -n1 <<<"$out" | cut -d' ' -f2)
body=$(head -n1 <<<"$out")
peak=$(kb "$server" VmHWM)
[ "$status" = 200 ] || { echo "bench: issuing answered $status: $body" >&2; exit 1; }
issued=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["issued"])' "$body")
[ "$issued" = "$count" ] || { echo "bench: issued $issued, expected $count" >&2; exit 1; }

# The same server again with two mail senders: they render and send the 500.
kill "$server"
wait "$server" 2>/dev/null || true
CONVENE_DATABASE_URL=$db_url CONVENE_LISTEN=127.0.0.1:$port CONVENE_BASE_URL=http://127.0.0.1:$port \
    CONVENE_SMTP_URL=smtp://127.0.0.1:$smtp CONVENE_MAIL_SENDERS=2 CONVENE_LOG_LEVEL=warn \
    "$build/convene" serve >>"$tmp/server.log" 2>&1 &
server=$!
pids+=($server)
t0=$(now)
sent=0
for _ in $(seq 3000); do
    sent=$(psql "$db_url" -X -q -t -A -c "SELECT count(*) FROM mail_outbox WHERE template = 'certificate_issued' AND status = 'sent'")
    [ "$sent" -ge "$count" ] && break
    sleep 0.1
done
send_ms=$(ms_since "$t0")
send_peak=$(kb "$server" VmHWM)
[ "$sent" -ge "$count" ] || { echo "bench: only $sent of $count mails sent" >&2; exit 1; }

printf '%-52s %s\n' "render one certificate (first in a process)" "${first_ms} ms"
printf '%-52s %s\n' "render one certificate (mean of the next 50)" "${warm_ms} ms"
printf '%-52s %s\n' "issue $count certificates in one request" \
    "$(python3 -c "print(f'{float(\"$secs\") * 1000:.0f}')") ms, server RSS $((rss_before / 1024)) MiB before, peak $((peak / 1024)) MiB"
printf '%-52s %s\n' "(drawing them all inside the request would add)" \
    "$(python3 -c "print(f'{$count * $warm_ms / 1000:.1f}')") s: $count x the mean above"
printf '%-52s %s\n' "render and send the $count mails (2 senders)" \
    "${send_ms} ms, server peak RSS $((send_peak / 1024)) MiB"

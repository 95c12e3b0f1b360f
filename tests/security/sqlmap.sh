#!/usr/bin/env bash
# tests/security/sqlmap.sh - a bounded SQL-injection scan of the running
# server with sqlmap (Debian package), kept in the repo so the attack that
# found nothing stays that way. tests/run.sh runs it; it also runs alone:
#
#   bash tests/security/sqlmap.sh [--build DIR] [--level N] [--seconds S]
#
# What it does:
#   1. starts a private PostgreSQL (DIR/sqlmap-pg, port 54359), migrates and
#      seeds the 2023 calendar and demo accounts
#   2. serves the seeded server on a free loopback port
#   3. runs sqlmap (--batch, boolean/error/union/stacked/time techniques)
#      against the public calendar filters and text search, the log-in body,
#      and, logged in as the seeded staff account, the date-range export,
#      each for at most S seconds (default 90)
#   4. fails when sqlmap reports an injection point, when any answer was a
#      5xx (from the access log), or when the server died
#
# About 4-6 minutes on two cores with the defaults. Loopback only.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build="$here/build"
level=2
seconds=90
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift ;;
    --level) level=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    -h | --help) sed -n '2,22p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "sqlmap.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
command -v sqlmap >/dev/null || { echo "sqlmap.sh: sqlmap is not installed (deploy/deps.sh --test)" >&2; exit 2; }
[ -x "$build/convene" ] || { echo "sqlmap.sh: build $build/convene first" >&2; exit 2; }

out="$build/sqlmap"
pgdir="$build/sqlmap-pg"
pgport=${CONVENE_SQLMAP_PG_PORT:-54359}
rm -rf "$out"
mkdir -p "$out"
server_pid=

cleanup() {
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    bash "$here/deploy/pg.sh" stop "$pgdir" --port "$pgport" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# A new cluster each run: limits and accounts left by an earlier run would
# change what this one can reach.
bash "$here/deploy/pg.sh" stop "$pgdir" --port "$pgport" >/dev/null 2>&1 || true
rm -rf "$pgdir"
bash "$here/deploy/pg.sh" start "$pgdir" --port "$pgport" --fast >/dev/null
export CONVENE_DATABASE_URL
CONVENE_DATABASE_URL=$(bash "$here/deploy/pg.sh" url "$pgdir" --port "$pgport")
export CONVENE_DATA_DIR=$here
"$build/convene" migrate >/dev/null 2>&1
seed_out=$("$build/convene" seed 2>/dev/null || true)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# sqlmap sends many wrong log-ins from one address: lift the per-address
# log-in limit so the scan reaches the query instead of a 429.
CONVENE_LISTEN=127.0.0.1:$port CONVENE_LOGIN_LIMIT_PER_IP=1000000 \
    CONVENE_SMTP_URL=smtp://127.0.0.1:9 "$build/convene" serve 2>"$out/server.log" &
server_pid=$!
base=http://127.0.0.1:$port
for _ in $(seq 200); do
    curl -fs -o /dev/null "$base/readyz" && break
    kill -0 "$server_pid" 2>/dev/null || { echo "sqlmap.sh: the server exited; see $out/server.log" >&2; exit 1; }
    sleep 0.05
done

common=(--batch --disable-coloring --level "$level" --risk 1 --technique BEUST --time-sec 1
        --threads 2 --flush-session --output-dir "$out/runs" --answers "follow=N")
found=0

scan() { # name, number of parameters, then sqlmap arguments
    local name=$1 params=$2
    shift 2
    echo "sqlmap: $name"
    timeout --signal=INT --kill-after=15 "$seconds" sqlmap "${common[@]}" "$@" \
        >"$out/$name.log" 2>&1 || true
    if grep -qiE 'is vulnerable|identified the following injection point' "$out/$name.log"; then
        echo "  INJECTION FOUND (see $out/$name.log)"
        grep -iE 'Parameter:|Type:|Payload:' "$out/$name.log" | head -20
        found=1
    else
        # Every parameter must have been tried to the end, or the scan
        # proves nothing (an early abort, a refused request).
        cleared=$(grep -ciE 'does not seem to be injectable' "$out/$name.log" || true)
        tests=$(grep -ciE "testing '" "$out/$name.log" || true)
        if [ "$cleared" -lt "$params" ]; then
            echo "  INCOMPLETE: $cleared of $params parameters tested to the end (see $out/$name.log)"
            found=1
        else
            echo "  nothing injectable: $cleared parameters, $tests techniques tried"
        fi
    fi
}

# Log in as staff before the log-in scan: its wrong passwords for that
# address would lock the staff log-in from here.
cookie=
staff_pw=$(printf '%s\n' "$seed_out" | awk '/staff@convene.example.org/ {print $NF; exit}')
if [ -n "$staff_pw" ]; then
    login=$(curl -s -c "$out/cookies" -H 'Content-Type: application/json' \
        --data "{\"email\":\"staff@convene.example.org\",\"password\":\"$staff_pw\"}" "$base/api/auth/login")
    cookie=$(awk '$6 ~ /convene_session/ {print $6 "=" $7}' "$out/cookies")
    [ -n "$cookie" ] || { echo "sqlmap: could not log in as staff ($login)" >&2; found=1; }
else
    echo "sqlmap: the seed printed no staff password (accounts existed already?); staff routes not scanned" >&2
fi

scan calendar-filters 7 -u "$base/api/activities?q=forum&kind=forum&month=2023-06&city=Seoul&online=false&section=citynet&page=1" \
    -p "q,kind,month,city,online,section,page"
scan calendar-range 3 -u "$base/api/activities?from=2023-01-01&to=2023-12-31&per_page=20" -p "from,to,per_page"
scan login 2 --method POST -u "$base/api/auth/login" -H "Content-Type: application/json" \
    --ignore-code 401,422,429 \
    --data '{"email":"staff@convene.example.org","password":"not the password"}' -p email,password

if [ -n "$cookie" ]; then
    scan export-range 2 -u "$base/api/exports/participants.csv?from=2023-01-01&to=2023-12-31" \
        -p "from,to" --cookie "$cookie"
    scan staff-accounts 2 -u "$base/api/accounts?q=staff&page=1" -p "q,page" --cookie "$cookie"
fi

fives=$(grep -c '"status":5[0-9][0-9]' "$out/server.log" || true)
requests=$(grep -c '"status":' "$out/server.log" || true)
alive=yes
kill -0 "$server_pid" 2>/dev/null || alive=no
echo "sqlmap: $requests requests answered, $fives with a 5xx; server alive: $alive"
if [ "$fives" -gt 0 ]; then
    grep '"status":5[0-9][0-9]' "$out/server.log" | head -5
fi
if [ "$found" -ne 0 ] || [ "$fives" -gt 0 ] || [ "$alive" != yes ] || [ "$requests" -lt 100 ]; then
    echo "sqlmap: FAILED"
    exit 1
fi
echo "sqlmap: passed"

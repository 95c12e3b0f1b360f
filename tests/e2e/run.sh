#!/usr/bin/env bash
# tests/e2e/run.sh - Convene's browser end-to-end tests.
#
#   1. installs what they need: Debian packages (deploy/deps.sh --test brings
#      chromium, node, npm and fonts) and the npm packages (npm ci)
#   2. builds build/convene with CMake when it is missing
#   3. starts a private PostgreSQL (build/e2e-pg, port CONVENE_E2E_PG_PORT,
#      default 54349, --fast) with a
#      fresh database `e2e`, runs `convene migrate` and `convene seed`
#   4. starts the mail catcher and `convene serve` on free loopback ports
#   5. runs the node tests (tests/e2e/*.test.mjs) against them in Debian's
#      headless chromium, then stops everything (also on failure or Ctrl-C)
#
# Screenshots, the server's and the catcher's logs go to build/e2e-artifacts/.
# Works as root and as a normal user; concurrent runs on one tree take turns
# (build/e2e.lock). Environment: CONVENE_BIN (default build/convene),
# CONVENE_E2E_PG_PORT (PostgreSQL's port, default 54349),
# E2E_CHROMIUM (default /usr/bin/chromium), E2E_TESTS (test files to run,
# default all), E2E_SKIP_DEPS=1 skips step 1's apt part. Other CONVENE_*
# settings of the caller are ignored (CONVENE_PG_* still reach pg.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$here"
e2e=$here/tests/e2e
pgdir=$here/build/e2e-pg
pgport=${CONVENE_E2E_PG_PORT:-54349} # another port for a second tree's runs
maildir=$here/build/e2e-mail
artifacts=$here/build/e2e-artifacts
bin=${CONVENE_BIN:-$here/build/convene}
python=/usr/bin/python3 # Debian's: it has python3-aiosmtpd
[ -x "$python" ] || python=python3

say() { printf '==> %s\n' "$*"; }

# One run at a time on this tree: runs share the PostgreSQL cluster, the
# npm packages and the artifacts folder (tests/run.sh may be running one).
mkdir -p "$here/build"
exec 7>"$here/build/e2e.lock"
if ! flock -n 7; then
    say "Another browser test run is using build/e2e-*; waiting for it to finish"
    flock -w 1800 7 || {
        echo "gave up waiting for $here/build/e2e.lock" >&2
        exit 1
    }
fi

# The server's settings come from this script only (not from the caller's
# environment, which may point at another database or web root).
while read -r var; do
    case $var in
        CONVENE_BIN | CONVENE_PG_* | CONVENE_E2E_PG_PORT) ;;
        CONVENE_*) unset "$var" ;;
    esac
done < <(compgen -e)

if [ "${E2E_SKIP_DEPS:-0}" != 1 ]; then
    bash deploy/deps.sh --test
fi

# npm packages: install when missing or older than the lock file.
if [ ! -f "$e2e/node_modules/.package-lock.json" ] ||
    [ "$e2e/package-lock.json" -nt "$e2e/node_modules/.package-lock.json" ]; then
    say "Installing the npm packages (npm ci)"
    (cd "$e2e" && npm ci --no-audit --no-fund --update-notifier=false)
fi

if [ ! -x "$bin" ]; then
    say "Building $bin"
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONVENE_TEST_ROUTES=ON >/dev/null
    cmake --build build -j "$(nproc)" >/dev/null
fi

rm -rf "$maildir" "$artifacts"
mkdir -p "$artifacts"

server_pid=
catcher_pid=
cleanup() {
    local rc=$?
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ -n "$catcher_pid" ]; then
        kill -TERM "$catcher_pid" 2>/dev/null || true
        wait "$catcher_pid" 2>/dev/null || true
    fi
    bash "$here/deploy/pg.sh" stop "$pgdir" --port "$pgport" >/dev/null 2>&1 || true
    echo "Browser test artifacts (screenshots, logs): $artifacts"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Free loopback TCP ports, one per argument slot.
free_ports() {
    "$python" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

wait_http() { # URL PID NAME LOG
    local i
    for i in $(seq 150); do
        if curl -fs -o /dev/null "$1"; then
            return 0
        fi
        if ! kill -0 "$2" 2>/dev/null; then
            echo "$3 exited; last lines of $4:" >&2
            tail -n 20 "$4" >&2 || true
            return 1
        fi
        sleep 0.1
    done
    echo "$3 did not answer at $1 within 15 s" >&2
    return 1
}

say "Starting PostgreSQL in $pgdir (fresh database e2e)"
bash deploy/pg.sh start "$pgdir" --port "$pgport" --fast
bash deploy/pg.sh psql "$pgdir" --port "$pgport" -q -v ON_ERROR_STOP=1 \
    -c 'SET client_min_messages = warning' \
    -c 'DROP DATABASE IF EXISTS e2e WITH (FORCE)' -c 'CREATE DATABASE e2e'
url=$(bash deploy/pg.sh url "$pgdir" --port "$pgport")
export CONVENE_DATABASE_URL=${url/:\/\/\/convene\?/:\/\/\/e2e?}
export CONVENE_DATA_DIR=$here

read -r smtp_port mail_port http_port <<<"$(free_ports 3)"

say "Migrating and seeding"
"$bin" migrate >"$artifacts/migrate.log" 2>&1 || {
    cat "$artifacts/migrate.log" >&2
    exit 1
}
seed_out=$("$bin" seed 2>&1) || {
    printf '%s\n' "$seed_out" >&2
    exit 1
}
# `convene seed` prints "  EMAIL  ROLES  password: PASSWORD" per account made.
seeded_password() {
    local pw
    pw=$(awk -v e="$1" '$1 == e { for (i = 1; i < NF; i++) if ($i == "password:") print $(i + 1) }' <<<"$seed_out")
    if [ -z "$pw" ]; then
        printf 'could not find the password of %s in the seed output:\n%s\n' "$1" "$seed_out" >&2
        return 1
    fi
    printf '%s' "$pw"
}
admin_email=admin@convene.example.org
staff_email=staff@convene.example.org
admin_password=$(seeded_password "$admin_email")
staff_password=$(seeded_password "$staff_email")

say "Starting the mail catcher (SMTP 127.0.0.1:$smtp_port, web 127.0.0.1:$mail_port)"
"$python" deploy/mailcatcher.py --smtp "127.0.0.1:$smtp_port" --http "127.0.0.1:$mail_port" \
    --dir "$maildir" --reject-rcpt '^bounce@' >"$artifacts/mailcatcher.log" 2>&1 7>&- &
catcher_pid=$!
wait_http "http://127.0.0.1:$mail_port/api/messages" "$catcher_pid" "the mail catcher" "$artifacts/mailcatcher.log"

base_url=http://127.0.0.1:$http_port
say "Starting convene at $base_url"
CONVENE_LISTEN=127.0.0.1:$http_port CONVENE_BASE_URL=$base_url \
    CONVENE_SMTP_URL=smtp://127.0.0.1:$smtp_port CONVENE_LOG_LEVEL=warn \
    "$bin" serve >"$artifacts/convene.log" 2>&1 7>&- &
server_pid=$!
wait_http "$base_url/readyz" "$server_pid" "convene" "$artifacts/convene.log"

say "Running the browser tests"
if [ -n "${E2E_TESTS:-}" ]; then
    read -r -a tests <<<"$E2E_TESTS"
else
    tests=()
    for f in "$e2e"/*.test.mjs; do
        tests+=("${f#"$e2e"/}")
    done
fi
cd "$e2e" # the cleanup above uses absolute paths
E2E_BASE_URL=$base_url \
    E2E_MAIL_API=http://127.0.0.1:$mail_port/api/messages \
    E2E_ADMIN_EMAIL=$admin_email \
    E2E_ADMIN_PASSWORD=$admin_password \
    E2E_STAFF_EMAIL=$staff_email \
    E2E_STAFF_PASSWORD=$staff_password \
    E2E_SEED_OUTPUT=$seed_out \
    E2E_ARTIFACTS=$artifacts \
    E2E_WEB_ROOT=$here/web \
    E2E_CHROMIUM=${E2E_CHROMIUM:-/usr/bin/chromium} \
    node --test --test-concurrency=1 --test-reporter=spec "${tests[@]}" 7>&-

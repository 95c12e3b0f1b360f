#!/usr/bin/env bash
# deploy/dev.sh - set up and run Convene on this machine (the README's run
# command). On a fresh Debian 12 machine it:
#
#   1. installs the Debian packages (deploy/deps.sh; sudo when not root)
#   2. builds the `convene` binary into build/
#   3. starts a private PostgreSQL in .local/pg (data kept across runs)
#   4. applies the migrations and seeds CityNet's calendar, shifted to the
#      coming year (`convene seed --year`) so the demo has open registrations,
#      a full activity with a waiting list and one that needs approval, and
#      demo accounts (their passwords are printed and kept in
#      .local/demo-accounts.txt)
#   5. starts a mail catcher (deploy/mailcatcher.py): SMTP on 127.0.0.1:1025,
#      web inbox on http://127.0.0.1:1080/, messages kept in .local/mail
#   6. serves on http://127.0.0.1:8080/ until Ctrl-C (or SIGTERM, or SIGHUP
#      from a closed terminal), then stops the server, the mail catcher and
#      PostgreSQL
#
# Environment: CONVENE_LISTEN (default 127.0.0.1:8080), CONVENE_DEV_DIR
# (default .local), CONVENE_DEV_SEED_YEAR (the calendar's year, default next
# year), and every CONVENE_* setting `convene serve` reads. With
# CONVENE_SMTP_URL set, mail goes there and no catcher is started.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
state=${CONVENE_DEV_DIR:-$here/.local}
pgdir="$state/pg"
pgport=54320

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

server_pid=
catcher_pid=
pg_started=0
cleaned=0
cleanup() {
    # Once only, and not cut short by a second Ctrl-C or the TERM/HUP that
    # `timeout` or a closing terminal also sends to our children.
    ((cleaned)) && return
    cleaned=1
    trap '' INT TERM HUP
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ -n "$catcher_pid" ]; then
        kill -TERM "$catcher_pid" 2>/dev/null || true
        wait "$catcher_pid" 2>/dev/null || true
    fi
    if ((pg_started)); then
        say "Stopping PostgreSQL (data kept in $pgdir)"
        bash deploy/pg.sh stop "$pgdir" --port "$pgport" || true
    fi
}
# Ctrl-C, `kill`/`timeout` (TERM) and a closed terminal (HUP) all end up in
# cleanup, through exit. Bash runs a trap only between commands: during
# `wait` at once, during a foreground command (the build, pg.sh) when it
# returns, which it does soon as it got the same signal from the terminal
# or from `timeout`.
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

say "Installing packages (if any are missing)"
bash deploy/deps.sh

say "Building"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONVENE_TESTS=ON -DCONVENE_TEST_ROUTES=OFF >/dev/null
cmake --build build -j "$(nproc)" >/dev/null

say "Starting PostgreSQL in $pgdir"
mkdir -p "$state"
pg_started=1
bash deploy/pg.sh start "$pgdir" --port "$pgport"
export CONVENE_DATABASE_URL=${CONVENE_DATABASE_URL:-$(bash deploy/pg.sh url "$pgdir" --port "$pgport")}
export CONVENE_DATA_DIR=$here
export CONVENE_LISTEN=${CONVENE_LISTEN:-127.0.0.1:8080}

seed_year=${CONVENE_DEV_SEED_YEAR:-$(($(date +%Y) + 1))}
say "Migrating and seeding CityNet's calendar (shifted to $seed_year) and demo accounts"
./build/convene migrate
# The demo passwords are printed once, when the accounts are created; keep
# them in the (git-ignored) state folder so they can be found again.
seed_out=$(./build/convene seed --year "$seed_year")
printf '%s\n' "$seed_out"
if grep -q 'password: ' <<<"$seed_out"; then
    grep 'password: ' <<<"$seed_out" >"$state/demo-accounts.txt"
    chmod 600 "$state/demo-accounts.txt"
fi

if [ -z "${CONVENE_SMTP_URL:-}" ]; then
    say "Starting the mail catcher (messages in $state/mail)"
    # Debian's interpreter: it has python3-aiosmtpd, a pyenv/venv python3 may not.
    python=/usr/bin/python3
    [ -x "$python" ] || python=python3
    "$python" deploy/mailcatcher.py --smtp 127.0.0.1:1025 --http 127.0.0.1:1080 \
        --dir "$state/mail" >>"$state/mailcatcher.log" 2>&1 &
    catcher_pid=$!
    export CONVENE_SMTP_URL=smtp://127.0.0.1:1025
    mail_line="Mail:      http://127.0.0.1:1080/  (log: $state/mailcatcher.log)"
else
    mail_line="Mail:      sent through CONVENE_SMTP_URL"
fi

say "Serving"
./build/convene serve &
server_pid=$!
url="http://${CONVENE_LISTEN}/"
for _ in $(seq 100); do
    curl -fs -o /dev/null "${url}readyz" && break
    kill -0 "$server_pid" 2>/dev/null || { echo "convene exited; see the log above" >&2; exit 1; }
    sleep 0.1
done
if [ -n "$catcher_pid" ] && ! kill -0 "$catcher_pid" 2>/dev/null; then
    echo "warning: the mail catcher exited (port 1025 or 1080 in use?); see $state/mailcatcher.log" >&2
    catcher_pid=
fi
cat <<EOF2

  Convene is running at $url
  Readiness: ${url}readyz   Metrics: ${url}metrics
  Database:  $CONVENE_DATABASE_URL
  $mail_line
  Demo accounts and passwords: $state/demo-accounts.txt
  Press Ctrl-C to stop.

EOF2
wait "$server_pid"

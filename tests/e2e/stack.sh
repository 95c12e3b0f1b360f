# shellcheck shell=bash disable=SC2154
# tests/e2e/stack.sh - sourced by the scripts that drive a browser against
# a real Convene (tests/e2e/run.sh, tests/lighthouse/run.sh): starts a
# private PostgreSQL with a fresh database, migrates and seeds it, starts
# the mail catcher and `convene serve` on free loopback ports, and stops
# all of it again. Not a script of its own (bash only, with set -euo
# pipefail in the caller).
#
# The caller sets, before stack_start:
#   here       the source tree
#   pgdir      PostgreSQL's folder (e.g. build/e2e-pg), pgport its port
#   maildir    the catcher's folder, artifacts the logs' folder
#   bin        the convene binary
#   db_name    the database to create afresh (default e2e)
#   seed_args  arguments of `convene seed` (an array; default none)
# and calls stack_lock NAME first (one run per tree and lock) and
# stack_scrub_env (the server's settings come from here only).
#
# stack_start sets: base_url, mail_port, seed_out (what `convene seed`
# printed), admin_email, staff_email, admin_password, staff_password. It
# installs stack_stop as the EXIT trap (also on failure or Ctrl-C).

python=/usr/bin/python3 # Debian's: it has python3-aiosmtpd
[ -x "$python" ] || python=python3

say() { printf '==> %s\n' "$*"; }

# One run at a time per lock file: runs share the PostgreSQL cluster, the
# npm packages and the artifacts folder. Keeps the lock on descriptor 7,
# which the children below close.
stack_lock() { # LOCKFILE
    mkdir -p "$(dirname "$1")"
    exec 7>"$1"
    if ! flock -n 7; then
        say "Another run is using $1; waiting for it to finish"
        flock -w 1800 7 || {
            echo "gave up waiting for $1" >&2
            exit 1
        }
    fi
}

# Unsets the caller's CONVENE_* settings (they may point at another
# database or web root), but CONVENE_BIN, CONVENE_PG_* (for pg.sh) and the
# test ports.
stack_scrub_env() {
    local var
    while read -r var; do
        case $var in
            CONVENE_BIN | CONVENE_PG_* | CONVENE_E2E_PG_PORT) ;;
            CONVENE_*) unset "$var" ;;
        esac
    done < <(compgen -e)
}

server_pid=
catcher_pid=
stack_stop() {
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
    if declare -F stack_on_exit >/dev/null; then
        stack_on_exit
    fi
    exit "$rc"
}

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
    local _
    for _ in $(seq 150); do
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

stack_start() {
    local db=${db_name:-e2e} url smtp_port http_port
    rm -rf "$maildir"
    mkdir -p "$artifacts"
    trap stack_stop EXIT
    trap 'exit 130' INT TERM

    say "Starting PostgreSQL in $pgdir (fresh database $db)"
    bash "$here/deploy/pg.sh" start "$pgdir" --port "$pgport" --fast
    bash "$here/deploy/pg.sh" psql "$pgdir" --port "$pgport" -q -v ON_ERROR_STOP=1 \
        -c 'SET client_min_messages = warning' \
        -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    url=$(bash "$here/deploy/pg.sh" url "$pgdir" --port "$pgport")
    export CONVENE_DATABASE_URL=${url/:\/\/\/convene\?/:\/\/\/$db?}
    export CONVENE_DATA_DIR=$here

    read -r smtp_port mail_port http_port <<<"$(free_ports 3)"

    say "Migrating and seeding"
    "$bin" migrate >"$artifacts/migrate.log" 2>&1 || {
        cat "$artifacts/migrate.log" >&2
        exit 1
    }
    seed_out=$("$bin" seed ${seed_args[@]+"${seed_args[@]}"} 2>&1) || {
        printf '%s\n' "$seed_out" >&2
        exit 1
    }
    admin_email=admin@convene.example.org
    staff_email=staff@convene.example.org
    admin_password=$(seeded_password "$admin_email")
    staff_password=$(seeded_password "$staff_email")

    say "Starting the mail catcher (SMTP 127.0.0.1:$smtp_port, web 127.0.0.1:$mail_port)"
    "$python" "$here/deploy/mailcatcher.py" --smtp "127.0.0.1:$smtp_port" \
        --http "127.0.0.1:$mail_port" --dir "$maildir" --reject-rcpt '^bounce@' \
        >"$artifacts/mailcatcher.log" 2>&1 7>&- &
    catcher_pid=$!
    wait_http "http://127.0.0.1:$mail_port/api/messages" "$catcher_pid" "the mail catcher" \
        "$artifacts/mailcatcher.log"

    base_url=http://127.0.0.1:$http_port
    say "Starting convene at $base_url"
    CONVENE_LISTEN=127.0.0.1:$http_port CONVENE_BASE_URL=$base_url \
        CONVENE_SMTP_URL=smtp://127.0.0.1:$smtp_port CONVENE_LOG_LEVEL=warn \
        "$bin" serve >"$artifacts/convene.log" 2>&1 7>&- &
    server_pid=$!
    wait_http "$base_url/readyz" "$server_pid" "convene" "$artifacts/convene.log"
}

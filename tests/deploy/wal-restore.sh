#!/usr/bin/env bash
# tests/deploy/wal-restore.sh [CONVENE_BINARY] - tries the point-in-time
# restore that docs/operations.md ("Backups and restore") describes, on a
# private PostgreSQL 15 (deploy/pg.sh: unix socket only; as root the server
# runs as pg.sh's unprivileged user), and prints each figure:
#
#   1. a primary with archive_mode=on and an archive_command copying each
#      WAL segment into an archive directory; `convene migrate`
#   2. a base backup (pg_basebackup)
#   3. rows written after it: `convene seed --year 2031` (calendar, demo
#      accounts and registrations) and 200 accounts enrolled through
#      convene_enroll; then a named restore point
#      (pg_create_restore_point); then 300 more accounts enrolled
#   4. pg_switch_wal, wait until the archiver has the segment, stop
#   5. the base backup copied into a new data directory, recovery.signal,
#      restore_command and recovery_target_name in postgresql.auto.conf,
#      started: recovery replays the archive up to the restore point and
#      promotes
#   6. checks: every row written before the restore point is there (the
#      same counts as the primary had then), none written after it is
#
# Exits 0 when every check passes, 1 when one fails, 2 when the setup
# fails. Waits are bounded; everything started is stopped on exit.
# Ports (names of the unix sockets only): 57101 and 57102
# (CONVENE_WAL_PORT_BASE=57100 moves them). Needs pg_basebackup and psql
# (postgresql-15, postgresql-client-15: deploy/deps.sh --test).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=$(realpath "${1:-$here/build/convene}")
base_port=${CONVENE_WAL_PORT_BASE:-57100}
primary_port=$((base_port + 1))
restored_port=$((base_port + 2))
before_rows=200
after_rows=300
restore_point=convene-wal-test

t_start=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}'; }
say() { printf 'wal-restore: %s\n' "$*"; }
die() {
    printf 'wal-restore: setup failed: %s\n' "$*" >&2
    exit 2
}
fails=0
check() {
    if [ "$2" = 1 ]; then printf 'PASS  %s: %s\n' "$1" "$3"; else
        printf 'FAIL  %s: %s\n' "$1" "$3"
        fails=$((fails + 1))
    fi
}

for tool in psql pg_basebackup; do
    command -v "$tool" >/dev/null || die "$tool not found (run deploy/deps.sh --test)"
done
[ -x "$bin" ] || die "no convene binary at $bin (build first)"

# ---- Work directory and cleanup. The directory must be reachable by the
# unprivileged PostgreSQL user when we are root: 0755 under /tmp.
work=$(mktemp -d /tmp/convene-wal.XXXXXX)
chmod 0755 "$work"
pg() { bash "$here/deploy/pg.sh" "$@"; }
cleanup() {
    local rc=$?
    set +e
    pg destroy "$work/restored" --port "$restored_port" >/dev/null 2>&1
    pg destroy "$work/primary" --port "$primary_port" >/dev/null 2>&1
    if [ "${WAL_KEEP:-0}" = 1 ]; then echo "wal-restore: kept $work"; else rm -rf "$work"; fi
    say "run time $(since "$t_start") s (clean-up included)"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# shellcheck source=tests/lib/wait.sh
. "$here/tests/lib/wait.sh"

# ---- 1. The primary, archiving every WAL segment into $work/archive
pg init "$work/primary" --port "$primary_port" 2>"$work/pg.log" || {
    cat "$work/pg.log"
    die "initdb"
}
data=$(readlink -m "$work/primary/data")
owner=$(stat -c %U "$data")
as_owner() {
    if [ "$(id -u)" = 0 ]; then (cd / && runuser -u "$owner" -- "$@"); else "$@"; fi
}
archive=$work/archive
mkdir -p "$archive"
[ "$(id -u)" = 0 ] && chown "$owner:" "$archive"
chmod 0700 "$archive"
# What an operator puts in postgresql.conf (the archive being a mounted
# backup store); `test ! -f` refuses to overwrite a segment already kept.
as_owner tee -a "$data/postgresql.conf" >/dev/null <<EOF

# Added by tests/deploy/wal-restore.sh: WAL archiving.
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $archive/%f && cp %p $archive/%f'
EOF
pg start "$work/primary" --port "$primary_port" 2>>"$work/pg.log" || {
    cat "$work/pg.log"
    die "start the primary"
}
url=$(pg url "$work/primary" --port "$primary_port")
primary_run=$(readlink -m "$work/primary/run")
sql() { psql "$url" -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
[ "$(sql -c 'SHOW archive_mode')" = on ] || die "archive_mode is not on"
CONVENE_DATABASE_URL=$url CONVENE_DATA_DIR=$here "$bin" migrate >"$work/migrate.log" 2>&1 || {
    cat "$work/migrate.log"
    die "convene migrate"
}
migration=$(sql -c 'SELECT max(version) FROM schema_migrations' 2>/dev/null || echo '?')
say "primary up with WAL archiving into $archive, migrated (schema $migration)"

# ---- 2. The base backup
mkdir -m 0700 "$work/base"
[ "$(id -u)" = 0 ] && chown "$owner:" "$work/base"
t0=$(date +%s.%N)
as_owner pg_basebackup -D "$work/base" -X stream -c fast -h "$primary_run" -p "$primary_port" -U convene \
    2>>"$work/pg.log" || {
    cat "$work/pg.log"
    die "pg_basebackup"
}
base_s=$(since "$t0")
base_size=$(du -sh "$work/base" | cut -f1)
say "base backup: $base_size in $base_s s (pg_basebackup -X stream -c fast)"

# ---- 3. Rows after the base backup, a restore point, rows after it
CONVENE_DATABASE_URL=$url CONVENE_DATA_DIR=$here CONVENE_ARGON2_MEMLIMIT=8M CONVENE_ARGON2_OPSLIMIT=1 \
    "$bin" seed --year 2031 >"$work/seed.log" 2>&1 || {
    cat "$work/seed.log"
    die "convene seed"
}
# enrol LABEL N: N new accounts, each enrolled in the activity wal-test
# through the function the API calls (convene_enroll).
enrol() {
    sql -v label="$1" -v n="$2" <<'EOF'
INSERT INTO accounts (email, password_hash, name, email_verified_at)
  SELECT 'wal-' || :'label' || '-' || k || '@wal.example.org', 'x', 'WAL ' || :'label' || ' ' || k, now()
    FROM generate_series(1, :n) k;
SELECT count(*) FROM accounts a,
       convene_enroll((SELECT id FROM activities WHERE slug = 'wal-test'), a.id, '{}'::jsonb, NULL, '',
                      'http://127.0.0.1') e
 WHERE a.email LIKE 'wal-' || :'label' || '-%' AND e.created;
EOF
}
sql -c "INSERT INTO activities (slug, kind, title, mode, status, timezone, starts_on, ends_on)
        VALUES ('wal-test', 'workshop', 'WAL test', 'open', 'published', 'UTC', '2031-05-22', '2031-05-26')" ||
    die "test activity"
enrolled_before=$(enrol before "$before_rows") || die "enrolments before the restore point"
# The counts the restored database must show.
counts_sql="SELECT (SELECT count(*) FROM activities), (SELECT count(*) FROM accounts),
                   (SELECT count(*) FROM enrollments), (SELECT count(*) FROM mail_outbox)"
read -r act_then acc_then enr_then mail_then <<<"$(sql -F ' ' -c "$counts_sql")"
point_lsn=$(sql -c "SELECT pg_create_restore_point('$restore_point')")
point_time=$(sql -c "SELECT now()")
enrolled_after=$(enrol after "$after_rows") || die "enrolments after the restore point"
read -r act_end acc_end enr_end mail_end <<<"$(sql -F ' ' -c "$counts_sql")"
say "written after the base backup: seed --year 2031 and $enrolled_before enrolments; restore point '$restore_point' at $point_lsn ($point_time); then $enrolled_after enrolments more"
say "on the primary at the restore point: $act_then activities, $acc_then accounts, $enr_then enrolments, $mail_then outbox mails; at the end: $act_end, $acc_end, $enr_end, $mail_end"

# ---- 4. The last segment to the archive, then stop
last_wal=$(sql -c "SELECT pg_walfile_name(pg_switch_wal())")
archived() { [ -f "$archive/$last_wal" ]; }
wait_for "segment $last_wal in the archive" 30 archived || die "the archiver did not keep $last_wal"
pg stop "$work/primary" --port "$primary_port" 2>>"$work/pg.log" || die "stop the primary"
segments=$(find "$archive" -maxdepth 1 -regextype posix-extended -regex '.*/[0-9A-F]{24}' | wc -l)
archive_size=$(du -sh "$archive" | cut -f1)
say "archived: $segments WAL segments ($archive_size) up to $last_wal; primary stopped"

# ---- 5. Restore: the base backup into a new directory, recovery to the
# restore point, promotion
restored=$work/restored
mkdir -p "$restored/run"
cp -a "$work/base" "$restored/data"
: >"$restored/postgres.log"
chmod 0755 "$restored/run"
chmod 0700 "$restored/data"
chmod 0600 "$restored/postgres.log"
[ "$(id -u)" = 0 ] && chown -R "$owner:" "$restored"
# The restored server must not archive into the primary's archive.
as_owner tee -a "$restored/data/postgresql.auto.conf" >/dev/null <<EOF
restore_command = 'cp $archive/%f %p'
recovery_target_name = '$restore_point'
recovery_target_action = 'promote'
archive_mode = off
EOF
as_owner touch "$restored/data/recovery.signal"
t0=$(date +%s.%N)
pg start "$restored" --port "$restored_port" 2>>"$work/pg.log" || {
    cat "$work/pg.log"
    tail -n 30 "$restored/postgres.log"
    die "start the restored server"
}
rurl=$(pg url "$restored" --port "$restored_port")
rsql() { psql "$rurl" -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
promoted() { [ "$(rsql -c 'SELECT pg_is_in_recovery()')" = f ]; }
wait_for "the restored server to finish recovery" 60 promoted || {
    tail -n 30 "$restored/postgres.log"
    die "recovery did not end"
}
restore_s=$(since "$t0")
replayed=$(grep -c 'restored log file' "$restored/postgres.log" || true)
stop_line=$(grep -o 'recovery stopping at restore point.*' "$restored/postgres.log" | head -n 1 || true)
say "restored in $restore_s s: $replayed segments fetched by restore_command; log: ${stop_line:-no 'recovery stopping' line}"

# ---- 6. The checks
read -r act_now acc_now enr_now mail_now <<<"$(rsql -F ' ' -c "$counts_sql")"
before_now=$(rsql -c "SELECT count(*) FROM enrollments e JOIN accounts a ON a.id = e.account_id
                      WHERE a.email LIKE 'wal-before-%'")
after_now=$(rsql -c "SELECT count(*) FROM accounts WHERE email LIKE 'wal-after-%'")
seeded=$(rsql -c "SELECT count(*) FROM activities WHERE slug <> 'wal-test'")
ok=0
[ "$before_now" = "$before_rows" ] && [ "$enrolled_before" = "$before_rows" ] && [ "$seeded" -gt 0 ] && ok=1
check "rows before the restore point" "$ok" "$before_now of $before_rows enrolments written before it, $seeded seeded activities"
ok=0
[ "$after_now" = 0 ] && [ "$enrolled_after" = "$after_rows" ] && ok=1
check "rows after the restore point" "$ok" "$after_now of the $after_rows accounts written after it (0 expected)"
ok=0
[ "$act_now $acc_now $enr_now $mail_now" = "$act_then $acc_then $enr_then $mail_then" ] && ok=1
check "same counts as at the restore point" "$ok" "activities $act_now/$act_then, accounts $acc_now/$acc_then, enrolments $enr_now/$enr_then, outbox $mail_now/$mail_then (restored/primary then; primary at the end: $act_end, $acc_end, $enr_end, $mail_end)"
ok=0
[ -n "$stop_line" ] && [ "$replayed" -gt 0 ] && ok=1
check "recovery from the archive" "$ok" "$replayed of $segments archived segments replayed, stopped at '$restore_point', promoted (restore $restore_s s)"
rmig=$(rsql -c 'SELECT max(version) FROM schema_migrations' 2>/dev/null || echo '?')
ok=0
[ "$rmig" = "$migration" ] && ok=1
check "schema" "$ok" "restored schema version $rmig (primary $migration)"

say "$((5 - fails)) of 5 checks passed in $(since "$t_start") s"
[ "$fails" = 0 ] || exit 1

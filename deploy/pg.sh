#!/usr/bin/env bash
# pg.sh - manage a private PostgreSQL cluster for Convene development and tests.
#
# The cluster belongs to one directory DIR: data in DIR/data, unix socket in
# DIR/run, server log in DIR/postgres.log. It never listens on TCP
# (listen_addresses=''); the port only names the socket file. The database
# superuser is `convene` (trust auth on the socket) and a database `convene`
# is always created.
#
# PostgreSQL refuses to run as root. When invoked as root the server runs as
# the system user `convene-pg` (created on demand). If that user cannot reach
# DIR (e.g. DIR is under /root), the real files live in
# ${CONVENE_PG_ROOT:-/var/tmp/convene-pg}/<name derived from DIR> and DIR/data,
# DIR/run and DIR/postgres.log are symlinks to them, so every command keeps
# working when given the original DIR.
set -euo pipefail

PROG=${0##*/}
DEFAULT_PORT=5432
DB_SUPERUSER=convene
DB_NAME=convene
SYSTEM_USER=convene-pg
FALLBACK_ROOT=${CONVENE_PG_ROOT:-/var/tmp/convene-pg}
START_TIMEOUT=60 # seconds pg_ctl waits for startup
STOP_TIMEOUT=60  # seconds pg_ctl waits for a fast shutdown
LOCK_TIMEOUT=120 # seconds to wait for another pg.sh working on the same DIR
MAX_SOCKET_PATH=107

usage() {
    cat <<EOF
Usage: $PROG COMMAND DIR [--port N] [--fast] [PSQL-ARGS...]

Manage a private PostgreSQL cluster stored in DIR (created if missing) that
listens only on the unix socket DIR/run/.s.PGSQL.N (no TCP).

Commands:
  init     initdb (UTF8, C.UTF-8 locale, trust on the socket, superuser
           "$DB_SUPERUSER") unless DIR already holds a cluster, then make
           sure database "$DB_NAME" exists. Idempotent.
  start    init if needed, start the server (log: DIR/postgres.log) and make
           sure database "$DB_NAME" exists. No-op if already running.
  stop     fast shutdown if running; succeeds if not running or if DIR does
           not exist (safe in an EXIT trap).
  status   exit 0 if running, 3 if not (4 if DIR is not accessible).
  url      print the libpq URI of database "$DB_NAME", e.g.
           postgresql:///$DB_NAME?host=/abs/DIR/run&port=$DEFAULT_PORT&user=$DB_SUPERUSER
  psql     run psql on database "$DB_NAME"; remaining arguments go to psql.
  destroy  stop the server and delete the cluster (including files kept
           outside DIR when running as root).

Options:
  --port N   port number naming the socket file (default $DEFAULT_PORT). For
             url/psql the default is the port of the running server.
  --fast     start with fsync=off, synchronous_commit=off,
             full_page_writes=off (for tests; not persisted, so a later start
             without --fast is durable again). With init: initdb --no-sync.
  -h, --help show this help.

The server always runs with max_connections=200 and shared_buffers=128MB.
As root the server runs as system user "$SYSTEM_USER"; if that user cannot
traverse DIR, the files live under $FALLBACK_ROOT and DIR holds symlinks
(override the location with CONVENE_PG_ROOT). CONVENE_PG_BINDIR overrides the
PostgreSQL binary directory.

Examples:
  $PROG start .pg --fast && trap '$PROG stop .pg' EXIT
  psql "\$($PROG url .pg)" -c 'select 1'
  $PROG psql .pg -c '\\dt'
EOF
}

die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 1
}

note() {
    printf '%s: %s\n' "$PROG" "$*" >&2
}

# ---------------------------------------------------------------------------
# Arguments

command_name=""
dir_arg=""
port=""
fast=0
psql_args=()

while (($#)); do
    if [[ ${command_name} == psql && -n ${dir_arg} ]]; then
        case $1 in
            --port | --port=* | --fast | --) ;;
            *)
                psql_args+=("$@")
                break
                ;;
        esac
    fi
    case $1 in
        -h | --help)
            usage
            exit 0
            ;;
        --fast)
            fast=1
            ;;
        --port)
            (($# >= 2)) || die "--port needs a value"
            port=$2
            shift
            ;;
        --port=*)
            port=${1#--port=}
            ;;
        --)
            shift
            psql_args+=("$@")
            break
            ;;
        *)
            if [[ -z ${command_name} ]]; then
                command_name=$1
            elif [[ -z ${dir_arg} ]]; then
                dir_arg=$1
            else
                die "unexpected argument: $1 (see --help)"
            fi
            ;;
    esac
    shift
done

case ${command_name} in
    init | start | stop | status | url | psql | destroy) ;;
    "")
        usage >&2
        exit 2
        ;;
    *) die "unknown command: ${command_name} (see --help)" ;;
esac
[[ -n ${dir_arg} ]] || die "missing DIR (see --help)"
if ((${#psql_args[@]})) && [[ ${command_name} != psql ]]; then
    die "extra arguments are only accepted by the psql command"
fi
if [[ -n ${port} ]]; then
    if [[ ! ${port} =~ ^[0-9]{1,5}$ ]] || ((10#${port} < 1 || 10#${port} > 65535)); then
        die "invalid port: ${port}"
    fi
    port=$((10#${port}))
fi

DIR_ABS=$(realpath -m -- "${dir_arg}")
case ${DIR_ABS} in
    *[$'\n"$`\\']*) die "DIR path contains characters pg_ctl cannot quote: ${DIR_ABS}" ;;
    *) ;;
esac
DATA_LINK=${DIR_ABS}/data
RUN_LINK=${DIR_ABS}/run
LOG_LINK=${DIR_ABS}/postgres.log
LOCK_FILE=${DIR_ABS}/.pg.lock

# Resolved (real) locations; set by resolve_layout.
DATA=""
DATA_REAL="" # realpath of DATA, cached by is_our_postgres
RUN=""
LOG=""
BIN=""
RUNAS="" # OS user that runs initdb/pg_ctl when we are root

is_root() { ((EUID == 0)); }

# ---------------------------------------------------------------------------
# Helpers

# Quote one word for /bin/sh (pg_ctl passes -o options through the shell).
sh_quote() {
    local s=${1//\'/\'\\\'\'}
    printf "'%s'" "${s}"
}

# Percent-encode a string for use as a URI query value.
uri_encode() {
    local s=$1 out="" c i
    local LC_ALL=C
    for ((i = 0; i < ${#s}; i++)); do
        c=${s:i:1}
        case ${c} in
            [A-Za-z0-9/._~-]) out+=${c} ;;
            *) out+=$(printf '%%%02X' "'${c}") ;;
        esac
    done
    printf '%s' "${out}"
}

pick_bindir() {
    if [[ -n ${CONVENE_PG_BINDIR:-} ]]; then
        BIN=${CONVENE_PG_BINDIR}
    else
        local ver="" dirs=()
        if [[ -r ${DATA}/PG_VERSION ]]; then
            ver=$(<"${DATA}/PG_VERSION")
        fi
        if [[ -n ${ver} && -x /usr/lib/postgresql/${ver}/bin/postgres ]]; then
            BIN=/usr/lib/postgresql/${ver}/bin
        else
            shopt -s nullglob
            dirs=(/usr/lib/postgresql/*/bin)
            shopt -u nullglob
            ((${#dirs[@]})) || die "PostgreSQL server binaries not found under /usr/lib/postgresql; run deploy/deps.sh"
            BIN=$(printf '%s\n' "${dirs[@]}" | sort -V | tail -n 1)
        fi
    fi
    [[ -x ${BIN}/pg_ctl ]] || die "no pg_ctl in ${BIN}"
}

# Close every fd above 2 in the current (sub)shell.
close_extra_fds() {
    local f n
    for f in /proc/self/fd/*; do
        n=${f##*/}
        if ((n > 2)); then
            exec {n}>&-
        fi
    done
}

# Run a PostgreSQL server-side tool as the cluster owner, from /, with no
# inherited fds besides stdio: the postmaster must hold neither our lock fd 9
# (it would keep the lock forever) nor a caller's pipe (a caller waiting for
# EOF would hang).
run_pg() {
    (
        cd /
        close_extra_fds
        if is_root; then
            exec runuser -u "${RUNAS}" -- "$@"
        fi
        exec "$@"
    )
}

ensure_system_user() {
    id -u "${SYSTEM_USER}" >/dev/null 2>&1 && return 0
    note "creating system user ${SYSTEM_USER}"
    useradd --system --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin --user-group "${SYSTEM_USER}" ||
        id -u "${SYSTEM_USER}" >/dev/null 2>&1 || # lost a race: fine
        die "could not create system user ${SYSTEM_USER}"
}

# mkdir (if missing) with mode and, as root, owner.
make_dir() {
    local path=$1 mode=$2
    if [[ ! -d ${path} ]]; then
        mkdir -p -- "${path}"
    fi
    if is_root; then
        chown "${RUNAS}:" -- "${path}"
    fi
    chmod "${mode}" -- "${path}"
}

make_file() {
    local path=$1 mode=$2
    if [[ ! -e ${path} ]]; then
        : >>"${path}"
        chmod "${mode}" -- "${path}"
    fi
    if is_root; then
        chown "${RUNAS}:" -- "${path}"
    fi
}

resolve_layout() {
    DATA=$(readlink -m -- "${DATA_LINK}")
    RUN=$(readlink -m -- "${RUN_LINK}")
    LOG=$(readlink -m -- "${LOG_LINK}")
    DATA_REAL=""
}

layout_exists() {
    [[ -e ${DATA_LINK} || -L ${DATA_LINK} ]]
}

# Name of the directory under FALLBACK_ROOT for this DIR.
fallback_base() {
    local hash slug
    hash=$(printf '%s' "${DIR_ABS}" | sha256sum)
    hash=${hash:0:12}
    slug=$(printf '%s' "${DIR_ABS#/}" | tr -c 'A-Za-z0-9._-' '-')
    if ((${#slug} > 40)); then
        slug=${slug: -40}
    fi
    printf '%s/%s-%s' "${FALLBACK_ROOT}" "${slug}" "${hash}"
}

# As root: who runs the server for the existing cluster (its data owner), or
# the system user for a new one.
pick_runas() {
    is_root || return 0
    local owner=""
    if [[ -d ${DATA} ]]; then
        owner=$(stat -c %U -- "${DATA}")
    fi
    if [[ -z ${owner} || ${owner} == root || ${owner} == UNKNOWN ]]; then
        ensure_system_user
        RUNAS=${SYSTEM_USER}
        if [[ -d ${DATA} && ${owner} == root ]]; then
            [[ -z $(ls -A -- "${DATA}") ]] || die "${DATA} is owned by root and not empty; refusing to touch it"
            chown "${RUNAS}:" -- "${DATA}"
        fi
    else
        RUNAS=${owner}
    fi
}

# Fail early with a clear message when a normal user points at someone else's
# cluster.
check_owner() {
    is_root && return 0
    [[ -d ${DATA} ]] || return 0
    local uid
    uid=$(stat -c %u -- "${DATA}")
    if [[ ${uid} != "${EUID}" ]]; then
        die "the cluster in ${DIR_ABS} belongs to $(stat -c %U -- "${DATA}"); run ${PROG} as root or as that user"
    fi
}

# Take the per-DIR lock on fd 9 (best effort when DIR is not writable).
take_lock() {
    [[ -d ${DIR_ABS} ]] || return 0
    if [[ ! -e ${LOCK_FILE} ]]; then
        : >>"${LOCK_FILE}" 2>/dev/null || return 0
    fi
    { exec 9<"${LOCK_FILE}"; } 2>/dev/null || return 0
    if ! flock -w "${LOCK_TIMEOUT}" 9; then
        [[ ${command_name} == stop ]] || die "timed out waiting for another ${PROG} on ${DIR_ABS}"
        note "timed out waiting for the lock on ${DIR_ABS}; stopping anyway"
    fi
}

# Create DIR and the cluster directories (not the cluster itself).
create_layout() {
    mkdir -p -- "${DIR_ABS}"
    local base external=0
    if layout_exists; then
        resolve_layout
        check_owner
        pick_runas
        # Targets may have vanished (e.g. /var/tmp cleaned): recreate them.
        [[ -d ${RUN} ]] || make_dir "${RUN}" 0755
        [[ -e ${LOG} ]] || make_file "${LOG}" 0600
        [[ -d ${DATA} ]] || make_dir "${DATA}" 0700
        return 0
    fi

    base=${DIR_ABS}
    if is_root; then
        ensure_system_user
        RUNAS=${SYSTEM_USER}
        if ! runuser -u "${SYSTEM_USER}" -- test -x "${DIR_ABS}" 2>/dev/null; then
            external=1
            base=$(fallback_base)
        fi
    fi

    if ((external)); then
        prepare_fallback_root
        if [[ -e ${base} || -L ${base} ]]; then
            discard_stale_base "${base}"
        fi
        # 0711, not 0700: normal users must be able to reach the socket in
        # run/; the data directory itself stays 0700.
        make_dir "${base}" 0711
        note "${SYSTEM_USER} cannot reach ${DIR_ABS}; keeping the cluster in ${base}"
    fi

    make_dir "${base}/run" 0755
    make_file "${base}/postgres.log" 0600
    make_dir "${base}/data" 0700
    if ((external)); then
        ln -sfn -- "${base}/run" "${RUN_LINK}"
        ln -sfn -- "${base}/postgres.log" "${LOG_LINK}"
        ln -sfn -- "${base}/data" "${DATA_LINK}" # last: marks the layout done
    fi
    resolve_layout
}

prepare_fallback_root() {
    if [[ -L ${FALLBACK_ROOT} ]]; then
        die "${FALLBACK_ROOT} is a symlink; refusing to use it"
    fi
    if [[ ! -d ${FALLBACK_ROOT} ]]; then
        mkdir -p -- "${FALLBACK_ROOT}"
    fi
    [[ $(stat -c %u -- "${FALLBACK_ROOT}") == 0 ]] ||
        die "${FALLBACK_ROOT} is not owned by root; refusing to use it"
    chmod 0755 -- "${FALLBACK_ROOT}"
}

# A fallback directory exists but DIR no longer points at it (DIR was deleted):
# stop whatever runs there and start afresh, as if the files had been in DIR.
discard_stale_base() {
    local base=$1 saved_data=${DATA} saved_runas=${RUNAS}
    note "discarding stale cluster files in ${base} (no longer referenced by ${DIR_ABS})"
    DATA=${base}/data
    DATA_REAL=""
    if [[ -d ${DATA} ]]; then
        RUNAS=$(stat -c %U -- "${DATA}")
        [[ ${RUNAS} != root && ${RUNAS} != UNKNOWN ]] || RUNAS=${SYSTEM_USER}
        pick_bindir
        stop_server || true
        kill_orphans
    fi
    rm -rf -- "${base}"
    DATA=${saved_data}
    DATA_REAL=""
    RUNAS=${saved_runas}
}

has_cluster() {
    [[ -f ${DATA}/PG_VERSION ]]
}

pid_file_pid() {
    local pid=""
    if [[ -r ${DATA}/postmaster.pid ]]; then
        read -r pid <"${DATA}/postmaster.pid" || true
    fi
    [[ ${pid} =~ ^[0-9]+$ ]] || return 1
    printf '%s' "${pid}"
}

# Is the process a postgres whose working directory is our data directory?
# (The postmaster and all its children chdir to the data directory.) Callers
# are root or the cluster owner, so the cwd of a real server is readable.
is_our_postgres() {
    local pid=$1 comm="" cwd=""
    [[ -d /proc/${pid} ]] || return 1
    { read -r comm <"/proc/${pid}/comm"; } 2>/dev/null || return 1
    [[ ${comm} == postgres || ${comm} == postmaster ]] || return 1
    cwd=$(readlink -- "/proc/${pid}/cwd" 2>/dev/null) || return 1
    [[ ${cwd} == "${DATA_REAL:=$(realpath -m -- "${DATA}")}" ]]
}

# Running = postmaster.pid names a live postgres process of this cluster.
# pg_ctl status only checks that the PID exists, which a stale postmaster.pid
# (kill -9, reboot) can satisfy by PID reuse.
is_running() {
    if [[ -d ${DATA} && ! -x ${DATA} ]]; then
        # Someone else's cluster: ask the socket instead.
        local rc=0
        pick_bindir
        "${BIN}/pg_isready" -q -h "${RUN}" -p "$(effective_port)" -d postgres >/dev/null 2>&1 || rc=$?
        ((rc == 0 || rc == 1)) # 1 = running but not accepting connections yet
        return
    fi
    local pid
    pid=$(pid_file_pid) || return 1
    is_our_postgres "${pid}"
}

# Processes of this cluster left behind by a postmaster killed with -9 keep
# the shared memory attached and block a restart: terminate them.
kill_orphans() {
    local p pids=() tries
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        if is_our_postgres "${p}"; then
            pids+=("${p}")
        fi
    done
    ((${#pids[@]})) || return 0
    note "terminating ${#pids[@]} leftover postgres process(es) of a dead postmaster: ${pids[*]}"
    kill -QUIT "${pids[@]}" 2>/dev/null || true
    for ((tries = 0; tries < 50; tries++)); do
        local alive=()
        for p in "${pids[@]}"; do
            if is_our_postgres "${p}"; then
                alive+=("${p}")
            fi
        done
        ((${#alive[@]})) || return 0
        sleep 0.1
    done
    kill -KILL "${alive[@]}" 2>/dev/null || true
    sleep 0.2
}

# postmaster.pid names a live process that is not our postmaster (PID reuse
# after kill -9 or a reboot). PostgreSQL would refuse to start ("lock file
# already exists"), so move the stale lock files aside.
clear_stale_locks() {
    local pid lock lpid=""
    pid=$(pid_file_pid) || return 0
    [[ -d /proc/${pid} ]] || return 0 # dead PID: postgres handles it
    is_our_postgres "${pid}" && return 0
    note "postmaster.pid names PID ${pid}, which is not this cluster's postmaster; removing stale lock files"
    run_pg rm -f -- "${DATA}/postmaster.pid"
    for lock in "${RUN}"/.s.PGSQL.*.lock; do
        [[ -e ${lock} ]] || continue
        read -r lpid <"${lock}" 2>/dev/null || lpid=""
        if [[ ${lpid} == "${pid}" ]]; then
            run_pg rm -f -- "${lock}" "${lock%.lock}"
        fi
    done
}

# Port: --port, else the one in postmaster.pid (last start), else default.
effective_port() {
    if [[ -n ${port} ]]; then
        printf '%s' "${port}"
        return
    fi
    local p=""
    if [[ -r ${DATA}/postmaster.pid ]]; then
        p=$(sed -n 4p -- "${DATA}/postmaster.pid" 2>/dev/null) || p=""
    fi
    if [[ ${p} =~ ^[0-9]+$ ]]; then
        printf '%s' "${p}"
    else
        printf '%s' "${DEFAULT_PORT}"
    fi
}

conninfo() {
    local db=$1
    printf 'postgresql:///%s?host=%s&port=%s&user=%s' "${db}" \
        "$(uri_encode "${RUN}")" "$(effective_port)" "${DB_SUPERUSER}"
}

do_initdb() {
    local locale=C locales out
    locales=$(locale -a 2>/dev/null || true)
    if grep -qixE 'c\.utf-?8' <<<"${locales}"; then
        locale=C.UTF-8
    fi
    local args=(-D "${DATA}" -U "${DB_SUPERUSER}" -E UTF8 --locale="${locale}"
        --auth-local=trust --auth-host=scram-sha-256)
    if ((fast)); then
        args+=(--no-sync)
    fi
    note "initialising cluster in ${DATA} (locale ${locale})"
    if ! out=$(run_pg "${BIN}/initdb" "${args[@]}" 2>&1); then
        printf '%s\n' "${out}" >&2
        die "initdb failed"
    fi
    # Safety net for anyone starting this cluster without pg.sh: no TCP.
    printf '\n# Added by %s: unix socket only.\nlisten_addresses = '"''"'\n' "${PROG}" |
        run_pg tee -a -- "${DATA}/postgresql.conf" >/dev/null
}

check_socket_path() {
    local sock
    sock=${RUN}/.s.PGSQL.$(effective_port)
    ((${#sock} <= MAX_SOCKET_PATH)) ||
        die "socket path too long for a unix socket (${#sock} > ${MAX_SOCKET_PATH} bytes): ${sock}; use a shorter DIR"
}

start_server() {
    local p opts=() o ostr=""
    check_socket_path
    p=$(effective_port)
    opts=(-p "${p}"
        -c "listen_addresses="
        -c "unix_socket_directories=\"${RUN//\"/\"\"}\""
        -c max_connections=200
        -c shared_buffers=128MB)
    if ((fast)); then
        opts+=(-c fsync=off -c synchronous_commit=off -c full_page_writes=off)
    fi
    for o in "${opts[@]}"; do
        ostr+=" $(sh_quote "${o}")"
    done
    kill_orphans
    clear_stale_locks
    if ! run_pg "${BIN}/pg_ctl" start -D "${DATA}" -l "${LOG}" -w -t "${START_TIMEOUT}" -s -o "${ostr# }"; then
        note "server failed to start; last lines of ${LOG_LINK}:"
        tail -n 20 -- "${LOG}" >&2 || true
        return 1
    fi
}

stop_server() {
    is_running || return 0
    if ! run_pg "${BIN}/pg_ctl" stop -D "${DATA}" -m fast -w -t "${STOP_TIMEOUT}" -s; then
        if is_running; then
            note "fast shutdown failed; trying immediate shutdown"
            run_pg "${BIN}/pg_ctl" stop -D "${DATA}" -m immediate -w -t "${STOP_TIMEOUT}" -s || true
        fi
    fi
    ! is_running
}

psql_cmd() {
    (exec 9<&- && exec "${BIN}/psql" -X -q -v ON_ERROR_STOP=1 "$@")
}

ensure_db() {
    local exists
    exists=$(psql_cmd -At -d "$(conninfo postgres)" \
        -c "SELECT 1 FROM pg_database WHERE datname = '${DB_NAME}'")
    if [[ ${exists} != 1 ]]; then
        note "creating database ${DB_NAME}"
        psql_cmd -d "$(conninfo postgres)" -c "CREATE DATABASE ${DB_NAME}"
    fi
}

# Common preparation for commands that modify the cluster.
prepare_rw() {
    mkdir -p -- "${DIR_ABS}"
    take_lock
    create_layout
    check_owner
    pick_bindir
}

# Common preparation for read-only commands (never creates anything).
prepare_ro() {
    resolve_layout
    pick_bindir
}

# ---------------------------------------------------------------------------
# Commands

cmd_init() {
    prepare_rw
    check_socket_path
    if ! has_cluster; then
        do_initdb
    fi
    if is_running; then
        ensure_db
    else
        start_server || die "could not start the server to create database ${DB_NAME}"
        if ! ensure_db; then
            stop_server || true
            die "could not create database ${DB_NAME}"
        fi
        stop_server || die "could not stop the temporary server"
    fi
}

cmd_start() {
    prepare_rw
    if is_running; then
        local running_port
        running_port=$(port="" effective_port)
        if [[ -n ${port} && ${port} != "${running_port}" ]]; then
            note "already running on port ${running_port} (not ${port}); stop it first to change the port"
        else
            note "already running"
        fi
        return 0
    fi
    check_socket_path
    if ! has_cluster; then
        do_initdb
    fi
    start_server || die "could not start the server"
    ensure_db
    note "started: $(conninfo "${DB_NAME}")"
}

cmd_stop() {
    if ! layout_exists; then
        return 0 # nothing was ever created here: nothing to stop
    fi
    take_lock
    resolve_layout
    check_owner
    pick_runas
    pick_bindir
    if ! is_running; then
        # A postmaster killed with -9 may have left children behind.
        [[ -e ${DATA}/postmaster.pid ]] && kill_orphans
        return 0
    fi
    stop_server || die "could not stop the server in ${DATA}"
    note "stopped"
}

cmd_status() {
    if ! layout_exists; then
        if ! stat -- "${DIR_ABS}" >/dev/null 2>&1 && [[ $(stat -- "${DIR_ABS}" 2>&1) == *"Permission denied"* ]]; then
            echo "unknown (cannot access ${DIR_ABS})"
            exit 4
        fi
        echo "not running (no cluster in ${DIR_ABS})"
        exit 3
    fi
    prepare_ro
    if is_running; then
        echo "running: $(conninfo "${DB_NAME}")"
        exit 0
    fi
    echo "not running"
    exit 3
}

cmd_url() {
    prepare_ro
    printf '%s\n' "$(conninfo "${DB_NAME}")"
}

cmd_psql() {
    prepare_ro
    exec "${BIN}/psql" -d "$(conninfo "${DB_NAME}")" "${psql_args[@]}"
}

cmd_destroy() {
    layout_exists || return 0
    take_lock
    resolve_layout
    check_owner
    pick_runas
    pick_bindir
    stop_server || die "could not stop the server in ${DATA}"
    kill_orphans
    local base=""
    if [[ -L ${DATA_LINK} ]]; then
        base=$(dirname -- "${DATA}")
        case ${base} in
            "${FALLBACK_ROOT}"/*) ;;
            *) base="" ;; # not ours to remove wholesale
        esac
    fi
    rm -rf -- "${DATA}" "${RUN}" "${LOG}"
    if [[ -n ${base} ]]; then
        rm -rf -- "${base}"
    fi
    rm -f -- "${DATA_LINK}" "${RUN_LINK}" "${LOG_LINK}" "${LOCK_FILE}"
    rmdir -- "${DIR_ABS}" 2>/dev/null || true
    note "destroyed the cluster in ${DIR_ABS}"
}

"cmd_${command_name}"

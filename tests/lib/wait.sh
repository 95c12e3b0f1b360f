# shellcheck shell=bash
# tests/lib/wait.sh - sourced by the test scripts that start servers
# (tests/nodes/run.sh, tests/deploy/wal-restore.sh): waiting for a state,
# never for a fixed time. The caller defines say MESSAGE.

# wait_for WHAT SECONDS COMMAND...: runs COMMAND every 0.1 s until it
# succeeds (0) or SECONDS have passed (1, saying what was awaited).
wait_for() {
    local what=$1 secs=$2 i
    shift 2
    for ((i = 0; i < secs * 10; i++)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    say "timed out after ${secs}s waiting for $what"
    return 1
}

#!/usr/bin/env bash
# tests/lighthouse/run.sh - Lighthouse scores of the pages a visitor opens
# first (the calendar, an activity page, sign-up), mobile profile: prints
# performance, accessibility, best practices and SEO per page with the
# cumulative layout shift, and fails when a score is under 95 (LH_MIN).
#
#   1. installs the npm `lighthouse` package here (npm ci; it runs on
#      Debian 12's Node 18) when missing or older than the lock file
#   2. builds build/convene with CMake when it is missing
#   3. starts the server as the browser tests do (tests/e2e/stack.sh: a
#      fresh database `lighthouse` in build/e2e-pg, port CONVENE_E2E_PG_PORT,
#      default 54349, seeded with the coming year's calendar so the pages
#      show open registrations; the mail catcher; `convene serve`)
#   4. runs score.mjs with Debian's chromium (CHROME_PATH, default
#      /usr/bin/chromium, headless), then stops everything
#
# Reports (HTML and JSON per page), scores.txt and the server's log go to
# build/lighthouse/. Shares build/e2e.lock with tests/e2e/run.sh (one
# cluster). Environment: CONVENE_BIN, CONVENE_E2E_PG_PORT, CHROME_PATH,
# LH_MIN (default 95), LH_RUNS (runs per page, the best performance score
# counts; default 2).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$here"
lh=$here/tests/lighthouse
pgdir=$here/build/e2e-pg
pgport=${CONVENE_E2E_PG_PORT:-54349}
maildir=$here/build/lighthouse-mail
artifacts=$here/build/lighthouse
bin=${CONVENE_BIN:-$here/build/convene}
db_name=lighthouse
seed_args=(--year "$(($(date +%Y) + 1))")
# shellcheck source=tests/e2e/stack.sh
. "$here/tests/e2e/stack.sh"

stack_lock "$here/build/e2e.lock"
stack_scrub_env

if [ ! -f "$lh/node_modules/.package-lock.json" ] ||
    [ "$lh/package-lock.json" -nt "$lh/node_modules/.package-lock.json" ]; then
    say "Installing lighthouse (npm ci)"
    (cd "$lh" && npm ci --no-audit --no-fund --update-notifier=false)
fi

if [ ! -x "$bin" ]; then
    say "Building $bin"
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONVENE_TEST_ROUTES=ON >/dev/null
    cmake --build build -j "$(nproc)" >/dev/null
fi

rm -rf "$artifacts"
stack_on_exit() { echo "Lighthouse reports: $artifacts"; }
stack_start

say "Running Lighthouse (mobile) on the calendar, an activity and sign-up"
LH_BASE_URL=$base_url LH_ARTIFACTS=$artifacts \
    CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium} \
    node "$lh/score.mjs" 7>&-

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
#   5. renders every mail template into build/mail-previews/ (unit.tmpl of
#      build/tests/convene_unit) for mail.test.mjs
#   6. runs the node tests (tests/e2e/*.test.mjs) against them in Debian's
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
# The server, its database and the mail catcher: tests/e2e/stack.sh.
# shellcheck source=tests/e2e/stack.sh
. "$e2e/stack.sh"

# One run at a time on this tree: runs share the PostgreSQL cluster, the
# npm packages and the artifacts folder (tests/run.sh may be running one).
stack_lock "$here/build/e2e.lock"
stack_scrub_env

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

rm -rf "$artifacts"
stack_on_exit() { echo "Browser test artifacts (screenshots, logs): $artifacts"; }
stack_start

# The mails as rendered by the real template code (unit.tmpl writes them
# to build/mail-previews/) for mail.test.mjs.
unit=$here/build/tests/convene_unit
if [ -x "$unit" ]; then
    say "Rendering every mail template (unit.tmpl -> build/mail-previews)"
    CK_FORK=yes "$unit" tmpl >"$artifacts/mail-previews.log" 2>&1 7>&- || {
        cat "$artifacts/mail-previews.log" >&2
        exit 1
    }
fi

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
    E2E_MAIL_PREVIEWS=$here/build/mail-previews \
    E2E_CHROMIUM=${E2E_CHROMIUM:-/usr/bin/chromium} \
    node --test --test-concurrency=1 --test-reporter=spec "${tests[@]}" 7>&-

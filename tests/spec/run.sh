#!/usr/bin/env bash
# tests/spec/run.sh - checks that docs/openapi.yaml is a valid description of
# the API (ctest entry spec.validate; tests/run.sh runs it too):
#
#   1. installs the npm packages of tests/spec when missing or older than
#      the lock file (npm ci; Node 18 or newer)
#   2. validates the spec with @apidevtools/swagger-parser
#   3. lints it with Redocly CLI's recommended rules (errors fail; warnings
#      are printed)
#   4. compares its operations with the route table in src/
#      (check_routes.py)
#   5. compares its Error and FieldError code enums with the codes the
#      handlers send (check_codes.py)
#
# Every step runs; the script fails when any of them failed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=$here/tests/spec
spec=$here/docs/openapi.yaml
failed=()
python=/usr/bin/python3 # Debian's: deploy/deps.sh gives it python3-yaml
[ -x "$python" ] || python=python3

# One install at a time: ctest -j and tests/run.sh may start two runs.
exec 8>"$dir/.npm.lock"
flock -w 600 8 || echo "tests/spec: waited too long for $dir/.npm.lock; going on" >&2
if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
    [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "==> Installing the npm packages of tests/spec (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund --update-notifier=false) || failed+=("npm ci")
fi
flock -u 8

echo "==> swagger-parser"
(cd "$dir" && node validate.mjs "$spec") || failed+=("swagger-parser")

# No telemetry or update check: the lint works offline.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
echo "==> redocly lint (recommended)"
(cd "$dir" && ./node_modules/.bin/redocly lint --extends recommended --format stylish "$spec") ||
    failed+=("redocly lint")

echo "==> route table"
"$python" "$dir/check_routes.py" "$spec" "$here/src" || failed+=("route table")

echo "==> error codes"
"$python" "$dir/check_codes.py" "$spec" "$here/src" || failed+=("error codes")

if [ ${#failed[@]} -gt 0 ]; then
    echo "spec.validate: FAILED: ${failed[*]}"
    exit 1
fi
echo "spec.validate: docs/openapi.yaml is valid and matches the route table and the error codes"

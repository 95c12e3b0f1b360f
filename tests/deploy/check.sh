#!/usr/bin/env bash
# tests/deploy/check.sh [CONVENE_BINARY] - checks the deployment files with
# the tools that will read them (tests/run.sh runs it; a few seconds):
#   - deploy/convene.service: systemd-analyze verify, with ExecStart pointed
#     at CONVENE_BINARY (default build/convene); any warning fails too
#   - deploy/nginx.conf: nginx -t, adapted to loopback with a throwaway
#     self-signed certificate (tests/deploy/nginx-conf.sh)
#   - deploy/convene-alerts.yml: promtool check rules ($PROMTOOL, or
#     tests/tools/promtool.sh)
#   - deploy/postgres-exporter-queries.yml: YAML, and its SQL names only
#     mail_outbox columns that exist (checked by grep against the migrations)
#   - the maintainer scripts: sh -n
# Needs systemd, nginx (nginx-light) and openssl: deploy/deps.sh --test.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
binary=$(realpath "${1:-$here/build/convene}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=()
ok() { echo "ok: $*"; }
bad() {
    echo "FAILED: $*"
    failed+=("$1")
}

# The unit.
[ -x "$binary" ] || { echo "check.sh: no binary at $binary (build first)" >&2; exit 2; }
sed "s#/usr/bin/convene#$binary#" "$here/deploy/convene.service" >"$tmp/convene.service"
if out=$(systemd-analyze verify "$tmp/convene.service" 2>&1) && [ -z "$out" ]; then
    ok "systemd-analyze verify deploy/convene.service"
else
    printf '%s\n' "$out"
    bad "systemd unit"
fi

# The nginx site.
if bash "$here/tests/deploy/nginx-conf.sh" "$tmp/nginx" 127.0.0.1:56699 56698 56697 "$here/web" &&
    out=$(nginx -t -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" 2>&1); then
    ok "nginx -t deploy/nginx.conf"
else
    printf '%s\n' "${out:-}"
    bad "nginx site"
fi

# The alert rules.
promtool=${PROMTOOL:-$(bash "$here/tests/tools/promtool.sh" "$here/build/tools" || true)}
if [ -z "$promtool" ]; then
    bad "promtool (none on PATH and apt-get download prometheus failed)"
elif out=$("$promtool" check rules "$here/deploy/convene-alerts.yml" 2>&1); then
    ok "promtool check rules deploy/convene-alerts.yml ($(grep -c 'alert:' "$here/deploy/convene-alerts.yml") alerts)"
else
    printf '%s\n' "$out"
    bad "alert rules"
fi

# The postgres_exporter queries: valid YAML, and the columns exist.
if python3 -c 'import sys, yaml; q = yaml.safe_load(open(sys.argv[1])); assert q["convene_outbox"]["query"]' \
    "$here/deploy/postgres-exporter-queries.yml" 2>"$tmp/err"; then
    missing=
    for col in next_attempt_at status; do
        grep -q "^ *$col " "$here/sql/migrations/0002_accounts_mail.sql" || missing+=" $col"
    done
    if [ -z "$missing" ]; then ok "postgres-exporter-queries.yml"; else bad "exporter queries: no column$missing"; fi
else
    cat "$tmp/err"
    bad "exporter queries (YAML)"
fi

# The maintainer scripts.
for f in postinst prerm postrm; do
    if sh -n "$here/deploy/debian/$f" && [ -x "$here/deploy/debian/$f" ]; then
        ok "deploy/debian/$f"
    else
        bad "deploy/debian/$f (syntax or not executable)"
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    printf 'deploy checks failed: %s\n' "${failed[*]}"
    exit 1
fi
echo "deploy checks: all passed"

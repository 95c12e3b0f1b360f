#!/usr/bin/env bash
# tests/tools/promtool.sh DIR - prints the path of a `promtool`, Prometheus's
# checker, for the metrics test. Uses one on PATH; otherwise unpacks the one
# in Debian's `prometheus` package into DIR without installing the package
# (installing it would also set up a Prometheus server). Exits 1 when none
# can be had.
set -euo pipefail
dir=${1:?usage: promtool.sh DIR}
if command -v promtool >/dev/null 2>&1; then
    command -v promtool
    exit 0
fi
if [ ! -x "$dir/promtool" ]; then
    mkdir -p "$dir/deb"
    (cd "$dir/deb" && rm -f prometheus_*.deb && apt-get download prometheus >/dev/null 2>&1) || exit 1
    dpkg-deb -x "$dir"/deb/prometheus_*.deb "$dir/deb/root"
    cp "$dir/deb/root/usr/bin/promtool" "$dir/promtool"
    rm -rf "$dir/deb"
fi
"$dir/promtool" --version >/dev/null 2>&1 || exit 1
echo "$dir/promtool"

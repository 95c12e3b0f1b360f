#!/usr/bin/env python3
"""Checks that docs/openapi.yaml describes exactly the server's route table.

Reads every route of src/: the entries {"METHOD", "/pattern", handler} of the
features' route tables (struct http_route_def) and any direct
http_route(s, "METHOD", "/pattern", handler) call (the test-only /api/_test
routes excepted), turns router patterns into OpenAPI
path templates ({id:int} -> {id}) and compares the set of (method, path)
with the operations of the spec. Any difference fails, listing it.

Usage: check_routes.py SPEC SRC_DIR
"""
import pathlib
import re
import sys

import yaml

ROUTE = re.compile(r'(?:http_route\(\s*\w+\s*,|\{)\s*"([A-Z]+)"\s*,\s*"(/[^"]*)"\s*,\s*\w+')
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def routes_in_source(src):
    found = {}
    for path in sorted(pathlib.Path(src).rglob("*.c")):
        for m in ROUTE.finditer(path.read_text(encoding="utf-8")):
            method, pattern = m.group(1), m.group(2)
            if pattern.startswith("/api/_test/"):
                continue
            template = re.sub(r"\{(\w+):\w+\}", r"{\1}", pattern)
            found[(method, template)] = str(path)
    return found


def operations_in_spec(spec_path):
    with open(spec_path, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    return {(m.upper(), p) for p, item in spec.get("paths", {}).items() for m in item
            if m in METHODS}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    spec_path, src = sys.argv[1], sys.argv[2]
    routes = routes_in_source(src)
    ops = operations_in_spec(spec_path)
    if not routes:
        sys.exit(f"check_routes: no routes found under {src}")
    missing = sorted(set(routes) - ops)
    extra = sorted(ops - set(routes))
    for method, path in missing:
        print(f"route not in the spec: {method} {path} ({routes[(method, path)]})")
    for method, path in extra:
        print(f"spec operation with no route: {method} {path}")
    if missing or extra:
        print(f"check_routes: FAILED ({len(missing)} undocumented, {len(extra)} without a route)")
        return 1
    print(f"check_routes: the spec's {len(ops)} operations are exactly the route table")
    return 0


if __name__ == "__main__":
    sys.exit(main())

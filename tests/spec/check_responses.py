#!/usr/bin/env python3
"""Checks the responses the integration suites received against the spec.

The harness (tests/integration/harness.c) appends one JSON line per response
to $CONVENE_TEST_RESPONSE_LOG: method, path (with the query), status,
content_type, retry_after and, for JSON answers, body. For each record this
finds the spec operation (path template and method) and checks that

  - the status is documented for the operation;
  - the content type is one the response documents (none for 204/304);
  - a JSON body validates against the response's schema, strictly: a member
    the schema does not list is an error even where the spec does not say
    additionalProperties: false, so an undocumented member fails;
  - Retry-After is present when the response documents it as required.

Requests to /api/_test/* and to paths outside the API and operations
endpoints (static files) are skipped. A request that reached no operation
(unknown path: 404; known path, other method: 405) is only checked against
the generic Error schema.

Usage: check_responses.py SPEC LOG_DIR     check every *.jsonl in LOG_DIR
       check_responses.py --reset LOG_DIR  empty LOG_DIR (before the suites)
"""
import collections
import copy
import json
import pathlib
import re
import shutil
import sys

import jsonschema
import yaml

METHODS = ("get", "put", "post", "delete", "patch")


class Spec:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = yaml.safe_load(f)
        self.ops = []  # (regex, literal segments, template, path item)
        for template, item in self.doc["paths"].items():
            params = {p["name"]: p for p in map(self.deref, item.get("parameters", []))}
            for m in METHODS:
                for p in map(self.deref, item.get(m, {}).get("parameters", [])):
                    params.setdefault(p["name"], p)
            regex = ""
            for part in re.split(r"(\{\w+\})", template):
                name = part[1:-1] if part.startswith("{") else None
                if name is None:
                    regex += re.escape(part)
                    continue
                schema = self.deref(params.get(name, {}).get("schema", {}))
                regex += "[0-9]+" if schema.get("type") == "integer" else "[^/]+"
            literal = len(re.sub(r"\{\w+\}", "", template))
            self.ops.append((re.compile(regex + "$"), literal, template, item))
        # Most specific template first: /a/{id}/me before /a/{id}/{action}.
        self.ops.sort(key=lambda o: -o[1])
        self.error_schema = self.json_schema({"$ref": "#/components/schemas/Error"})

    def deref(self, node):
        while isinstance(node, dict) and "$ref" in node:
            target = self.doc
            for key in node["$ref"].lstrip("#/").split("/"):
                target = target[key.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def json_schema(self, node, depth=0):
        """An OpenAPI 3.0 schema as a strict JSON Schema (refs inlined)."""
        if depth > 50:
            raise RecursionError("schema nesting too deep (a $ref cycle?)")
        node = self.deref(node)
        if not isinstance(node, dict):
            return node
        node = copy.deepcopy(node)
        if "allOf" in node:
            # Members of all parts together, checked as one object.
            merged = {"type": "object", "properties": {}, "required": []}
            for part in [self.deref(p) for p in node.pop("allOf")] + [node]:
                merged["properties"].update(part.get("properties", {}))
                merged["required"] += [r for r in part.get("required", [])
                                       if r not in merged["required"]]
                if part.get("nullable"):
                    merged["nullable"] = True
            node = merged
        nullable = node.pop("nullable", False)
        for key in ("description", "example", "default", "format", "readOnly", "writeOnly"):
            node.pop(key, None)
        if "properties" in node:
            node["properties"] = {k: self.json_schema(v, depth + 1)
                                  for k, v in node["properties"].items()}
            node.setdefault("additionalProperties", False)
        if isinstance(node.get("additionalProperties"), dict):
            node["additionalProperties"] = self.json_schema(node["additionalProperties"],
                                                            depth + 1)
        if "items" in node:
            node["items"] = self.json_schema(node["items"], depth + 1)
        for key in ("oneOf", "anyOf"):
            if key in node:
                node[key] = [self.json_schema(s, depth + 1) for s in node[key]]
        if nullable:
            return {"anyOf": [{"type": "null"}, node]}
        return node

    def find(self, path):
        for regex, _, template, item in self.ops:
            if regex.match(path):
                return template, item
        return None, None


def media_type(ct):
    return (ct or "").split(";")[0].strip().lower()


def check(spec, rec):
    """Returns (operation label, problem) pairs; empty when it matches."""
    method = rec["method"].upper()
    path = rec["path"].split("?")[0]
    status = rec["status"]
    template, item = spec.find(path)
    op_method = "GET" if method == "HEAD" else method
    op = item.get(op_method.lower()) if item else None
    label = f"{method} {template or path}"
    body = rec.get("body")
    if op is None:
        # No operation: only the router's own answers are expected.
        if status not in (404, 405):
            return [(label, f"{status} from a request that matches no operation")]
        if method == "HEAD" or body is None:
            return []
        return [(label + f" {status}", e) for e in validate(spec.error_schema, body)]
    responses = op["responses"]
    doc = responses.get(str(status)) or responses.get(f"{status // 100}XX") or \
        responses.get("default")
    label += f" {status}"
    if doc is None:
        return [(label, f"status {status} is not documented")]
    doc = spec.deref(doc)
    problems = []
    headers = {k.lower(): spec.deref(v) for k, v in doc.get("headers", {}).items()}
    if headers.get("retry-after", {}).get("required") and not rec.get("retry_after"):
        problems.append((label, "Retry-After is missing"))
    content = doc.get("content")
    mt = media_type(rec.get("content_type"))
    if not content:
        if rec.get("length", 0) and method != "HEAD":
            problems.append((label, f"a body ({mt}) where the spec documents none"))
        return problems
    if mt not in content:
        problems.append((label, f"content type {mt or '(none)'} is not one of {sorted(content)}"))
        return problems
    schema = content[mt].get("schema")
    if method == "HEAD" or schema is None or mt != "application/json":
        return problems
    if body is None:
        return problems + [(label, "JSON answer without a recorded body")]
    problems += [(label, e) for e in validate(spec.json_schema(schema), body)]
    return problems


def validate(schema, text):
    try:
        value = json.loads(text)
    except ValueError as e:
        return [f"the body is not JSON: {e}"]
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    out = []
    for err in sorted(cls(schema).iter_errors(value), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in err.absolute_path) or "(body)"
        msg = err.message
        if err.validator == "additionalProperties":
            msg = "undocumented member: " + msg
        out.append(f"at {where}: {msg[:300]}")
    return out


def main():
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--reset":
        shutil.rmtree(args[1], ignore_errors=True)
        pathlib.Path(args[1]).mkdir(parents=True)
        return 0
    if len(args) != 2:
        sys.exit(__doc__)
    spec = Spec(args[0])
    logs = sorted(pathlib.Path(args[1]).glob("*.jsonl"))
    problems = collections.OrderedDict()
    checked = skipped = 0
    seen_ops = set()
    for log in logs:
        with open(log, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                try:
                    rec = json.loads(line)
                except ValueError:
                    problems.setdefault(("log", f"{log.name}:{n} is not a JSON line"), [])
                    continue
                path = rec["path"].split("?")[0]
                api = path.startswith("/api/") or path in ("/healthz", "/readyz", "/metrics")
                if not api or path.startswith("/api/_test/"):
                    skipped += 1
                    continue
                checked += 1
                template, _ = spec.find(path)
                seen_ops.add((rec["method"].upper().replace("HEAD", "GET"), template))
                for key in check(spec, rec):
                    problems.setdefault(key, []).append(f"{log.stem}: {rec['method']} "
                                                        f"{rec['path'][:120]}")
    print(f"spec.responses: {checked} responses checked against {args[0]} "
          f"({skipped} skipped) from {len(logs)} suite logs")
    if not logs:
        print("spec.responses: no response logs (run the integration suites first)")
    unseen = [f"{m.upper()} {t}" for _, _, t, item in spec.ops for m in METHODS
              if m in item and (m.upper(), t) not in seen_ops]
    if logs and unseen:
        print(f"spec.responses: {len(unseen)} operations no suite called (not a failure): "
              + ", ".join(sorted(unseen)))
    for (label, problem), seen in problems.items():
        print(f"MISMATCH {label}: {problem}\n    seen {len(seen)}x, e.g. {seen[0] if seen else ''}")
    if problems:
        print(f"spec.responses: FAILED: {len(problems)} kinds of mismatch")
        return 1
    print("spec.responses: every response matches the spec")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Checks that the spec's error codes are exactly the codes the server sends.

Collects from src/:
  - error codes: the third argument of http_reply_error / http_reply_error_with
    (string literals), the code column of the sql_errors table (src/api/api.c:
    {"raised", status, "code", ...}) and the codes CivetWeb's own errors get
    (the `code` ternary of on_http_error in src/http/http.c);
  - field codes: every string literal in the third argument of api_field_error
    and reply_violation (conditional codes such as `a ? "x" : "y"` count both).

and compares them with the enums of components.schemas.Error (error.code) and
FieldError (code). A code the server sends that the spec does not list, or a
listed code nothing sends, fails.

Usage: check_codes.py SPEC SRC_DIR
"""
import pathlib
import re
import sys

import yaml

LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')
CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def call_args(text, start):
    """The top-level arguments of the call whose '(' is at text[start]."""
    depth, args, cur, i = 0, [], [], start
    in_str = None
    while i < len(text):
        ch = text[i]
        if in_str:
            cur.append(ch)
            if ch == "\\":
                cur.append(text[i + 1])
                i += 1
            elif ch == in_str:
                in_str = None
        elif ch in "\"'":
            in_str = ch
            cur.append(ch)
        elif ch in "([{":
            depth += 1
            if depth > 1:
                cur.append(ch)
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                args.append("".join(cur).strip())
                return args
            cur.append(ch)
        elif ch == "," and depth == 1:
            args.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    return args


def literals_of_arg(text, func, index):
    out = set()
    for m in re.finditer(r"\b" + func + r"\s*\(", text):
        # Skip the definition and declarations: their third argument is a
        # parameter, without string literals.
        args = call_args(text, m.end() - 1)
        if len(args) > index:
            # Literals inside a nested call of the argument are that call's
            # arguments (json_object_get(err, "code")), not codes.
            arg = args[index]
            while True:
                flat = re.sub(r'\([^()"]*(?:"(?:[^"\\]|\\.)*"[^()"]*)*\)', "", arg)
                if flat == arg:
                    break
                arg = flat
            out |= {s for s in LITERAL.findall(arg) if CODE.match(s)}
    return out


def codes_in_source(src):
    errors, fields = set(), set()
    for path in sorted(pathlib.Path(src).rglob("*.c")):
        if path.name == "testroutes.c":
            continue
        text = path.read_text(encoding="utf-8")
        for func in ("http_reply_error", "http_reply_error_with"):
            errors |= literals_of_arg(text, func, 2)
        for func in ("api_field_error", "reply_violation"):
            fields |= literals_of_arg(text, func, 2)
        if path.name == "api.c":
            table = re.search(r"sql_errors\[\]\s*=\s*\{(.*?)\n\};", text, re.S)
            if table is None:
                sys.exit("check_codes: the sql_errors table was not found in src/api/api.c")
            errors |= set(re.findall(r'\{\s*"[a-z_]+"\s*,\s*\d+\s*,\s*"([a-z_]+)"', table.group(1)))
        if path.name == "http.c":
            m = re.search(r"const char \*code\s*=(.*?);", text, re.S)
            if m is None:
                sys.exit("check_codes: on_http_error's code was not found in src/http/http.c")
            errors |= {s for s in LITERAL.findall(m.group(1)) if CODE.match(s)}
    return errors, fields


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        schemas = yaml.safe_load(f)["components"]["schemas"]
    spec_errors = set(schemas["Error"]["properties"]["error"]["properties"]["code"]["enum"])
    spec_fields = set(schemas["FieldError"]["properties"]["code"]["enum"])
    errors, fields = codes_in_source(sys.argv[2])
    if not errors or not fields:
        sys.exit(f"check_codes: no codes found under {sys.argv[2]}")
    failed = False
    for what, sent, listed in (("Error.code", errors, spec_errors),
                               ("FieldError.code", fields, spec_fields)):
        for code in sorted(sent - listed):
            print(f"check_codes: the server sends {what} {code!r}; the spec does not list it")
            failed = True
        for code in sorted(listed - sent):
            print(f"check_codes: the spec lists {what} {code!r}; nothing in src/ sends it")
            failed = True
    if failed:
        print("check_codes: FAILED")
        return 1
    print(f"check_codes: the spec lists exactly the {len(errors)} error codes and "
          f"{len(fields)} field codes the server sends")
    return 0


if __name__ == "__main__":
    sys.exit(main())

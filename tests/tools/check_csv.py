#!/usr/bin/python3
"""Checks a Convene CSV export with Python's csv module (a real RFC 4180
parser): UTF-8 BOM, CRLF row ends, the expected header and row count, no
cell starting with a formula character, and optional expected cells.

usage: check_csv.py FILE ROWS HEADER_FIRST_CELL [EXPECTED_CELL ...]
Prints one line: "ok ROWS" or the problem; exits 0 or 1.
"""
import csv
import io
import sys


def main():
    path, rows, first = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    expected = sys.argv[4:]
    raw = open(path, "rb").read()
    if not raw.startswith(b"\xef\xbb\xbf"):
        return "no UTF-8 byte order mark"
    text = raw[3:].decode("utf-8")
    in_quotes = False
    for i, ch in enumerate(text):
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == "\n" and not in_quotes and (i == 0 or text[i - 1] != "\r"):
            return "a row ends without CRLF"
    if not text.endswith("\r\n"):
        return "the last row does not end with CRLF"
    table = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    if not table or table[0][0] != first:
        return "unexpected header: %r" % (table[0][:3] if table else None)
    body = table[1:]
    if len(body) != rows:
        return "expected %d rows, parsed %d" % (rows, len(body))
    width = len(table[0])
    for i, row in enumerate(body):
        if len(row) != width:
            return "row %d has %d cells, header has %d" % (i + 1, len(row), width)
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                return "row %d: cell starts with a formula character: %r" % (i + 1, cell)
    cells = {c for row in body for c in row}
    for want in expected:
        if want not in cells:
            return "expected cell not found: %r" % want
    return None


if __name__ == "__main__":
    problem = main()
    if problem:
        print(problem)
        sys.exit(1)
    print("ok")

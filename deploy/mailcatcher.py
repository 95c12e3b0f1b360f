#!/usr/bin/python3
"""mailcatcher.py - an SMTP sink with a small read-only web inbox, for the
local setup (deploy/dev.sh) and the integration tests. Nothing is relayed.

  deploy/mailcatcher.py --smtp 127.0.0.1:1025 --http 127.0.0.1:1080 --dir DIR

Every message is accepted and saved as DIR/<sequence>-<time>.eml: written
under a temporary name and renamed, so a reader never sees half a file. The
saved file starts with two lines the catcher adds, as a delivering MTA adds
Return-Path: X-Envelope-From and X-Envelope-To (the SMTP envelope).

Web inbox: GET / lists the messages, GET /messages/<id> shows one (decoded,
HTML-escaped, no JavaScript), GET /messages/<id>.eml the raw file, and
GET /api/messages all of them as JSON: [{id, file, from, to, subject, date,
message_id, envelope_from, envelope_to, text, html, attachments:
[{filename, content_type, size, data (text attachments only)}]}], oldest
first. Header values are decoded from RFC 2047.

--reject-rcpt REGEX answers 550 to RCPT TO for matching addresses (tests).
Stops cleanly on SIGTERM or SIGINT. Needs Debian's python3-aiosmtpd.
"""

import argparse
import email
import email.policy
import html
import json
import os
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

NAME_RE = re.compile(r"^(\d{6,})-[0-9TZ.]+\.eml$")


def host_port(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


class Store:
    """The directory of .eml files; sequence numbers go on across restarts."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.lock = threading.Lock()
        seqs = [int(m.group(1)) for m in map(NAME_RE.match, os.listdir(directory)) if m]
        self.seq = max(seqs, default=0)

    def save(self, envelope_from, envelope_to, content):
        with self.lock:
            self.seq += 1
            seq = self.seq
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        name = f"{seq:06d}-{stamp}Z.eml"
        head = (f"X-Envelope-From: <{envelope_from}>\r\n"
                f"X-Envelope-To: {', '.join('<%s>' % r for r in envelope_to)}\r\n")
        tmp = os.path.join(self.dir, f".{name}.tmp")
        with open(tmp, "wb") as f:
            f.write(head.encode("ascii", "replace") + content)
        os.replace(tmp, os.path.join(self.dir, name))
        return name

    def files(self):
        return sorted(n for n in os.listdir(self.dir) if NAME_RE.match(n))

    def load(self, name):
        with open(os.path.join(self.dir, name), "rb") as f:
            raw = f.read()
        return raw, parse(name, raw)


def parse(name, raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)

    def header(key):
        try:
            value = msg[key]
        except Exception:  # a header too broken to decode is shown raw
            value = msg.get_all(key, [None])[0]
        return str(value) if value is not None else ""

    def body(kind):
        try:
            part = msg.get_body(preferencelist=(kind,))
            return part.get_content() if part is not None else ""
        except Exception:
            return ""

    attachments = []
    for part in msg.iter_attachments():
        payload = part.get_payload(decode=True) or b""
        item = {"filename": part.get_filename() or "", "content_type": part.get_content_type(),
                "size": len(payload)}
        if part.get_content_maintype() == "text":
            item["data"] = payload.decode(part.get_content_charset() or "utf-8", "replace")
        attachments.append(item)
    return {
        "id": int(NAME_RE.match(name).group(1)), "file": name,
        "from": header("From"), "to": header("To"), "subject": header("Subject"),
        "date": header("Date"), "message_id": header("Message-ID"),
        "envelope_from": header("X-Envelope-From").strip("<>"),
        "envelope_to": [a.strip().strip("<>") for a in header("X-Envelope-To").split(",") if a],
        "content_type": msg.get_content_type(),
        "text": body("plain"), "html": body("html"), "attachments": attachments,
    }


class Handler:
    """aiosmtpd handler: accept everything (unless --reject-rcpt), save it."""

    def __init__(self, store, reject):
        self.store, self.reject = store, reject

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject.search(address):
            return "550 5.1.1 Recipient refused by the mail catcher"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        name = self.store.save(envelope.mail_from, envelope.rcpt_tos, envelope.original_content)
        print(f"mailcatcher: saved {name} for {', '.join(envelope.rcpt_tos)}", flush=True)
        return "250 Message accepted"


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font:15px sans-serif;margin:2em}}td,th{{padding:4px 10px;text-align:left}}
pre{{white-space:pre-wrap;background:#f4f4f4;padding:1em}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""


def make_http_handler(store):
    class Web(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):  # quiet: the catcher is a tool
            pass

        def send(self, status, ctype, data):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def page(self, title, body, status=200):
            self.send(status, "text/html; charset=utf-8",
                      PAGE.format(title=html.escape(title), body=body).encode())

        def find(self, ident):
            for name in store.files():
                if int(NAME_RE.match(name).group(1)) == ident:
                    return name
            return None

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path == "/api/messages":
                items = [store.load(n)[1] for n in store.files()]
                return self.send(200, "application/json",
                                 json.dumps(items, ensure_ascii=False).encode())
            if path == "/":
                return self.index()
            m = re.fullmatch(r"/messages/(\d+)(\.eml)?", path)
            name = self.find(int(m.group(1))) if m else None
            if name is None:
                return self.page("Not found", "<p><a href='/'>Inbox</a></p>", 404)
            raw, info = store.load(name)
            if m.group(2):
                return self.send(200, "text/plain; charset=utf-8", raw)
            return self.message(info)

        def index(self):
            rows = []
            for name in reversed(store.files()):
                info = store.load(name)[1]
                rows.append("<tr><td>{}</td><td>{}</td><td><a href='/messages/{}'>{}</a></td>"
                            "<td>{}</td></tr>".format(
                                html.escape(info["from"]), html.escape(info["to"]), info["id"],
                                html.escape(info["subject"] or "(no subject)"),
                                html.escape(info["date"])))
            body = ("<table><tr><th>From</th><th>To</th><th>Subject</th><th>Date</th></tr>"
                    + "".join(rows) + "</table>") if rows else "<p>No mail yet.</p>"
            self.page(f"Inbox ({len(rows)})", body)

        def message(self, info):
            e = html.escape
            heads = "".join(f"<tr><th>{k}</th><td>{e(str(info[k.lower()]))}</td></tr>"
                            for k in ("From", "To", "Subject", "Date"))
            files = "".join(f"<li>{e(a['filename'])} ({e(a['content_type'])}, {a['size']} bytes)"
                            "</li>" for a in info["attachments"])
            body = (f"<p><a href='/'>Inbox</a> · <a href='/messages/{info['id']}.eml'>raw</a></p>"
                    f"<table>{heads}</table><h2>Text</h2><pre>{e(info['text'])}</pre>"
                    f"<h2>HTML (source)</h2><pre>{e(info['html'])}</pre>"
                    + (f"<h2>Attachments</h2><ul>{files}</ul>" if files else ""))
            self.page(info["subject"] or "(no subject)", body)

    return Web


def main():
    ap = argparse.ArgumentParser(description="SMTP sink with a web inbox (development, tests).")
    ap.add_argument("--smtp", type=host_port, default=("127.0.0.1", 1025), metavar="HOST:PORT")
    ap.add_argument("--http", type=host_port, default=("127.0.0.1", 1080), metavar="HOST:PORT")
    ap.add_argument("--dir", required=True, help="where the .eml files go")
    ap.add_argument("--reject-rcpt", type=re.compile, metavar="REGEX",
                    help="answer 550 to RCPT TO addresses matching REGEX")
    args = ap.parse_args()

    store = Store(args.dir)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    smtp = Controller(Handler(store, args.reject_rcpt), hostname=args.smtp[0],
                      port=args.smtp[1], ready_timeout=10)
    smtp.start()
    web = ThreadingHTTPServer(args.http, make_http_handler(store))
    web.daemon_threads = True
    web_thread = threading.Thread(target=web.serve_forever, daemon=True)
    web_thread.start()
    print(f"mailcatcher: SMTP on {args.smtp[0]}:{args.smtp[1]}, inbox on "
          f"http://{args.http[0]}:{args.http[1]}/, saving to {args.dir}", flush=True)

    while not stop.wait(3600):
        pass
    web.shutdown()
    web.server_close()
    smtp.stop()
    print("mailcatcher: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

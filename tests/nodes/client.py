#!/usr/bin/python3
"""client.py - the HTTP clients of tests/nodes/run.sh (standard library only).

Accounts are the ones run.sh makes in SQL: account k has a session whose
token is token(k) (only its BLAKE2b-256 hash is stored, as the server does)
and the CSRF token "nodescsrf".

  client.py enrol BASE ACTIVITY FIRST COUNT CONC OUT
      POST an enrolment for accounts FIRST..FIRST+COUNT-1 into ACTIVITY, CONC
      at a time, each account once; writes "k status" lines to OUT and
      prints the statuses counted as JSON.
  client.py load BASE SECONDS CONC PATH...
      GETs the paths round-robin on CONC keep-alive connections for SECONDS;
      prints {"status": count, ...} (0 = no answer: a transport error).
  client.py propagate WRITE_BASE READ_BASE ACTIVITY TITLE
      Changes the activity's title through WRITE_BASE as staff, then polls
      READ_BASE's public catalogue until the title is in it (10 s at most);
      prints the milliseconds from the change's answer to the title seen,
      and the change's own time, as JSON.
  client.py poll BASE TITLE SECONDS
      GETs the catalogue through BASE until TITLE is in it, counting the
      answers by status; prints JSON with the ms until seen (-1 never).
  client.py probe BASE PATH N
      GETs PATH N times one after the other on one keep-alive connection;
      prints the latency percentiles (ms) and the answers by status as JSON.
  client.py hold HOST PORT N READY SECONDS
      Opens N keep-alive connections, sends GET /healthz on each and reads
      the answer (40 at a time), writes READY with the count held and keeps
      them open, idle, until SECONDS pass or SIGTERM.
"""
import http.client
import json
import signal
import socket
import sys
import threading
import time
import urllib.parse

CSRF = "nodescsrf"


def token(k):
    t = "nodes%d" % k
    return t + "x" * (43 - len(t))


def staff_token():
    return token(999999)


def split(base):
    u = urllib.parse.urlsplit(base)
    return u.hostname, u.port


class Conn:
    """One keep-alive connection that reconnects after a failure."""

    def __init__(self, base):
        self.host, self.port = split(base)
        self.c = None

    def request(self, method, path, body=None, headers=None):
        hdrs = dict(headers or {})
        if body is not None:
            hdrs["Content-Type"] = "application/json"
        for attempt in range(1):
            try:
                if self.c is None:
                    self.c = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.c.request(method, path, body=body, headers=hdrs)
                r = self.c.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.c.close()
                    self.c = None
                return r.status, data
            except (OSError, http.client.HTTPException):
                if self.c is not None:
                    self.c.close()
                self.c = None
        return 0, b""


def as_account(k):
    return {"Cookie": "convene_session=" + token(k), "X-CSRF-Token": CSRF}


def count(statuses):
    out = {}
    for s in statuses:
        out[str(s)] = out.get(str(s), 0) + 1
    return out


def cmd_enrol(base, activity, first, n, conc, out_path):
    first, n, conc = int(first), int(n), int(conc)
    results = {}
    lock = threading.Lock()
    next_k = [first]

    def worker():
        c = Conn(base)
        while True:
            with lock:
                k = next_k[0]
                if k >= first + n:
                    return
                next_k[0] += 1
            st, _ = c.request("POST", "/api/activities/%s/enrollments" % activity,
                              '{"answers":{}}', as_account(k))
            with lock:
                results[k] = st

    threads = [threading.Thread(target=worker) for _ in range(conc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(out_path, "w") as f:
        for k in sorted(results):
            f.write("%d %d\n" % (k, results[k]))
    print(json.dumps(count(results.values())))


def cmd_load(base, seconds, conc, *paths):
    seconds, conc = float(seconds), int(conc)
    end = time.monotonic() + seconds
    statuses = []
    lock = threading.Lock()

    def worker(i):
        c = Conn(base)
        j = i
        mine = []
        while time.monotonic() < end:
            st, _ = c.request("GET", paths[j % len(paths)])
            mine.append(st)
            j += 1
        with lock:
            statuses.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(conc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(count(statuses)))


def catalogue_has(c, title):
    st, data = c.request("GET", "/api/activities?per_page=100")
    return st, st == 200 and title.encode() in data


def cmd_propagate(write_base, read_base, activity, title):
    w, r = Conn(write_base), Conn(read_base)
    st, _ = catalogue_has(r, title)  # the reader's list is cached before the change
    if st != 200:
        print(json.dumps({"error": "catalogue answered %d" % st}))
        return
    hdrs = {"Cookie": "convene_session=" + staff_token(), "X-CSRF-Token": CSRF}
    t0 = time.monotonic()
    st, data = w.request("PATCH", "/api/activities/%s" % activity, json.dumps({"title": title}),
                         hdrs)
    t1 = time.monotonic()
    if st != 200:
        print(json.dumps({"error": "PATCH answered %d %s" % (st, data[:200].decode("utf-8", "replace"))}))
        return
    seen = -1.0
    while time.monotonic() - t1 < 10:
        _, ok = catalogue_has(r, title)
        if ok:
            seen = (time.monotonic() - t1) * 1000
            break
        time.sleep(0.005)
    print(json.dumps({"seen_ms": round(seen, 1), "patch_ms": round((t1 - t0) * 1000, 1)}))


def cmd_poll(base, title, seconds):
    c = Conn(base)
    t0 = time.monotonic()
    statuses = []
    seen = -1.0
    while time.monotonic() - t0 < float(seconds):
        st, ok = catalogue_has(c, title)
        statuses.append(st)
        if ok and seen < 0:
            seen = (time.monotonic() - t0) * 1000
        time.sleep(0.01)
    print(json.dumps({"seen_ms": round(seen, 1), "statuses": count(statuses)}))


def cmd_probe(base, path, n):
    c = Conn(base)
    times, statuses = [], []
    for _ in range(int(n)):
        t0 = time.monotonic()
        st, _ = c.request("GET", path)
        times.append((time.monotonic() - t0) * 1000)
        statuses.append(st)
    times.sort()

    def pct(p):
        return round(times[min(len(times) - 1, int(len(times) * p / 100))], 2)

    print(json.dumps({"p50": pct(50), "p99": pct(99), "max": round(times[-1], 2),
                      "statuses": count(statuses)}))


def cmd_hold(host, port, n, ready, seconds):
    n, port = int(n), int(port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    socks = []
    req = ("GET /healthz HTTP/1.1\r\nHost: %s\r\nConnection: keep-alive\r\n\r\n" % host).encode()
    # In batches smaller than nginx's upstream bound: each request of a
    # batch is in flight at once, and more than the bound would be refused.
    for start in range(0, n, 40):
        batch = []
        for _ in range(min(40, n - start)):
            s = socket.create_connection((host, port), timeout=30)
            s.sendall(req)
            batch.append(s)
        for s in batch:
            got = b""
            while b"\r\n\r\n" not in got:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
            head, _, rest = got.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            while len(rest) < length:
                chunk = s.recv(4096)
                if not chunk:
                    break
                rest += chunk
            if head.startswith(b"HTTP/1.1 200") and length > 0:
                socks.append(s)
            else:
                s.close()
    with open(ready, "w") as f:
        f.write("%d\n" % len(socks))
    stop.wait(float(seconds))
    for s in socks:
        s.close()
    print(json.dumps({"held": len(socks)}))


def main():
    cmds = {"enrol": cmd_enrol, "load": cmd_load, "propagate": cmd_propagate,
            "poll": cmd_poll, "probe": cmd_probe, "hold": cmd_hold}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.stderr.write(__doc__)
        sys.exit(2)
    cmds[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()

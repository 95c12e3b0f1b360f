#!/usr/bin/python3
"""Creates the accounts, sessions and activities the enrolment benchmark
uses, through psql: CLIENTS x PER_CLIENT verified accounts, each with a
session whose token is 'bench<k>' padded to 43 characters (only its
BLAKE2b-256 hash is stored, as the server does), and for each of ROUNDS
rounds two activities with no capacity limit, one for the server run and
one for the pgbench run (every round starts from an empty activity).

usage: enrol_setup.py PSQL_URL CLIENTS PER_CLIENT [ROUNDS]
Prints "SERVER_ACTIVITY PGBENCH_ACTIVITY" for each round, one line each.
"""
import hashlib
import subprocess
import sys
import time


def token(k):
    t = "bench%d" % k
    return t + "x" * (43 - len(t))


def main():
    url, clients, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    stamp = str(time.time_ns())
    total = clients * per
    lines = []
    for k in range(total):
        h = hashlib.blake2b(token(k).encode(), digest_size=32).hexdigest()
        lines.append("%d\t\\\\x%s\n" % (k, h))
    script = """
DROP TABLE IF EXISTS bench_tokens;
CREATE TABLE bench_tokens (k integer PRIMARY KEY, token_hash bytea NOT NULL, account_id bigint);
COPY bench_tokens (k, token_hash) FROM STDIN;
%s\\.
INSERT INTO accounts (email, password_hash, name, email_verified_at)
  SELECT 'bench-' || k || '@bench.example.org', 'x', 'Bench ' || k, now() FROM bench_tokens
  ON CONFLICT (email) DO NOTHING;
UPDATE bench_tokens t SET account_id = a.id FROM accounts a
  WHERE a.email = 'bench-' || t.k || '@bench.example.org';
INSERT INTO account_roles (account_id, role) SELECT account_id, 'participant' FROM bench_tokens
  ON CONFLICT DO NOTHING;
DELETE FROM sessions WHERE account_id IN (SELECT account_id FROM bench_tokens);
INSERT INTO sessions (account_id, token_hash, csrf_token, expires_at)
  SELECT account_id, token_hash, 'benchcsrf', now() + interval '1 day' FROM bench_tokens;
INSERT INTO activities (slug, kind, title, mode, status, timezone, starts_on, ends_on)
  SELECT 'bench-' || w || '-' || r || '-%s', 'workshop', 'Bench (' || w || ' ' || r || ')',
         'open', 'published', 'Asia/Seoul', '2030-05-22', '2030-05-26'
    FROM generate_series(1, %d) r, (VALUES ('server'), ('pgbench')) v (w);
SELECT string_agg(s.id || ' ' || p.id, ' ' ORDER BY r)
  FROM generate_series(1, %d) r
  JOIN activities s ON s.slug = 'bench-server-' || r || '-%s'
  JOIN activities p ON p.slug = 'bench-pgbench-' || r || '-%s';
""" % ("".join(lines), stamp, rounds, rounds, stamp, stamp)
    out = subprocess.run(["psql", url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"],
                         input=script, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        sys.exit(1)
    ids = out.stdout.strip().splitlines()[-1].split()
    for i in range(0, len(ids), 2):
        print(ids[i], ids[i + 1])


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Fixtures for bench/run.sh, written through psql.

usage: setup.py PSQL_URL staff
         a staff account with a session whose token is 'benchstaff' padded
         to 43 characters (CSRF token 'benchcsrf')
       setup.py PSQL_URL csv ROWS
         an activity with ROWS registrations of ROWS new accounts; prints
         its id
       setup.py PSQL_URL flood TEMPLATE_EMAIL
         32 verified accounts flood<n>@bench.example.org with the password
         hash of TEMPLATE_EMAIL (made with `convene user add`)
       setup.py PSQL_URL stampede COUNT
         COUNT more published activities; prints the id of one of them
"""
import hashlib
import subprocess
import sys


def token(prefix):
    return prefix + "x" * (43 - len(prefix))


def psql(url, script):
    out = subprocess.run(["psql", url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"],
                         input=script, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        sys.exit(1)
    lines = out.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def staff(url):
    h = hashlib.blake2b(token("benchstaff").encode(), digest_size=32).hexdigest()
    psql(url, """
INSERT INTO accounts (email, password_hash, name, email_verified_at)
  VALUES ('staff@bench.example.org', 'x', 'Bench staff', now()) ON CONFLICT (email) DO NOTHING;
INSERT INTO account_roles (account_id, role)
  SELECT id, 'staff' FROM accounts WHERE email = 'staff@bench.example.org' ON CONFLICT DO NOTHING;
DELETE FROM sessions WHERE token_hash = '\\x%s';
INSERT INTO sessions (account_id, token_hash, csrf_token, expires_at)
  SELECT id, '\\x%s', 'benchcsrf', now() + interval '1 day' FROM accounts
   WHERE email = 'staff@bench.example.org';
""" % (h, h))


def csv(url, rows):
    print(psql(url, """
INSERT INTO activities (slug, kind, title, mode, status, timezone, starts_on, ends_on)
  VALUES ('bench-csv', 'workshop', 'Bench (CSV)', 'open', 'published', 'Asia/Seoul',
          '2030-06-01', '2030-06-02');
INSERT INTO accounts (email, password_hash, name, email_verified_at, position)
  SELECT 'csv-' || k || '@bench.example.org', 'x', 'Participant ' || k, now(), 'Officer'
    FROM generate_series(1, %d) k;
INSERT INTO enrollments (activity_id, account_id, status)
  SELECT (SELECT id FROM activities WHERE slug = 'bench-csv'), id, 'confirmed'
    FROM accounts WHERE email LIKE 'csv-%%@bench.example.org';
SELECT id FROM activities WHERE slug = 'bench-csv';
""" % rows))


def flood(url, template):
    psql(url, """
INSERT INTO accounts (email, password_hash, name, email_verified_at)
  SELECT 'flood' || k || '@bench.example.org',
         (SELECT password_hash FROM accounts WHERE email = '%s'), 'Flood ' || k, now()
    FROM generate_series(0, 31) k;
INSERT INTO account_roles (account_id, role)
  SELECT id, 'participant' FROM accounts WHERE email LIKE 'flood%%@bench.example.org'
  ON CONFLICT DO NOTHING;
""" % template.replace("'", "''"))


def stampede(url, count):
    print(psql(url, """
INSERT INTO activities (slug, kind, title, mode, status, timezone, starts_on, ends_on, city)
  SELECT 'bench-many-' || k, 'workshop', 'Bench activity ' || k, 'open', 'published',
         'Asia/Seoul', date '2024-01-01' + (k %% 700), date '2024-01-01' + (k %% 700) + 1,
         'City ' || (k %% 50)
    FROM generate_series(1, %d) k;
SELECT id FROM activities WHERE slug = 'bench-many-1';
""" % count))


def main():
    url, what = sys.argv[1], sys.argv[2]
    if what == "staff":
        staff(url)
    elif what == "csv":
        csv(url, int(sys.argv[3]))
    elif what == "flood":
        flood(url, sys.argv[3])
    elif what == "stampede":
        stampede(url, int(sys.argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

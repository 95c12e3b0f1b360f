#!/usr/bin/python3
"""Fixtures for the awards lines of bench/run.sh, written through psql
(generate_series: a few seconds at most).

usage: awards_setup.py PSQL_URL vote ACCOUNTS ROUNDS
         a cycle whose voting window is open, one category with
         2 * ROUNDS + 1 submitted cases, and 2 * ACCOUNTS verified voters
         with sessions whose tokens are 'vote<k>' padded to 43 characters
         (CSRF token 'benchcsrf'; k in 0..ACCOUNTS-1 for the server run,
         ACCOUNTS..2*ACCOUNTS-1 for pgbench; table bench_vote_tokens maps k
         to the token hash and the account). Every voter has already voted
         for the first case, so that every request of the benchmark changes
         a vote. Prints "CATEGORY" then, for each round, the two cases that
         round alternates between ("A B", never used by another round, so
         that the first request of a round is a change too).
       awards_setup.py PSQL_URL cycle CATEGORIES CASES JUDGES PER_CATEGORY CRITERIA VOTERS
         a cycle whose voting and evaluation windows have closed (not
         published): CATEGORIES x CASES submitted cases, JUDGES judges each
         assigned to PER_CATEGORY * CATEGORIES / JUDGES categories so that
         every category has PER_CATEGORY judges, CRITERIA criteria (scale
         1-10), every judge scoring every case of their categories, and
         VOTERS accounts voting once in every category (VOTERS * CATEGORIES
         votes, skewed towards some cases). Prints the cycle id.
       awards_setup.py PSQL_URL file MIB
         a file of MIB MiB (a PDF by its leading bytes, then one MiB of
         incompressible bytes over and over) attached to a new submitted case of a new cycle.
         Prints "SUBMISSION FILE".
"""
import hashlib
import os
import subprocess
import sys
import time


def psql(url, script):
    """Runs script; its output lines. With BENCH_TRACE set, the time of
    each statement goes to stderr."""
    trace = bool(os.environ.get("BENCH_TRACE"))
    if trace:
        script = "\\timing on\n" + script
    out = subprocess.run(["psql", url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"],
                         input=script, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        sys.exit(1)
    lines = out.stdout.strip().splitlines()
    if trace:
        times = [x for x in lines if x.startswith("Time: ")]
        sys.stderr.write("awards_setup: %s\n" % ", ".join(t[6:] for t in times))
        lines = [x for x in lines if not x.startswith("Time: ") and x != "Timing is on."]
    return lines


def token(k):
    t = "vote%d" % k
    return t + "x" * (43 - len(t))


# A cycle: windows relative to now (VOTING: voting and evaluation open now;
# CLOSED: both closed, not published).
CYCLE = """
INSERT INTO award_cycles (year, title, submission_opens_at, submission_closes_at,
                          voting_opens_at, voting_closes_at, evaluation_opens_at,
                          evaluation_closes_at, eligible_kinds)
  VALUES (extract(year FROM now())::int, 'Bench %(tag)s %(stamp)s',
          now() - interval '%(sub)s days', now() - interval '%(subc)s days',
          now() - interval '%(subc)s days', now() + interval '%(end)s',
          now() - interval '%(subc)s days', now() + interval '%(end)s', '{member_city}');
CREATE TEMP TABLE bench_cycle AS
  SELECT id FROM award_cycles WHERE title = 'Bench %(tag)s %(stamp)s';
INSERT INTO organisations (name, city, country, kind)
  VALUES ('Bench city %(tag)s %(stamp)s', 'Bench', 'Korea', 'member_city');
"""


def cases_sql(categories, cases):
    return """
INSERT INTO award_categories (cycle_id, name, position)
  SELECT (SELECT id FROM bench_cycle), 'Category ' || g, g FROM generate_series(1, %d) g;
INSERT INTO submissions (cycle_id, category_id, organisation_id, sdgs, title, summary,
                         description, status, submitted_at, gallery_consent)
  SELECT g.cycle_id, g.id, (SELECT max(id) FROM organisations), ARRAY[11, 13],
         'Case ' || g.position || '-' || n, 'Summary of case ' || n,
         repeat('What the city did. ', 40), 'submitted', now() - interval '40 days' + n * interval '1 minute',
         true
    FROM award_categories g, generate_series(1, %d) n
   WHERE g.cycle_id = (SELECT id FROM bench_cycle);
""" % (categories, cases)


def vote(url, accounts, rounds):
    stamp = str(time.time_ns())
    lines = []
    for k in range(2 * accounts):
        h = hashlib.blake2b(token(k).encode(), digest_size=32).hexdigest()
        lines.append("%d\t\\\\x%s\n" % (k, h))
    script = CYCLE % {"tag": "vote", "stamp": stamp, "sub": 20, "subc": 10, "end": "10 days"}
    script += cases_sql(1, 2 * rounds + 1)
    script += """
DROP TABLE IF EXISTS bench_vote_tokens;
CREATE TABLE bench_vote_tokens (k integer PRIMARY KEY, token_hash bytea NOT NULL,
                                account_id bigint);
COPY bench_vote_tokens (k, token_hash) FROM STDIN;
%s\\.
INSERT INTO accounts (email, password_hash, name, email_verified_at)
  SELECT 'voter-' || k || '-%s@bench.example.org', 'x', 'Voter ' || k, now()
    FROM bench_vote_tokens;
UPDATE bench_vote_tokens t SET account_id = a.id FROM accounts a
  WHERE a.email = 'voter-' || t.k || '-%s@bench.example.org';
INSERT INTO account_roles (account_id, role) SELECT account_id, 'participant' FROM bench_vote_tokens;
INSERT INTO sessions (account_id, token_hash, csrf_token, expires_at)
  SELECT account_id, token_hash, 'benchcsrf', now() + interval '1 day' FROM bench_vote_tokens;
CREATE TEMP TABLE bench_cases AS
  SELECT s.id, s.category_id, row_number() OVER (ORDER BY s.id) - 1 AS n
    FROM submissions s WHERE s.cycle_id = (SELECT id FROM bench_cycle);
INSERT INTO votes (cycle_id, category_id, account_id, submission_id, client_addr, user_agent)
  SELECT (SELECT id FROM bench_cycle), c.category_id, t.account_id, c.id, '127.0.0.1', 'setup'
    FROM bench_vote_tokens t, bench_cases c WHERE c.n = 0;
ANALYZE bench_vote_tokens;
ANALYZE votes;
ANALYZE vote_changes;
SELECT min(category_id) FROM bench_cases;
SELECT a.id || ' ' || b.id FROM bench_cases a JOIN bench_cases b ON b.n = a.n + 1
 WHERE a.n %% 2 = 1 ORDER BY a.n;
""" % ("".join(lines), stamp, stamp)
    out = psql(url, script)
    print("\n".join(out[-(rounds + 1):]))


def cycle(url, categories, cases, judges, per_category, criteria, voters):
    stamp = str(time.time_ns())
    script = CYCLE % {"tag": "results", "stamp": stamp, "sub": 40, "subc": 30, "end": "-1 days"}
    script += cases_sql(categories, cases)
    # Judge j sits in categories (j * per_category ... ) round-robin: with
    # judges * span = categories * per_category, every category gets
    # per_category judges.
    span = max(1, per_category * categories // judges)
    script += """
INSERT INTO award_criteria (cycle_id, name, position)
  SELECT (SELECT id FROM bench_cycle), 'Criterion ' || k, k FROM generate_series(1, %(criteria)d) k;
INSERT INTO accounts (email, password_hash, name, email_verified_at)
  SELECT 'judge-' || j || '-%(stamp)s@bench.example.org', 'x', 'Judge ' || j, now()
    FROM generate_series(0, %(judges)d - 1) j;
CREATE TEMP TABLE bench_judges AS
  SELECT a.id, j FROM accounts a, generate_series(0, %(judges)d - 1) j
   WHERE a.email = 'judge-' || j || '-%(stamp)s@bench.example.org';
INSERT INTO account_roles (account_id, role) SELECT id, 'judge' FROM bench_judges;
INSERT INTO judge_assignments (category_id, judge_id)
  SELECT g.id, b.id
    FROM bench_judges b, generate_series(0, %(span)d - 1) i, award_categories g
   WHERE g.cycle_id = (SELECT id FROM bench_cycle)
     AND g.position = (b.j * %(span)d + i) %% %(categories)d + 1;
-- Scores and votes are consistent by construction: their foreign-key
-- checks (and no other trigger: neither table notifies) are skipped, which
-- makes the insert several times faster (the bench user is a superuser).
SET session_replication_role = replica;
INSERT INTO scores (submission_id, judge_id, criterion_id, value)
  SELECT s.id, ja.judge_id, k.id, 1 + (s.id * 7 + ja.judge_id * 3 + k.id) %% 10
    FROM submissions s
    JOIN judge_assignments ja ON ja.category_id = s.category_id
    JOIN award_criteria k ON k.cycle_id = s.cycle_id
   WHERE s.cycle_id = (SELECT id FROM bench_cycle);
CREATE TEMP TABLE bench_voters AS
  WITH a AS (INSERT INTO accounts (email, password_hash, name, email_verified_at)
               SELECT 'rvoter-' || v || '-%(stamp)s@bench.example.org', 'x', 'Voter ' || v, now()
                 FROM generate_series(1, %(voters)d) v
             RETURNING id)
  SELECT id, row_number() OVER (ORDER BY id) AS v FROM a;
-- Each category's cases in an array: a vote's case is a subscript, not
-- a join the planner could get wrong.
CREATE TEMP TABLE bench_cats AS
  SELECT g.id, g.cycle_id, array_agg(s.id ORDER BY s.id) AS cases
    FROM award_categories g JOIN submissions s ON s.category_id = g.id
   WHERE g.cycle_id = (SELECT id FROM bench_cycle) GROUP BY g.id, g.cycle_id;
-- Voter v picks, in each category, case 1 + floor(CASES * u^2) for a
-- pseudo-random u in [0, 1): a few cases get most of the votes.
INSERT INTO votes (cycle_id, category_id, account_id, submission_id, client_addr, user_agent,
                   created_at, updated_at)
  SELECT g.cycle_id, g.id, b.id,
         g.cases[1 + floor(%(cases)d * power(((b.v * 7919 + g.id * 104729) %% 10007) / 10007.0, 2))::int],
         '10.0.' || (b.v %% 250) || '.' || (b.v %% 199), 'setup',
         now() - interval '25 days', now() - interval '25 days'
    FROM bench_voters b CROSS JOIN bench_cats g;
RESET session_replication_role;
ANALYZE scores;
ANALYZE votes;
ANALYZE submissions;
ANALYZE judge_assignments;
SELECT id FROM bench_cycle;
""" % {"criteria": criteria, "stamp": stamp, "judges": judges, "span": span,
       "categories": categories, "voters": voters, "cases": cases}
    print(psql(url, script)[-1])


def file_row(url, mib):
    stamp = str(time.time_ns())
    script = CYCLE % {"tag": "file", "stamp": stamp, "sub": 20, "subc": 10, "end": "10 days"}
    script += cases_sql(1, 1)
    # A MiB of md5 digests (incompressible), MIB times over: built in SQL in
    # well under a second.
    script += """
CREATE TEMP TABLE bench_mib AS
  SELECT string_agg(decode(md5(i::text), 'hex'), ''::bytea ORDER BY i) AS b
    FROM generate_series(1, 65536) i;
INSERT INTO submission_files (submission_id, filename, content_type, size, sha256, data,
                              visibility)
  SELECT s.id, 'bench-%(mib)d-MiB.pdf', 'application/pdf', octet_length(d), sha256(d), d, 'public'
    FROM submissions s,
         (SELECT substring(convert_to('%%PDF-1.7' || chr(10), 'UTF8')
                 || (SELECT string_agg(m.b, ''::bytea) FROM bench_mib m, generate_series(1, %(mib)d))
                 FROM 1 FOR %(bytes)d) AS d) f
   WHERE s.cycle_id = (SELECT id FROM bench_cycle);
SELECT f.submission_id || ' ' || f.id FROM submission_files f JOIN submissions s ON s.id = f.submission_id
 WHERE s.cycle_id = (SELECT id FROM bench_cycle);
""" % {"mib": mib, "bytes": mib * 1048576}
    print(psql(url, script)[-1])


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    url, what, args = sys.argv[1], sys.argv[2], [int(a) for a in sys.argv[3:]]
    if what == "vote" and len(args) == 2:
        vote(url, *args)
    elif what == "cycle" and len(args) == 6:
        cycle(url, *args)
    elif what == "file" and len(args) == 1:
        file_row(url, *args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

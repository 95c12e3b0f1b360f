-- 0010_results: the SDG Awards' results (one function computes them for
-- the staff preview, the publication snapshot and the CSV export), their
-- publication with its mails, the public gallery of published cases, and
-- the indexes these need.
--
-- Computation (convene_award_results), per category:
--   S   = 100 * sum(w_k * x_k) / sum(w_k * max_k), per judge and case, over a
--         complete score (every criterion) by a judge assigned to the
--         category and not conflicted with the case (waived conflicts do
--         not count);
--   S'  = mu_c + sigma_c * (S - mu_j) / sigma_j with the cycle's normalise
--         on, for a judge with >= 2 scored cases and sigma_j > 0 in the
--         category; otherwise S' = S (population standard deviations;
--         mu_c and sigma_c over all S of the category);
--   jury_score     = mean of S' over the case's judges, NULL below the
--                    cycle's min_judges; jury_score_raw = mean of S
--                    (NULL without any judge);
--   public_score   = 100 * votes / the top vote count of the category
--                    (0 when nobody voted; voided votes never count);
--   final_score    = jury_weight * jury_score + public_weight * public_score
--                    (NULL when jury_score is NULL).
-- jury_score, jury_score_raw and public_score are rounded to 4 decimals
-- and final_score is computed from those rounded parts and rounded again,
-- so that what the answer shows adds up. Rank: final_score (NULL last),
-- then the higher jury score, more votes, earlier submission, lower id.
-- public_choice: the most-voted case of each category (ties broken the
-- same way), none when nobody voted.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- ---- Indexes for the preview, the gallery and the exports ----

-- Vote counts per case of a cycle, read from the index alone.
CREATE INDEX votes_cycle_submission ON votes (cycle_id, submission_id) WHERE voided_at IS NULL;
CREATE INDEX submissions_cycle_status ON submissions (cycle_id, status, category_id);
-- Gallery text search: ILIKE '%word%' over title and summary.
CREATE INDEX submissions_gallery_text ON submissions
    USING gin ((title || ' ' || summary) gin_trgm_ops) WHERE gallery_consent;
CREATE INDEX conflicts_submission ON conflicts (submission_id, judge_id);

-- Organisation names and cities appear in the cached gallery and
-- candidates: a change drops them as well.
CREATE TRIGGER organisations_awards_changed AFTER UPDATE ON organisations
    FOR EACH STATEMENT EXECUTE FUNCTION awards_notify();

-- ---- Conflicts of a whole cycle ----

-- The unwaived conflicts between the submitted cases of cycle p_cycle and
-- the judges assigned to their categories: the same rules as
-- convene_conflicts (one pair at a time), as one set so that the results
-- need not call it per judge and case. The results suite checks that both
-- agree.
CREATE FUNCTION convene_cycle_conflicts(p_cycle bigint)
RETURNS TABLE (submission_id bigint, judge_id bigint)
LANGUAGE sql STABLE AS $$
    WITH judges AS MATERIALIZED (
        -- Each assignment with the judge's current and recorded organisation
        -- and the countries that conflict (those of a member city or
        -- national chapter among them, and the recorded country when the
        -- recorded organisation is one).
        SELECT j.category_id, j.judge_id, j.organisation_id AS rec_org,
               a.organisation_id AS cur_org,
               ARRAY(SELECT o.country FROM organisations o
                      WHERE o.id IN (a.organisation_id, j.organisation_id)
                        AND o.kind IN ('member_city', 'national_chapter')
                     UNION
                     SELECT j.country FROM organisations o
                      WHERE o.id = j.organisation_id
                        AND o.kind IN ('member_city', 'national_chapter')) AS countries
          FROM judge_assignments j
          JOIN award_categories g ON g.id = j.category_id AND g.cycle_id = p_cycle
          JOIN accounts a ON a.id = j.judge_id)
    SELECT s.id, jd.judge_id
      FROM submissions s JOIN organisations so ON so.id = s.organisation_id
      JOIN judges jd ON jd.category_id = s.category_id
      JOIN award_cycles c ON c.id = s.cycle_id
     WHERE s.cycle_id = p_cycle AND s.status = 'submitted'
       AND (s.organisation_id = jd.cur_org OR s.organisation_id = jd.rec_org
            OR (c.country_conflicts AND so.country = ANY (jd.countries)
                AND NOT EXISTS (SELECT 1 FROM conflicts x
                                 WHERE x.submission_id = s.id AND x.judge_id = jd.judge_id
                                   AND x.source = 'country' AND x.waived_at IS NOT NULL))
            OR EXISTS (SELECT 1 FROM conflicts x
                        WHERE x.submission_id = s.id AND x.judge_id = jd.judge_id
                          AND x.source <> 'country' AND x.waived_at IS NULL))
$$;

-- ---- The computation ----

-- Each judge's S of each case of cycle p_cycle it may score (complete,
-- assigned, not conflicted), unrounded: the base of the results and of the
-- scores export.
CREATE FUNCTION convene_award_judge_scores(p_cycle bigint)
RETURNS TABLE (category_id bigint, submission_id bigint, judge_id bigint, s numeric)
LANGUAGE sql STABLE AS $$
    -- Weights have 4 decimals: as whole ten-thousandths the sum runs in
    -- integers, and S is exactly the same.
    WITH crit AS (
        SELECT k.id, (k.weight * 10000)::bigint AS w, k.scale_max FROM award_criteria k
         WHERE k.cycle_id = p_cycle),
    total AS (SELECT count(*) AS n, sum(w * scale_max) AS wmax FROM crit),
    conflicted AS MATERIALIZED (SELECT * FROM convene_cycle_conflicts(p_cycle))
    SELECT x.category_id, x.id, sc.judge_id, 100 * sum(k.w * sc.value)::numeric / min(t.wmax)
      FROM submissions x
      JOIN scores sc ON sc.submission_id = x.id
      JOIN crit k ON k.id = sc.criterion_id
      JOIN judge_assignments j ON j.category_id = x.category_id AND j.judge_id = sc.judge_id
      CROSS JOIN total t
     WHERE x.cycle_id = p_cycle AND x.status = 'submitted'
       AND NOT EXISTS (SELECT 1 FROM conflicted f
                        WHERE f.submission_id = x.id AND f.judge_id = sc.judge_id)
     GROUP BY x.category_id, x.id, sc.judge_id
    HAVING count(*) = min(t.n)
$$;

-- The results of cycle p_cycle (see the top of this file), one row per
-- submitted case, computed from the current scores and votes. The one
-- implementation: the preview, the publication and the export read it.
CREATE FUNCTION convene_award_results(p_cycle bigint)
RETURNS TABLE (category_id bigint, submission_id bigint, rank integer, public_choice boolean,
               judges integer, jury_score_raw numeric, jury_score numeric,
               public_votes integer, public_score numeric, final_score numeric)
LANGUAGE sql STABLE AS $$
    WITH c AS (SELECT * FROM award_cycles WHERE id = p_cycle),
    judged AS MATERIALIZED (SELECT * FROM convene_award_judge_scores(p_cycle)),
    per_judge AS (
        SELECT d.category_id, d.judge_id, count(*) AS n, avg(d.s) AS mu,
               stddev_pop(d.s) AS sigma
          FROM judged d GROUP BY d.category_id, d.judge_id),
    per_category AS (
        SELECT d.category_id, avg(d.s) AS mu, stddev_pop(d.s) AS sigma
          FROM judged d GROUP BY d.category_id),
    normed AS (
        SELECT d.submission_id, d.s,
               CASE WHEN c.normalise AND g.n >= 2 AND g.sigma > 0
                    THEN k.mu + k.sigma * (d.s - g.mu) / g.sigma ELSE d.s END AS s2
          FROM judged d CROSS JOIN c
          JOIN per_judge g ON g.category_id = d.category_id AND g.judge_id = d.judge_id
          JOIN per_category k ON k.category_id = d.category_id),
    jury AS (
        SELECT n.submission_id, count(*) AS judges, avg(n.s) AS raw, avg(n.s2) AS norm
          FROM normed n GROUP BY n.submission_id),
    counted AS (
        SELECT v.submission_id, count(*) AS n FROM votes v
         WHERE v.cycle_id = p_cycle AND v.voided_at IS NULL GROUP BY v.submission_id),
    base AS (
        SELECT x.id, x.category_id, x.submitted_at, coalesce(j.judges, 0) AS judges,
               round(j.raw, 4) AS raw,
               CASE WHEN coalesce(j.judges, 0) >= c.min_judges THEN round(j.norm, 4) END AS jury,
               coalesce(v.n, 0) AS votes
          FROM submissions x CROSS JOIN c
          LEFT JOIN jury j ON j.submission_id = x.id
          LEFT JOIN counted v ON v.submission_id = x.id
         WHERE x.cycle_id = p_cycle AND x.status = 'submitted'),
    scored AS (
        SELECT b.*,
               CASE WHEN max(b.votes) OVER w > 0
                    THEN round(100.0 * b.votes / max(b.votes) OVER w, 4) ELSE 0 END AS pub
          FROM base b WINDOW w AS (PARTITION BY b.category_id)),
    finals AS (
        SELECT s.*, round(c.jury_weight * s.jury + c.public_weight * s.pub, 4) AS fin
          FROM scored s CROSS JOIN c)
    SELECT f.category_id, f.id,
           (row_number() OVER (PARTITION BY f.category_id
                               ORDER BY f.fin DESC NULLS LAST, f.jury DESC NULLS LAST,
                                        f.votes DESC, f.submitted_at, f.id))::integer,
           f.votes > 0 AND row_number() OVER (PARTITION BY f.category_id
                                              ORDER BY f.votes DESC, f.jury DESC NULLS LAST,
                                                       f.submitted_at, f.id) = 1,
           f.judges::integer, f.raw, f.jury, f.votes::integer, f.pub, f.fin
      FROM finals f
$$;

-- The formula as the answers name it.
CREATE FUNCTION convene_award_formula() RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'S = 100 * sum(w_k * x_k) / sum(w_k * max_k) per judge and case; with normalise, '
        || 'S'' = mu_c + sigma_c * (S - mu_j) / sigma_j for a judge with >= 2 cases and '
        || 'sigma_j > 0 in the category, else S'' = S (population standard deviations); '
        || 'jury_score = mean of S'' (null below min_judges), jury_score_raw = mean of S; '
        || 'public_score = 100 * votes / top votes in the category; '
        || 'final_score = jury_weight * jury_score + public_weight * public_score; '
        || 'ties: higher jury_score, more votes, earlier submission, lower id; '
        || 'scores rounded to 4 decimals'
$$;

-- The results with their awards: rank 1 wins (when it has a final
-- score); the finalists are those p_finalists names for the category
-- ({"<category id>": [case ids]}, staff_choice) or else the next
-- finalists_per_category cases that have a final score.
CREATE FUNCTION convene_award_entries(p_cycle bigint, p_finalists jsonb)
RETURNS TABLE (category_id bigint, submission_id bigint, rank integer, award text,
               public_choice boolean, staff_choice boolean, judges integer,
               jury_score_raw numeric, jury_score numeric, public_votes integer,
               public_score numeric, final_score numeric)
LANGUAGE sql STABLE AS $$
    SELECT r.category_id, r.submission_id, r.rank,
           CASE WHEN r.rank = 1 AND r.final_score IS NOT NULL THEN 'winner'
                WHEN named.ids IS NOT NULL
                    THEN CASE WHEN r.submission_id = ANY (named.ids) THEN 'finalist' END
                WHEN r.rank BETWEEN 2 AND 1 + c.finalists_per_category
                     AND r.final_score IS NOT NULL THEN 'finalist' END,
           r.public_choice,
           named.ids IS NOT NULL AND r.submission_id = ANY (named.ids),
           r.judges, r.jury_score_raw, r.jury_score, r.public_votes, r.public_score,
           r.final_score
      FROM convene_award_results(p_cycle) r
      JOIN award_cycles c ON c.id = p_cycle
      LEFT JOIN LATERAL (
          SELECT ARRAY(SELECT jsonb_array_elements_text(p_finalists -> r.category_id::text)
                       )::bigint[] AS ids
           WHERE jsonb_typeof(p_finalists -> r.category_id::text) = 'array') named ON true
$$;

-- The results answer of cycle p_cycle computed now, with p_finalists as
-- convene_award_entries: {formula, weights, normalise, min_judges,
-- published_at, categories: [{id, name, entries (by rank)}]}.
CREATE FUNCTION convene_award_results_json(p_cycle bigint, p_finalists jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    WITH e AS MATERIALIZED (SELECT * FROM convene_award_entries(p_cycle, p_finalists))
    SELECT jsonb_build_object(
        'cycle_id', c.id, 'formula', convene_award_formula(),
        'jury_weight', c.jury_weight, 'public_weight', c.public_weight,
        'normalise', c.normalise, 'min_judges', c.min_judges,
        'finalists_per_category', c.finalists_per_category,
        'published_at', c.published_at,
        'categories', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'id', g.id, 'name', g.name,
                'entries', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'submission_id', e.submission_id, 'title', s.title,
                        'organisation', jsonb_build_object('id', o.id, 'name', o.name,
                                                           'city', o.city,
                                                           'country', o.country),
                        'rank', e.rank, 'award', e.award, 'public_choice', e.public_choice,
                        'staff_choice', e.staff_choice, 'judges', e.judges,
                        'jury_score_raw', e.jury_score_raw, 'jury_score', e.jury_score,
                        'public_votes', e.public_votes, 'public_score', e.public_score,
                        'final_score', e.final_score) ORDER BY e.rank), '[]')
                    FROM e JOIN submissions s ON s.id = e.submission_id
                    JOIN organisations o ON o.id = s.organisation_id
                   WHERE e.category_id = g.id)) ORDER BY g.position, g.id), '[]')
              FROM award_categories g WHERE g.cycle_id = c.id))
      FROM award_cycles c WHERE c.id = p_cycle
$$;

-- What GET .../results answers for cycle p_cycle: once published, the
-- snapshot taken then (to everyone); before, the live preview to staff
-- (p_staff) and NULL to anyone else (answered as 404). cycle_not_found
-- without the cycle.
CREATE FUNCTION convene_award_results_view(p_cycle bigint, p_staff boolean)
RETURNS TABLE (published boolean, body text)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
    v_published boolean;
BEGIN
    SELECT c.published_at IS NOT NULL INTO v_published FROM award_cycles c WHERE c.id = p_cycle;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cycle_not_found';
    END IF;
    IF v_published THEN
        RETURN QUERY SELECT true, p.snapshot::text FROM award_publications p
                      WHERE p.cycle_id = p_cycle;
    ELSIF p_staff THEN
        RETURN QUERY SELECT false, convene_award_results_json(p_cycle, NULL)::text;
    ELSE
        RETURN QUERY SELECT false, NULL::text;
    END IF;
END;
$$;

-- ---- Publication ----

-- Queues mail p_tmpl about case p_id to its submitter (the account that
-- created it, unless disabled) and to its contact address when that is
-- another address.
CREATE FUNCTION convene_award_result_mail(p_id bigint, p_tmpl text, p_rank integer,
                                          p_base_url text) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO mail_outbox (template, locale, to_address, to_name, vars)
    SELECT p_tmpl, r.locale, r.address, r.name,
           jsonb_build_object('name', coalesce(r.name, o.name), 'case_title', s.title,
                              'cycle_title', c.title, 'category', g.name,
                              'organisation', o.name, 'rank', p_rank,
                              'link', p_base_url || '/results.html?cycle=' || c.id)
      FROM submissions s JOIN award_cycles c ON c.id = s.cycle_id
      JOIN award_categories g ON g.id = s.category_id
      JOIN organisations o ON o.id = s.organisation_id
      CROSS JOIN LATERAL (
          SELECT a.email::text AS address, a.name, a.locale FROM accounts a
           WHERE a.id = s.created_by AND a.disabled_at IS NULL
          UNION ALL
          SELECT s.contact_email, NULL, 'en'
           WHERE s.contact_email IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = s.created_by
                               AND a.disabled_at IS NULL
                               AND lower(a.email::text) = lower(s.contact_email))) r
     WHERE s.id = p_id
$$;

-- Publishes cycle p_cycle (staff p_by), once: under the cycle's row lock,
-- refused after publication (cycle_published) and while voting or
-- evaluation has not closed (phase_open, with the open window's phase,
-- opens_at and closes_at as DETAIL). p_finalists (NULL or
-- {"<category id>": [case ids]}) names finalists in place of the ranking;
-- when a category is not the cycle's or a list names anything but
-- submitted cases of that category other than its winner, nothing is
-- written and the answer is {"invalid_finalists": [category ids as
-- text]}. Otherwise the results are stored (award_results), the answer
-- snapshotted (award_publications), every submitted case's submitter and
-- contact mailed (award_winner, award_finalist or award_result), and the
-- snapshot returned.
CREATE FUNCTION convene_award_publish(p_cycle bigint, p_by bigint, p_finalists jsonb,
                                      p_base_url text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    c award_cycles;
    v_bad jsonb;
    v jsonb;
    e record;
BEGIN
    SELECT * INTO c FROM award_cycles WHERE id = p_cycle FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cycle_not_found';
    END IF;
    IF c.published_at IS NOT NULL THEN
        RAISE EXCEPTION 'cycle_published';
    END IF;
    IF now() < c.voting_closes_at THEN
        RAISE EXCEPTION 'phase_open' USING DETAIL = json_build_object(
            'phase', convene_award_phase(c, now()), 'opens_at', c.voting_opens_at,
            'closes_at', c.voting_closes_at)::text;
    END IF;
    IF now() < c.evaluation_closes_at THEN
        RAISE EXCEPTION 'phase_open' USING DETAIL = json_build_object(
            'phase', convene_award_phase(c, now()), 'opens_at', c.evaluation_opens_at,
            'closes_at', c.evaluation_closes_at)::text;
    END IF;
    p_finalists := coalesce(p_finalists, '{}');
    SELECT jsonb_agg(f.key ORDER BY f.key) INTO v_bad
      FROM jsonb_each(p_finalists) f
     WHERE f.key !~ '^[0-9]{1,18}$'
        OR NOT EXISTS (SELECT 1 FROM award_categories g
                        WHERE g.id = f.key::bigint AND g.cycle_id = p_cycle)
        OR jsonb_typeof(f.value) <> 'array'
        OR EXISTS (SELECT 1 FROM jsonb_array_elements(f.value) x
                    WHERE jsonb_typeof(x) <> 'number' OR x::text !~ '^[0-9]{1,18}$'
                       OR NOT EXISTS (SELECT 1 FROM submissions s
                                       WHERE s.id = x::text::bigint
                                         AND s.category_id = f.key::bigint
                                         AND s.status = 'submitted'))
        OR EXISTS (SELECT 1 FROM convene_award_entries(p_cycle, NULL) w
                    WHERE w.category_id = f.key::bigint AND w.award = 'winner'
                      AND f.value @> to_jsonb(w.submission_id));
    IF v_bad IS NOT NULL THEN
        RETURN jsonb_build_object('invalid_finalists', v_bad);
    END IF;
    UPDATE award_cycles SET published_at = now(), published_by = p_by WHERE id = p_cycle;
    INSERT INTO award_results (cycle_id, category_id, submission_id, rank, award, public_choice,
                               staff_choice, jury_score_raw, jury_score, public_votes,
                               public_score, final_score)
    SELECT p_cycle, x.category_id, x.submission_id, x.rank, x.award, x.public_choice,
           x.staff_choice, x.jury_score_raw, x.jury_score, x.public_votes, x.public_score,
           x.final_score
      FROM convene_award_entries(p_cycle, p_finalists) x;
    v := convene_award_results_json(p_cycle, p_finalists);
    INSERT INTO award_publications (cycle_id, published_at, published_by, formula, snapshot)
    VALUES (p_cycle, now(), p_by, convene_award_formula(), v);
    FOR e IN SELECT r.submission_id, r.award, r.rank FROM award_results r
              WHERE r.cycle_id = p_cycle ORDER BY r.category_id, r.rank LOOP
        PERFORM convene_award_result_mail(e.submission_id,
                                          coalesce('award_' || e.award, 'award_result'), e.rank,
                                          p_base_url);
    END LOOP;
    RETURN v;
END;
$$;

-- ---- The gallery ----

-- Submitted cases of published cycles whose organisations consented,
-- filtered (each NULL: no filter) by goal, category, the organisation's
-- city (case-insensitive), the cycle's year and text (p_q, matched as a
-- substring of title or summary, case-insensitive, % and _ literal); a
-- page of them by year (newest first), category and title, with the
-- total. Public: no contact, no jury-only files, no scores.
CREATE FUNCTION convene_gallery_json(p_sdg integer, p_category bigint, p_city text,
                                     p_year integer, p_q text, p_limit integer,
                                     p_offset integer) RETURNS json
LANGUAGE sql STABLE AS $$
    WITH hits AS (
        SELECT s.id, s.title, s.summary, s.sdgs, s.category_id, g.name AS category,
               g.position, o.name AS org, o.city, o.country, c.year, r.award
          FROM submissions s
          JOIN award_cycles c ON c.id = s.cycle_id AND c.published_at IS NOT NULL
          JOIN award_categories g ON g.id = s.category_id
          JOIN organisations o ON o.id = s.organisation_id
          LEFT JOIN award_results r ON r.cycle_id = s.cycle_id AND r.submission_id = s.id
         WHERE s.gallery_consent AND s.status = 'submitted'
           AND (p_sdg IS NULL OR s.sdgs @> ARRAY[p_sdg])
           AND (p_category IS NULL OR s.category_id = p_category)
           AND (p_city IS NULL OR lower(o.city) = lower(p_city))
           AND (p_year IS NULL OR c.year = p_year)
           AND (p_q IS NULL OR (s.title || ' ' || s.summary) ILIKE
                '%' || replace(replace(replace(p_q, '\', '\\'), '%', '\%'), '_', '\_') || '%')),
    page AS (
        SELECT * FROM hits ORDER BY year DESC, position, category_id, title, id
         LIMIT p_limit OFFSET p_offset)
    SELECT json_build_object(
        'total', (SELECT count(*) FROM hits),
        'items', (SELECT coalesce(json_agg(json_build_object(
                'id', p.id, 'title', p.title, 'summary', p.summary, 'sdgs', p.sdgs,
                'category', json_build_object('id', p.category_id, 'name', p.category),
                'organisation', json_build_object('name', p.org, 'city', p.city,
                                                  'country', p.country),
                'year', p.year, 'award', p.award,
                'files', (SELECT coalesce(json_agg(json_build_object(
                                 'id', f.id, 'filename', f.filename,
                                 'content_type', f.content_type, 'size', f.size)
                                 ORDER BY f.id), '[]')
                            FROM submission_files f
                           WHERE f.submission_id = p.id AND f.visibility = 'public'))
                ORDER BY p.year DESC, p.position, p.category_id, p.title, p.id), '[]')
                    FROM page p))
$$;

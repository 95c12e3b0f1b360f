-- 0012_awards_views: one definition of who may read a case (the case view, its
-- files and its scores use it), an organisation's own list of cases, the
-- scores of a case as a judge or staff may see them, and one gallery item
-- shared by the gallery's list and its single view.

-- ---- Who may read a case ----

-- Whether p_account judges case p_id now: the case is submitted,
-- evaluation has opened, p_account holds the judge role, is assigned to
-- the case's category and is not conflicted with the case.
CREATE FUNCTION convene_case_judge(p_id bigint, p_account bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM submissions s JOIN award_cycles c ON c.id = s.cycle_id
         WHERE s.id = p_id AND s.status = 'submitted' AND now() >= c.evaluation_opens_at
           AND EXISTS (SELECT 1 FROM judge_assignments j
                         JOIN account_roles r ON r.account_id = j.judge_id AND r.role = 'judge'
                        WHERE j.category_id = s.category_id AND j.judge_id = p_account)
           AND NOT convene_judge_conflicted(s.id, p_account))
$$;

-- Whether p_account (staff when p_staff; NULL: anonymous) may read case
-- p_id with everything in it (GET /api/submissions/{id}, all its files):
-- staff, confirmed members of the case's organisation, and the case's
-- judges (convene_case_judge). false when there is no such case.
CREATE FUNCTION convene_case_visible(p_id bigint, p_account bigint, p_staff boolean)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM submissions s
         WHERE s.id = p_id
           AND (p_staff
                OR s.organisation_id = (SELECT a.organisation_id FROM accounts a
                                         WHERE a.id = p_account
                                           AND a.organisation_confirmed_at IS NOT NULL)
                OR convene_case_judge(s.id, p_account)))
$$;

-- As in 0011_files, with the readers of the case from convene_case_visible.
CREATE OR REPLACE FUNCTION convene_file_access(p_id bigint, p_account bigint, p_staff boolean)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN convene_case_visible(s.id, p_account, p_staff) THEN 'all'
        WHEN s.status = 'submitted'
             AND (c.published_at IS NOT NULL OR now() >= c.voting_opens_at) THEN 'public'
        END
      FROM submissions s JOIN award_cycles c ON c.id = s.cycle_id
     WHERE s.id = p_id
$$;

-- ---- An organisation's cases ----

-- The cases of p_account's organisation, newest first, for a confirmed
-- member only (organisation_unconfirmed otherwise, as for creating one):
-- {items: [{id, title, category {id, name}, cycle {id, year, title},
-- status, phase, updated_at, files (their number)}]}.
CREATE FUNCTION convene_my_submissions_json(p_account bigint) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_org bigint;
    v json;
BEGIN
    SELECT a.organisation_id INTO v_org FROM accounts a
     WHERE a.id = p_account AND a.organisation_confirmed_at IS NOT NULL;
    IF v_org IS NULL THEN
        RAISE EXCEPTION 'organisation_unconfirmed';
    END IF;
    SELECT json_build_object('items', coalesce(json_agg(json_build_object(
               'id', s.id, 'title', s.title,
               'category', json_build_object('id', g.id, 'name', g.name),
               'cycle', json_build_object('id', c.id, 'year', c.year, 'title', c.title),
               'status', s.status, 'phase', convene_award_phase(c, now()),
               'updated_at', s.updated_at,
               'files', (SELECT count(*) FROM submission_files f WHERE f.submission_id = s.id))
               ORDER BY s.created_at DESC, s.id DESC), '[]'))
      INTO v
      FROM submissions s JOIN award_categories g ON g.id = s.category_id
      JOIN award_cycles c ON c.id = s.cycle_id
     WHERE s.organisation_id = v_org;
    RETURN v;
END;
$$;

-- ---- The scores of a case ----

-- What p_account (staff when p_staff) may see of the scores of case p_id,
-- or NULL (answered as 404, as for a case one may not read):
--   mine    the caller's own scores and notes (convene_my_scores_json)
--           when it judges the case (convene_case_judge) and has saved
--           them, else null;
--   judges  after evaluation has closed, to the case's judges, and to
--           staff at any time: each judge whose scores count in the
--           results (convene_award_judge_scores: complete, assigned, not
--           conflicted) with its S rounded to 4 decimals as total and its
--           values; names to staff only.
-- While evaluation is open a judge sees its own answer only: nothing in it
-- moves when another judge scores.
CREATE FUNCTION convene_case_scores_json(p_id bigint, p_account bigint, p_staff boolean)
RETURNS json
LANGUAGE sql STABLE AS $$
    WITH v AS (
        SELECT s.id, s.cycle_id, now() >= c.evaluation_closes_at AS closed,
               convene_case_judge(s.id, p_account) AS judge
          FROM submissions s JOIN award_cycles c ON c.id = s.cycle_id
         WHERE s.id = p_id),
    w AS (
        -- The judge's own answer (score_notes is written with every save).
        SELECT v.*, CASE WHEN v.judge AND EXISTS (
                             SELECT 1 FROM score_notes n
                              WHERE n.submission_id = v.id AND n.judge_id = p_account)
                         THEN convene_my_scores_json(v.id, p_account) END AS mine
          FROM v)
    SELECT CASE WHEN w.closed OR p_staff THEN json_build_object(
                    'mine', w.mine,
                    'judges', (SELECT coalesce(json_agg(json_build_object(
                                   'name', CASE WHEN p_staff THEN a.name END,
                                   'total', round(js.s, 4),
                                   'scores', (SELECT json_object_agg(x.criterion_id, x.value)
                                                FROM scores x
                                               WHERE x.submission_id = w.id
                                                 AND x.judge_id = js.judge_id))
                                   ORDER BY js.s DESC, js.judge_id), '[]')
                                 FROM convene_award_judge_scores(w.cycle_id) js
                                 JOIN accounts a ON a.id = js.judge_id
                                WHERE js.submission_id = w.id))
                ELSE json_build_object('mine', w.mine) END
      FROM w
     WHERE w.judge OR p_staff
$$;

-- ---- The gallery ----

-- The cases the gallery shows: submitted, of a published cycle, with the
-- organisation's consent; public fields only.
CREATE VIEW award_gallery AS
    SELECT s.id, s.title, s.summary, s.sdgs, s.category_id, g.name AS category,
           g.position, o.name AS org, o.city, o.country, c.year, r.award
      FROM submissions s
      JOIN award_cycles c ON c.id = s.cycle_id AND c.published_at IS NOT NULL
      JOIN award_categories g ON g.id = s.category_id
      JOIN organisations o ON o.id = s.organisation_id
      LEFT JOIN award_results r ON r.cycle_id = s.cycle_id AND r.submission_id = s.id
     WHERE s.gallery_consent AND s.status = 'submitted';

-- One gallery case as the API shows it (no contact, no jury-only files,
-- no scores).
CREATE FUNCTION convene_gallery_item_json(p award_gallery) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', p.id, 'title', p.title, 'summary', p.summary, 'sdgs', p.sdgs,
        'category', json_build_object('id', p.category_id, 'name', p.category),
        'organisation', json_build_object('name', p.org, 'city', p.city, 'country', p.country),
        'year', p.year, 'award', p.award,
        'files', (SELECT coalesce(json_agg(json_build_object(
                         'id', f.id, 'filename', f.filename, 'content_type', f.content_type,
                         'size', f.size) ORDER BY f.id), '[]')
                    FROM submission_files f
                   WHERE f.submission_id = p.id AND f.visibility = 'public'))
$$;

-- As in 0010_results, from award_gallery and convene_gallery_item_json.
CREATE OR REPLACE FUNCTION convene_gallery_json(p_sdg integer, p_category bigint, p_city text,
                                                p_year integer, p_q text, p_limit integer,
                                                p_offset integer) RETURNS json
LANGUAGE sql STABLE AS $$
    WITH hits AS (
        SELECT p FROM award_gallery p
         WHERE (p_sdg IS NULL OR p.sdgs @> ARRAY[p_sdg])
           AND (p_category IS NULL OR p.category_id = p_category)
           AND (p_city IS NULL OR lower(p.city) = lower(p_city))
           AND (p_year IS NULL OR p.year = p_year)
           AND (p_q IS NULL OR (p.title || ' ' || p.summary) ILIKE
                '%' || replace(replace(replace(p_q, '\', '\\'), '%', '\%'), '_', '\_') || '%')),
    page AS (
        SELECT h.p FROM hits h
         ORDER BY (h.p).year DESC, (h.p).position, (h.p).category_id, (h.p).title, (h.p).id
         LIMIT p_limit OFFSET p_offset)
    SELECT json_build_object(
        'total', (SELECT count(*) FROM hits),
        'items', (SELECT coalesce(json_agg(convene_gallery_item_json(x.p)
                                           ORDER BY (x.p).year DESC, (x.p).position,
                                                    (x.p).category_id, (x.p).title, (x.p).id),
                                  '[]')
                    FROM page x))
$$;

-- One case of the gallery (GET /api/awards/gallery/{id}); NULL when the
-- gallery does not show it.
CREATE FUNCTION convene_gallery_one_json(p_id bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT convene_gallery_item_json(p) FROM award_gallery p WHERE p.id = p_id
$$;

-- ---- Exports ----

-- An instant as a CSV cell: UTC, to the second, ISO 8601 with Z.
CREATE FUNCTION convene_csv_utc(p_at timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

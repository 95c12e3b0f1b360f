-- 0009_awards: the SDG Awards — cycles with categories and criteria, cases
-- (submissions) and their files, the jury (assignments, conflicts, scores),
-- the public vote and published results.
--
-- Issue 10 calls this file 0004_awards.sql; by the time it was written
-- 0004 to 0008 were taken, so it is 0009. The whole feature's tables are
-- here so that later slices (files, scoring, results, exports) add
-- functions, not tables.
--
-- Rules live in the functions below, as for convene_enroll: each locks the
-- parent row (the cycle, the submission, the voter's account), refuses with
-- RAISE EXCEPTION 'code' (mapped to HTTP in src/api/api.c, sql_errors[]),
-- and queues its mail in the same transaction. Refusals that depend on the
-- calendar (submission_closed, voting_closed, evaluation_closed) carry a
-- JSON DETAIL {phase, opens_at, closes_at} that the API adds to the error.
--
-- Check constraints are named <short>_<field>_check so that a violation is
-- answered as a 422 on that field (api_reply_db_error).

-- ---- Cycles ----

CREATE TABLE award_cycles (
    id                      bigserial PRIMARY KEY,
    year                    integer NOT NULL CONSTRAINT cycle_year_check
                                CHECK (year BETWEEN 2000 AND 2100),
    title                   text NOT NULL CONSTRAINT cycle_title_check
                                CHECK (length(title) BETWEEN 1 AND 300),
    submission_opens_at     timestamptz NOT NULL,
    submission_closes_at    timestamptz NOT NULL,
    voting_opens_at         timestamptz NOT NULL,
    voting_closes_at        timestamptz NOT NULL,
    evaluation_opens_at     timestamptz NOT NULL,
    evaluation_closes_at    timestamptz NOT NULL,
    jury_weight             numeric(5, 4) NOT NULL DEFAULT 0.7 CONSTRAINT cycle_jury_weight_check
                                CHECK (jury_weight BETWEEN 0 AND 1),
    public_weight           numeric(5, 4) NOT NULL DEFAULT 0.3
                                CONSTRAINT cycle_public_weight_check
                                CHECK (public_weight BETWEEN 0 AND 1),
    -- Settings (plain members of the cycle object in the API).
    min_judges              integer NOT NULL DEFAULT 1 CONSTRAINT cycle_min_judges_check
                                CHECK (min_judges BETWEEN 1 AND 100),
    normalise               boolean NOT NULL DEFAULT false,
    country_conflicts       boolean NOT NULL DEFAULT false,
    self_vote               boolean NOT NULL DEFAULT false,
    finalists_per_category  integer NOT NULL DEFAULT 2
                                CONSTRAINT cycle_finalists_per_category_check
                                CHECK (finalists_per_category BETWEEN 0 AND 100),
    max_cases_per_org       integer NOT NULL DEFAULT 1 CONSTRAINT cycle_max_cases_per_org_check
                                CHECK (max_cases_per_org BETWEEN 1 AND 100),
    eligible_kinds          text[] NOT NULL DEFAULT '{member_city}'
                                CONSTRAINT cycle_eligible_kinds_check
                                CHECK (cardinality(eligible_kinds) >= 1 AND eligible_kinds <@
                                       '{member_city,partner,national_chapter,secretariat}'),
    -- Where and when the winners are honoured (2023: APUF-8, Suwon, 25 October).
    ceremony_on             date,
    ceremony_place          text CONSTRAINT cycle_ceremony_place_check
                                CHECK (length(ceremony_place) <= 300),
    published_at            timestamptz,
    published_by            bigint REFERENCES accounts (id) ON DELETE SET NULL,
    created_by              bigint REFERENCES accounts (id) ON DELETE SET NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cycle_submission_closes_at_check
        CHECK (submission_closes_at > submission_opens_at),
    CONSTRAINT cycle_voting_closes_at_check CHECK (voting_closes_at > voting_opens_at),
    CONSTRAINT cycle_evaluation_closes_at_check CHECK (evaluation_closes_at > evaluation_opens_at),
    -- Cases are fixed before anyone votes on or scores them.
    CONSTRAINT cycle_voting_opens_at_check CHECK (voting_opens_at >= submission_closes_at),
    CONSTRAINT cycle_evaluation_opens_at_check
        CHECK (evaluation_opens_at >= submission_closes_at),
    CONSTRAINT cycle_weights_check CHECK (jury_weight + public_weight = 1)
);
CREATE TRIGGER award_cycles_updated BEFORE UPDATE ON award_cycles
    FOR EACH ROW EXECUTE FUNCTION convene_touch_updated_at();

CREATE TABLE award_categories (
    id          bigserial PRIMARY KEY,
    cycle_id    bigint NOT NULL REFERENCES award_cycles (id) ON DELETE CASCADE,
    name        text NOT NULL CONSTRAINT category_name_check CHECK (length(name) BETWEEN 1 AND 200),
    description text CONSTRAINT category_description_check CHECK (length(description) <= 2000),
    position    integer NOT NULL DEFAULT 0,
    UNIQUE (cycle_id, name)
);
CREATE INDEX award_categories_cycle ON award_categories (cycle_id, position, id);

CREATE TABLE award_criteria (
    id          bigserial PRIMARY KEY,
    cycle_id    bigint NOT NULL REFERENCES award_cycles (id) ON DELETE CASCADE,
    name        text NOT NULL CONSTRAINT criterion_name_check CHECK (length(name) BETWEEN 1 AND 200),
    description text CONSTRAINT criterion_description_check CHECK (length(description) <= 2000),
    weight      numeric(8, 4) NOT NULL DEFAULT 1 CONSTRAINT criterion_weight_check
                    CHECK (weight > 0 AND weight <= 1000),
    scale_max   integer NOT NULL DEFAULT 10 CONSTRAINT criterion_scale_max_check
                    CHECK (scale_max BETWEEN 1 AND 100),
    position    integer NOT NULL DEFAULT 0,
    UNIQUE (cycle_id, name)
);
CREATE INDEX award_criteria_cycle ON award_criteria (cycle_id, position, id);

-- ---- Cases ----

-- 1 to 5 distinct goals, each 1..17.
CREATE FUNCTION convene_sdgs_valid(p integer[]) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT cardinality(p) BETWEEN 1 AND 5
       AND array_position(p, NULL) IS NULL
       AND (SELECT count(DISTINCT x) = cardinality(p) AND min(x) >= 1 AND max(x) <= 17
              FROM unnest(p) x)
$$;

CREATE TABLE submissions (
    id               bigserial PRIMARY KEY,
    cycle_id         bigint NOT NULL REFERENCES award_cycles (id) ON DELETE CASCADE,
    category_id      bigint NOT NULL REFERENCES award_categories (id),
    organisation_id  bigint NOT NULL REFERENCES organisations (id),
    created_by       bigint REFERENCES accounts (id) ON DELETE SET NULL,
    sdgs             integer[] NOT NULL CONSTRAINT submission_sdgs_check
                         CHECK (convene_sdgs_valid(sdgs)),
    title            text NOT NULL CONSTRAINT submission_title_check
                         CHECK (length(title) BETWEEN 1 AND 300),
    summary          text NOT NULL CONSTRAINT submission_summary_check
                         CHECK (length(summary) BETWEEN 1 AND 1000),
    description      text NOT NULL CONSTRAINT submission_description_check
                         CHECK (length(description) BETWEEN 1 AND 20000),
    partners         text CONSTRAINT submission_partners_check CHECK (length(partners) <= 2000),
    results          text CONSTRAINT submission_results_check CHECK (length(results) <= 5000),
    contact_email    text CONSTRAINT submission_contact_email_check
                         CHECK (length(contact_email) <= 254 AND contact_email LIKE '%_@_%'),
    gallery_consent  boolean NOT NULL DEFAULT false,
    status           text NOT NULL DEFAULT 'draft' CONSTRAINT submission_status_check
                         CHECK (status IN ('draft', 'submitted', 'withdrawn')),
    submitted_at     timestamptz,
    withdrawn_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'submitted') = (submitted_at IS NOT NULL))
);
CREATE TRIGGER submissions_updated BEFORE UPDATE ON submissions
    FOR EACH ROW EXECUTE FUNCTION convene_touch_updated_at();
CREATE INDEX submissions_cycle_org ON submissions (cycle_id, organisation_id, category_id);
CREATE INDEX submissions_category ON submissions (category_id, status);
CREATE INDEX submissions_gallery ON submissions USING gin (sdgs) WHERE gallery_consent;

-- Files are kept out of line (STORAGE EXTERNAL: no compression, so
-- substring() reads only the chunks it needs for a 1 MB slice).
CREATE TABLE submission_files (
    id             bigserial PRIMARY KEY,
    submission_id  bigint NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    filename       text NOT NULL CONSTRAINT file_filename_check
                       CHECK (octet_length(filename) BETWEEN 1 AND 200),
    content_type   text NOT NULL CONSTRAINT file_content_type_check
                       CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size           bigint NOT NULL CHECK (size >= 0),
    sha256         bytea NOT NULL CHECK (octet_length(sha256) = 32),
    data           bytea NOT NULL,
    visibility     text NOT NULL DEFAULT 'public' CONSTRAINT file_visibility_check
                       CHECK (visibility IN ('public', 'jury')),
    uploaded_by    bigint REFERENCES accounts (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE submission_files ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE INDEX submission_files_submission ON submission_files (submission_id, id);

-- ---- Jury ----

-- The judge's organisation and its country are recorded at assignment:
-- conflicts look at these and at the current values, so a later profile
-- edit cannot dodge one.
CREATE TABLE judge_assignments (
    category_id      bigint NOT NULL REFERENCES award_categories (id) ON DELETE CASCADE,
    judge_id         bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    organisation_id  bigint REFERENCES organisations (id),
    country          text,
    assigned_by      bigint REFERENCES accounts (id) ON DELETE SET NULL,
    assigned_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (category_id, judge_id)
);
CREATE INDEX judge_assignments_judge ON judge_assignments (judge_id);

-- Conflicts that are not derived from organisations and countries
-- (declared by the judge, set by staff, requested by the submitter), and
-- staff waivers of any conflict but the organisation one (a row with
-- source 'country' and waived_at set waives the derived country conflict).
CREATE TABLE conflicts (
    id             bigserial PRIMARY KEY,
    submission_id  bigint NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    judge_id       bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    source         text NOT NULL CONSTRAINT conflict_source_check
                       CHECK (source IN ('declared', 'staff', 'requested', 'country')),
    reason         text CONSTRAINT conflict_reason_check CHECK (length(reason) <= 2000),
    created_by     bigint REFERENCES accounts (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    waived_at      timestamptz,
    waived_by      bigint REFERENCES accounts (id) ON DELETE SET NULL,
    UNIQUE (submission_id, judge_id, source)
);
CREATE INDEX conflicts_judge ON conflicts (judge_id);

-- One value per judge, case and criterion; the key makes a second score
-- impossible (a new value replaces the old one).
CREATE TABLE scores (
    submission_id  bigint NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    judge_id       bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    criterion_id   bigint NOT NULL REFERENCES award_criteria (id) ON DELETE CASCADE,
    value          integer NOT NULL CONSTRAINT score_value_check CHECK (value >= 1),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (submission_id, judge_id, criterion_id)
);
CREATE INDEX scores_judge ON scores (judge_id);
CREATE INDEX scores_criterion ON scores (criterion_id);

-- The judge's words on a case: comment (staff only) and feedback (shown
-- unsigned to the organisation after publication).
CREATE TABLE score_notes (
    submission_id  bigint NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    judge_id       bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    comment        text CONSTRAINT note_comment_check CHECK (length(comment) <= 5000),
    feedback       text CONSTRAINT note_feedback_check CHECK (length(feedback) <= 5000),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (submission_id, judge_id)
);

-- ---- Public vote ----

-- One row per account and category (the unique key holds under any
-- concurrency, on any number of nodes). A voided vote stays, flagged.
CREATE TABLE votes (
    id             bigserial PRIMARY KEY,
    cycle_id       bigint NOT NULL REFERENCES award_cycles (id) ON DELETE CASCADE,
    category_id    bigint NOT NULL REFERENCES award_categories (id) ON DELETE CASCADE,
    account_id     bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    submission_id  bigint NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    client_addr    text,
    user_agent     text CHECK (length(user_agent) <= 1000),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    voided_at      timestamptz,
    voided_reason  text CONSTRAINT vote_voided_reason_check CHECK (length(voided_reason) <= 2000),
    voided_by      bigint REFERENCES accounts (id) ON DELETE SET NULL,
    CONSTRAINT votes_one_per_category UNIQUE (account_id, category_id),
    CHECK ((voided_at IS NULL) = (voided_reason IS NULL))
);
CREATE INDEX votes_submission ON votes (submission_id) WHERE voided_at IS NULL;
CREATE INDEX votes_cycle ON votes (cycle_id, created_at);

-- Every change of a vote (cast, changed, withdrawn): the hourly limit per
-- account counts these, and the vote report reads bursts from them.
CREATE TABLE vote_changes (
    id             bigserial PRIMARY KEY,
    account_id     bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    category_id    bigint NOT NULL REFERENCES award_categories (id) ON DELETE CASCADE,
    submission_id  bigint REFERENCES submissions (id) ON DELETE CASCADE,
    client_addr    text,
    changed_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vote_changes_account ON vote_changes (account_id, changed_at);

-- ---- Results ----

-- Written once, at publication, and never changed.
CREATE TABLE award_results (
    cycle_id        bigint NOT NULL REFERENCES award_cycles (id) ON DELETE CASCADE,
    category_id     bigint NOT NULL REFERENCES award_categories (id) ON DELETE CASCADE,
    submission_id   bigint NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    rank            integer NOT NULL CHECK (rank >= 1),
    award           text CHECK (award IN ('winner', 'finalist')),
    public_choice   boolean NOT NULL DEFAULT false,
    staff_choice    boolean NOT NULL DEFAULT false,
    jury_score_raw  numeric(9, 4),
    jury_score      numeric(9, 4),
    public_votes    integer NOT NULL DEFAULT 0,
    public_score    numeric(9, 4) NOT NULL DEFAULT 0,
    final_score     numeric(9, 4),
    PRIMARY KEY (cycle_id, submission_id),
    UNIQUE (category_id, rank)
);
CREATE TABLE award_publications (
    cycle_id      bigint PRIMARY KEY REFERENCES award_cycles (id) ON DELETE CASCADE,
    published_at  timestamptz NOT NULL DEFAULT now(),
    published_by  bigint REFERENCES accounts (id) ON DELETE SET NULL,
    formula       text NOT NULL,
    snapshot      jsonb NOT NULL
);

-- ---- Cache invalidation: answers built from these tables (cycles,
-- candidates, gallery, results) are dropped on every node. Votes and
-- scores do not notify: their counts are staff-only until publication. ----

CREATE FUNCTION awards_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('awards_changed', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER award_cycles_changed AFTER INSERT OR UPDATE OR DELETE ON award_cycles
    FOR EACH STATEMENT EXECUTE FUNCTION awards_notify();
CREATE TRIGGER award_categories_changed AFTER INSERT OR UPDATE OR DELETE ON award_categories
    FOR EACH STATEMENT EXECUTE FUNCTION awards_notify();
CREATE TRIGGER award_criteria_changed AFTER INSERT OR UPDATE OR DELETE ON award_criteria
    FOR EACH STATEMENT EXECUTE FUNCTION awards_notify();
CREATE TRIGGER submissions_changed AFTER INSERT OR UPDATE OR DELETE ON submissions
    FOR EACH STATEMENT EXECUTE FUNCTION awards_notify();
CREATE TRIGGER submission_files_changed AFTER INSERT OR UPDATE OR DELETE ON submission_files
    FOR EACH STATEMENT EXECUTE FUNCTION awards_notify();
CREATE TRIGGER award_publications_changed AFTER INSERT OR UPDATE OR DELETE ON award_publications
    FOR EACH STATEMENT EXECUTE FUNCTION awards_notify();

-- ---- Phases ----

-- The cycle's phase at p_now: 'published' once results are out; else
-- 'upcoming' before submission opens, 'submission' while it is open,
-- 'voting' while voting is open (even when evaluation is open too),
-- 'evaluation' while evaluation is open, 'closed' once every window has
-- closed; in a gap between windows, the window that opened last (so
-- 'submission' between submission closing and voting opening).
CREATE FUNCTION convene_award_phase(c award_cycles, p_now timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN c.published_at IS NOT NULL THEN 'published'
        WHEN p_now < c.submission_opens_at THEN 'upcoming'
        WHEN p_now < c.submission_closes_at THEN 'submission'
        WHEN p_now >= c.voting_opens_at AND p_now < c.voting_closes_at THEN 'voting'
        WHEN p_now >= c.evaluation_opens_at AND p_now < c.evaluation_closes_at THEN 'evaluation'
        WHEN p_now >= greatest(c.voting_closes_at, c.evaluation_closes_at) THEN 'closed'
        WHEN p_now >= c.evaluation_opens_at AND c.evaluation_opens_at >= c.voting_opens_at
            THEN 'evaluation'
        WHEN p_now >= c.voting_opens_at THEN 'voting'
        WHEN p_now >= c.evaluation_opens_at THEN 'evaluation'
        ELSE 'submission' END
$$;

-- Refuses with p_code unless now is inside [p_opens, p_closes) of cycle c
-- and the cycle is not published. The DETAIL is the JSON the API adds to
-- the error object.
CREATE FUNCTION convene_award_window(c award_cycles, p_code text, p_opens timestamptz,
                                     p_closes timestamptz) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF c.published_at IS NOT NULL OR now() < p_opens OR now() >= p_closes THEN
        RAISE EXCEPTION '%', p_code USING DETAIL = json_build_object(
            'phase', convene_award_phase(c, now()), 'opens_at', p_opens,
            'closes_at', p_closes)::text;
    END IF;
END;
$$;

-- ---- Cycles: the public view, creation, changes ----

CREATE FUNCTION convene_award_cycle_json(p_id bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', c.id, 'year', c.year, 'title', c.title,
        'phase', convene_award_phase(c, now()),
        'submission_opens_at', c.submission_opens_at,
        'submission_closes_at', c.submission_closes_at,
        'voting_opens_at', c.voting_opens_at, 'voting_closes_at', c.voting_closes_at,
        'evaluation_opens_at', c.evaluation_opens_at,
        'evaluation_closes_at', c.evaluation_closes_at,
        'jury_weight', c.jury_weight, 'public_weight', c.public_weight,
        'min_judges', c.min_judges, 'normalise', c.normalise,
        'country_conflicts', c.country_conflicts, 'self_vote', c.self_vote,
        'finalists_per_category', c.finalists_per_category,
        'max_cases_per_org', c.max_cases_per_org, 'eligible_kinds', c.eligible_kinds,
        'ceremony_on', c.ceremony_on, 'ceremony_place', c.ceremony_place,
        'published_at', c.published_at,
        'categories', (SELECT coalesce(json_agg(json_build_object('id', g.id, 'name', g.name,
                              'description', g.description) ORDER BY g.position, g.id), '[]')
                         FROM award_categories g WHERE g.cycle_id = c.id),
        'criteria', (SELECT coalesce(json_agg(json_build_object('id', k.id, 'name', k.name,
                            'description', k.description, 'weight', k.weight,
                            'scale_max', k.scale_max) ORDER BY k.position, k.id), '[]')
                       FROM award_criteria k WHERE k.cycle_id = c.id))
      FROM award_cycles c WHERE c.id = p_id
$$;

-- Replaces the categories (p_kind 'categories') or criteria of cycle
-- p_cycle by the list p: members with an id are updated (an id of another
-- cycle: unknown_item), those without are added, those left out are
-- removed (a category holding cases cannot be: category_in_use).
CREATE FUNCTION convene_award_replace_items(p_cycle bigint, p_kind text, p jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    item jsonb;
    pos integer := 0;
    keep bigint[] := '{}';
    v_id bigint;
BEGIN
    -- Removals first, so that a rename may reuse a removed item's name.
    SELECT coalesce(array_agg((x->>'id')::bigint), '{}') INTO keep
      FROM jsonb_array_elements(p) x WHERE x ? 'id';
    IF p_kind = 'categories' THEN
        IF EXISTS (SELECT 1 FROM submissions s JOIN award_categories g ON g.id = s.category_id
                    WHERE g.cycle_id = p_cycle AND g.id <> ALL (keep)) THEN
            RAISE EXCEPTION 'category_in_use';
        END IF;
        DELETE FROM award_categories WHERE cycle_id = p_cycle AND id <> ALL (keep);
    ELSE
        DELETE FROM award_criteria WHERE cycle_id = p_cycle AND id <> ALL (keep);
    END IF;
    FOR item IN SELECT * FROM jsonb_array_elements(p) LOOP
        pos := pos + 1;
        IF p_kind = 'categories' THEN
            IF item ? 'id' THEN
                UPDATE award_categories SET name = item->>'name',
                       description = CASE WHEN item ? 'description' THEN item->>'description'
                                          ELSE description END, position = pos
                 WHERE id = (item->>'id')::bigint AND cycle_id = p_cycle RETURNING id INTO v_id;
                IF v_id IS NULL THEN
                    RAISE EXCEPTION 'unknown_item';
                END IF;
            ELSE
                INSERT INTO award_categories (cycle_id, name, description, position)
                VALUES (p_cycle, item->>'name', item->>'description', pos);
            END IF;
        ELSE
            IF item ? 'id' THEN
                UPDATE award_criteria SET name = item->>'name',
                       description = CASE WHEN item ? 'description' THEN item->>'description'
                                          ELSE description END,
                       weight = coalesce((item->>'weight')::numeric, weight),
                       scale_max = coalesce((item->>'scale_max')::integer, scale_max),
                       position = pos
                 WHERE id = (item->>'id')::bigint AND cycle_id = p_cycle RETURNING id INTO v_id;
                IF v_id IS NULL THEN
                    RAISE EXCEPTION 'unknown_item';
                END IF;
            ELSE
                INSERT INTO award_criteria (cycle_id, name, description, weight, scale_max,
                                            position)
                VALUES (p_cycle, item->>'name', item->>'description',
                        coalesce((item->>'weight')::numeric, 1),
                        coalesce((item->>'scale_max')::integer, 10), pos);
            END IF;
        END IF;
        v_id := NULL;
    END LOOP;
END;
$$;

-- Sets the members of p (already checked for type by the API) on cycle
-- row c (in memory) and returns it.
CREATE FUNCTION convene_award_cycle_apply(c award_cycles, p jsonb) RETURNS award_cycles
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p ? 'year' THEN c.year := (p->>'year')::integer; END IF;
    IF p ? 'title' THEN c.title := p->>'title'; END IF;
    IF p ? 'submission_opens_at' THEN c.submission_opens_at := (p->>'submission_opens_at')::timestamptz; END IF;
    IF p ? 'submission_closes_at' THEN c.submission_closes_at := (p->>'submission_closes_at')::timestamptz; END IF;
    IF p ? 'voting_opens_at' THEN c.voting_opens_at := (p->>'voting_opens_at')::timestamptz; END IF;
    IF p ? 'voting_closes_at' THEN c.voting_closes_at := (p->>'voting_closes_at')::timestamptz; END IF;
    IF p ? 'evaluation_opens_at' THEN c.evaluation_opens_at := (p->>'evaluation_opens_at')::timestamptz; END IF;
    IF p ? 'evaluation_closes_at' THEN c.evaluation_closes_at := (p->>'evaluation_closes_at')::timestamptz; END IF;
    IF p ? 'jury_weight' THEN c.jury_weight := (p->>'jury_weight')::numeric; END IF;
    IF p ? 'public_weight' THEN c.public_weight := (p->>'public_weight')::numeric; END IF;
    IF p ? 'min_judges' THEN c.min_judges := (p->>'min_judges')::integer; END IF;
    IF p ? 'normalise' THEN c.normalise := (p->>'normalise')::boolean; END IF;
    IF p ? 'country_conflicts' THEN c.country_conflicts := (p->>'country_conflicts')::boolean; END IF;
    IF p ? 'self_vote' THEN c.self_vote := (p->>'self_vote')::boolean; END IF;
    IF p ? 'finalists_per_category' THEN c.finalists_per_category := (p->>'finalists_per_category')::integer; END IF;
    IF p ? 'max_cases_per_org' THEN c.max_cases_per_org := (p->>'max_cases_per_org')::integer; END IF;
    IF p ? 'ceremony_on' THEN c.ceremony_on := (p->>'ceremony_on')::date; END IF;
    IF p ? 'ceremony_place' THEN c.ceremony_place := p->>'ceremony_place'; END IF;
    IF p ? 'eligible_kinds' THEN
        c.eligible_kinds := ARRAY(SELECT jsonb_array_elements_text(p->'eligible_kinds'));
    END IF;
    RETURN c;
END;
$$;

-- Creates a cycle with its categories and criteria from p (checked by the
-- API; the table's constraints check the rest). Returns its public view.
CREATE FUNCTION convene_award_cycle_create(p jsonb, p_by bigint) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    c award_cycles;
BEGIN
    c := convene_award_cycle_apply(c, p);
    INSERT INTO award_cycles (year, title, submission_opens_at, submission_closes_at,
                              voting_opens_at, voting_closes_at, evaluation_opens_at,
                              evaluation_closes_at, jury_weight, public_weight, min_judges,
                              normalise, country_conflicts, self_vote, finalists_per_category,
                              max_cases_per_org, eligible_kinds, ceremony_on, ceremony_place,
                              created_by)
    VALUES (c.year, c.title, c.submission_opens_at, c.submission_closes_at, c.voting_opens_at,
            c.voting_closes_at, c.evaluation_opens_at, c.evaluation_closes_at,
            coalesce(c.jury_weight, 0.7), coalesce(c.public_weight, 0.3),
            coalesce(c.min_judges, 1), coalesce(c.normalise, false),
            coalesce(c.country_conflicts, false), coalesce(c.self_vote, false),
            coalesce(c.finalists_per_category, 2), coalesce(c.max_cases_per_org, 1),
            coalesce(c.eligible_kinds, '{member_city}'), c.ceremony_on, c.ceremony_place, p_by)
    RETURNING id INTO c.id;
    PERFORM convene_award_replace_items(c.id, 'categories', coalesce(p->'categories', '[]'));
    PERFORM convene_award_replace_items(c.id, 'criteria', coalesce(p->'criteria', '[]'));
    RETURN convene_award_cycle_json(c.id);
END;
$$;

-- Changes cycle p_id: dates, weights, settings, and the lists of
-- categories and criteria. Under the cycle's row lock: nothing changes
-- after publication (cycle_published); criteria do not change once a
-- case has a score (criteria_locked). Returns the public view.
CREATE FUNCTION convene_award_cycle_update(p_id bigint, p jsonb) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    c award_cycles;
BEGIN
    SELECT * INTO c FROM award_cycles WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cycle_not_found';
    END IF;
    IF c.published_at IS NOT NULL THEN
        RAISE EXCEPTION 'cycle_published';
    END IF;
    IF p ? 'criteria' AND EXISTS (SELECT 1 FROM scores s JOIN award_criteria k
                                     ON k.id = s.criterion_id WHERE k.cycle_id = p_id) THEN
        RAISE EXCEPTION 'criteria_locked';
    END IF;
    c := convene_award_cycle_apply(c, p);
    UPDATE award_cycles SET year = c.year, title = c.title,
           submission_opens_at = c.submission_opens_at,
           submission_closes_at = c.submission_closes_at,
           voting_opens_at = c.voting_opens_at, voting_closes_at = c.voting_closes_at,
           evaluation_opens_at = c.evaluation_opens_at,
           evaluation_closes_at = c.evaluation_closes_at, jury_weight = c.jury_weight,
           public_weight = c.public_weight, min_judges = c.min_judges, normalise = c.normalise,
           country_conflicts = c.country_conflicts, self_vote = c.self_vote,
           finalists_per_category = c.finalists_per_category,
           max_cases_per_org = c.max_cases_per_org, eligible_kinds = c.eligible_kinds,
           ceremony_on = c.ceremony_on, ceremony_place = c.ceremony_place
     WHERE id = p_id;
    IF p ? 'categories' THEN
        PERFORM convene_award_replace_items(p_id, 'categories', p->'categories');
    END IF;
    IF p ? 'criteria' THEN
        PERFORM convene_award_replace_items(p_id, 'criteria', p->'criteria');
    END IF;
    RETURN convene_award_cycle_json(p_id);
END;
$$;

-- ---- Cases ----

-- The full view of a case (for staff and the organisation's members).
CREATE FUNCTION convene_submission_json(p_id bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', s.id, 'cycle_id', s.cycle_id, 'category_id', s.category_id,
        'category', g.name, 'status', s.status, 'sdgs', s.sdgs, 'title', s.title,
        'summary', s.summary, 'description', s.description, 'partners', s.partners,
        'results', s.results, 'contact_email', s.contact_email,
        'gallery_consent', s.gallery_consent,
        'organisation', json_build_object('id', o.id, 'name', o.name, 'city', o.city,
                                          'country', o.country),
        'submitted_at', s.submitted_at, 'withdrawn_at', s.withdrawn_at,
        'created_at', s.created_at, 'updated_at', s.updated_at,
        'phase', convene_award_phase(c, now()),
        'files', (SELECT coalesce(json_agg(json_build_object('id', f.id, 'filename', f.filename,
                         'content_type', f.content_type, 'size', f.size,
                         'visibility', f.visibility) ORDER BY f.id), '[]')
                    FROM submission_files f WHERE f.submission_id = s.id))
      FROM submissions s JOIN award_categories g ON g.id = s.category_id
      JOIN award_cycles c ON c.id = s.cycle_id
      JOIN organisations o ON o.id = s.organisation_id
     WHERE s.id = p_id
$$;

-- The organisation p_account may act for in cycle c: its confirmed
-- organisation, of a kind the cycle accepts. Otherwise
-- organisation_unconfirmed.
CREATE FUNCTION convene_award_member_org(c award_cycles, p_account bigint) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_org bigint;
BEGIN
    SELECT a.organisation_id INTO v_org
      FROM accounts a JOIN organisations o ON o.id = a.organisation_id
     WHERE a.id = p_account AND a.organisation_confirmed_at IS NOT NULL
       AND a.email_verified_at IS NOT NULL AND a.disabled_at IS NULL
       AND o.kind = ANY (c.eligible_kinds);
    IF v_org IS NULL THEN
        RAISE EXCEPTION 'organisation_unconfirmed';
    END IF;
    RETURN v_org;
END;
$$;

-- Refuses with case_limit when organisation p_org already has the cycle's
-- maximum of cases in category p_category (drafts and submitted cases
-- count; p_except is not counted). Caller holds the cycle's row lock.
CREATE FUNCTION convene_award_case_limit(c award_cycles, p_org bigint, p_category bigint,
                                         p_except bigint, p_statuses text[]) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF (SELECT count(*) FROM submissions s
         WHERE s.cycle_id = c.id AND s.organisation_id = p_org AND s.category_id = p_category
           AND s.status = ANY (p_statuses) AND s.id IS DISTINCT FROM p_except)
       >= c.max_cases_per_org THEN
        RAISE EXCEPTION 'case_limit';
    END IF;
END;
$$;

-- Creates a draft case of p_account's organisation in cycle p_cycle from
-- p (checked for type by the API). Under the cycle's row lock: the
-- account's organisation is confirmed and eligible, submission is open,
-- the category is the cycle's, the organisation is under its cap.
CREATE FUNCTION convene_submission_create(p_cycle bigint, p_account bigint, p jsonb)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    c award_cycles;
    v_org bigint;
    v_id bigint;
BEGIN
    SELECT * INTO c FROM award_cycles WHERE id = p_cycle FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cycle_not_found';
    END IF;
    v_org := convene_award_member_org(c, p_account);
    PERFORM convene_award_window(c, 'submission_closed', c.submission_opens_at,
                                 c.submission_closes_at);
    IF NOT EXISTS (SELECT 1 FROM award_categories g WHERE g.id = (p->>'category_id')::bigint
                     AND g.cycle_id = p_cycle) THEN
        RAISE EXCEPTION 'category_not_in_cycle';
    END IF;
    PERFORM convene_award_case_limit(c, v_org, (p->>'category_id')::bigint, NULL,
                                     '{draft,submitted}');
    INSERT INTO submissions (cycle_id, category_id, organisation_id, created_by, sdgs, title,
                             summary, description, partners, results, contact_email,
                             gallery_consent)
    VALUES (p_cycle, (p->>'category_id')::bigint, v_org, p_account,
            ARRAY(SELECT jsonb_array_elements_text(p->'sdgs')::integer), p->>'title',
            p->>'summary', p->>'description', p->>'partners', p->>'results',
            p->>'contact_email', coalesce((p->>'gallery_consent')::boolean, false))
    RETURNING id INTO v_id;
    RETURN v_id;
END;
$$;

-- Locks case p_id and its cycle (cycle first, as everywhere) for a change
-- by p_account: the account must be a confirmed member of the case's
-- organisation (staff, who may read it, get submission_not_member; anyone
-- else submission_not_found) and submission must be open. Returns the
-- case as locked.
CREATE FUNCTION convene_submission_lock(p_id bigint, p_account bigint, p_staff boolean)
RETURNS submissions
LANGUAGE plpgsql AS $$
DECLARE
    c award_cycles;
    s submissions;
    v_cycle bigint;
    v_org bigint;
BEGIN
    SELECT x.cycle_id INTO v_cycle FROM submissions x WHERE x.id = p_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'submission_not_found';
    END IF;
    SELECT * INTO c FROM award_cycles WHERE id = v_cycle FOR NO KEY UPDATE;
    SELECT * INTO s FROM submissions x WHERE x.id = p_id FOR UPDATE;
    SELECT a.organisation_id INTO v_org FROM accounts a
     WHERE a.id = p_account AND a.organisation_confirmed_at IS NOT NULL;
    IF v_org IS DISTINCT FROM s.organisation_id THEN
        IF p_staff THEN
            RAISE EXCEPTION 'submission_not_member';
        END IF;
        RAISE EXCEPTION 'submission_not_found';
    END IF;
    PERFORM convene_award_member_org(c, p_account);
    PERFORM convene_award_window(c, 'submission_closed', c.submission_opens_at,
                                 c.submission_closes_at);
    RETURN s;
END;
$$;

-- Changes the members of p on case p_id (see convene_submission_lock).
-- A new category must be the cycle's and have room for the organisation.
CREATE FUNCTION convene_submission_update(p_id bigint, p_account bigint, p_staff boolean,
                                          p jsonb) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    c award_cycles;
    s submissions;
BEGIN
    s := convene_submission_lock(p_id, p_account, p_staff);
    SELECT * INTO c FROM award_cycles WHERE id = s.cycle_id;
    IF p ? 'category_id' AND (p->>'category_id')::bigint <> s.category_id THEN
        IF NOT EXISTS (SELECT 1 FROM award_categories g
                        WHERE g.id = (p->>'category_id')::bigint AND g.cycle_id = c.id) THEN
            RAISE EXCEPTION 'category_not_in_cycle';
        END IF;
        IF s.status <> 'withdrawn' THEN
            PERFORM convene_award_case_limit(c, s.organisation_id,
                                             (p->>'category_id')::bigint, s.id,
                                             '{draft,submitted}');
        END IF;
    END IF;
    UPDATE submissions SET
        category_id = CASE WHEN p ? 'category_id' THEN (p->>'category_id')::bigint
                           ELSE category_id END,
        sdgs = CASE WHEN p ? 'sdgs'
                    THEN ARRAY(SELECT jsonb_array_elements_text(p->'sdgs')::integer)
                    ELSE sdgs END,
        title = CASE WHEN p ? 'title' THEN p->>'title' ELSE title END,
        summary = CASE WHEN p ? 'summary' THEN p->>'summary' ELSE summary END,
        description = CASE WHEN p ? 'description' THEN p->>'description' ELSE description END,
        partners = CASE WHEN p ? 'partners' THEN p->>'partners' ELSE partners END,
        results = CASE WHEN p ? 'results' THEN p->>'results' ELSE results END,
        contact_email = CASE WHEN p ? 'contact_email' THEN p->>'contact_email'
                             ELSE contact_email END,
        gallery_consent = CASE WHEN p ? 'gallery_consent'
                               THEN (p->>'gallery_consent')::boolean ELSE gallery_consent END
     WHERE id = p_id;
    RETURN convene_submission_json(p_id);
END;
$$;

-- Queues mail p_tmpl about case p_id to account p_account.
CREATE FUNCTION convene_submission_mail(p_id bigint, p_account bigint, p_tmpl text,
                                        p_base_url text) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO mail_outbox (template, locale, to_address, to_name, vars)
    SELECT p_tmpl, a.locale, a.email, a.name,
           jsonb_build_object('name', a.name, 'case_title', s.title, 'cycle_title', c.title,
                              'category', g.name, 'organisation', o.name,
                              'link', p_base_url || '/submission.html?id=' || s.id)
      FROM submissions s JOIN award_cycles c ON c.id = s.cycle_id
      JOIN award_categories g ON g.id = s.category_id
      JOIN organisations o ON o.id = s.organisation_id, accounts a
     WHERE s.id = p_id AND a.id = p_account
$$;

-- Submits case p_id (a draft, or a withdrawn case again) while submission
-- is open, under the organisation's cap of submitted cases, and queues
-- submission_received. Submitting a submitted case changes nothing.
-- Returns the status and whether it changed.
CREATE FUNCTION convene_submission_submit(p_id bigint, p_account bigint, p_staff boolean,
                                          p_base_url text)
RETURNS TABLE (status text, changed boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    c award_cycles;
    s submissions;
BEGIN
    s := convene_submission_lock(p_id, p_account, p_staff);
    SELECT * INTO c FROM award_cycles WHERE id = s.cycle_id;
    IF s.status = 'submitted' THEN
        RETURN QUERY SELECT 'submitted'::text, false;
        RETURN;
    END IF;
    PERFORM convene_award_case_limit(c, s.organisation_id, s.category_id, s.id, '{submitted}');
    UPDATE submissions x SET status = 'submitted', submitted_at = now(), withdrawn_at = NULL
     WHERE x.id = p_id;
    PERFORM convene_submission_mail(p_id, p_account, 'submission_received', p_base_url);
    RETURN QUERY SELECT 'submitted'::text, true;
END;
$$;

-- Withdraws case p_id while submission is open and queues
-- submission_withdrawn. Withdrawing a withdrawn case changes nothing.
CREATE FUNCTION convene_submission_withdraw(p_id bigint, p_account bigint, p_staff boolean,
                                            p_base_url text)
RETURNS TABLE (status text, changed boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    c award_cycles;
    s submissions;
BEGIN
    s := convene_submission_lock(p_id, p_account, p_staff);
    SELECT * INTO c FROM award_cycles WHERE id = s.cycle_id;
    IF s.status = 'withdrawn' THEN
        RETURN QUERY SELECT 'withdrawn'::text, false;
        RETURN;
    END IF;
    UPDATE submissions x SET status = 'withdrawn', submitted_at = NULL, withdrawn_at = now()
     WHERE x.id = p_id;
    PERFORM convene_submission_mail(p_id, p_account, 'submission_withdrawn', p_base_url);
    RETURN QUERY SELECT 'withdrawn'::text, true;
END;
$$;

-- ---- Public vote ----

-- The public view of a submitted case (no contact, no files).
CREATE FUNCTION convene_candidate_json(s submissions) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', s.id, 'category_id', s.category_id, 'sdgs', s.sdgs, 'title', s.title,
        'summary', s.summary, 'description', s.description, 'partners', s.partners,
        'results', s.results, 'submitted_at', s.submitted_at,
        'organisation', (SELECT json_build_object('id', o.id, 'name', o.name, 'city', o.city,
                                                  'country', o.country)
                           FROM organisations o WHERE o.id = s.organisation_id))
$$;

-- The submitted cases of category p_category, once voting has opened.
CREATE FUNCTION convene_candidates(p_category bigint) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    c award_cycles;
BEGIN
    SELECT x.* INTO c FROM award_cycles x JOIN award_categories g ON g.cycle_id = x.id
     WHERE g.id = p_category;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'category_not_found';
    END IF;
    IF c.published_at IS NULL AND now() < c.voting_opens_at THEN
        PERFORM convene_award_window(c, 'voting_closed', c.voting_opens_at, c.voting_closes_at);
    END IF;
    RETURN json_build_object('category_id', p_category, 'cycle_id', c.id,
        'phase', convene_award_phase(c, now()),
        'items', (SELECT coalesce(json_agg(convene_candidate_json(s) ORDER BY s.title, s.id),
                                  '[]')
                    FROM submissions s
                   WHERE s.category_id = p_category AND s.status = 'submitted'));
END;
$$;

-- The voter's own vote in a category, as JSON.
CREATE FUNCTION convene_vote_json(p_category bigint, p_account bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('category_id', g.id, 'submission_id', v.submission_id,
                             'voted_at', v.updated_at, 'voided', v.voided_at IS NOT NULL)
      FROM award_categories g
      LEFT JOIN votes v ON v.category_id = g.id AND v.account_id = p_account
     WHERE g.id = p_category
$$;

-- Casts or changes p_account's vote in category p_category for case
-- p_submission (p_submission NULL: withdraws it). Under the voter's
-- account row lock (the changes of one voter are counted one at a time):
-- voting is open; the case is a submitted case of the category
-- (submission_not_candidate); not the voter's own organisation's unless
-- the cycle allows it (own_organisation); not by a judge of the category
-- (judge_cannot_vote); a voided vote stays voided (vote_voided); at most
-- 30 changes an hour (vote_rate_limited) — the same choice again is not a
-- change. Returns the vote and whether it changed.
CREATE FUNCTION convene_vote(p_category bigint, p_account bigint, p_submission bigint,
                             p_addr text, p_agent text)
RETURNS TABLE (vote json, changed boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    c award_cycles;
    s submissions;
    v votes;
    v_org bigint;
BEGIN
    SELECT x.* INTO c FROM award_cycles x JOIN award_categories g ON g.cycle_id = x.id
     WHERE g.id = p_category;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'category_not_found';
    END IF;
    PERFORM convene_award_window(c, 'voting_closed', c.voting_opens_at, c.voting_closes_at);
    SELECT a.organisation_id INTO v_org FROM accounts a WHERE a.id = p_account
       FOR NO KEY UPDATE;
    IF EXISTS (SELECT 1 FROM judge_assignments j
                WHERE j.category_id = p_category AND j.judge_id = p_account) THEN
        RAISE EXCEPTION 'judge_cannot_vote';
    END IF;
    SELECT * INTO v FROM votes x WHERE x.account_id = p_account AND x.category_id = p_category;
    IF v.voided_at IS NOT NULL THEN
        RAISE EXCEPTION 'vote_voided';
    END IF;
    IF p_submission IS NULL THEN
        IF v.id IS NULL THEN
            RAISE EXCEPTION 'vote_not_found';
        END IF;
    ELSE
        SELECT * INTO s FROM submissions x WHERE x.id = p_submission;
        IF NOT FOUND OR s.category_id <> p_category OR s.status <> 'submitted' THEN
            RAISE EXCEPTION 'submission_not_candidate';
        END IF;
        IF s.organisation_id = v_org AND NOT c.self_vote THEN
            RAISE EXCEPTION 'own_organisation';
        END IF;
        IF v.submission_id = p_submission THEN
            RETURN QUERY SELECT convene_vote_json(p_category, p_account), false;
            RETURN;
        END IF;
    END IF;
    IF (SELECT count(*) FROM vote_changes x WHERE x.account_id = p_account
          AND x.changed_at > now() - interval '1 hour') >= 30 THEN
        RAISE EXCEPTION 'vote_rate_limited';
    END IF;
    INSERT INTO vote_changes (account_id, category_id, submission_id, client_addr)
    VALUES (p_account, p_category, p_submission, p_addr);
    IF p_submission IS NULL THEN
        DELETE FROM votes x WHERE x.id = v.id;
    ELSE
        INSERT INTO votes (cycle_id, category_id, account_id, submission_id, client_addr,
                           user_agent)
        VALUES (c.id, p_category, p_account, p_submission, p_addr, left(p_agent, 1000))
        ON CONFLICT (account_id, category_id) DO UPDATE
           SET submission_id = EXCLUDED.submission_id, client_addr = EXCLUDED.client_addr,
               user_agent = EXCLUDED.user_agent, updated_at = now();
    END IF;
    RETURN QUERY SELECT convene_vote_json(p_category, p_account), true;
END;
$$;

-- ---- Jury: assignments and conflicts ----

-- Assigns judge p_judge to category p_category (staff p_by), recording
-- the judge's organisation and its country now. Under the cycle's row
-- lock: not after publication; only accounts holding the judge role
-- (not_a_judge). Returns whether the assignment is new.
CREATE FUNCTION convene_judge_assign(p_category bigint, p_judge bigint, p_by bigint)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    c award_cycles;
    v_org bigint;
    v_country text;
BEGIN
    SELECT x.* INTO c FROM award_cycles x JOIN award_categories g ON g.cycle_id = x.id
     WHERE g.id = p_category FOR NO KEY UPDATE OF x;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'category_not_found';
    END IF;
    IF c.published_at IS NOT NULL THEN
        RAISE EXCEPTION 'cycle_published';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM account_roles r JOIN accounts a ON a.id = r.account_id
                    WHERE r.account_id = p_judge AND r.role = 'judge'
                      AND a.disabled_at IS NULL) THEN
        RAISE EXCEPTION 'not_a_judge';
    END IF;
    IF EXISTS (SELECT 1 FROM judge_assignments j
                WHERE j.category_id = p_category AND j.judge_id = p_judge) THEN
        RETURN false;
    END IF;
    SELECT a.organisation_id, o.country INTO v_org, v_country
      FROM accounts a LEFT JOIN organisations o ON o.id = a.organisation_id
     WHERE a.id = p_judge;
    INSERT INTO judge_assignments (category_id, judge_id, organisation_id, country, assigned_by)
    VALUES (p_category, p_judge, v_org, v_country, p_by);
    RETURN true;
END;
$$;

-- Removes judge p_judge from category p_category: not after publication;
-- judge_not_assigned when there is nothing to remove. The judge's scores
-- in the category stay (they are the record of what happened) but no
-- longer count once results are computed from assigned judges only.
CREATE FUNCTION convene_judge_unassign(p_category bigint, p_judge bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    c award_cycles;
BEGIN
    SELECT x.* INTO c FROM award_cycles x JOIN award_categories g ON g.cycle_id = x.id
     WHERE g.id = p_category FOR NO KEY UPDATE OF x;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'category_not_found';
    END IF;
    IF c.published_at IS NOT NULL THEN
        RAISE EXCEPTION 'cycle_published';
    END IF;
    DELETE FROM judge_assignments WHERE category_id = p_category AND judge_id = p_judge;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'judge_not_assigned';
    END IF;
END;
$$;

-- The conflicts between judge p_judge and case p_submission, one row per
-- source, waived or not:
--   organisation  the case's organisation is the judge's current one or
--                 the one recorded at assignment (never waived);
--   country       with the cycle's country_conflicts on, the case's
--                 organisation is in the country of the judge's current
--                 or recorded organisation, when that organisation is a
--                 member city or a national chapter (countries come from
--                 organisations, never from the self-typed
--                 accounts.country); waived by a 'country' row in
--                 conflicts with waived_at set;
--   declared, staff, requested   rows of conflicts.
CREATE FUNCTION convene_conflicts(p_submission bigint, p_judge bigint)
RETURNS TABLE (source text, reason text, waived boolean)
LANGUAGE sql STABLE AS $$
    WITH s AS (
        SELECT s.id, s.organisation_id, s.category_id, s.cycle_id, o.country
          FROM submissions s JOIN organisations o ON o.id = s.organisation_id
         WHERE s.id = p_submission),
    judge_orgs AS (
        SELECT a.organisation_id FROM accounts a WHERE a.id = p_judge
        UNION
        SELECT j.organisation_id FROM judge_assignments j, s
         WHERE j.category_id = s.category_id AND j.judge_id = p_judge),
    judge_countries AS (
        SELECT o.country FROM judge_orgs g JOIN organisations o ON o.id = g.organisation_id
         WHERE o.kind IN ('member_city', 'national_chapter')
        UNION
        SELECT j.country FROM judge_assignments j JOIN s ON s.category_id = j.category_id
          JOIN organisations o ON o.id = j.organisation_id
         WHERE j.judge_id = p_judge AND o.kind IN ('member_city', 'national_chapter'))
    SELECT 'organisation'::text, NULL::text, false FROM s
     WHERE s.organisation_id IN (SELECT organisation_id FROM judge_orgs)
    UNION ALL
    SELECT 'country', NULL, EXISTS (SELECT 1 FROM conflicts x
                                     WHERE x.submission_id = s.id AND x.judge_id = p_judge
                                       AND x.source = 'country' AND x.waived_at IS NOT NULL)
      FROM s JOIN award_cycles c ON c.id = s.cycle_id
     WHERE c.country_conflicts AND s.country IN (SELECT country FROM judge_countries)
    UNION ALL
    SELECT x.source, x.reason, x.waived_at IS NOT NULL FROM conflicts x
     WHERE x.submission_id = p_submission AND x.judge_id = p_judge AND x.source <> 'country'
$$;

CREATE FUNCTION convene_judge_conflicted(p_submission bigint, p_judge bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM convene_conflicts(p_submission, p_judge) WHERE NOT waived)
$$;

-- Records a conflict between judge p_judge and case p_submission, by
-- p_by: the judge itself (declared: the judge's scores and notes on the
-- case are deleted), staff (staff), or a confirmed member of the case's
-- organisation (requested). The judge must be assigned to the case's
-- category (conflict_judge_not_assigned); a judge declaring about a case it may
-- not see gets submission_not_found. Under the case's row lock; not after
-- publication. Returns the source and whether the row is new.
CREATE FUNCTION convene_conflict_add(p_submission bigint, p_judge bigint, p_by bigint,
                                     p_staff boolean, p_reason text)
RETURNS TABLE (source text, created boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    c award_cycles;
    s submissions;
    v_source text;
    v_org bigint;
    v_id bigint;
BEGIN
    SELECT x.* INTO s FROM submissions x WHERE x.id = p_submission;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'submission_not_found';
    END IF;
    SELECT x.* INTO c FROM award_cycles x WHERE x.id = s.cycle_id FOR NO KEY UPDATE;
    SELECT x.* INTO s FROM submissions x WHERE x.id = p_submission FOR UPDATE;
    SELECT a.organisation_id INTO v_org FROM accounts a
     WHERE a.id = p_by AND a.organisation_confirmed_at IS NOT NULL;
    v_source := CASE WHEN p_by = p_judge THEN 'declared'
                     WHEN p_staff THEN 'staff'
                     WHEN v_org = s.organisation_id THEN 'requested' END;
    IF v_source IS NULL THEN
        RAISE EXCEPTION 'submission_not_found';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM judge_assignments j
                    WHERE j.category_id = s.category_id AND j.judge_id = p_judge) THEN
        IF v_source = 'declared' THEN
            RAISE EXCEPTION 'submission_not_found';
        END IF;
        RAISE EXCEPTION 'conflict_judge_not_assigned';
    END IF;
    IF c.published_at IS NOT NULL THEN
        RAISE EXCEPTION 'cycle_published';
    END IF;
    INSERT INTO conflicts (submission_id, judge_id, source, reason, created_by)
    VALUES (p_submission, p_judge, v_source, p_reason, p_by)
    ON CONFLICT (submission_id, judge_id, source) DO NOTHING
    RETURNING id INTO v_id;
    IF v_source = 'declared' THEN
        DELETE FROM scores x WHERE x.submission_id = p_submission AND x.judge_id = p_judge;
        DELETE FROM score_notes x WHERE x.submission_id = p_submission AND x.judge_id = p_judge;
    END IF;
    RETURN QUERY SELECT v_source, v_id IS NOT NULL;
END;
$$;

-- The judges of case p_submission's category with their conflicts (staff).
CREATE FUNCTION convene_submission_conflicts_json(p_submission bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('submission_id', s.id, 'judges', coalesce((
        SELECT json_agg(json_build_object(
                   'judge_id', j.judge_id, 'name', a.name,
                   'conflicted', convene_judge_conflicted(s.id, j.judge_id),
                   'conflicts', (SELECT coalesce(json_agg(json_build_object('source', k.source,
                                        'reason', k.reason, 'waived', k.waived)), '[]')
                                   FROM convene_conflicts(s.id, j.judge_id) k))
                   ORDER BY j.judge_id)
          FROM judge_assignments j JOIN accounts a ON a.id = j.judge_id
         WHERE j.category_id = s.category_id), '[]'))
      FROM submissions s WHERE s.id = p_submission
$$;

-- The judges of category p_category (staff).
CREATE FUNCTION convene_category_judges_json(p_category bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('category_id', g.id, 'items', coalesce((
        SELECT json_agg(json_build_object(
                   'account_id', j.judge_id, 'name', a.name, 'email', a.email,
                   'organisation_id', j.organisation_id, 'country', j.country,
                   'current_organisation_id', a.organisation_id,
                   'assigned_at', j.assigned_at) ORDER BY a.name, j.judge_id)
          FROM judge_assignments j JOIN accounts a ON a.id = j.judge_id
         WHERE j.category_id = g.id), '[]'))
      FROM award_categories g WHERE g.id = p_category
$$;

-- Staff waive the conflict of source p_source between judge p_judge and
-- case p_submission: any but an organisation conflict
-- (conflict_not_waivable); conflict_not_found when there is no such
-- conflict. Under the case's row lock; not after publication. Returns
-- whether it was waived now (false: it already was).
CREATE FUNCTION convene_conflict_waive(p_submission bigint, p_judge bigint, p_source text,
                                       p_by bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    c award_cycles;
    s submissions;
    v_waived boolean;
BEGIN
    SELECT x.* INTO s FROM submissions x WHERE x.id = p_submission;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'submission_not_found';
    END IF;
    SELECT x.* INTO c FROM award_cycles x WHERE x.id = s.cycle_id FOR NO KEY UPDATE;
    PERFORM 1 FROM submissions x WHERE x.id = p_submission FOR UPDATE;
    IF c.published_at IS NOT NULL THEN
        RAISE EXCEPTION 'cycle_published';
    END IF;
    IF p_source = 'organisation' THEN
        RAISE EXCEPTION 'conflict_not_waivable';
    END IF;
    SELECT k.waived INTO v_waived FROM convene_conflicts(p_submission, p_judge) k
     WHERE k.source = p_source;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'conflict_not_found';
    END IF;
    IF v_waived THEN
        RETURN false;
    END IF;
    IF p_source = 'country' THEN
        INSERT INTO conflicts (submission_id, judge_id, source, created_by, waived_at, waived_by)
        VALUES (p_submission, p_judge, 'country', p_by, now(), p_by)
        ON CONFLICT (submission_id, judge_id, source)
        DO UPDATE SET waived_at = now(), waived_by = p_by;
    ELSE
        UPDATE conflicts SET waived_at = now(), waived_by = p_by
         WHERE submission_id = p_submission AND judge_id = p_judge AND source = p_source;
    END IF;
    RETURN true;
END;
$$;

-- ---- Jury: scores ----

-- Judge p_judge's own scores and notes on case p_submission.
CREATE FUNCTION convene_my_scores_json(p_submission bigint, p_judge bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'submission_id', p_submission,
        'scores', (SELECT coalesce(json_object_agg(x.criterion_id, x.value), '{}')
                     FROM scores x WHERE x.submission_id = p_submission AND x.judge_id = p_judge),
        'comment', n.comment, 'feedback', n.feedback, 'updated_at', n.updated_at)
      FROM (SELECT 1) one
      LEFT JOIN score_notes n ON n.submission_id = p_submission AND n.judge_id = p_judge
$$;

-- The cases judge p_judge may score or has scored: submitted cases of the
-- categories it is assigned to, once evaluation has opened, without those
-- it is conflicted with; by id, with the judge's own status only (never
-- others' scores, counts or an order that would reveal a ranking).
CREATE FUNCTION convene_my_judging_json(p_judge bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('items', coalesce(json_agg(json_build_object(
               'submission_id', s.id, 'cycle_id', s.cycle_id, 'category_id', s.category_id,
               'title', s.title, 'phase', convene_award_phase(c, now()),
               'evaluation_closes_at', c.evaluation_closes_at,
               'status', CASE (SELECT count(*) FROM scores x
                                WHERE x.submission_id = s.id AND x.judge_id = p_judge)
                             WHEN 0 THEN 'missing' ELSE 'scored' END) ORDER BY s.id), '[]'))
      FROM submissions s
      JOIN judge_assignments j ON j.category_id = s.category_id AND j.judge_id = p_judge
      JOIN award_cycles c ON c.id = s.cycle_id
     WHERE s.status = 'submitted' AND now() >= c.evaluation_opens_at
       AND NOT convene_judge_conflicted(s.id, p_judge)
$$;

-- Judge p_judge's scores of case p_submission: p_scores maps every
-- criterion id of the cycle to an integer 1..scale_max (checked field by
-- field by the API; refused here as invalid_scores otherwise), with the
-- judge's comment (for staff) and feedback (shown unsigned to the
-- organisation after publication). Under the case's row lock, with the
-- cycle shared (its criteria cannot change meanwhile): the judge is
-- assigned to the category (else, as for anyone who may not see the case,
-- submission_not_found), not conflicted (judge_conflicted), and
-- evaluation is open (evaluation_closed). A new value replaces the old.
CREATE FUNCTION convene_scores_put(p_submission bigint, p_judge bigint, p_scores jsonb,
                                   p_comment text, p_feedback text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    c award_cycles;
    s submissions;
BEGIN
    SELECT x.* INTO s FROM submissions x WHERE x.id = p_submission;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'submission_not_found';
    END IF;
    SELECT x.* INTO c FROM award_cycles x WHERE x.id = s.cycle_id FOR SHARE;
    SELECT x.* INTO s FROM submissions x WHERE x.id = p_submission FOR UPDATE;
    IF s.status <> 'submitted' OR NOT EXISTS (
           SELECT 1 FROM judge_assignments j JOIN account_roles r ON r.account_id = j.judge_id
              AND r.role = 'judge'
            WHERE j.category_id = s.category_id AND j.judge_id = p_judge) THEN
        RAISE EXCEPTION 'submission_not_found';
    END IF;
    IF convene_judge_conflicted(p_submission, p_judge) THEN
        RAISE EXCEPTION 'judge_conflicted';
    END IF;
    PERFORM convene_award_window(c, 'evaluation_closed', c.evaluation_opens_at,
                                 c.evaluation_closes_at);
    IF EXISTS (SELECT 1 FROM award_criteria k WHERE k.cycle_id = c.id
                 AND NOT (p_scores ? k.id::text
                          AND jsonb_typeof(p_scores->k.id::text) = 'number'
                          AND (p_scores->>k.id::text) ~ '^[0-9]+$'
                          AND (p_scores->>k.id::text)::numeric BETWEEN 1 AND k.scale_max))
       OR (SELECT count(*) FROM jsonb_object_keys(p_scores))
          <> (SELECT count(*) FROM award_criteria k WHERE k.cycle_id = c.id) THEN
        RAISE EXCEPTION 'invalid_scores';
    END IF;
    INSERT INTO scores (submission_id, judge_id, criterion_id, value)
    SELECT p_submission, p_judge, k.id, (p_scores->>k.id::text)::integer
      FROM award_criteria k WHERE k.cycle_id = c.id
    ON CONFLICT (submission_id, judge_id, criterion_id)
    DO UPDATE SET value = EXCLUDED.value, updated_at = now();
    INSERT INTO score_notes (submission_id, judge_id, comment, feedback)
    VALUES (p_submission, p_judge, p_comment, p_feedback)
    ON CONFLICT (submission_id, judge_id)
    DO UPDATE SET comment = EXCLUDED.comment, feedback = EXCLUDED.feedback, updated_at = now();
    RETURN convene_my_scores_json(p_submission, p_judge);
END;
$$;

-- ---- Jury: progress (staff) ----

-- Judge p_judge's score of case p_submission on 0..100:
--   S = 100 * sum(w_k * x_k) / sum(w_k * max_k)
-- over the cycle's criteria; NULL until the judge has scored every one.
-- The results (a later slice) build on this same function.
CREATE FUNCTION convene_judge_score(p_submission bigint, p_judge bigint) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN count(*) > 0 AND count(x.value) = count(*)
                THEN round(100 * sum(k.weight * x.value) / sum(k.weight * k.scale_max), 4) END
      FROM submissions s JOIN award_criteria k ON k.cycle_id = s.cycle_id
      LEFT JOIN scores x ON x.submission_id = s.id AND x.judge_id = p_judge
                        AND x.criterion_id = k.id
     WHERE s.id = p_submission
$$;

-- Where the jury stands in cycle p_cycle: per judge the cases scored and
-- missing (conflicted cases left out); per submitted case the eligible
-- (assigned, not conflicted) judges, flagged under the cycle's
-- min_judges, and the mean, median, population standard deviation and
-- range of their scores S. p_sort 'disagreement' puts the largest
-- standard deviation first; otherwise by category and case id.
-- cycle_not_found when there is no such cycle.
CREATE FUNCTION convene_cycle_progress_json(p_cycle bigint, p_sort text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    c award_cycles;
    v json;
BEGIN
    SELECT * INTO c FROM award_cycles WHERE id = p_cycle;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cycle_not_found';
    END IF;
    WITH cases AS (
        SELECT s.id, s.title, s.category_id FROM submissions s
         WHERE s.cycle_id = p_cycle AND s.status = 'submitted'),
    pairs AS (
        SELECT x.id AS submission_id, j.judge_id,
               convene_judge_conflicted(x.id, j.judge_id) AS conflicted,
               convene_judge_score(x.id, j.judge_id) AS score
          FROM cases x JOIN judge_assignments j ON j.category_id = x.category_id),
    per_case AS (
        SELECT x.id, x.title, x.category_id,
               count(p.judge_id) FILTER (WHERE NOT p.conflicted) AS eligible,
               count(p.score) FILTER (WHERE NOT p.conflicted) AS scored,
               round(avg(p.score) FILTER (WHERE NOT p.conflicted), 4) AS mean,
               round((percentile_cont(0.5) WITHIN GROUP (ORDER BY p.score)
                      FILTER (WHERE NOT p.conflicted))::numeric, 4) AS median,
               round(stddev_pop(p.score) FILTER (WHERE NOT p.conflicted), 4) AS sd,
               max(p.score) FILTER (WHERE NOT p.conflicted)
                 - min(p.score) FILTER (WHERE NOT p.conflicted) AS range
          FROM cases x LEFT JOIN pairs p ON p.submission_id = x.id
         GROUP BY x.id, x.title, x.category_id),
    per_judge AS (
        SELECT p.judge_id, count(*) FILTER (WHERE NOT p.conflicted) AS assigned,
               count(p.score) FILTER (WHERE NOT p.conflicted) AS scored,
               count(*) FILTER (WHERE p.conflicted) AS conflicted
          FROM pairs p GROUP BY p.judge_id)
    SELECT json_build_object(
        'cycle_id', c.id, 'min_judges', c.min_judges,
        'judges', (SELECT coalesce(json_agg(json_build_object(
                       'judge_id', g.judge_id, 'name', a.name, 'scored', g.scored,
                       'missing', g.assigned - g.scored, 'conflicted', g.conflicted)
                       ORDER BY a.name, g.judge_id), '[]')
                     FROM per_judge g JOIN accounts a ON a.id = g.judge_id),
        'cases', (SELECT coalesce(json_agg(json_build_object(
                      'submission_id', k.id, 'title', k.title, 'category_id', k.category_id,
                      'eligible_judges', k.eligible, 'under_min_judges', k.eligible < c.min_judges,
                      'scored', k.scored, 'mean', k.mean, 'median', k.median,
                      'stddev', k.sd, 'range', k.range)
                      ORDER BY CASE WHEN p_sort = 'disagreement' THEN k.sd END DESC NULLS LAST,
                               k.category_id, k.id), '[]')
                    FROM per_case k))
      INTO v;
    RETURN v;
END;
$$;

-- ---- Public vote: the staff report and voiding ----

-- The network of a client address for grouping: /24 for IPv4, /64 for
-- IPv6; NULL for text that is not an address.
CREATE FUNCTION convene_addr_net(p text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN network(set_masklen(p::inet, CASE family(p::inet) WHEN 4 THEN 24 ELSE 64 END))::text;
EXCEPTION WHEN others THEN
    RETURN NULL;
END;
$$;

-- What may deserve a look in cycle p_cycle's vote (staff): votes per
-- network (/24, /64) where more than one account voted; accounts created
-- or verified after voting opened; email domains shared by several voters
-- and addresses that are one mailbox with '+' aliases; votes for the
-- voter's own organisation's case (self_vote allowed); the busiest
-- minutes of vote changes. A city hall's officials share one address, so
-- the report flags and staff decide (convene_vote_void). Lists name vote
-- ids and are cut at 100 rows each. cycle_not_found without the cycle.
CREATE FUNCTION convene_vote_report_json(p_cycle bigint) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    c award_cycles;
    v json;
BEGIN
    SELECT * INTO c FROM award_cycles WHERE id = p_cycle;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cycle_not_found';
    END IF;
    WITH vs AS (
        SELECT v.id, v.account_id, v.category_id, v.submission_id, v.client_addr,
               v.created_at, v.voided_at IS NOT NULL AS voided,
               convene_addr_net(v.client_addr) AS net, a.email::text AS email,
               a.created_at AS account_created_at, a.email_verified_at,
               a.organisation_id AS voter_org, s.organisation_id AS case_org,
               lower(split_part(a.email::text, '@', 2)) AS domain,
               lower(regexp_replace(split_part(a.email::text, '@', 1), '\+.*$', '')) || '@'
                   || lower(split_part(a.email::text, '@', 2)) AS mailbox
          FROM votes v JOIN accounts a ON a.id = v.account_id
          JOIN submissions s ON s.id = v.submission_id
         WHERE v.cycle_id = p_cycle)
    SELECT json_build_object(
        'cycle_id', c.id,
        'votes', (SELECT count(*) FROM vs WHERE NOT voided),
        'voided', (SELECT count(*) FROM vs WHERE voided),
        'networks', (SELECT coalesce(json_agg(x ORDER BY x.votes DESC, x.network), '[]') FROM (
                        SELECT net AS network, count(*) AS votes,
                               count(DISTINCT account_id) AS accounts,
                               json_agg(id ORDER BY id) AS vote_ids
                          FROM vs WHERE NOT voided AND net IS NOT NULL GROUP BY net
                        HAVING count(DISTINCT account_id) > 1
                         ORDER BY count(*) DESC, net LIMIT 100) x),
        'new_accounts', (SELECT coalesce(json_agg(x ORDER BY x.vote_id), '[]') FROM (
                        SELECT id AS vote_id, account_id, email,
                               account_created_at, email_verified_at AS verified_at
                          FROM vs WHERE NOT voided AND (account_created_at >= c.voting_opens_at
                                OR email_verified_at >= c.voting_opens_at)
                         ORDER BY id LIMIT 100) x),
        'shared_domains', (SELECT coalesce(json_agg(x ORDER BY x.accounts DESC, x.domain), '[]')
                             FROM (
                        SELECT domain, count(DISTINCT account_id) AS accounts,
                               json_agg(id ORDER BY id) AS vote_ids
                          FROM vs WHERE NOT voided GROUP BY domain
                        HAVING count(DISTINCT account_id) > 1
                         ORDER BY count(DISTINCT account_id) DESC, domain LIMIT 100) x),
        'aliases', (SELECT coalesce(json_agg(x ORDER BY x.mailbox), '[]') FROM (
                        SELECT mailbox, count(DISTINCT account_id) AS accounts,
                               json_agg(DISTINCT email) AS emails,
                               json_agg(id ORDER BY id) AS vote_ids
                          FROM vs WHERE NOT voided GROUP BY mailbox
                        HAVING count(DISTINCT account_id) > 1
                         ORDER BY mailbox LIMIT 100) x),
        'own_organisation', (SELECT coalesce(json_agg(x ORDER BY x.vote_id), '[]') FROM (
                        SELECT id AS vote_id, account_id, submission_id
                          FROM vs WHERE NOT voided AND voter_org = case_org
                         ORDER BY id LIMIT 100) x),
        'bursts', (SELECT coalesce(json_agg(x ORDER BY x.changes DESC, x.minute), '[]') FROM (
                        SELECT date_trunc('minute', k.changed_at) AS minute,
                               count(*) AS changes, count(DISTINCT k.account_id) AS accounts
                          FROM vote_changes k JOIN award_categories g ON g.id = k.category_id
                         WHERE g.cycle_id = p_cycle
                         GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 20) x))
      INTO v;
    RETURN v;
END;
$$;

-- Voids vote p_vote (staff p_by, with a reason) until the cycle's results
-- are published (cycle_published). The row stays, flagged; the voter
-- cannot change it any more. vote_row_not_found without the vote.
-- Returns whether it was voided now (false: it already was).
CREATE FUNCTION convene_vote_void(p_vote bigint, p_by bigint, p_reason text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    c award_cycles;
    v votes;
BEGIN
    SELECT x.* INTO v FROM votes x WHERE x.id = p_vote;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'vote_row_not_found';
    END IF;
    SELECT x.* INTO c FROM award_cycles x WHERE x.id = v.cycle_id FOR SHARE;
    SELECT x.* INTO v FROM votes x WHERE x.id = p_vote FOR UPDATE;
    IF c.published_at IS NOT NULL THEN
        RAISE EXCEPTION 'cycle_published';
    END IF;
    IF v.voided_at IS NOT NULL THEN
        RETURN false;
    END IF;
    UPDATE votes SET voided_at = now(), voided_reason = p_reason, voided_by = p_by
     WHERE id = p_vote;
    RETURN true;
END;
$$;

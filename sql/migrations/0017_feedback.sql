-- 0017_feedback.sql - evaluation forms after an activity.
--
-- Staff attach one form to an activity: ordered questions of the
-- registration kinds (text, single_choice, multiple_choice, yes_no) plus
-- a 1-5 rating, each required or optional. The form is open from the
-- activity's end (convene_activity_ends_at) until the closing time staff
-- set, and can be edited until the first answer arrives.
--
-- Who may answer: accounts whose registration is 'attended'. Each answers
-- once: feedback_respondents (form, account) is the only record that an
-- account has answered, and its primary key makes a second answer
-- impossible.
--
-- Anonymity. feedback_responses holds the answers and nothing that could
-- lead back to a person: no account column, no time at all, random UUID
-- keys (no serial that counts in step with feedback_respondents). The
-- system columns would still tell (xmin is the writing transaction, ctid
-- the insertion order), so every anonymous answer rewrites the form's
-- responses: they are deleted and inserted again with new random ids in a
-- random order, in the answer's transaction. Afterwards every live
-- response of the form carries the same xmin and sits in a random place;
-- joining on xmin or on order to feedback_respondents matches no one. (The
-- dead row versions stay on disk until VACUUM, readable only with
-- superuser tools such as pageinspect; see README "Feedback forms".)
-- For forms that are not anonymous, feedback_response_authors links a
-- response to its account and time.
--
-- Invitations: one mail per attended participant and form, ever:
-- feedback_invitations (form, account) is written together with the
-- outbox row by convene_feedback_invite, and its key makes a second send
-- skip everyone already invited.

CREATE TABLE feedback_forms (
    id           bigserial PRIMARY KEY,
    activity_id  bigint NOT NULL UNIQUE REFERENCES activities (id) ON DELETE CASCADE,
    title        text NOT NULL DEFAULT 'Evaluation'
                 CHECK (length(title) BETWEEN 1 AND 200 AND title !~ '[[:cntrl:]]'),
    intro        text CHECK (length(intro) <= 2000),
    anonymous    boolean NOT NULL DEFAULT true,
    closes_at    timestamptz NOT NULL,
    -- Bumped by every edit: an answer checked against one version of the
    -- questions is refused when the form changed meanwhile.
    version      integer NOT NULL DEFAULT 1,
    created_by   bigint REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER feedback_forms_updated BEFORE UPDATE ON feedback_forms
    FOR EACH ROW EXECUTE FUNCTION convene_touch_updated_at();

CREATE TABLE feedback_questions (
    id          bigserial PRIMARY KEY,
    form_id     bigint NOT NULL REFERENCES feedback_forms (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('text', 'single_choice', 'multiple_choice',
                                              'yes_no', 'rating')),
    label       text NOT NULL CHECK (length(label) BETWEEN 1 AND 500),
    required    boolean NOT NULL DEFAULT false,
    choices     jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(choices) = 'array'),
    max_length  integer NOT NULL DEFAULT 2000 CHECK (max_length BETWEEN 1 AND 10000)
);
CREATE INDEX feedback_questions_form ON feedback_questions (form_id, position);

-- That an account has answered a form: nothing else (no time, no link).
CREATE TABLE feedback_respondents (
    form_id     bigint NOT NULL REFERENCES feedback_forms (id) ON DELETE CASCADE,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (form_id, account_id)
);

-- The answers: keyed by question id ({"12": 4, "13": "text", ...}).
CREATE TABLE feedback_responses (
    id       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    form_id  bigint NOT NULL REFERENCES feedback_forms (id) ON DELETE CASCADE,
    answers  jsonb NOT NULL CHECK (jsonb_typeof(answers) = 'object')
);
CREATE INDEX feedback_responses_form ON feedback_responses (form_id);

-- Forms that are not anonymous: who wrote a response, and when.
CREATE TABLE feedback_response_authors (
    response_id  uuid PRIMARY KEY REFERENCES feedback_responses (id) ON DELETE CASCADE,
    account_id   bigint REFERENCES accounts (id) ON DELETE SET NULL,
    answered_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE feedback_invitations (
    form_id     bigint NOT NULL REFERENCES feedback_forms (id) ON DELETE CASCADE,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sent_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (form_id, account_id)
);

-- not_open before the activity has ended (or when it has no end),
-- closed from closes_at on, else open.
CREATE FUNCTION convene_feedback_state(f feedback_forms, a activities, p_now timestamptz)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN convene_activity_ends_at(a) IS NULL OR convene_activity_ends_at(a) > p_now
            THEN 'not_open'
        WHEN f.closes_at <= p_now THEN 'closed'
        ELSE 'open' END
$$;

-- Creates or replaces the form of p_activity with p_questions (a JSON
-- array already checked in C: kind, label, required, choices, max_length)
-- and returns its id. Refuses: activity_not_found, feedback_form_locked
-- (someone has answered), feedback_closes_before_end (closes_at not after
-- the activity's end, or the activity has no end).
CREATE FUNCTION convene_feedback_form_put(p_activity bigint, p_title text, p_intro text,
                                          p_anonymous boolean, p_closes_at timestamptz,
                                          p_questions jsonb, p_by bigint)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    a activities%ROWTYPE;
    v_form bigint;
    v_end timestamptz;
BEGIN
    SELECT * INTO a FROM activities WHERE id = p_activity FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'activity_not_found';
    END IF;
    v_end := convene_activity_ends_at(a);
    IF v_end IS NULL OR p_closes_at <= v_end THEN
        RAISE EXCEPTION 'feedback_closes_before_end';
    END IF;
    SELECT id INTO v_form FROM feedback_forms WHERE activity_id = p_activity FOR UPDATE;
    IF FOUND THEN
        IF EXISTS (SELECT 1 FROM feedback_respondents WHERE form_id = v_form) THEN
            RAISE EXCEPTION 'feedback_form_locked';
        END IF;
        UPDATE feedback_forms SET title = p_title, intro = p_intro, anonymous = p_anonymous,
               closes_at = p_closes_at, version = version + 1
         WHERE id = v_form;
        DELETE FROM feedback_questions WHERE form_id = v_form;
    ELSE
        INSERT INTO feedback_forms (activity_id, title, intro, anonymous, closes_at, created_by)
        VALUES (p_activity, p_title, p_intro, p_anonymous, p_closes_at, p_by)
        RETURNING id INTO v_form;
    END IF;
    INSERT INTO feedback_questions (form_id, position, kind, label, required, choices, max_length)
    SELECT v_form, q.ord, q.v->>'kind', q.v->>'label', coalesce((q.v->>'required')::boolean, false),
           coalesce(nullif(q.v->'choices', 'null'::jsonb), '[]'::jsonb),
           coalesce((q.v->>'max_length')::int, 2000)
      FROM jsonb_array_elements(p_questions) WITH ORDINALITY AS q (v, ord);
    RETURN v_form;
END;
$$;

-- Records p_account's answers to the form of p_activity (checked in C
-- against version p_version of its questions). Refuses: feedback_not_found,
-- feedback_form_changed, feedback_not_open, feedback_closed, not_attended,
-- feedback_answered. For an anonymous form the responses are rewritten
-- (see the top of this file).
CREATE FUNCTION convene_feedback_answer(p_activity bigint, p_account bigint, p_version integer,
                                        p_answers jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    f feedback_forms%ROWTYPE;
    a activities%ROWTYPE;
    v_state text;
    v_id uuid;
BEGIN
    -- The form's row lock orders answers to one form (and edits) one after
    -- the other, so the rewrite below never races another answer.
    SELECT * INTO f FROM feedback_forms WHERE activity_id = p_activity FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'feedback_not_found';
    END IF;
    SELECT * INTO a FROM activities WHERE id = p_activity;
    IF NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.activity_id = p_activity
                     AND e.account_id = p_account AND e.status = 'attended') THEN
        RAISE EXCEPTION 'not_attended';
    END IF;
    v_state := convene_feedback_state(f, a, now());
    IF v_state = 'not_open' THEN
        RAISE EXCEPTION 'feedback_not_open';
    ELSIF v_state = 'closed' THEN
        RAISE EXCEPTION 'feedback_closed';
    END IF;
    IF f.version <> p_version THEN
        RAISE EXCEPTION 'feedback_form_changed';
    END IF;
    INSERT INTO feedback_respondents (form_id, account_id) VALUES (f.id, p_account)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'feedback_answered';
    END IF;
    INSERT INTO feedback_responses (form_id, answers) VALUES (f.id, p_answers)
    RETURNING id INTO v_id;
    IF f.anonymous THEN
        WITH old AS (DELETE FROM feedback_responses WHERE form_id = f.id RETURNING answers)
        INSERT INTO feedback_responses (id, form_id, answers)
        SELECT gen_random_uuid(), f.id, old.answers FROM old ORDER BY random();
    ELSE
        INSERT INTO feedback_response_authors (response_id, account_id) VALUES (v_id, p_account);
    END IF;
END;
$$;

-- Queues one invitation to every attended participant of p_activity's
-- form who has none yet (and is not disabled) and returns how many were
-- queued now (sent) and in all (invited). Refuses: feedback_not_found, feedback_not_open,
-- feedback_closed.
CREATE FUNCTION convene_feedback_invite(p_activity bigint, p_base_url text)
RETURNS TABLE (sent integer, invited integer)
LANGUAGE plpgsql AS $$
DECLARE
    f feedback_forms%ROWTYPE;
    a activities%ROWTYPE;
    v_state text;
    n integer;
BEGIN
    SELECT * INTO f FROM feedback_forms WHERE activity_id = p_activity FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'feedback_not_found';
    END IF;
    SELECT * INTO a FROM activities WHERE id = p_activity;
    v_state := convene_feedback_state(f, a, now());
    IF v_state = 'not_open' THEN
        RAISE EXCEPTION 'feedback_not_open';
    ELSIF v_state = 'closed' THEN
        RAISE EXCEPTION 'feedback_closed';
    END IF;
    WITH fresh AS (
        INSERT INTO feedback_invitations (form_id, account_id)
        SELECT f.id, e.account_id
          FROM enrollments e JOIN accounts acc ON acc.id = e.account_id
         WHERE e.activity_id = p_activity AND e.status = 'attended' AND acc.disabled_at IS NULL
        ON CONFLICT DO NOTHING
        RETURNING account_id),
    queued AS (
        INSERT INTO mail_outbox (template, locale, to_address, to_name, vars)
        SELECT 'feedback_invitation', acc.locale, acc.email, acc.name,
               jsonb_build_object('name', acc.name, 'activity_title', a.title,
                                  'form_title', f.title,
                                  -- "Friday 15 December 2023, 23:59 Bangkok time (UTC+7)"
                                  'closes_on', to_char(f.closes_at AT TIME ZONE a.timezone,
                                                       'FMDay FMDD FMMonth YYYY, HH24:MI')
                                               || ' ' || convene_zone_label(a.timezone,
                                                         f.closes_at AT TIME ZONE a.timezone),
                                  'anonymity_note',
                                  CASE WHEN f.anonymous
                                       THEN 'Your answers are anonymous: they are stored '
                                            || 'without any link to your account.'
                                       ELSE 'Your answers are stored with your name.' END,
                                  'link', p_base_url || '/feedback/answer.html?activity='
                                          || a.id)
          FROM fresh JOIN accounts acc ON acc.id = fresh.account_id
        RETURNING 1)
    SELECT count(*) INTO n FROM queued;
    RETURN QUERY SELECT n, (SELECT count(*)::int FROM feedback_invitations i
                             WHERE i.form_id = f.id);
END;
$$;

-- One CSV cell for the answer to question p_question (of kind p_kind) in
-- p_answers: texts neutralised by convene_csv_safe, several choices joined
-- with "; ", yes/no spelled out, ratings as numbers.
CREATE FUNCTION convene_feedback_cell(p_answers jsonb, p_question bigint, p_kind text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p_answers -> p_question::text IS NULL THEN NULL
        WHEN p_kind = 'multiple_choice' THEN
            convene_csv_safe((SELECT string_agg(x, '; ')
                                FROM jsonb_array_elements_text(p_answers -> p_question::text) x))
        WHEN p_kind = 'yes_no' THEN
            CASE WHEN (p_answers -> p_question::text) = 'true'::jsonb THEN 'yes' ELSE 'no' END
        ELSE convene_csv_safe(p_answers ->> p_question::text) END
$$;

-- 0003_activities: the activity calendar, registration questions and
-- enrolments, with the functions that keep capacity, per-organisation
-- limits and waiting lists exact under any concurrency, and queue the
-- matching emails in the same transaction.

CREATE TABLE activities (
    id                      bigserial PRIMARY KEY,
    slug                    text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    kind                    text NOT NULL CHECK (kind IN (
                                'online_course', 'masterclass', 'training_programme',
                                'benchmarking_programme', 'workshop', 'study_visit', 'meeting',
                                'forum', 'congress', 'conference', 'committee_meeting',
                                'awards_ceremony', 'service')),
    section                 text NOT NULL DEFAULT 'citynet'
                            CHECK (section IN ('citynet', 'partner')),
    title                   text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    summary                 text CHECK (length(summary) <= 1000),
    description             text CHECK (length(description) <= 20000),
    host_organisation_id    bigint REFERENCES organisations (id),
    programme               text CHECK (length(programme) <= 200),
    city                    text CHECK (length(city) <= 200),
    country                 text CHECK (length(country) <= 100),
    online                  boolean NOT NULL DEFAULT false,
    timezone                text NOT NULL DEFAULT 'Asia/Seoul',
    date_label              text CHECK (length(date_label) <= 100),
    starts_on               date,
    ends_on                 date,
    start_time              time,
    end_time                time,
    -- The period the dates or the label cover, for filtering fuzzy dates.
    period_start            date,
    period_end              date,
    capacity                integer CHECK (capacity > 0),
    per_org_limit           integer CHECK (per_org_limit > 0),
    registration_opens_at   timestamptz,
    registration_closes_at  timestamptz,
    mode                    text NOT NULL CHECK (mode IN ('open', 'approval', 'invitation',
                                                          'external')),
    external_url            text CHECK (external_url ~ '^https?://'),
    status                  text NOT NULL DEFAULT 'draft'
                            CHECK (status IN ('draft', 'published', 'cancelled')),
    -- Seats taken (confirmed + attended) and the waiting-list counter,
    -- changed only under the row lock taken by the functions below.
    confirmed_count         integer NOT NULL DEFAULT 0 CHECK (confirmed_count >= 0),
    waitlist_counter        bigint NOT NULL DEFAULT 0,
    created_by              bigint REFERENCES accounts (id) ON DELETE SET NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on),
    CHECK (period_end IS NULL OR period_start IS NULL OR period_end >= period_start),
    CHECK (registration_closes_at IS NULL OR registration_opens_at IS NULL
           OR registration_closes_at > registration_opens_at)
);
CREATE TRIGGER activities_updated BEFORE UPDATE ON activities
    FOR EACH ROW EXECUTE FUNCTION convene_touch_updated_at();
CREATE INDEX activities_period ON activities (period_start, period_end) WHERE status <> 'draft';

CREATE TABLE activity_questions (
    id           bigserial PRIMARY KEY,
    activity_id  bigint NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('text', 'single_choice', 'multiple_choice',
                                               'yes_no')),
    label        text NOT NULL CHECK (length(label) BETWEEN 1 AND 500),
    required     boolean NOT NULL DEFAULT false,
    choices      jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(choices) = 'array'),
    max_length   integer NOT NULL DEFAULT 1000 CHECK (max_length BETWEEN 1 AND 10000)
);
CREATE INDEX activity_questions_activity ON activity_questions (activity_id, position);

CREATE TABLE enrollments (
    id               bigserial PRIMARY KEY,
    activity_id      bigint NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    account_id       bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    organisation_id  bigint REFERENCES organisations (id),
    status           text NOT NULL CHECK (status IN ('pending_approval', 'confirmed',
                                                     'waitlisted', 'cancelled', 'rejected',
                                                     'attended')),
    waitlist_seq     bigint,
    answers          jsonb NOT NULL DEFAULT '{}',
    registered_by    bigint REFERENCES accounts (id) ON DELETE SET NULL,
    decided_by       bigint REFERENCES accounts (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (activity_id, account_id),
    CHECK ((status = 'waitlisted') = (waitlist_seq IS NOT NULL))
);
CREATE TRIGGER enrollments_updated BEFORE UPDATE ON enrollments
    FOR EACH ROW EXECUTE FUNCTION convene_touch_updated_at();
CREATE INDEX enrollments_activity_status ON enrollments (activity_id, status, waitlist_seq);
CREATE INDEX enrollments_account ON enrollments (account_id);
CREATE INDEX enrollments_org ON enrollments (activity_id, organisation_id, status);

-- Any change to the calendar tells every node to drop its cached lists.
CREATE FUNCTION activities_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('activities_changed', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER activities_changed AFTER INSERT OR UPDATE OR DELETE ON activities
    FOR EACH STATEMENT EXECUTE FUNCTION activities_notify();
CREATE TRIGGER activity_questions_changed AFTER INSERT OR UPDATE OR DELETE ON activity_questions
    FOR EACH STATEMENT EXECUTE FUNCTION activities_notify();

-- ---- Mail for enrolments ----

-- Queues the email about enrolment e (template tmpl) with the activity's
-- calendar file attached when p_ics is given.
CREATE FUNCTION convene_enrollment_mail(p_enrollment bigint, p_tmpl text, p_ics text,
                                        p_base_url text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    SELECT e.id, e.status, a.id AS activity_id, a.title, a.slug,
           coalesce(a.date_label, to_char(a.starts_on, 'FMDD FMMonth YYYY'), 'dates to be announced') AS dates,
           CASE WHEN a.online THEN 'Online' ELSE concat_ws(', ', a.city, a.country) END AS place,
           acc.email, acc.name, acc.locale,
           (SELECT count(*) + 1 FROM enrollments w WHERE w.activity_id = e.activity_id
              AND w.status = 'waitlisted' AND w.waitlist_seq < e.waitlist_seq) AS position
      INTO r
      FROM enrollments e JOIN activities a ON a.id = e.activity_id
      JOIN accounts acc ON acc.id = e.account_id
     WHERE e.id = p_enrollment;
    INSERT INTO mail_outbox (template, locale, to_address, to_name, vars, attachments)
    VALUES (p_tmpl, r.locale, r.email, r.name,
            jsonb_build_object('name', r.name, 'activity_title', r.title,
                               'activity_dates', r.dates, 'activity_place', coalesce(nullif(r.place, ''), 'to be announced'),
                               'waitlist_position', r.position,
                               'link', p_base_url || '/activity.html?id=' || r.activity_id),
            CASE WHEN p_ics IS NULL THEN '[]'::jsonb
                 ELSE jsonb_build_array(jsonb_build_object(
                        'filename', r.slug || '.ics',
                        'content_type', 'text/calendar; charset=UTF-8; method=PUBLISH',
                        'data', p_ics)) END);
END;
$$;

-- Confirms the first waiting people while seats (and their organisation's
-- limit) allow. Caller holds the activity's row lock.
CREATE FUNCTION convene_promote_waitlist(p_activity bigint, p_ics text, p_base_url text)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    a activities%ROWTYPE;
    w record;
    promoted integer := 0;
BEGIN
    SELECT * INTO a FROM activities WHERE id = p_activity;
    IF a.status <> 'published' THEN
        RETURN 0;
    END IF;
    FOR w IN SELECT e.id, e.organisation_id FROM enrollments e
              WHERE e.activity_id = p_activity AND e.status = 'waitlisted'
              ORDER BY e.waitlist_seq LOOP
        EXIT WHEN a.capacity IS NOT NULL AND a.confirmed_count >= a.capacity;
        CONTINUE WHEN a.per_org_limit IS NOT NULL AND w.organisation_id IS NOT NULL
            AND (SELECT count(*) FROM enrollments x WHERE x.activity_id = p_activity
                   AND x.organisation_id = w.organisation_id
                   AND x.status IN ('confirmed', 'attended')) >= a.per_org_limit;
        UPDATE enrollments SET status = 'confirmed', waitlist_seq = NULL WHERE id = w.id;
        a.confirmed_count := a.confirmed_count + 1;
        UPDATE activities SET confirmed_count = a.confirmed_count WHERE id = p_activity;
        PERFORM convene_enrollment_mail(w.id, 'enrollment_promoted', p_ics, p_base_url);
        promoted := promoted + 1;
    END LOOP;
    RETURN promoted;
END;
$$;

-- Enrols p_account in p_activity (by p_by: the account itself, or staff on
-- its behalf). One call, one transaction: decides confirmed / waitlisted /
-- pending approval under the activity's row lock and queues the email.
-- Errors are raised with SQLSTATE P0001 and a code as the message.
CREATE FUNCTION convene_enroll(p_activity bigint, p_account bigint, p_answers jsonb,
                               p_by bigint, p_ics text, p_base_url text)
RETURNS TABLE (enrollment_id bigint, status text, waitlist_position bigint, created boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    a activities%ROWTYPE;
    e enrollments%ROWTYPE;
    v_org bigint;
    v_status text;
    v_seq bigint;
    v_staff boolean := p_by IS NOT NULL AND p_by <> p_account;
    v_org_taken bigint;
BEGIN
    SELECT * INTO a FROM activities WHERE id = p_activity FOR UPDATE;
    IF NOT FOUND OR (a.status = 'draft' AND NOT v_staff) THEN
        RAISE EXCEPTION 'activity_not_found';
    END IF;
    IF a.status = 'cancelled' THEN
        RAISE EXCEPTION 'activity_cancelled';
    END IF;
    IF a.mode = 'external' THEN
        RAISE EXCEPTION 'registration_external';
    END IF;
    IF a.mode = 'invitation' AND NOT v_staff THEN
        RAISE EXCEPTION 'invitation_only';
    END IF;
    IF NOT v_staff AND (a.registration_opens_at > now() OR a.registration_closes_at <= now()) THEN
        RAISE EXCEPTION 'registration_closed';
    END IF;

    SELECT * INTO e FROM enrollments x WHERE x.activity_id = p_activity AND x.account_id = p_account;
    IF FOUND AND e.status NOT IN ('cancelled') THEN
        RETURN QUERY SELECT e.id, e.status,
            CASE WHEN e.status = 'waitlisted' THEN (SELECT count(*) + 1 FROM enrollments w
                WHERE w.activity_id = p_activity AND w.status = 'waitlisted'
                  AND w.waitlist_seq < e.waitlist_seq) END,
            false;
        RETURN;
    END IF;

    SELECT organisation_id INTO v_org FROM accounts WHERE id = p_account;
    SELECT count(*) INTO v_org_taken FROM enrollments x
     WHERE x.activity_id = p_activity AND x.organisation_id = v_org
       AND x.status IN ('confirmed', 'attended');
    IF a.mode = 'approval' AND NOT v_staff THEN
        v_status := 'pending_approval';
    ELSIF (a.capacity IS NULL OR a.confirmed_count < a.capacity)
          AND (a.per_org_limit IS NULL OR v_org IS NULL OR v_org_taken < a.per_org_limit)
          -- Nobody jumps the queue: with people waiting, newcomers wait too.
          AND NOT EXISTS (SELECT 1 FROM enrollments w WHERE w.activity_id = p_activity
                            AND w.status = 'waitlisted') THEN
        v_status := 'confirmed';
    ELSE
        v_status := 'waitlisted';
        v_seq := a.waitlist_counter + 1;
    END IF;

    UPDATE activities SET
        confirmed_count = confirmed_count + CASE WHEN v_status = 'confirmed' THEN 1 ELSE 0 END,
        waitlist_counter = coalesce(v_seq, waitlist_counter)
     WHERE id = p_activity;

    IF e.id IS NOT NULL THEN
        UPDATE enrollments SET status = v_status, waitlist_seq = v_seq, answers = p_answers,
               organisation_id = v_org, registered_by = p_by, decided_by = NULL,
               created_at = now()
         WHERE id = e.id;
    ELSE
        INSERT INTO enrollments (activity_id, account_id, organisation_id, status, waitlist_seq,
                                 answers, registered_by)
        VALUES (p_activity, p_account, v_org, v_status, v_seq, p_answers, p_by)
        RETURNING id INTO e.id;
    END IF;

    PERFORM convene_enrollment_mail(e.id,
        CASE v_status WHEN 'confirmed' THEN 'enrollment_confirmed'
                      WHEN 'waitlisted' THEN 'enrollment_waitlisted'
                      ELSE 'enrollment_pending' END,
        CASE WHEN v_status = 'confirmed' THEN p_ics END, p_base_url);

    RETURN QUERY SELECT e.id, v_status,
        CASE WHEN v_status = 'waitlisted' THEN (SELECT count(*) FROM enrollments w
            WHERE w.activity_id = p_activity AND w.status = 'waitlisted'
              AND w.waitlist_seq <= v_seq) END,
        true;
END;
$$;

-- Moves enrolment p_enrollment by a participant's or staff's action:
--   cancel (the participant or staff), approve, reject, promote (waiting ->
--   confirmed, staff may exceed capacity), waitlist (back to the end of the
--   waiting list), attended. Frees seats are offered to the waiting list.
-- Returns the new status. Errors: P0001 with a code.
CREATE FUNCTION convene_enrollment_action(p_enrollment bigint, p_action text, p_by bigint,
                                          p_ics text, p_base_url text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    e enrollments%ROWTYPE;
    a activities%ROWTYPE;
    v_new text;
    v_held boolean;
    v_mail text;
BEGIN
    SELECT * INTO e FROM enrollments WHERE id = p_enrollment;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'enrollment_not_found';
    END IF;
    SELECT * INTO a FROM activities WHERE id = e.activity_id FOR UPDATE;
    SELECT * INTO e FROM enrollments WHERE id = p_enrollment; -- again, under the lock
    v_held := e.status IN ('confirmed', 'attended');

    v_new := CASE p_action
        WHEN 'cancel' THEN CASE WHEN e.status IN ('confirmed', 'waitlisted', 'pending_approval')
                                THEN 'cancelled' END
        WHEN 'approve' THEN CASE WHEN e.status = 'pending_approval' THEN
                                CASE WHEN a.capacity IS NULL OR a.confirmed_count < a.capacity
                                     THEN 'confirmed' ELSE 'waitlisted' END END
        WHEN 'reject' THEN CASE WHEN e.status IN ('pending_approval', 'waitlisted', 'confirmed')
                               THEN 'rejected' END
        WHEN 'promote' THEN CASE WHEN e.status = 'waitlisted' THEN 'confirmed' END
        WHEN 'waitlist' THEN CASE WHEN e.status IN ('confirmed', 'pending_approval')
                                 THEN 'waitlisted' END
        WHEN 'attended' THEN CASE WHEN e.status = 'confirmed' THEN 'attended' END
        ELSE NULL END;
    IF v_new IS NULL THEN
        RAISE EXCEPTION 'invalid_transition';
    END IF;

    IF v_new = 'waitlisted' THEN
        UPDATE activities SET waitlist_counter = waitlist_counter + 1 WHERE id = a.id
            RETURNING waitlist_counter INTO a.waitlist_counter;
    END IF;
    UPDATE enrollments SET status = v_new,
           waitlist_seq = CASE WHEN v_new = 'waitlisted' THEN a.waitlist_counter END,
           decided_by = CASE WHEN p_action = 'cancel' THEN decided_by ELSE p_by END
     WHERE id = e.id;
    UPDATE activities SET confirmed_count = confirmed_count
        - CASE WHEN v_held AND v_new NOT IN ('confirmed', 'attended') THEN 1 ELSE 0 END
        + CASE WHEN NOT v_held AND v_new IN ('confirmed', 'attended') THEN 1 ELSE 0 END
     WHERE id = a.id;

    v_mail := CASE
        WHEN p_action = 'approve' AND v_new = 'confirmed' THEN 'enrollment_approved'
        WHEN p_action = 'approve' THEN 'enrollment_waitlisted'
        WHEN p_action = 'promote' THEN 'enrollment_promoted'
        WHEN p_action = 'reject' THEN 'enrollment_rejected'
        WHEN p_action = 'waitlist' THEN 'enrollment_waitlisted'
        ELSE NULL END;
    IF v_mail IS NOT NULL THEN
        PERFORM convene_enrollment_mail(e.id, v_mail,
            CASE WHEN v_new = 'confirmed' THEN p_ics END, p_base_url);
    END IF;
    IF v_held AND v_new NOT IN ('confirmed', 'attended') THEN
        PERFORM convene_promote_waitlist(a.id, p_ics, p_base_url);
    END IF;
    RETURN v_new;
END;
$$;

-- Cancels a published activity and tells everyone registered.
CREATE FUNCTION convene_activity_cancel(p_activity bigint, p_base_url text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    told integer := 0;
    e record;
BEGIN
    UPDATE activities SET status = 'cancelled' WHERE id = p_activity AND status = 'published';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invalid_transition';
    END IF;
    FOR e IN SELECT id FROM enrollments WHERE activity_id = p_activity
               AND status IN ('confirmed', 'waitlisted', 'pending_approval') LOOP
        PERFORM convene_enrollment_mail(e.id, 'activity_cancelled', NULL, p_base_url);
        told := told + 1;
    END LOOP;
    RETURN told;
END;
$$;

-- One JSON item per activity, as lists and pages show it.
CREATE VIEW activity_items AS
SELECT a.id, a.status, a.kind, a.section, a.city, a.country, a.online, a.programme,
       a.title, a.summary, a.description, o.name AS host_name,
       coalesce(a.period_start, a.starts_on) AS sort_start,
       coalesce(a.period_end, a.ends_on, a.starts_on) AS sort_end,
       jsonb_build_object(
           'id', a.id, 'slug', a.slug, 'kind', a.kind, 'section', a.section,
           'title', a.title, 'summary', a.summary,
           'host', CASE WHEN o.id IS NULL THEN NULL
                        ELSE jsonb_build_object('id', o.id, 'name', o.name) END,
           'programme', a.programme, 'city', a.city, 'country', a.country,
           'online', a.online, 'timezone', a.timezone, 'date_label', a.date_label,
           'starts_on', a.starts_on, 'ends_on', a.ends_on,
           'start_time', to_char(a.start_time, 'HH24:MI'),
           'end_time', to_char(a.end_time, 'HH24:MI'),
           'period_start', a.period_start, 'period_end', a.period_end,
           'capacity', a.capacity,
           'seats_left', CASE WHEN a.capacity IS NULL THEN NULL
                              ELSE greatest(a.capacity - a.confirmed_count, 0) END,
           'per_org_limit', a.per_org_limit, 'mode', a.mode, 'status', a.status,
           'external_url', a.external_url,
           'registration_opens_at', a.registration_opens_at,
           'registration_closes_at', a.registration_closes_at) AS item
  FROM activities a LEFT JOIN organisations o ON o.id = a.host_organisation_id;

-- Turns a text into a CSV cell a spreadsheet will not run as a formula.
CREATE FUNCTION convene_csv_safe(s text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN left(s, 1) IN ('=', '+', '-', '@', E'\t', E'\r') THEN '''' || s ELSE s END
$$;

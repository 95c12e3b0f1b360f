-- 0013_calendar_time: registration closes when an activity starts, and
-- every activity says whether one can register now (its availability).
--
-- Until now an activity without a staff closing time took registrations
-- for ever: a workshop of 29 August 2023 still said "Open registration" in
-- 2026 and enrolling succeeded. The rules, in one place (these functions):
--
--   starts_at  the first day at its start time (midnight when untimed) in
--              the activity's zone; NULL without exact dates.
--   ends_at    the moment after the last day's end time (the end of the
--              last day when untimed); for fuzzy dates the end of the
--              period; NULL when neither is known (a rolling course).
--   closes_at  the staff closing time when set (it may be after the start,
--              e.g. a rolling online course), else starts_at.
--
-- convene_enroll refuses an enrolment at or after closes_at (and before
-- the opening time) with registration_closed, as before for the staff
-- window; staff registering someone on their behalf are not held by it.
--
-- availability, computed for the calendar item (activity_items.item):
--   cancelled, ended, closed, not_yet_open, external, invitation,
--   waiting_list (no seat left), approval, few_seats, open.
--
-- Also: a calendar feed token that is revoked or replaced is remembered
-- (as a SHA-256 digest) so the feed answers 410 Gone, not an empty
-- calendar or an unknown-token 404.

CREATE FUNCTION convene_activity_starts_at(a activities) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN a.starts_on IS NULL THEN NULL
                ELSE (a.starts_on + coalesce(a.start_time, '00:00'::time)) AT TIME ZONE a.timezone
           END
$$;

CREATE FUNCTION convene_activity_ends_at(a activities) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN a.starts_on IS NOT NULL THEN
            (coalesce(a.ends_on, a.starts_on)
             + coalesce(a.end_time, CASE WHEN a.ends_on IS NULL THEN a.start_time END,
                        '24:00'::time)) AT TIME ZONE a.timezone
        WHEN a.period_end IS NOT NULL THEN
            (a.period_end + '24:00'::time) AT TIME ZONE a.timezone
        END
$$;

CREATE FUNCTION convene_registration_closes_at(a activities) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT coalesce(a.registration_closes_at, convene_activity_starts_at(a))
$$;

-- True while the registration window of a is open at p_now: from the
-- opening time (when set) until closes_at (see the top).
CREATE FUNCTION convene_registration_window_open(a activities, p_now timestamptz)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(a.registration_opens_at <= p_now, true)
       AND coalesce(convene_registration_closes_at(a) > p_now, true)
$$;

-- Whether one can register for activity a at time p_now (see the top).
CREATE FUNCTION convene_activity_availability(a activities, p_now timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN a.status = 'cancelled' THEN 'cancelled'
        WHEN convene_activity_ends_at(a) <= p_now THEN 'ended'
        WHEN a.mode = 'external' THEN 'external'
        WHEN convene_registration_closes_at(a) <= p_now THEN 'closed'
        WHEN a.status = 'draft' THEN 'closed'
        WHEN a.registration_opens_at > p_now THEN 'not_yet_open'
        WHEN a.mode = 'invitation' THEN 'invitation'
        WHEN a.capacity IS NOT NULL AND a.confirmed_count >= a.capacity THEN 'waiting_list'
        WHEN a.mode = 'approval' THEN 'approval'
        WHEN a.capacity IS NOT NULL
             AND a.capacity - a.confirmed_count <= greatest(3, ceil(a.capacity * 0.1)::int)
            THEN 'few_seats'
        ELSE 'open'
        END
$$;

-- The calendar item gains availability and the effective closing time
-- (registration_closes_at stays what staff set); the view gains ends_at
-- for the upcoming and past lists.
CREATE OR REPLACE VIEW activity_items AS
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
           'registration_closes_at', a.registration_closes_at)
       || jsonb_build_object(
           'registration_ends_at', convene_registration_closes_at(a),
           'ends_at', convene_activity_ends_at(a),
           'availability', convene_activity_availability(a, now())) AS item,
       convene_activity_ends_at(a) AS ends_at
  FROM activities a LEFT JOIN organisations o ON o.id = a.host_organisation_id;

CREATE OR REPLACE FUNCTION convene_enroll(p_activity bigint, p_account bigint, p_answers jsonb,
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
    -- The window: from the opening time (when set) until the staff closing
    -- time, or the start of the activity when staff set none.
    IF NOT v_staff AND NOT convene_registration_window_open(a, now()) THEN
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
    IF a.per_org_limit IS NOT NULL AND v_org IS NULL THEN
        RAISE EXCEPTION 'organisation_required';
    END IF;

    IF a.mode = 'approval' AND NOT v_staff THEN
        v_status := 'pending_approval';
    ELSE
        -- Seats free while an eligible person waits should not happen; if
        -- it did (an older version, a manual change), they go first.
        IF (a.capacity IS NULL OR a.confirmed_count < a.capacity)
           AND EXISTS (SELECT 1 FROM enrollments w WHERE w.activity_id = p_activity
                         AND w.status = 'waitlisted'
                         AND convene_org_has_room(p_activity, w.organisation_id,
                                                  a.per_org_limit)) THEN
            PERFORM convene_promote_waitlist(p_activity, p_ics, p_base_url);
            SELECT * INTO a FROM activities WHERE id = p_activity;
        END IF;
        IF (a.capacity IS NULL OR a.confirmed_count < a.capacity)
           AND convene_org_has_room(p_activity, v_org, a.per_org_limit) THEN
            v_status := 'confirmed';
        ELSE
            v_status := 'waitlisted';
            v_seq := a.waitlist_counter + 1;
        END IF;
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

-- Feed tokens that no longer work, by digest: revoked or replaced.
CREATE TABLE calendar_tokens_revoked (
    digest      bytea PRIMARY KEY,
    revoked_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION convene_calendar_token_revoked() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO calendar_tokens_revoked (digest)
    VALUES (sha256(convert_to(OLD.calendar_token, 'UTF8')))
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER accounts_calendar_token_revoked AFTER UPDATE OF calendar_token ON accounts
    FOR EACH ROW WHEN (OLD.calendar_token IS NOT NULL
                       AND OLD.calendar_token IS DISTINCT FROM NEW.calendar_token)
    EXECUTE FUNCTION convene_calendar_token_revoked();

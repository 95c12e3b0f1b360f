-- 0015_checkin.sql - check-in at the door: attendance recorded per day of
-- an activity, and the rule that turns days into the 'attended' status.
--
-- An activity's days are numbered from 1: day 1 is starts_on, the last is
-- ends_on (at most 366 days); an activity without dates has one day. The
-- activity may say how many days make "attended" (checkin_settings; none
-- or NULL: all of them). Marking or unmarking a day recomputes the
-- registration's status between 'confirmed' and 'attended' in the same
-- statement, under the activity's row lock like every other change of an
-- enrolment's status (convene_enrollment_action). Both statuses hold a
-- seat, so confirmed_count does not move. Only confirmed and attended
-- registrations can be checked in (checkin_not_confirmed, with the status
-- in the DETAIL).
--
-- A registration marked attended by the older whole-activity action
-- (POST /api/enrollments/{id}/attended) has no day rows; it keeps its
-- status until a day of it is marked or unmarked, from then on its days
-- decide.

CREATE TABLE checkin_settings (
    activity_id  bigint PRIMARY KEY REFERENCES activities (id) ON DELETE CASCADE,
    -- NULL: every day of the activity.
    days_needed  integer CHECK (days_needed BETWEEN 1 AND 366),
    updated_by   bigint REFERENCES accounts (id) ON DELETE SET NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE attendance (
    enrollment_id  bigint NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
    day            integer NOT NULL CHECK (day BETWEEN 1 AND 366),
    marked_by      bigint REFERENCES accounts (id) ON DELETE SET NULL,
    marked_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (enrollment_id, day)
);

-- The number of days of an activity running from p_starts to p_ends.
CREATE FUNCTION convene_activity_days(p_starts date, p_ends date) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_starts IS NULL THEN 1
                ELSE least(greatest(coalesce(p_ends, p_starts) - p_starts + 1, 1), 366) END
$$;

-- The days that make "attended" for p_activity of p_days days: its
-- setting, never more than the days it has (its dates may have shrunk).
CREATE FUNCTION convene_checkin_needed(p_activity bigint, p_days integer) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT least(coalesce((SELECT s.days_needed FROM checkin_settings s
                            WHERE s.activity_id = p_activity), p_days), p_days)
$$;

-- The counts at the top of the check-in page: registrations holding a seat
-- (expected), those whose status is attended, and per day (arrived[0] is
-- day 1) how many of the expected were marked.
CREATE FUNCTION convene_checkin_counts(p_activity bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    WITH a AS (SELECT x.id, convene_activity_days(x.starts_on, x.ends_on) AS n
                 FROM activities x WHERE x.id = p_activity),
         held AS (SELECT e.id, e.status FROM enrollments e
                   WHERE e.activity_id = p_activity AND e.status IN ('confirmed', 'attended'))
    SELECT json_build_object(
        'expected', (SELECT count(*) FROM held),
        'attended', (SELECT count(*) FROM held WHERE held.status = 'attended'),
        'arrived', (SELECT coalesce(json_agg((SELECT count(*) FROM attendance d
                                               JOIN held ON held.id = d.enrollment_id
                                              WHERE d.day = g) ORDER BY g), '[]')
                      FROM a, generate_series(1, a.n) g))
$$;

-- Sets the status of enrolment p_enrollment (confirmed or attended) from
-- its recorded days, for an activity of p_days days where p_needed make
-- attended. The caller holds the activity's row lock. Returns the status.
CREATE FUNCTION convene_checkin_recompute(p_enrollment bigint, p_days integer, p_needed integer,
                                          p_by bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_old text;
    v_new text;
BEGIN
    SELECT x.status INTO v_old FROM enrollments x WHERE x.id = p_enrollment;
    v_new := CASE WHEN (SELECT count(*) FROM attendance d
                         WHERE d.enrollment_id = p_enrollment AND d.day <= p_days) >= p_needed
                  THEN 'attended' ELSE 'confirmed' END;
    IF v_new <> v_old THEN
        -- confirmed and attended both hold a seat: confirmed_count stays.
        UPDATE enrollments x SET status = v_new, decided_by = p_by WHERE x.id = p_enrollment;
    END IF;
    RETURN v_new;
END;
$$;

-- Marks (p_present) or unmarks day p_day of enrolment p_enrollment and
-- recomputes its status. Answers one JSON object: {id, activity_id,
-- status, days (the marked days), changed (false when the day was already
-- so), counts (as convene_checkin_counts, after the change)}.
-- Refuses: enrollment_not_found, activity_cancelled, checkin_day_not_found,
-- checkin_not_confirmed (DETAIL {"status": ...}).
CREATE FUNCTION convene_checkin_mark(p_enrollment bigint, p_day integer, p_present boolean,
                                     p_by bigint) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    v_activity bigint;
    a activities%ROWTYPE;
    e enrollments%ROWTYPE;
    v_days integer;
    v_rows integer;
    v_status text;
BEGIN
    SELECT x.activity_id INTO v_activity FROM enrollments x WHERE x.id = p_enrollment;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'enrollment_not_found';
    END IF;
    SELECT * INTO a FROM activities x WHERE x.id = v_activity FOR UPDATE;
    SELECT * INTO e FROM enrollments x WHERE x.id = p_enrollment; -- again, under the lock
    IF a.status = 'cancelled' THEN
        RAISE EXCEPTION 'activity_cancelled';
    END IF;
    v_days := convene_activity_days(a.starts_on, a.ends_on);
    IF p_day < 1 OR p_day > v_days THEN
        RAISE EXCEPTION 'checkin_day_not_found'
            USING DETAIL = json_build_object('days', v_days)::text;
    END IF;
    IF e.status NOT IN ('confirmed', 'attended') THEN
        RAISE EXCEPTION 'checkin_not_confirmed'
            USING DETAIL = json_build_object('status', e.status)::text;
    END IF;
    IF p_present THEN
        INSERT INTO attendance (enrollment_id, day, marked_by) VALUES (e.id, p_day, p_by)
            ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM attendance d WHERE d.enrollment_id = e.id AND d.day = p_day;
    END IF;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    -- Nothing recorded or removed: nothing to recompute (a registration
    -- marked attended by the whole-activity action keeps its status).
    v_status := e.status;
    IF v_rows > 0 THEN
        v_status := convene_checkin_recompute(e.id, v_days,
                                              convene_checkin_needed(a.id, v_days), p_by);
    END IF;
    RETURN json_build_object(
        'id', e.id, 'activity_id', a.id, 'status', v_status,
        'days', (SELECT coalesce(json_agg(d.day ORDER BY d.day), '[]') FROM attendance d
                  WHERE d.enrollment_id = e.id AND d.day <= v_days),
        'changed', v_rows > 0,
        'counts', convene_checkin_counts(a.id));
END;
$$;

-- Sets how many days make "attended" for p_activity (NULL: all) and
-- recomputes the status of every confirmed or attended registration that
-- has days recorded. Answers {days_needed, days, needed, counts}.
-- Refuses: activity_not_found, checkin_days_needed_too_many.
CREATE FUNCTION convene_checkin_set_needed(p_activity bigint, p_days_needed integer, p_by bigint)
RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    a activities%ROWTYPE;
    v_days integer;
    v_needed integer;
BEGIN
    SELECT * INTO a FROM activities x WHERE x.id = p_activity FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'activity_not_found';
    END IF;
    v_days := convene_activity_days(a.starts_on, a.ends_on);
    IF p_days_needed > v_days THEN
        RAISE EXCEPTION 'checkin_days_needed_too_many';
    END IF;
    INSERT INTO checkin_settings (activity_id, days_needed, updated_by)
    VALUES (a.id, p_days_needed, p_by)
    ON CONFLICT (activity_id) DO UPDATE
        SET days_needed = excluded.days_needed, updated_by = excluded.updated_by,
            updated_at = now();
    v_needed := convene_checkin_needed(a.id, v_days);
    PERFORM convene_checkin_recompute(e.id, v_days, v_needed, p_by)
       FROM enrollments e
      WHERE e.activity_id = a.id AND e.status IN ('confirmed', 'attended')
        AND EXISTS (SELECT 1 FROM attendance d WHERE d.enrollment_id = e.id);
    RETURN json_build_object('days_needed', p_days_needed, 'days', v_days, 'needed', v_needed,
                             'counts', convene_checkin_counts(a.id));
END;
$$;

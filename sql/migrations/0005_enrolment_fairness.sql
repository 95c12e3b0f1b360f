-- 0005_enrolment_fairness: free seats go to the first ELIGIBLE person.
--
-- Until now one person held back by their organisation's limit blocked
-- everyone after them: with anyone on the waiting list every newcomer was
-- waitlisted, seats free or not. The rule now, kept under the activity's
-- row lock by every function below:
--
--   A seat is free and someone on the waiting list could take it (their
--   organisation is under its limit)  -- never true after a transaction.
--
-- So a newcomer is confirmed when a seat is free and their organisation is
-- under its limit; otherwise they wait. Whenever seats free up or limits
-- change, the waiting list is walked in order and each eligible person is
-- promoted, skipping those held back only by their organisation's limit.
--
-- Also: an account without an organisation cannot enrol in an activity with
-- a per-organisation limit (organisation_required), and staff approval and
-- promotion respect the limit unless staff explicitly override it
-- (organisation_limit_reached otherwise).

-- True when organisation p_org may take one more seat of p_activity under
-- limit p_limit (NULL: no limit). Without an organisation there is no room
-- under a limit: the limit could not be counted.
CREATE FUNCTION convene_org_has_room(p_activity bigint, p_org bigint, p_limit integer)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT p_limit IS NULL
        OR (p_org IS NOT NULL
            AND (SELECT count(*) FROM enrollments x
                  WHERE x.activity_id = p_activity AND x.organisation_id = p_org
                    AND x.status IN ('confirmed', 'attended')) < p_limit)
$$;

-- Confirms waiting people in waiting-list order while seats allow, skipping
-- those whose organisation is at its limit. Caller holds the activity's row
-- lock. Returns how many were promoted.
CREATE OR REPLACE FUNCTION convene_promote_waitlist(p_activity bigint, p_ics text, p_base_url text)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    a activities%ROWTYPE;
    v_id bigint;
    promoted integer := 0;
BEGIN
    SELECT * INTO a FROM activities WHERE id = p_activity;
    IF NOT FOUND OR a.status <> 'published' THEN
        RETURN 0;
    END IF;
    LOOP
        EXIT WHEN a.capacity IS NOT NULL AND a.confirmed_count >= a.capacity;
        SELECT e.id INTO v_id FROM enrollments e
         WHERE e.activity_id = p_activity AND e.status = 'waitlisted'
           AND convene_org_has_room(p_activity, e.organisation_id, a.per_org_limit)
         ORDER BY e.waitlist_seq
         LIMIT 1;
        EXIT WHEN NOT FOUND;
        UPDATE enrollments SET status = 'confirmed', waitlist_seq = NULL WHERE id = v_id;
        a.confirmed_count := a.confirmed_count + 1;
        UPDATE activities SET confirmed_count = a.confirmed_count WHERE id = p_activity;
        PERFORM convene_enrollment_mail(v_id, 'enrollment_promoted', p_ics, p_base_url);
        promoted := promoted + 1;
    END LOOP;
    RETURN promoted;
END;
$$;

-- Enrols p_account in p_activity (by p_by: the account itself, or staff on
-- its behalf). One call, one transaction: decides confirmed / waitlisted /
-- pending approval under the activity's row lock and queues the email.
-- Errors are raised with SQLSTATE P0001 and a code as the message.
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

-- The staff and participant actions gain p_override (staff approve or
-- promote past the organisation's limit) and tell whether it was used.
DROP FUNCTION convene_enrollment_action(bigint, text, bigint, text, text);

-- Moves enrolment p_enrollment by a participant's or staff's action:
--   cancel (the participant or staff); approve (pending -> confirmed when a
--   seat is free, else the end of the waiting list); reject; promote
--   (waiting -> confirmed, staff may exceed capacity); waitlist (back to the
--   end of the waiting list); attended. Approve and promote refuse a person
--   whose organisation is at its limit (organisation_limit_reached) or who
--   has none under a limit (organisation_required) unless p_override.
--   Freed seats go to the first eligible people waiting.
-- Returns the person's status after the action (a seat freed by 'waitlist'
-- may come straight back when nobody else can take it) and whether the
-- organisation's limit was exceeded by the override.
-- Errors: P0001 with a code.
CREATE FUNCTION convene_enrollment_action(p_enrollment bigint, p_action text, p_by bigint,
                                          p_override boolean, p_ics text, p_base_url text)
RETURNS TABLE (status text, over_limit boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    e enrollments%ROWTYPE;
    a activities%ROWTYPE;
    v_new text;
    v_held boolean;
    v_room boolean;
    v_over boolean := false;
    v_mail text;
BEGIN
    SELECT * INTO e FROM enrollments x WHERE x.id = p_enrollment;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'enrollment_not_found';
    END IF;
    SELECT * INTO a FROM activities x WHERE x.id = e.activity_id FOR UPDATE;
    SELECT * INTO e FROM enrollments x WHERE x.id = p_enrollment; -- again, under the lock
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

    IF p_action IN ('approve', 'promote') AND a.per_org_limit IS NOT NULL THEN
        v_room := convene_org_has_room(a.id, e.organisation_id, a.per_org_limit);
        IF NOT v_room AND NOT coalesce(p_override, false) THEN
            IF e.organisation_id IS NULL THEN
                RAISE EXCEPTION 'organisation_required';
            END IF;
            RAISE EXCEPTION 'organisation_limit_reached';
        END IF;
        v_over := NOT v_room AND v_new = 'confirmed';
    END IF;

    IF v_new = 'waitlisted' THEN
        UPDATE activities x SET waitlist_counter = x.waitlist_counter + 1 WHERE x.id = a.id
            RETURNING x.waitlist_counter INTO a.waitlist_counter;
    END IF;
    UPDATE enrollments x SET status = v_new,
           waitlist_seq = CASE WHEN v_new = 'waitlisted' THEN a.waitlist_counter END,
           decided_by = CASE WHEN p_action = 'cancel' THEN x.decided_by ELSE p_by END
     WHERE x.id = e.id;
    UPDATE activities x SET confirmed_count = x.confirmed_count
        - CASE WHEN v_held AND v_new NOT IN ('confirmed', 'attended') THEN 1 ELSE 0 END
        + CASE WHEN NOT v_held AND v_new IN ('confirmed', 'attended') THEN 1 ELSE 0 END
     WHERE x.id = a.id;

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
        SELECT x.status INTO v_new FROM enrollments x WHERE x.id = e.id;
    END IF;
    RETURN QUERY SELECT v_new, v_over;
END;
$$;

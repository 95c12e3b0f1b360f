-- 0008_enrolment_fixes: moving someone back to the waiting list never
-- hands them their own seat back.
--
-- Until now the 'waitlist' action queued an enrollment_waitlisted mail,
-- then gave the freed seat to the first eligible person waiting; when that
-- was the same person (nobody else could take it), they were confirmed
-- again and also mailed enrollment_promoted: two mails that contradict each
-- other, and a reply that said confirmed.
--
-- The rule now: 'waitlist' is refused with no_one_waiting, and nothing is
-- changed or mailed, when the person moved back would be the one to take
-- the seat (nobody ahead of them, or after them, is eligible). This covers
-- a pending registration moved to the list while a seat is free for it.
-- Otherwise the freed seat goes to the first eligible person (their
-- enrollment_promoted mail), and the person moved back gets one
-- enrollment_waitlisted mail, queued after the outcome is known.

CREATE OR REPLACE FUNCTION convene_enrollment_action(p_enrollment bigint, p_action text,
                                                     p_by bigint, p_override boolean,
                                                     p_ics text, p_base_url text)
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

    -- Freed seats go to the first eligible people waiting. After a move
    -- back to the list, that must not be the person just moved: the whole
    -- action is undone (the exception rolls the statement back).
    IF (v_held AND v_new NOT IN ('confirmed', 'attended')) OR p_action = 'waitlist' THEN
        PERFORM convene_promote_waitlist(a.id, p_ics, p_base_url);
        SELECT x.status INTO v_new FROM enrollments x WHERE x.id = e.id;
        IF p_action = 'waitlist' AND v_new <> 'waitlisted' THEN
            RAISE EXCEPTION 'no_one_waiting';
        END IF;
    END IF;

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
    RETURN QUERY SELECT v_new, v_over;
END;
$$;

-- 0018_tables: staff tables that fit and speak in words.
--
-- * convene_enrollment_bulk applies the one rule of a registration's change
--   (convene_enrollment_action) to several registrations of one activity in
--   the caller's transaction, each in its own subtransaction, and answers a
--   row per registration: its new status, or the code the rule raised. One
--   refusal leaves the others done.
-- * audit_entries is the audit log with names: the actor's, the person the
--   entry is about (an account, a registration's owner, or the account in
--   the details) and the activity's title, for sentences and filters.
-- * The words the pages use for statuses and kinds (web/i18n/en.js), for
--   CSV exports beside the codes.

CREATE FUNCTION convene_enrollment_bulk(p_activity bigint, p_ids bigint[], p_action text,
                                        p_by bigint, p_ics text, p_base_url text)
RETURNS TABLE (r_id bigint, r_status text, r_over_limit boolean, r_error text)
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    IF p_action NOT IN ('approve', 'waitlist') THEN
        RAISE EXCEPTION 'invalid_transition';
    END IF;
    -- The activity's lock first, as every change of its registrations takes it.
    PERFORM 1 FROM activities WHERE id = p_activity FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'activity_not_found';
    END IF;
    FOREACH v_id IN ARRAY p_ids LOOP
        r_id := v_id;
        r_status := NULL;
        r_over_limit := NULL;
        r_error := NULL;
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM enrollments e
                            WHERE e.id = v_id AND e.activity_id = p_activity) THEN
                RAISE EXCEPTION 'enrollment_not_found';
            END IF;
            SELECT x.status, x.over_limit INTO r_status, r_over_limit
              FROM convene_enrollment_action(v_id, p_action, p_by, false, p_ics, p_base_url) x;
        EXCEPTION WHEN raise_exception THEN
            r_status := NULL;
            r_over_limit := NULL;
            r_error := SQLERRM;
        END;
        RETURN NEXT;
    END LOOP;
END;
$$;

-- Ids in target_id are text; only whole numbers name a row.
CREATE FUNCTION convene_audit_target_id(p text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p ~ '^[0-9]{1,18}$' THEN p::bigint END
$$;

CREATE VIEW audit_entries AS
SELECT l.id, l.at, l.actor_id, l.action, l.target_type, l.target_id, l.ip, l.request_id,
       l.details,
       actor.name AS actor_name, actor.email::text AS actor_email,
       person.id AS person_id, person.name AS person_name, person.email::text AS person_email,
       act.id AS activity_id, act.title AS activity_title
  FROM audit_log l
  LEFT JOIN accounts actor ON actor.id = l.actor_id
  LEFT JOIN enrollments en
         ON l.target_type = 'enrollment' AND en.id = convene_audit_target_id(l.target_id)
  LEFT JOIN accounts person
         ON person.id = CASE
                WHEN l.target_type = 'account' THEN convene_audit_target_id(l.target_id)
                WHEN l.target_type = 'enrollment' THEN en.account_id
                WHEN jsonb_typeof(l.details -> 'account_id') = 'number'
                     THEN (l.details ->> 'account_id')::bigint
            END
  LEFT JOIN activities act
         ON act.id = CASE
                WHEN l.target_type = 'activity' THEN convene_audit_target_id(l.target_id)
                WHEN l.target_type = 'enrollment' THEN en.activity_id
            END;

CREATE FUNCTION convene_enrollment_status_word(p text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p
        WHEN 'pending_approval' THEN 'Waiting for approval'
        WHEN 'confirmed' THEN 'Confirmed'
        WHEN 'waitlisted' THEN 'On the waiting list'
        WHEN 'attended' THEN 'Attended'
        WHEN 'rejected' THEN 'Not accepted'
        WHEN 'cancelled' THEN 'Cancelled'
        ELSE p END
$$;

CREATE FUNCTION convene_activity_kind_word(p text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p
        WHEN 'online_course' THEN 'Online course'
        WHEN 'masterclass' THEN 'Masterclass'
        WHEN 'training_programme' THEN 'Training programme'
        WHEN 'benchmarking_programme' THEN 'Benchmarking programme'
        WHEN 'workshop' THEN 'Workshop'
        WHEN 'study_visit' THEN 'Study visit'
        WHEN 'meeting' THEN 'Meeting'
        WHEN 'forum' THEN 'Forum'
        WHEN 'congress' THEN 'Congress'
        WHEN 'conference' THEN 'Conference'
        WHEN 'committee_meeting' THEN 'Committee meeting'
        WHEN 'awards_ceremony' THEN 'Awards ceremony'
        WHEN 'service' THEN 'Service'
        ELSE p END
$$;

CREATE FUNCTION convene_submission_status_word(p text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p
        WHEN 'draft' THEN 'Draft'
        WHEN 'submitted' THEN 'Submitted'
        WHEN 'withdrawn' THEN 'Withdrawn'
        ELSE p END
$$;

CREATE FUNCTION convene_award_word(p text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p
        WHEN 'winner' THEN 'Winner'
        WHEN 'finalist' THEN 'Finalist'
        ELSE p END
$$;

-- 0014_messages.sql - messages from staff to the participants of an
-- activity, chosen by the status of their registration.
--
-- activity_messages is the activity's history of what was sent: the
-- statuses chosen, the subject and text, who sent it and to how many. The
-- outbox rows (one per recipient, in the recipient's language) are written
-- by convene_send_activity_message in the same transaction as the history
-- row, so a message is either in the history and queued for everyone, or
-- neither.
--
-- Sending twice sends once: the page sends an idempotency key, unique per
-- activity (a constraint, not a timing rule). A second request with the
-- same key answers the first message; with the same key but another
-- message it is refused (idempotency_key_reused).

CREATE TABLE activity_messages (
    id           bigserial PRIMARY KEY,
    activity_id  bigint NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    statuses     text[] NOT NULL
                 CHECK (cardinality(statuses) BETWEEN 1 AND 4
                        AND statuses <@ ARRAY['confirmed', 'waitlisted', 'pending_approval',
                                              'attended']::text[]),
    subject      text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200
                                      AND subject !~ '[[:cntrl:]]'),
    body         text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    sent_by      bigint REFERENCES accounts (id) ON DELETE SET NULL,
    sent_at      timestamptz NOT NULL DEFAULT now(),
    recipients   integer NOT NULL CHECK (recipients > 0),
    -- NULL when the client sent none (then nothing tells two sends apart).
    idem_key     text CHECK (idem_key ~ '^[A-Za-z0-9._:-]{1,100}$'),
    CONSTRAINT activity_messages_key UNIQUE (activity_id, idem_key)
);
CREATE INDEX activity_messages_activity ON activity_messages (activity_id, sent_at DESC, id DESC);

-- The participants a message to p_statuses reaches: registrations of the
-- activity with one of the statuses, of accounts that are not disabled.
CREATE FUNCTION convene_message_recipients(p_activity bigint, p_statuses text[])
RETURNS TABLE (account_id bigint, name text, email text, locale text)
LANGUAGE sql STABLE AS $$
    SELECT acc.id, acc.name, acc.email::text, acc.locale
      FROM enrollments e JOIN accounts acc ON acc.id = e.account_id
     WHERE e.activity_id = p_activity AND e.status = ANY (p_statuses)
       AND acc.disabled_at IS NULL
     ORDER BY acc.name, acc.id
$$;

-- Sends (queues) a message to the participants of p_activity whose
-- registration has one of p_statuses, writes it into the activity's
-- history, and returns its id, the number of recipients, and whether it
-- was created now (false: the key was used before, the first message is
-- answered and nothing is queued again).
-- Refuses: activity_not_found, no_recipients, idempotency_key_reused.
CREATE FUNCTION convene_send_activity_message(p_activity bigint, p_statuses text[],
                                              p_subject text, p_body text, p_key text,
                                              p_by bigint, p_base_url text)
RETURNS TABLE (message_id bigint, recipients integer, created boolean)
LANGUAGE plpgsql AS $$
DECLARE
    a record;
    m record;
    n integer;
    v_id bigint;
BEGIN
    -- Registrations change under the activity's row lock (convene_enroll,
    -- convene_enrollment_action take FOR UPDATE): a share lock keeps the
    -- set of recipients still while it is counted and queued.
    SELECT * INTO a FROM activities WHERE id = p_activity FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'activity_not_found';
    END IF;
    IF p_key IS NOT NULL THEN
        SELECT * INTO m FROM activity_messages x
         WHERE x.activity_id = p_activity AND x.idem_key = p_key;
        IF FOUND THEN
            IF m.statuses IS DISTINCT FROM p_statuses OR m.subject IS DISTINCT FROM p_subject
               OR m.body IS DISTINCT FROM p_body THEN
                RAISE EXCEPTION 'idempotency_key_reused';
            END IF;
            RETURN QUERY SELECT m.id, m.recipients, false;
            RETURN;
        END IF;
    END IF;
    SELECT count(*) INTO n FROM convene_message_recipients(p_activity, p_statuses);
    IF n = 0 THEN
        RAISE EXCEPTION 'no_recipients';
    END IF;
    -- Two requests with the same key at once: the second waits here for
    -- the first to commit, then finds the key taken and answers its row.
    INSERT INTO activity_messages (activity_id, statuses, subject, body, sent_by, recipients,
                                   idem_key)
    VALUES (p_activity, p_statuses, p_subject, p_body, p_by, n, p_key)
    ON CONFLICT ON CONSTRAINT activity_messages_key DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        SELECT * INTO m FROM activity_messages x
         WHERE x.activity_id = p_activity AND x.idem_key = p_key;
        IF m.statuses IS DISTINCT FROM p_statuses OR m.subject IS DISTINCT FROM p_subject
           OR m.body IS DISTINCT FROM p_body THEN
            RAISE EXCEPTION 'idempotency_key_reused';
        END IF;
        RETURN QUERY SELECT m.id, m.recipients, false;
        RETURN;
    END IF;
    INSERT INTO mail_outbox (template, locale, to_address, to_name, vars)
    SELECT 'activity_message', r.locale, r.email, r.name,
           jsonb_build_object('name', r.name, 'activity_title', a.title,
                              'message_subject', p_subject, 'message_body', p_body,
                              'link', p_base_url || '/activity.html?id=' || a.id)
      FROM convene_message_recipients(p_activity, p_statuses) r;
    RETURN QUERY SELECT v_id, n, true;
END;
$$;

-- 0019_certificates.sql - certificates of attendance.
--
-- certificate_layout is the network's one layout (logo, colours, the
-- signatory, a line of text); activity_certificates says per activity
-- whether staff switched certificates on. A certificate is issued once per
-- participant and activity, to registrations with status 'attended', and
-- keeps what it says (name, title, dates, host) as it was when issued, so a
-- later change of name or title does not change a certificate already out.
-- Its code is 128 random bits from libsodium (the server makes them: SQL
-- only stores them), its number a readable sequence. Revoking keeps the
-- row: the public verification says it was revoked.
--
-- The PDF is not stored: it is rendered from the row and the layout when it
-- is downloaded or mailed (the outbox row names the certificate, and the
-- mail sender asks the certificates feature for the bytes).

CREATE TABLE certificate_layout (
    id               boolean PRIMARY KEY DEFAULT true CHECK (id),
    primary_colour   text NOT NULL DEFAULT '#0b4f6c' CHECK (primary_colour ~ '^#[0-9a-fA-F]{6}$'),
    accent_colour    text NOT NULL DEFAULT '#c9a227' CHECK (accent_colour ~ '^#[0-9a-fA-F]{6}$'),
    signatory_name   text CHECK (length(signatory_name) BETWEEN 1 AND 200
                                 AND signatory_name !~ '[[:cntrl:]]'),
    signatory_title  text CHECK (length(signatory_title) BETWEEN 1 AND 200
                                 AND signatory_title !~ '[[:cntrl:]]'),
    body_text        text CHECK (length(body_text) BETWEEN 1 AND 300
                                 AND body_text !~ '[[:cntrl:]]'),
    logo             bytea CHECK (octet_length(logo) BETWEEN 1 AND 1048576),
    logo_type        text CHECK (logo_type IN ('image/png', 'image/svg+xml')),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    updated_by       bigint REFERENCES accounts (id) ON DELETE SET NULL,
    CHECK ((logo IS NULL) = (logo_type IS NULL))
);
INSERT INTO certificate_layout (body_text) VALUES ('took part in');

CREATE TABLE activity_certificates (
    activity_id  bigint PRIMARY KEY REFERENCES activities (id) ON DELETE CASCADE,
    enabled      boolean NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   bigint REFERENCES accounts (id) ON DELETE SET NULL
);

CREATE SEQUENCE certificate_numbers;

CREATE TABLE certificates (
    id                bigserial PRIMARY KEY,
    code              text NOT NULL UNIQUE CHECK (code ~ '^[0-9a-f]{32}$'),
    number            text NOT NULL UNIQUE,
    activity_id       bigint NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    account_id        bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    participant_name  text NOT NULL,
    activity_title    text NOT NULL,
    dates_label       text,
    host              text,
    issued_at         timestamptz NOT NULL DEFAULT now(),
    issued_by         bigint REFERENCES accounts (id) ON DELETE SET NULL,
    revoked_at        timestamptz,
    revoked_by        bigint REFERENCES accounts (id) ON DELETE SET NULL,
    UNIQUE (activity_id, account_id)
);
CREATE INDEX certificates_account ON certificates (account_id);

-- The dates of an activity as a certificate prints them: "22 May 2031",
-- "22-24 May 2031", "30 May - 2 June 2031", "30 December 2031 - 2 January
-- 2032", or the activity's own label when it has no dates.
CREATE FUNCTION convene_certificate_dates(a activities) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN a.starts_on IS NULL THEN a.date_label
        WHEN a.ends_on IS NULL OR a.ends_on = a.starts_on
            THEN to_char(a.starts_on, 'FMDD FMMonth YYYY')
        WHEN date_trunc('month', a.starts_on) = date_trunc('month', a.ends_on)
            THEN to_char(a.starts_on, 'FMDD') || '-' || to_char(a.ends_on, 'FMDD FMMonth YYYY')
        WHEN date_trunc('year', a.starts_on) = date_trunc('year', a.ends_on)
            THEN to_char(a.starts_on, 'FMDD FMMonth') || ' - '
                 || to_char(a.ends_on, 'FMDD FMMonth YYYY')
        ELSE to_char(a.starts_on, 'FMDD FMMonth YYYY') || ' - '
             || to_char(a.ends_on, 'FMDD FMMonth YYYY')
    END
$$;

-- The attended registrations of an activity that have no certificate yet,
-- oldest first.
CREATE FUNCTION convene_certificates_pending(p_activity bigint)
RETURNS TABLE (account_id bigint, ord bigint)
LANGUAGE sql STABLE AS $$
    SELECT e.account_id, row_number() OVER (ORDER BY e.id)
      FROM enrollments e
     WHERE e.activity_id = p_activity AND e.status = 'attended'
       AND NOT EXISTS (SELECT 1 FROM certificates c
                        WHERE c.activity_id = p_activity AND c.account_id = e.account_id)
$$;

-- Step one of issuing: locks the activity's certificate switch (issuing for
-- one activity runs one at a time) and counts the certificates due, so the
-- server can draw that many codes. Refuses: activity_not_found,
-- certificates_disabled.
CREATE FUNCTION convene_certificates_due(p_activity bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    on_ boolean;
BEGIN
    PERFORM 1 FROM activities WHERE id = p_activity;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'activity_not_found';
    END IF;
    SELECT enabled INTO on_ FROM activity_certificates WHERE activity_id = p_activity FOR UPDATE;
    IF on_ IS NOT TRUE THEN
        RAISE EXCEPTION 'certificates_disabled';
    END IF;
    RETURN (SELECT count(*) FROM convene_certificates_pending(p_activity));
END;
$$;

-- Step two, in the same transaction: issues a certificate to each pending
-- registration (at most one per code given, in order), and queues for each
-- a mail (template certificate_issued) with the PDF attached by reference:
-- the sender renders it when it sends. Accounts that are disabled get their
-- certificate but no mail. Returns how many were issued.
CREATE FUNCTION convene_issue_certificates(p_activity bigint, p_codes text[], p_by bigint,
                                           p_base_url text)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    WITH a AS (
        SELECT act.id, act.title, convene_certificate_dates(act) AS dates, o.name AS host
          FROM activities act LEFT JOIN organisations o ON o.id = act.host_organisation_id
         WHERE act.id = p_activity
    ), ins AS (
        INSERT INTO certificates (code, number, activity_id, account_id, participant_name,
                                  activity_title, dates_label, host, issued_by)
        SELECT p_codes[p.ord],
               to_char(now(), 'YYYY') || '-' || lpad(nextval('certificate_numbers')::text, 5, '0'),
               a.id, p.account_id, acc.name, a.title, a.dates, a.host, p_by
          FROM convene_certificates_pending(p_activity) p
          JOIN accounts acc ON acc.id = p.account_id
         CROSS JOIN a
         WHERE p.ord <= coalesce(cardinality(p_codes), 0)
         ORDER BY p.ord
        RETURNING code, number, account_id, participant_name, activity_title, dates_label
    ), mail AS (
        INSERT INTO mail_outbox (template, locale, to_address, to_name, vars, attachments)
        SELECT 'certificate_issued', acc.locale, acc.email::text, acc.name,
               jsonb_build_object('name', ins.participant_name,
                                  'activity_title', ins.activity_title,
                                  'dates', coalesce(ins.dates_label, ''),
                                  'number', ins.number,
                                  'verify_link', p_base_url || '/certificates/verify.html?code='
                                                 || ins.code,
                                  'link', p_base_url || '/activity.html?id=' || p_activity,
                                  'download_link', p_base_url || '/api/activities/'
                                                   || p_activity || '/certificate.pdf'),
               jsonb_build_array(jsonb_build_object(
                   'filename', 'certificate-' || ins.number || '.pdf',
                   'content_type', 'application/pdf',
                   'source', 'certificate', 'ref', ins.code))
          FROM ins JOIN accounts acc ON acc.id = ins.account_id
         WHERE acc.disabled_at IS NULL
        RETURNING 1
    )
    SELECT count(*) INTO n FROM ins;
    RETURN n;
END;
$$;

-- A certificate as the public sees it: who, what, when, revoked or not.
CREATE FUNCTION convene_certificate_json(c certificates) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('code', c.code, 'number', c.number,
                             'participant_name', c.participant_name,
                             'activity_id', c.activity_id,
                             'activity_title', c.activity_title, 'dates', c.dates_label,
                             'host', c.host,
                             'issued_on', to_char(c.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                             'revoked', c.revoked_at IS NOT NULL,
                             'revoked_on', to_char(c.revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'))
$$;

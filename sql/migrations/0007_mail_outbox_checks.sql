-- 0007_mail_outbox_checks.sql - one door into the outbox.
--
-- Mail is queued by mail_enqueue (src/mail/mail.c, which checks every value
-- before the INSERT) and by SQL functions such as convene_enrollment_mail,
-- which insert directly. The table now holds both to the same rules, so a
-- row that could not be sent safely cannot be queued by any path:
--   template   [a-z0-9_]+ (already checked since 0002)
--   locale     1-32 of a-z, 0-9, '_' and '-'
--   to_address an addr-spec as mailfmt_valid_address accepts it: a
--              dot-atom local part of at most 64 characters, a domain of at
--              least two LDH labels (each 1-63, no leading or trailing '-')
--              whose last label is not all digits, at most 254 in all; no
--              space, no control character, no second '@'
--   to_name    no control character (CR and LF above all)
--   vars       a JSON object; attachments a JSON array
-- The sender keeps its own checks as a second line.
--
-- NOT VALID: rows already queued are not re-checked (the sender refuses any
-- bad one as before); every new or changed row is.

CREATE FUNCTION convene_mail_address_ok(a text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT length(a) <= 254
       AND length(split_part(a, '@', 1)) <= 64
       AND length(split_part(a, '@', 2)) <= 253
       AND a ~ ('^[A-Za-z0-9!#$%&''*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&''*+/=?^_`{|}~-]+)*'
                '@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+'
                '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$')
       AND a !~ '\.[0-9]+$'
$$;

ALTER TABLE mail_outbox
    ADD CONSTRAINT mail_outbox_locale_check CHECK (locale ~ '^[a-z0-9_-]{1,32}$') NOT VALID,
    ADD CONSTRAINT mail_outbox_to_address_check CHECK (convene_mail_address_ok(to_address)) NOT VALID,
    ADD CONSTRAINT mail_outbox_to_name_check CHECK (to_name !~ '[[:cntrl:]]') NOT VALID,
    ADD CONSTRAINT mail_outbox_vars_check CHECK (jsonb_typeof(vars) = 'object') NOT VALID,
    ADD CONSTRAINT mail_outbox_attachments_check CHECK (jsonb_typeof(attachments) = 'array') NOT VALID;

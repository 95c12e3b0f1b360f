-- 0016_mail_dates: mails about an activity say when it is in full.
--
-- The confirmation said "When: 29 August": no weekday, no year, no times,
-- no zone. convene_activity_when(a) writes the line every activity mail
-- uses, in the activity's own zone, as the pages do:
--
--   Tuesday 29 August 2023, 09:00–17:00 Bangkok time (UTC+7)
--   Monday 4 September – Friday 8 September 2023, 09:00–17:00 Seoul time (UTC+9)
--   Friday 24 September – Sunday 26 September 2027   -- no times of day
--   Q3 2023 (exact dates to be announced)   -- a fuzzy label (with the year
--                                              of its period when it has none)
--
-- The zone's name is its place ("Asia/Ho_Chi_Minh" -> "Ho Chi Minh time");
-- the offset is the one in force when the activity starts.
-- convene_enrollment_mail gives it to the templates as `activity_when`
-- beside `activity_dates` (kept for mails queued before); mails still
-- waiting in the outbox get the short form as their activity_when, so they
-- render with the new templates.

-- "UTC+7", "UTC+5:30", "UTC-3", "UTC" for an offset in minutes.
CREATE FUNCTION convene_utc_offset_text(p_minutes integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_minutes = 0 THEN 'UTC'
                ELSE 'UTC' || CASE WHEN p_minutes > 0 THEN '+' ELSE '-' END
                     || (abs(p_minutes) / 60)::text
                     || CASE WHEN abs(p_minutes) % 60 <> 0
                             THEN ':' || lpad((abs(p_minutes) % 60)::text, 2, '0') ELSE '' END
           END
$$;

-- "Bangkok time (UTC+7)": zone p_zone at the wall-clock time p_local there.
CREATE FUNCTION convene_zone_label(p_zone text, p_local timestamp) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_zone IN ('UTC', 'Etc/UTC') THEN 'UTC'
                ELSE replace(regexp_replace(p_zone, '^.*/', ''), '_', ' ') || ' time ('
                     || convene_utc_offset_text((extract(epoch FROM
                            p_local - ((p_local AT TIME ZONE p_zone) AT TIME ZONE 'UTC'))
                            / 60)::integer) || ')'
           END
$$;

CREATE FUNCTION convene_activity_when(a activities) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN a.starts_on IS NULL THEN
            coalesce(a.date_label
                     || CASE WHEN a.date_label !~ '[0-9]{4}' AND a.period_start IS NOT NULL
                             THEN ' ' || extract(year FROM a.period_start)::text ELSE '' END
                     || ' (exact dates to be announced)', 'Dates to be announced')
        ELSE
            CASE WHEN a.ends_on IS NULL OR a.ends_on = a.starts_on
                     THEN to_char(a.starts_on, 'FMDay FMDD FMMonth YYYY')
                 WHEN extract(year FROM a.ends_on) = extract(year FROM a.starts_on)
                     THEN to_char(a.starts_on, 'FMDay FMDD FMMonth') || ' – '
                          || to_char(a.ends_on, 'FMDay FMDD FMMonth YYYY')
                 ELSE to_char(a.starts_on, 'FMDay FMDD FMMonth YYYY') || ' – '
                      || to_char(a.ends_on, 'FMDay FMDD FMMonth YYYY')
            END
            || CASE
                WHEN a.start_time IS NULL THEN ''
                WHEN a.end_time IS NULL OR a.end_time = a.start_time THEN
                    ', ' || to_char(a.start_time, 'HH24:MI') || ' '
                    || convene_zone_label(a.timezone, a.starts_on + a.start_time)
                ELSE
                    ', ' || to_char(a.start_time, 'HH24:MI') || '–' || to_char(a.end_time, 'HH24:MI')
                    || ' ' || convene_zone_label(a.timezone, a.starts_on + a.start_time)
               END
        END
$$;

CREATE OR REPLACE FUNCTION convene_enrollment_mail(p_enrollment bigint, p_tmpl text, p_ics text,
                                                   p_base_url text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    SELECT e.id, e.status, a.id AS activity_id, a.title, a.slug,
           coalesce(a.date_label, to_char(a.starts_on, 'FMDD FMMonth YYYY'), 'dates to be announced') AS dates,
           convene_activity_when(a) AS when_text,
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
                               'activity_dates', r.dates, 'activity_when', r.when_text,
                               'activity_place', coalesce(nullif(r.place, ''), 'to be announced'),
                               'waitlist_position', r.position,
                               'link', p_base_url || '/activity.html?id=' || r.activity_id),
            CASE WHEN p_ics IS NULL THEN '[]'::jsonb
                 ELSE jsonb_build_array(jsonb_build_object(
                        'filename', r.slug || '.ics',
                        'content_type', 'text/calendar; charset=UTF-8; method=PUBLISH',
                        'data', p_ics)) END);
END;
$$;

UPDATE mail_outbox
   SET vars = vars || jsonb_build_object('activity_when', vars -> 'activity_dates')
 WHERE status <> 'sent' AND vars ? 'activity_dates' AND NOT vars ? 'activity_when';

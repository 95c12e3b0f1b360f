-- 0002_accounts_mail: organisations, accounts and roles, sessions, one-time
-- tokens, rate limits, the audit log and the mail outbox.

CREATE TABLE organisations (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    city        text,
    country     text,
    kind        text NOT NULL CHECK (kind IN ('member_city', 'partner', 'national_chapter',
                                              'secretariat')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE accounts (
    id                 bigserial PRIMARY KEY,
    email              citext NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 254),
    password_hash      text NOT NULL,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    organisation_id    bigint REFERENCES organisations (id),
    position           text CHECK (length(position) <= 200),
    country            text CHECK (length(country) <= 100),
    locale             text NOT NULL DEFAULT 'en' CHECK (locale ~ '^[a-z]{2,3}(-[a-z0-9]{2,8})?$'),
    email_verified_at  timestamptz,
    disabled_at        timestamptz,
    calendar_token     text UNIQUE,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER accounts_updated BEFORE UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION convene_touch_updated_at();

CREATE TABLE account_roles (
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('participant', 'judge', 'staff', 'admin')),
    granted_at  timestamptz NOT NULL DEFAULT now(),
    granted_by  bigint REFERENCES accounts (id) ON DELETE SET NULL,
    PRIMARY KEY (account_id, role)
);

-- Only a hash of the session token is stored: a leaked table grants nothing.
CREATE TABLE sessions (
    id            bigserial PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash    bytea NOT NULL UNIQUE,
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    user_agent    text,
    ip            text,
    revoked_at    timestamptz
);
CREATE INDEX sessions_account ON sessions (account_id) WHERE revoked_at IS NULL;

CREATE TABLE one_time_tokens (
    token_hash  bytea PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX one_time_tokens_account ON one_time_tokens (account_id, purpose);

-- Fixed-window counters shared by every node.
CREATE TABLE rate_limits (
    key           text PRIMARY KEY,
    window_start  timestamptz NOT NULL,
    count         integer NOT NULL
);

CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     bigint REFERENCES accounts (id) ON DELETE SET NULL,
    action       text NOT NULL,
    target_type  text,
    target_id    text,
    ip           text,
    request_id   text,
    details      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at DESC);

-- Mail waits here, written in the same transaction as the action that
-- causes it; sender threads claim due rows with FOR UPDATE SKIP LOCKED.
CREATE TABLE mail_outbox (
    id               bigserial PRIMARY KEY,
    template         text NOT NULL CHECK (template ~ '^[a-z0-9_]+$'),
    locale           text NOT NULL DEFAULT 'en',
    to_address       text NOT NULL,
    to_name          text,
    vars             jsonb NOT NULL DEFAULT '{}',
    -- [{"filename": "...", "content_type": "...", "data": "<text>"}]
    attachments      jsonb NOT NULL DEFAULT '[]',
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    locked_until     timestamptz,
    last_error       text,
    message_id       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at)
    WHERE status IN ('pending', 'sending');

CREATE FUNCTION mail_outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('mail_outbox', NEW.id::text);
    RETURN NULL;
END;
$$;
CREATE TRIGGER mail_outbox_inserted AFTER INSERT ON mail_outbox
    FOR EACH ROW EXECUTE FUNCTION mail_outbox_notify();

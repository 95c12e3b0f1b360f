-- 0004_accounts_hardening: confirmed affiliation. An account's organisation
-- is self-declared until the command line or staff confirm it; changing it
-- clears the confirmation, and nobody can change it while the account holds
-- a live registration in an activity that limits seats per organisation
-- (the limit would otherwise be dodged by switching or clearing it).

ALTER TABLE accounts
    ADD COLUMN organisation_confirmed_at timestamptz,
    ADD COLUMN organisation_confirmed_by bigint REFERENCES accounts (id) ON DELETE SET NULL;

-- Every path that changes accounts.organisation_id passes here: the API,
-- the command line and hand-written SQL alike.
CREATE FUNCTION convene_account_organisation_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.organisation_id IS NOT DISTINCT FROM OLD.organisation_id THEN
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM enrollments e JOIN activities a ON a.id = e.activity_id
                WHERE e.account_id = OLD.id AND a.per_org_limit IS NOT NULL
                  AND e.status IN ('pending_approval', 'confirmed', 'waitlisted')) THEN
        RAISE EXCEPTION 'organisation_locked';
    END IF;
    -- A new organisation is self-declared again, unless the same statement
    -- confirms it.
    IF NEW.organisation_confirmed_at IS NOT DISTINCT FROM OLD.organisation_confirmed_at THEN
        NEW.organisation_confirmed_at := NULL;
        NEW.organisation_confirmed_by := NULL;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER accounts_organisation_guard BEFORE UPDATE OF organisation_id ON accounts
    FOR EACH ROW EXECUTE FUNCTION convene_account_organisation_guard();

-- Staff confirm an account's affiliation. Returns whether this call
-- confirmed it (false when it was confirmed already). Raises
-- account_not_found or no_organisation.
CREATE FUNCTION convene_confirm_organisation(p_account bigint, p_by bigint)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    a accounts%ROWTYPE;
BEGIN
    SELECT * INTO a FROM accounts WHERE id = p_account FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'account_not_found';
    END IF;
    IF a.organisation_id IS NULL THEN
        RAISE EXCEPTION 'no_organisation';
    END IF;
    IF a.organisation_confirmed_at IS NOT NULL THEN
        RETURN false;
    END IF;
    UPDATE accounts SET organisation_confirmed_at = now(), organisation_confirmed_by = p_by
     WHERE id = p_account;
    RETURN true;
END;
$$;

-- 0001_foundation: what every later migration builds on.
--
-- citext gives case-insensitive text (emails); it is a trusted extension,
-- so the database owner may create it without being a superuser.
CREATE EXTENSION IF NOT EXISTS citext;

-- Stamps updated_at on UPDATE for any table that opts in with a trigger:
--   CREATE TRIGGER t_updated BEFORE UPDATE ON x
--     FOR EACH ROW EXECUTE FUNCTION convene_touch_updated_at();
CREATE OR REPLACE FUNCTION convene_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-- Which server nodes are running, refreshed by each node; lets operators
-- see a multi-node deployment from the database.
CREATE TABLE server_nodes (
    node_id     text PRIMARY KEY,
    hostname    text NOT NULL,
    version     text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    seen_at     timestamptz NOT NULL DEFAULT now()
);

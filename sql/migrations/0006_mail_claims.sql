-- 0006_mail_claims.sql - who is sending a mail, so a mail claimed by a
-- process that died is taken over at once instead of after its five-minute
-- claim runs out.
--
-- Each sender thread holds a session-level advisory lock on a random key
-- while its connection lives and writes that key into the rows it claims.
-- PostgreSQL drops the lock with the connection (a killed process, a lost
-- network), so a 'sending' row whose key is no longer locked belongs to
-- nobody and may be claimed again. A row whose claimer is alive keeps its
-- claim until locked_until, as before.
ALTER TABLE mail_outbox ADD COLUMN claimed_by bigint;

COMMENT ON COLUMN mail_outbox.claimed_by IS
    'advisory lock key held by the sender connection that claimed the row';

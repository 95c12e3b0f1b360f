/*
 * ratelimit.h - fixed-window counters stored in PostgreSQL, so every node
 * behind a balancer counts the same attempts.
 */
#ifndef CONVENE_RATELIMIT_H
#define CONVENE_RATELIMIT_H

struct db_conn;

/* Registers this module's prepared statements with the database layer.
 * main calls it once, before any connection is made. */
void ratelimit_statements(void);

/*
 * Counts one attempt against `key` in a window of window_s seconds, in one
 * atomic statement (insert or increment, returning the count): concurrent
 * attempts each see their own count, so call it before the costly work it
 * guards (a password hash), never after.
 * Returns 1 when the attempt is within `limit`, 0 when it is over (and
 * stores the seconds until the window ends in *retry_after), -1 on a
 * database error.
 */
int ratelimit_hit(struct db_conn *c, const char *key, int limit, int window_s, int *retry_after);

/* Like ratelimit_hit without counting: is `key` already over its limit? */
int ratelimit_check(struct db_conn *c, const char *key, int limit, int window_s, int *retry_after);

/* Forgets the attempts of `key` (after a successful log-in). 0 or -1. */
int ratelimit_clear(struct db_conn *c, const char *key);

/* Takes one counted attempt back from `key` (an attempt that turned out to
 * be the owner's). 0 or -1. */
int ratelimit_refund(struct db_conn *c, const char *key);

#endif

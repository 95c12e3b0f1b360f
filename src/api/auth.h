/*
 * auth.h - who is calling: password hashing (Argon2id, bounded
 * concurrency), sessions behind an HttpOnly cookie, CSRF tokens, roles, and
 * the one authorisation helper every handler uses.
 */
#ifndef CONVENE_AUTH_H
#define CONVENE_AUTH_H

#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>

struct config;
struct db_conn;
struct http_req;

/* Roles, as bits; an account may hold several. */
enum {
    ROLE_PARTICIPANT = 1u << 0,
    ROLE_JUDGE = 1u << 1,
    ROLE_STAFF = 1u << 2,
    ROLE_ADMIN = 1u << 3,
};

/* Parses "participant", "judge", "staff", "admin"; 0 when unknown. */
unsigned auth_role_from_name(const char *name);
/* The name of a single role bit, or NULL. */
const char *auth_role_name(unsigned role);

/* The caller of a request with a valid session. Lives as long as the
 * request. */
struct account {
    long id;
    long session_id;
    long organisation_id; /* 0 when none */
    bool verified;
    unsigned roles;
    char email[256];
    char name[256];
    char locale[16];
    char csrf[64];
};

/* ---- Set-up ---- */

/* Registers this module's prepared statements with the database layer.
 * main calls it once, before any connection is made. */
void auth_statements(void);

/*
 * Initialises libsodium, the hashing limits and the bound on concurrent
 * hashes from cfg (which must outlive the server). 0 or -1.
 */
int auth_init(const struct config *cfg);

/* ---- Passwords ---- */

/*
 * Hashes a password with Argon2id into out. At most hash_concurrency hashes
 * run at once; others wait up to a few seconds. Returns 0, or -1 when the
 * wait timed out or memory ran out (the caller answers 503).
 */
int auth_hash_password(const char *password, char out[crypto_pwhash_STRBYTES]);

/*
 * Verifies password against hash (NULL hash: checks a dummy hash so that
 * unknown accounts cost the same time). Returns 1 for a match, 0 for no
 * match, -1 when busy (as above). *needs_rehash (may be NULL) tells whether
 * the hash was made with other limits than the current ones.
 */
int auth_verify_password(const char *hash, const char *password, bool *needs_rehash);

/*
 * Checks the password policy: at least 12 characters, at most 128 bytes,
 * not equal to the email or the name (ignoring case); no composition rules.
 * Returns NULL when acceptable, or a message for the user.
 */
const char *auth_password_problem(const char *password, const char *email, const char *name);

/* ---- Tokens ---- */

/* A fresh random token, 32 bytes as unpadded base64url (43 chars). */
void auth_random_token(char out[48]);
/* The hex text form of the BLAKE2b-256 hash of token, as a bytea literal
 * "\\x..." for queries (67 chars with NUL). */
void auth_token_hash_hex(const char *token, char out[72]);

/* ---- Sessions ---- */

/* The session cookie name: __Host-convene_session under https. */
const char *auth_cookie_name(void);

/*
 * Creates a session for account_id, sets the cookie on the reply and writes
 * the CSRF token into csrf_out. 0 or -1 (database error on c).
 */
int auth_session_create(struct http_req *req, struct db_conn *c, long account_id,
                        char csrf_out[48]);

/* Adds a Set-Cookie header that clears the session cookie. */
void auth_clear_cookie(struct http_req *req);

/*
 * The caller's account when the request carries a valid session cookie,
 * else NULL. Looked up once per request. *failed is set when the lookup
 * failed for a database reason (the caller answers with the db error).
 */
const struct account *auth_caller(struct http_req *req, struct db_conn *c, bool *failed);

/* ---- Authorisation ---- */

enum {
    AUTH_VERIFIED = 1u << 0, /* the email address must be verified */
};

/*
 * The one gate for handlers: requires a session (401 otherwise), the CSRF
 * header on unsafe methods (403), a verified address with AUTH_VERIFIED
 * (403), and, when roles_any is not 0, at least one of those roles (403;
 * list ROLE_ADMIN explicitly where admins may act). Returns the caller, or
 * NULL after answering.
 */
const struct account *auth_require(struct http_req *req, struct db_conn *c, unsigned roles_any,
                                   unsigned flags);

/* The caller as the JSON of GET /api/me (a new reference), read from c;
 * NULL on a database error. */
json_t *auth_me_json(struct db_conn *c, long account_id);

#endif

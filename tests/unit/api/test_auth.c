/*
 * test_auth.c - the pure parts of src/api/auth.c: role names, the password
 * policy at its limits, Argon2id hashes (a match, a miss, a NULL hash for
 * unknown accounts, hashes made with other limits needing a rehash) and
 * the session tokens and their digests.
 */
#include <check.h>
#include <stdbool.h>
#include <string.h>

#include "api/auth.h"
#include "base/config.h"

Suite *make_auth_suite(void);

START_TEST(role_names_round_trip)
{
    static const char *names[] = {"participant", "judge", "staff", "admin"};
    for (size_t i = 0; i < 4; i++) {
        unsigned bit = auth_role_from_name(names[i]);
        ck_assert_uint_eq(bit, 1u << i);
        ck_assert_str_eq(auth_role_name(bit), names[i]);
    }
    ck_assert_uint_eq(auth_role_from_name("Admin"), 0);
    ck_assert_uint_eq(auth_role_from_name("root"), 0);
    ck_assert_uint_eq(auth_role_from_name(""), 0);
    ck_assert_ptr_null(auth_role_name(0));
    ck_assert_ptr_null(auth_role_name(ROLE_STAFF | ROLE_ADMIN));
    ck_assert_ptr_null(auth_role_name(1u << 9));
}
END_TEST

START_TEST(password_policy_limits)
{
    /* 12 characters, counted as characters: 12 Hangul syllables (36
     * bytes) pass, 11 do not. */
    ck_assert_ptr_null(auth_password_problem("abcdefghijkl", NULL, NULL));
    ck_assert_ptr_nonnull(auth_password_problem("abcdefghijk", NULL, NULL));
    ck_assert_ptr_null(auth_password_problem("가나다라마바사아자차카타", NULL, NULL));
    ck_assert_ptr_nonnull(auth_password_problem("가나다라마바사아자차카", NULL, NULL));
    /* At most 128 bytes. */
    char pw[131];
    memset(pw, 'p', 128);
    pw[128] = '\0';
    ck_assert_ptr_null(auth_password_problem(pw, NULL, NULL));
    pw[128] = 'p';
    pw[129] = '\0';
    ck_assert_str_eq(auth_password_problem(pw, NULL, NULL), "Use at most 128 bytes.");
    /* Not UTF-8; not the email or the name, whatever the case. */
    ck_assert_str_eq(auth_password_problem("abcdefghijkl\xC3", NULL, NULL),
                     "Must be valid UTF-8 text.");
    const char *same = "Must not be your email address or your name.";
    ck_assert_str_eq(auth_password_problem("Kim@Example.org", "kim@example.org", NULL), same);
    ck_assert_str_eq(auth_password_problem("KIM MIN-JUN SEOUL", NULL, "Kim Min-jun Seoul"), same);
    ck_assert_ptr_null(
        auth_password_problem("kim@example.org!", "kim@example.org", "Kim Min-jun Seoul"));
}
END_TEST

static struct config cfg;

static void init_fast(long memlimit, long opslimit)
{
    config_free(&cfg); /* from an earlier call (it accepts a zeroed one) */
    config_defaults(&cfg);
    cfg.argon2_memlimit = memlimit;
    cfg.argon2_opslimit = opslimit;
    cfg.hash_concurrency = 2;
    ck_assert_int_eq(auth_init(&cfg), 0);
}

START_TEST(hashes_verify_and_age)
{
    init_fast(8L << 20, 1);
    char hash[crypto_pwhash_STRBYTES];
    ck_assert_int_eq(auth_hash_password("correct horse battery", hash), 0);
    ck_assert_ptr_nonnull(strstr(hash, "$argon2id$"));
    bool rehash = true;
    ck_assert_int_eq(auth_verify_password(hash, "correct horse battery", &rehash), 1);
    ck_assert(!rehash);
    ck_assert_int_eq(auth_verify_password(hash, "correct horse batterY", &rehash), 0);
    ck_assert_int_eq(auth_verify_password(hash, "correct horse battery", NULL), 1);
    /* An unknown account: compared with the dummy hash, never a match. */
    ck_assert_int_eq(auth_verify_password(NULL, "correct horse battery", &rehash), 0);
    ck_assert(!rehash);
    ck_assert_int_eq(auth_verify_password("not a hash", "x", &rehash), 0);
    /* Stronger limits now: the old hash still verifies and asks for a
     * rehash. */
    init_fast(8L << 20, 2);
    ck_assert_int_eq(auth_verify_password(hash, "correct horse battery", &rehash), 1);
    ck_assert(rehash);
    config_free(&cfg);
}
END_TEST

START_TEST(tokens_and_digests)
{
    char a[48], b[48];
    auth_random_token(a);
    auth_random_token(b);
    ck_assert_uint_eq(strlen(a), 43);
    ck_assert_str_ne(a, b);
    ck_assert_uint_eq(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                      43);
    char h1[72], h2[72], h3[72];
    auth_token_hash_hex(a, h1);
    auth_token_hash_hex(a, h2);
    auth_token_hash_hex(b, h3);
    ck_assert_str_eq(h1, h2);
    ck_assert_str_ne(h1, h3);
    ck_assert_uint_eq(strlen(h1), 66);
    ck_assert_int_eq(strncmp(h1, "\\x", 2), 0);
    ck_assert_uint_eq(strspn(h1 + 2, "0123456789abcdef"), 64);
}
END_TEST

Suite *make_auth_suite(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("pure");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, role_names_round_trip);
    tcase_add_test(tc, password_policy_limits);
    tcase_add_test(tc, hashes_verify_and_age);
    tcase_add_test(tc, tokens_and_digests);
    suite_add_tcase(s, tc);
    return s;
}

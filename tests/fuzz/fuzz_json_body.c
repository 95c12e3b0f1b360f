/*
 * fuzz_json_body.c - JSON request bodies: parsing as http_json_body does
 * (jansson, duplicate keys refused, an object required) and the validation
 * of every request type through the real api_string / api_integer /
 * api_reject_unknown / api_fields_check of src/api/api.c (with the fake
 * HTTP layer of fake_http.c).
 *
 * Input: a request body. Properties:
 *   - a parse error names a position inside the body;
 *   - api_string hands out only valid UTF-8 without NUL or control
 *     characters (LF, TAB, CR only when multiline), within max_bytes and
 *     min_chars, without surrounding spaces when trimmed; when it returns
 *     NULL for a member that is present and not null, the field has an
 *     error; a required absent field has "required";
 *   - api_integer gives only whole numbers in [min, max] and records an
 *     error for any other present value;
 *   - api_reject_unknown flags exactly the members outside the allowed
 *     list (read_only ones as read_only);
 *   - the 422 reply is one, its "fields" hold a documented code and a
 *     message per field, and it serialises to valid UTF-8 JSON.
 *
 * The request types below repeat the api_string / api_integer calls of
 * the handlers in src/accounts/accounts.c, src/activities/activities.c and
 * src/activities/enrol.c. Those handlers read and check their bodies inline
 * next to database calls; a pure read_<request>(req, body, f) per handler
 * would let this target call them instead of repeating them.
 */
#include "fuzz.h"

#include "api/api.h"
#include "fake_http.h"

#include <stdbool.h>

enum kind { STR, INT, BOOL };

struct member {
    const char *key;
    enum kind kind;
    unsigned flags;
    long min, max; /* STR: min_chars, max_bytes; INT: the range */
};

struct request {
    const char *name;
    struct member m[24];
};

#define S(k, fl, lo, hi)                                                                           \
    {                                                                                              \
        k, STR, fl, lo, hi                                                                         \
    }
#define I(k, fl, lo, hi)                                                                           \
    {                                                                                              \
        k, INT, fl, lo, hi                                                                         \
    }
#define R      API_REQUIRED
#define T      API_TRIM
#define ML     API_MULTILINE
#define ID_MAX (1L << 53)

static const struct request requests[] = {
    {"signup",
     {S("email", R | T, 3, 254), S("password", R, 0, 1024), S("name", R | T, 1, 200),
      S("position", T, 0, 200), S("country", T, 0, 100), I("organisation_id", 0, 1, ID_MAX),
      S("locale", T, 2, 12)}},
    {"verify", {S("token", R | T, 1, 128)}},
    {"resend", {S("email", R | T, 3, 254)}},
    {"login", {S("email", R | T, 1, 254), S("password", R, 1, 1024)}},
    {"forgot", {S("email", R | T, 3, 254)}},
    {"reset", {S("token", R | T, 1, 128), S("password", R, 0, 1024)}},
    {"change_password", {S("current_password", R, 1, 1024), S("new_password", R, 0, 1024)}},
    {"profile",
     {S("name", T, 1, 200), S("position", T, 0, 200), S("country", T, 0, 100),
      I("organisation_id", 0, 1, ID_MAX), S("locale", T, 2, 12)}},
    {"enrol", {I("account_id", R, 1, ID_MAX)}},
    {"activity",
     {S("slug", T, 1, 80),
      S("kind", T, 1, 100),
      S("section", T, 1, 100),
      S("title", T, 1, 300),
      S("summary", T | ML, 0, 1000),
      S("description", T | ML, 0, 20000),
      I("host_organisation_id", 0, 1, ID_MAX),
      S("programme", T, 1, 200),
      S("city", T, 1, 200),
      S("country", T, 1, 100),
      {"online", BOOL, 0, 0, 0},
      S("timezone", T, 1, 64),
      S("date_label", T, 1, 100),
      S("starts_on", T, 1, 100),
      S("ends_on", T, 1, 100),
      S("start_time", T, 1, 100),
      S("end_time", T, 1, 100),
      I("capacity", 0, 1, 100000),
      I("per_org_limit", 0, 1, 10000),
      S("registration_opens_at", T, 1, 100),
      S("registration_closes_at", T, 1, 100),
      S("mode", T, 1, 100),
      S("external_url", T, 1, 1000)}},
};

static const char *const field_codes[] = {
    "required",       "invalid_type",     "invalid_format", "invalid_choice", "too_long",
    "too_short",      "out_of_range",     "not_found",      "taken",          "weak_password",
    "wrong_password", "end_before_start", "unknown_member", "read_only"};

static bool has_error(const struct api_fields *f, const char *key)
{
    return f->errors != NULL && json_object_get(f->errors, key) != NULL;
}

static const char *error_code(const struct api_fields *f, const char *key)
{
    json_t *e = f->errors ? json_object_get(f->errors, key) : NULL;
    return e ? json_string_value(json_object_get(e, "code")) : NULL;
}

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void check_string(struct http_req *req, json_t *body, const struct member *m,
                         struct api_fields *f)
{
    bool had = has_error(f, m->key);
    const char *s = api_string(req, body, m->key, f, m->flags, (size_t)m->min, (size_t)m->max);
    json_t *v = json_object_get(body, m->key);
    if (s != NULL) {
        size_t n = strlen(s);
        FUZZ_ASSERT(json_is_string(v), "only a string member gives a string");
        FUZZ_ASSERT(fuzz_utf8_ok(s, n), "a string handed out is valid UTF-8 without NUL");
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            bool ctl = c < 0x20 || c == 0x7f;
            bool allowed = (m->flags & API_MULTILINE) && (c == '\n' || c == '\t' || c == '\r');
            FUZZ_ASSERT(!ctl || allowed, "no control characters unless multiline");
        }
        FUZZ_ASSERT(n <= (size_t)m->max, "at most max_bytes");
        FUZZ_ASSERT(chars(s) >= (size_t)m->min, "at least min_chars");
        if (m->flags & API_TRIM)
            FUZZ_ASSERT(n == 0 || (s[0] != ' ' && s[n - 1] != ' '), "trimmed");
        FUZZ_ASSERT(has_error(f, m->key) == had, "an accepted string records no error");
        return;
    }
    if (v == NULL || json_is_null(v)) {
        if (m->flags & API_REQUIRED)
            FUZZ_ASSERT(had || (error_code(f, m->key) != NULL &&
                                strcmp(error_code(f, m->key), "required") == 0),
                        "a required absent field is \"required\"");
        return;
    }
    FUZZ_ASSERT(has_error(f, m->key), "a refused present value records an error");
}

static void check_integer(json_t *body, const struct member *m, struct api_fields *f)
{
    long out = -12345;
    bool had = has_error(f, m->key);
    bool ok = api_integer(body, m->key, f, m->flags, m->min, m->max, &out);
    json_t *v = json_object_get(body, m->key);
    if (ok) {
        FUZZ_ASSERT(json_is_integer(v), "only an integer member gives an integer");
        FUZZ_ASSERT(out >= m->min && out <= m->max && out == json_integer_value(v),
                    "an accepted integer is the value, in range");
        FUZZ_ASSERT(has_error(f, m->key) == had, "an accepted integer records no error");
        return;
    }
    FUZZ_ASSERT(out == -12345, "a refused integer leaves *out alone");
    if (v == NULL || json_is_null(v)) {
        if (m->flags & API_REQUIRED)
            FUZZ_ASSERT(has_error(f, m->key), "a required absent integer is an error");
        return;
    }
    FUZZ_ASSERT(has_error(f, m->key), "a refused present integer records an error");
}

static void check_reply(struct http_req *req, struct api_fields *f)
{
    bool errors = !api_fields_ok(f);
    bool replied = api_fields_check(req, f) != 0;
    FUZZ_ASSERT(replied == errors, "api_fields_check answers exactly when there are errors");
    FUZZ_ASSERT(f->errors == NULL, "api_fields_check frees the errors");
    if (!replied) {
        FUZZ_ASSERT(req->replies == 0, "no errors, no reply");
        return;
    }
    FUZZ_ASSERT(req->replies == 1 && req->status == 422 &&
                    strcmp(req->code, "validation_failed") == 0,
                "one 422 validation_failed");
    json_t *fields = json_object_get(req->extra, "fields");
    FUZZ_ASSERT(json_is_object(fields) && json_object_size(fields) > 0, "the reply lists fields");
    const char *key;
    json_t *e;
    json_object_foreach(fields, key, e)
    {
        const char *code = json_string_value(json_object_get(e, "code"));
        FUZZ_ASSERT(code != NULL && json_is_string(json_object_get(e, "message")),
                    "each field has a code and a message");
        bool known = false;
        for (size_t i = 0; i < sizeof field_codes / sizeof field_codes[0]; i++)
            known = known || strcmp(code, field_codes[i]) == 0;
        FUZZ_ASSERT(known, "a field code is one of the documented codes");
    }
    char *text = json_dumps(req->extra, JSON_COMPACT);
    FUZZ_ASSERT(text != NULL && fuzz_utf8_ok(text, strlen(text)),
                "the error reply serialises to UTF-8 JSON");
    json_t *back = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    FUZZ_ASSERT(back != NULL, "the error reply parses back");
    json_decref(back);
    free(text);
}

static void check_unknown(json_t *body, const struct request *rq)
{
    const char *allowed[32];
    size_t n = 0;
    for (size_t i = 0; i < 24 && rq->m[i].key; i++)
        allowed[n++] = rq->m[i].key;
    allowed[n] = NULL;
    const char *const read_only[] = {"id", "created_at", NULL};
    struct api_fields f;
    api_fields_init(&f);
    api_reject_unknown(&f, body, allowed, read_only);
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        bool listed = false;
        for (size_t i = 0; i < n; i++)
            listed = listed || strcmp(key, allowed[i]) == 0;
        bool ro = strcmp(key, "id") == 0 || strcmp(key, "created_at") == 0;
        const char *code = error_code(&f, key);
        if (ro)
            FUZZ_ASSERT(code && strcmp(code, "read_only") == 0, "a read-only member is flagged");
        else if (!listed)
            FUZZ_ASSERT(code && strcmp(code, "unknown_member") == 0,
                        "an unknown member is flagged");
        else
            FUZZ_ASSERT(code == NULL, "an allowed member is not flagged");
    }
    api_fields_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0; /* http_json_body answers invalid_json before parsing */
    json_error_t jerr;
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (body == NULL) {
        FUZZ_ASSERT(jerr.position >= 0 && (size_t)jerr.position <= size,
                    "a parse error points inside the body");
        FUZZ_ASSERT(strnlen(jerr.text, JSON_ERROR_TEXT_LENGTH) < JSON_ERROR_TEXT_LENGTH,
                    "the parse error text is terminated");
        json_t *where = json_pack("{s:i,s:i,s:i}", "line", jerr.line, "column", jerr.column,
                                  "position", jerr.position);
        FUZZ_ASSERT(where != NULL, "the error position packs");
        json_decref(where);
        return 0;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        return 0; /* answered 400 "must be a JSON object" */
    }
    for (size_t r = 0; r < sizeof requests / sizeof requests[0]; r++) {
        const struct request *rq = &requests[r];
        struct http_req req = {0};
        struct api_fields f;
        api_fields_init(&f);
        for (size_t i = 0; i < 24 && rq->m[i].key; i++) {
            const struct member *m = &rq->m[i];
            if (m->kind == STR)
                check_string(&req, body, m, &f);
            else if (m->kind == INT)
                check_integer(body, m, &f);
            else if (json_object_get(body, m->key) &&
                     !json_is_boolean(json_object_get(body, m->key)))
                api_field_error(&f, m->key, "invalid_type", "Must be true or false.");
        }
        check_unknown(body, rq);
        api_reject_unknown(&f, body, (const char *const[]){"email", "password", NULL}, NULL);
        check_reply(&req, &f);
        fake_req_end(&req);
    }
    json_decref(body);
    return 0;
}

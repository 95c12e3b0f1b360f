/*
 * questions.c - the rules of a question's definition and of the answers to
 * it, shared by the registration questions of activities and the questions
 * of feedback forms.
 */
#include "api/questions.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"

static bool listed(const char *s, const char *const *list)
{
    for (size_t k = 0; s != NULL && list[k] != NULL; k++) {
        if (str_eq(s, list[k]))
            return true;
    }
    return false;
}

/* A non-empty, one-line UTF-8 text of at most max bytes. */
static bool one_line(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= max && str_valid_utf8(s, n) && !str_has_crlf(s, n);
}

static void check_choices(struct api_fields *f, const char *field, const char *kind,
                          json_t *choices, const struct question_rules *r)
{
    bool choice_kind = kind != NULL && strstr(kind, "choice") != NULL;
    if (choices != NULL && !json_is_null(choices) && !json_is_array(choices)) {
        api_field_error(f, field, "invalid_type", "Send the choices as a list of texts.");
    } else if (choice_kind && (!json_is_array(choices) || json_array_size(choices) < 2 ||
                               json_array_size(choices) > 50)) {
        api_field_error(f, field, "out_of_range", "Give between 2 and 50 choices.");
    } else if (!choice_kind && r->choices_only_for_choice && json_array_size(choices) > 0) {
        api_field_error(f, field, "out_of_range", "Only choice questions have choices.");
    } else if (json_is_array(choices)) {
        size_t k;
        json_t *ch;
        json_array_foreach(choices, k, ch)
        {
            if (!one_line(json_string_value(ch), 200)) {
                api_field_error(f, field, "invalid_format",
                                "Each choice is a short one-line text.");
                break;
            }
        }
    }
}

void api_check_question(struct api_fields *f, size_t i, json_t *q, const struct question_rules *r)
{
    char field[96];
    if (!json_is_object(q)) {
        snprintf(field, sizeof field, "questions[%zu]", i);
        api_field_error(f, field, "invalid_type", "Must be an object.");
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(q, key, v)
    {
        if (!listed(key, r->members)) {
            snprintf(field, sizeof field, "questions[%zu].%.32s", i, key);
            api_field_error(f, field, "unknown_member", "This member is not part of a question.");
        }
    }
    snprintf(field, sizeof field, "questions[%zu].kind", i);
    json_t *kind_v = json_object_get(q, "kind");
    const char *kind = json_string_value(kind_v);
    if (kind_v == NULL || json_is_null(kind_v))
        api_field_error(f, field, "required", "Give the kind of question.");
    else if (!listed(kind, r->kinds))
        api_field_error(f, field, "invalid_choice", r->kinds_message);
    snprintf(field, sizeof field, "questions[%zu].label", i);
    json_t *label_v = json_object_get(q, "label");
    if (label_v == NULL || json_is_null(label_v))
        api_field_error(f, field, "required", "Give the question's label.");
    else if (!one_line(json_string_value(label_v), 500))
        api_field_error(f, field, "invalid_format",
                        "A one-line label of at most 500 bytes is required.");
    snprintf(field, sizeof field, "questions[%zu].choices", i);
    check_choices(f, field, kind, json_object_get(q, "choices"), r);
    json_t *req_v = json_object_get(q, "required");
    snprintf(field, sizeof field, "questions[%zu].required", i);
    if (req_v && !json_is_null(req_v) && !json_is_boolean(req_v))
        api_field_error(f, field, "invalid_type", "Must be true or false.");
    json_t *id_v = listed("id", r->members) ? json_object_get(q, "id") : NULL;
    snprintf(field, sizeof field, "questions[%zu].id", i);
    if (id_v && !json_is_null(id_v) && !json_is_integer(id_v))
        api_field_error(f, field, "invalid_type", "Must be the whole-number id of a question.");
    json_t *ml = json_object_get(q, "max_length");
    snprintf(field, sizeof field, "questions[%zu].max_length", i);
    if (ml && !json_is_null(ml) &&
        (!json_is_integer(ml) || json_integer_value(ml) < 1 || json_integer_value(ml) > 10000))
        api_field_error(f, field, "out_of_range", "Must be from 1 to 10000.");
}

/* ---- Answers ---- */

static bool choice_allowed(json_t *choices, const char *v)
{
    size_t i;
    json_t *ch;
    json_array_foreach(choices, i, ch)
    {
        if (str_eq(json_string_value(ch), v))
            return true;
    }
    return false;
}

/* Checks one answer a to question q (not empty), recording a problem on
 * field. True when it is good. */
static bool check_answer(json_t *q, json_t *a, const char *field, struct api_fields *f)
{
    const char *kind = json_string_value(json_object_get(q, "kind"));
    json_t *choices = json_object_get(q, "choices");
    if (str_eq(kind, "text")) {
        const char *s = json_string_value(a);
        if (s == NULL || strlen(s) != json_string_length(a) || !str_valid_utf8(s, strlen(s))) {
            api_field_error(f, field, "invalid_type", "Must be text.");
            return false;
        }
        if ((json_int_t)api_utf8_chars(s) > json_integer_value(json_object_get(q, "max_length"))) {
            api_field_error(f, field, "too_long", "This answer is too long.");
            return false;
        }
        return true;
    }
    if (str_eq(kind, "yes_no")) {
        if (!json_is_boolean(a))
            api_field_error(f, field, "invalid_type", "Answer yes (true) or no (false).");
        return json_is_boolean(a);
    }
    if (str_eq(kind, "rating")) {
        if (!json_is_integer(a)) {
            api_field_error(f, field, "invalid_type", "Give a whole number from 1 to 5.");
            return false;
        }
        if (json_integer_value(a) < 1 || json_integer_value(a) > 5) {
            api_field_error(f, field, "out_of_range", "Give a whole number from 1 to 5.");
            return false;
        }
        return true;
    }
    if (str_eq(kind, "single_choice")) {
        const char *s = json_string_value(a);
        bool ok = s != NULL && choice_allowed(choices, s);
        if (!ok)
            api_field_error(f, field, "invalid_choice", "Pick one of the offered choices.");
        return ok;
    }
    bool ok = json_is_array(a) && json_array_size(a) <= json_array_size(choices);
    size_t k;
    json_t *v;
    if (ok) {
        json_array_foreach(a, k, v)
        {
            if (!json_is_string(v) || !choice_allowed(choices, json_string_value(v)))
                ok = false;
        }
    }
    if (!ok)
        api_field_error(f, field, "invalid_choice", "Pick from the offered choices.");
    return ok;
}

/*
 * Checks answers (an object keyed by question id) against the form's
 * questions, one field error per bad answer ("answers.<id>") and per key
 * that is not a question. Returns the cleaned answers (new reference).
 */
json_t *api_check_answers(json_t *questions, json_t *answers, struct api_fields *f,
                          bool refuse_unknown)
{
    json_t *clean = json_object();
    if (answers != NULL && !json_is_null(answers) && !json_is_object(answers)) {
        api_field_error(f, "answers", "invalid_type",
                        "Send the answers as an object keyed by question id.");
        return clean;
    }
    size_t i;
    json_t *q;
    json_array_foreach(questions, i, q)
    {
        char key[32], field[48];
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(q, "id")));
        snprintf(field, sizeof field, "answers.%s", key);
        json_t *a = answers ? json_object_get(answers, key) : NULL;
        bool empty = a == NULL || json_is_null(a) ||
                     (json_is_string(a) && json_string_length(a) == 0) ||
                     (json_is_array(a) && json_array_size(a) == 0);
        if (empty) {
            if (json_is_true(json_object_get(q, "required")))
                api_field_error(f, field, "required", "Please answer this question.");
            continue;
        }
        if (check_answer(q, a, field, f))
            json_object_set(clean, key, a);
    }
    const char *key;
    json_t *v;
    if (!refuse_unknown || !json_is_object(answers))
        return clean;
    json_object_foreach(answers, key, v)
    {
        if (json_object_get(clean, key) != NULL)
            continue;
        bool known = false;
        json_array_foreach(questions, i, q)
        {
            char id[32];
            snprintf(id, sizeof id, "%lld",
                     (long long)json_integer_value(json_object_get(q, "id")));
            known = known || str_eq(id, key);
        }
        if (!known) {
            char field[96];
            snprintf(field, sizeof field, "answers.%.64s", key);
            api_field_error(f, field, "unknown_member", "Not a question of this form.");
        }
    }
    return clean;
}

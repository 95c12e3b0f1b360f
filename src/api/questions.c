/*
 * questions.c - the rules of a question's definition, shared by the
 * registration questions of activities and the questions of feedback forms.
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

/*
 * questions.h - checking the definition of a question in a request body,
 * and the answers to questions:
 * the registration questions of an activity and the questions of a
 * feedback form share their shape (kind, label, required, choices,
 * max_length) and these rules; each use names the kinds and members it
 * takes. Problems are recorded per field as "questions[i].member".
 */
#ifndef CONVENE_QUESTIONS_H
#define CONVENE_QUESTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "api/api.h"

struct question_rules {
    const char *const *kinds;     /* the kinds allowed, NULL-ended */
    const char *kinds_message;    /* "Use text, single_choice, ..." */
    const char *const *members;   /* the members allowed, NULL-ended */
    bool choices_only_for_choice; /* choices on another kind are refused */
};

/*
 * Checks question i (the object q) against rules r: an object; no member
 * outside r->members; kind one of r->kinds; label a one-line text of 1 to
 * 500 bytes; choices, for the kinds whose name says "choice", a list of 2
 * to 50 one-line texts of at most 200 bytes; required a boolean; id (when
 * r->members has it) a whole number; max_length from 1 to 10000.
 */
void api_check_question(struct api_fields *f, size_t i, json_t *q, const struct question_rules *r);

/*
 * Checks answers (an object keyed by question id, or NULL) against
 * questions (a list of stored questions: id, kind, required, choices,
 * max_length): a required question left empty, text that is not UTF-8 or
 * longer than max_length characters, yes_no not a boolean, a rating not a
 * whole number from 1 to 5, a choice not offered. One field error per bad
 * answer ("answers.<id>"), and, when refuse_unknown, per key that is no
 * question. Returns the good answers (a new object: unknown keys and bad
 * answers left out).
 */
json_t *api_check_answers(json_t *questions, json_t *answers, struct api_fields *f,
                          bool refuse_unknown);

#endif

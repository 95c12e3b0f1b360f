/*
 * internal.h - what the files of src/feedback/ share; nothing outside the
 * folder includes it.
 */
#ifndef CONVENE_FEEDBACK_INTERNAL_H
#define CONVENE_FEEDBACK_INTERNAL_H

/* Statement registration of each file (called by feedback_statements). */
void feedback_forms_statements(void);
void feedback_results_statements(void);

#endif

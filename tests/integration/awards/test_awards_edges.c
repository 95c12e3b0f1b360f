#include <check.h>
Suite *make_awards_edges_suite(void);
Suite *make_awards_edges_suite(void)
{
    Suite *s = suite_create("awards_edges");
    return s;
}

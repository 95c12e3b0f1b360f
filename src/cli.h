/*
 * cli.h - command-line subcommands beyond serve and migrate: account
 * administration (`convene user`) and demo data (`convene seed`). Both read
 * their settings from the environment; main loads them.
 */
#ifndef CONVENE_CLI_H
#define CONVENE_CLI_H

struct config;

/*
 * `convene user add EMAIL --name NAME --role ROLE [--role ...] [--organisation ID]`
 * `convene user role EMAIL ROLE [--remove]`
 * `convene user passwd EMAIL`
 * Passwords are read from standard input (never argv). argv[0] is "user".
 * Returns the process exit status (0, 1 on failure, 2 on bad usage).
 */
int cli_user(const struct config *cfg, int argc, char **argv);

/*
 * Loads the seed data in data_dir/sql/seed (organisations, the calendar,
 * the awards cycle, then the demo accounts, whose new passwords are
 * printed). year 0 loads the calendar's real 2023 dates; another year
 * (2000-2099) shifts the calendar to it (dates, labels, periods, slugs
 * "-YYYY") and adds demo registrations that fill an activity and start its
 * waiting list. Running it again changes nothing. Returns the exit status.
 */
int cli_seed(const struct config *cfg, const char *data_dir, int year);

#endif

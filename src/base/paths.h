/*
 * paths.h - where Convene's data files (sql/, web/, mail-templates/) live,
 * so one binary works from the source tree, the build tree and installed.
 */
#ifndef CONVENE_PATHS_H
#define CONVENE_PATHS_H

/*
 * Returns the data directory (caller frees): `configured` when given,
 * otherwise the first of <exe dir>/../share/convene (installed, relocated),
 * the compiled-in install data directory, and the compiled-in source
 * directory that holds sql/migrations. NULL when none does.
 */
char *paths_data_dir(const char *configured);

#endif

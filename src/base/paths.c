/*
 * paths.c - data directory discovery. See paths.h.
 */
#include "base/paths.h"

#include "base/util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CONVENE_INSTALL_DATADIR
#define CONVENE_INSTALL_DATADIR "/usr/local/share/convene"
#endif
#ifndef CONVENE_SOURCE_DIR
#define CONVENE_SOURCE_DIR "."
#endif

static int has_migrations(const char *dir)
{
    char *p = xasprintf("%s/sql/migrations", dir);
    struct stat st;
    int ok = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
    free(p);
    return ok;
}

char *paths_data_dir(const char *configured)
{
    if (configured)
        return xstrdup(configured);

    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char *candidate = xasprintf("%s/../share/convene", exe);
            if (has_migrations(candidate)) {
                char *real = realpath(candidate, NULL);
                free(candidate);
                return real ? real : NULL;
            }
            free(candidate);
        }
    }
    if (has_migrations(CONVENE_INSTALL_DATADIR))
        return xstrdup(CONVENE_INSTALL_DATADIR);
    if (has_migrations(CONVENE_SOURCE_DIR))
        return xstrdup(CONVENE_SOURCE_DIR);
    return NULL;
}

/*
 * outpath.c - may a file be written at this path? (outpath.h)
 */
#define _POSIX_C_SOURCE 200809L /* lstat */

#include "base/outpath.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory part of path, in buf ("." when there is none). */
static void dir_of(const char *path, char *buf, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(buf, len, ".");
    else if (slash == path)
        snprintf(buf, len, "/");
    else
        snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

int tm_outpath_check(const char *path, int force, const char *what, tm_err_t *err)
{
    char dir[4096];
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return tm_err_set(err, TM_EIO, "%s is a directory (%s)", what, path);
        if (!force)
            return tm_err_set(err, TM_EEXIST, "%s exists; use --force to overwrite it (%s)", what,
                              path);
    }
    dir_of(path, dir, sizeof dir);
    if (stat(dir, &st) != 0)
        return tm_err_set(err, TM_EIO, "cannot write %s: directory '%s': %s (%s)", what, dir,
                          strerror(errno), path);
    if (!S_ISDIR(st.st_mode))
        return tm_err_set(err, TM_EIO, "cannot write %s: '%s' is not a directory (%s)", what, dir,
                          path);
    if (access(dir, W_OK | X_OK) != 0)
        return tm_err_set(err, TM_EIO, "cannot write %s: directory '%s': %s (%s)", what, dir,
                          strerror(errno), path);
    return 0;
}

/*
 * publish.c - temporary names and the atomic move into place (publish.h).
 */
#define _GNU_SOURCE /* renameat2, O_DIRECTORY */
#include "base/publish.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int tm_publish_tmpname(const char *path, char *buf, size_t len)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0; /* keeps the '/' */
    const char *base = slash ? slash + 1 : path;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long long x = ((unsigned long long)getpid() << 32) ^ (unsigned long long)ts.tv_nsec ^
                           ((unsigned long long)ts.tv_sec << 20);
    /* splitmix64 finaliser: spread the bits. */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    int w = snprintf(buf, len, "%.*s.%s.tmp-%012llx", (int)dirlen, path, base,
                     x & 0xffffffffffffULL);
    return w < 0 || (size_t)w >= len ? -1 : 0;
}

/* Flush the directory of path, so that the rename itself survives a crash. */
static void sync_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if (snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path) >= (int)sizeof dir)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd); /* on file systems that support it */
        close(fd);
    }
}

int tm_publish(const char *tmp, const char *path, int replace, const char *what, tm_err_t *err)
{
    int moved = 0;
    if (replace) {
        moved = rename(tmp, path) == 0;
    } else if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0) {
        moved = 1;
    } else if (errno == EINVAL || errno == ENOSYS) {
        /* A file system without renameat2: link fails if the name exists. */
        if (link(tmp, path) == 0) {
            unlink(tmp);
            moved = 1;
        }
    }
    if (moved) {
        sync_dir(path);
        return 0;
    }
    if (!replace && errno == EEXIST)
        return tm_err_set(err, TM_EEXIST, "%s exists; use --force to overwrite it (%s)", what,
                          path);
    return tm_err_set(err, TM_EIO, "cannot rename %s to the %s: %s (%s)", tmp, what,
                      strerror(errno), path);
}

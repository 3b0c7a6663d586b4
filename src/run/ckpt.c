/*
 * ckpt.c - checkpoint files: per-rank states and the manifest (ckpt.h).
 *
 * State file state-GEN-RANK.bin:
 *   "TMSTATE1" | generation | rank | pass | round | length   (int64 each)
 *   | length bytes of state | FNV-1a 64 hash of everything before it
 * Manifest (text, hash of all lines before the last):
 *   tripminer-checkpoint 1
 *   generation G / pass P / round R / ranks N
 *   state RANK LENGTH HASH          (one line per rank)
 *   dep KEY=VALUE                   (the dependencies)
 *   hash HEX
 */
#define _POSIX_C_SOURCE 200809L

#include "run/ckpt.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fault.h"
#include "base/publish.h"

#define STATE_MAGIC "TMSTATE1"
#define MANIFEST_HEAD "tripminer-checkpoint 1"
/* No manifest is larger than this (a line per rank and per dependency). */
#define MANIFEST_MAX ((size_t)1 << 24)

void tm_ckpt_info_free(tm_ckpt_info_t *info)
{
    free(info->deps);
    info->deps = NULL;
}

/* ---- helpers -------------------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

#define FNV0 0xcbf29ce484222325ULL

/* Write all of buf to path through a temporary name, durably. */
static int write_atomic(const char *dir, const char *name, const void *buf, size_t len,
                        tm_err_t *err)
{
    char tmp[4096], path[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name) >= sizeof tmp ||
        (size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return tm_err_set(err, TM_EIO, "checkpoint path too long (%s)", dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return tm_err_set(err, TM_EIO, "cannot create %s: %s (checkpoint)", tmp, strerror(errno));
    const unsigned char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return tm_err_set(err, TM_EIO, "writing %s failed: %s (checkpoint)", tmp, strerror(e));
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return tm_err_set(err, TM_EIO, "flushing %s failed: %s (checkpoint)", tmp, strerror(e));
    }
    int rc = tm_publish(tmp, path, 1, "checkpoint file", err);
    if (rc != 0)
        unlink(tmp);
    return rc;
}

/* Read a whole file of at most max bytes. */
static int read_all(const char *path, size_t max, tm_buf_t *out, tm_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return tm_err_set(err, TM_EIO, "cannot open %s: %s (checkpoint)", path, strerror(errno));
    unsigned char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (out->len + n > max) {
            fclose(f);
            return tm_err_set(err, TM_EINPUT, "%s is larger than a checkpoint file can be "
                              "(checkpoint)", path);
        }
        tm_buf_put(out, chunk, n);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad || out->bad)
        return tm_err_set(err, TM_EIO, "reading %s failed (checkpoint)", path);
    return 0;
}

static void state_name(char *buf, size_t len, int64_t gen, int rank)
{
    snprintf(buf, len, "state-%" PRId64 "-%d.bin", gen, rank);
}

/* ---- save ----------------------------------------------------------------- */

int tm_ckpt_exists(const char *dir, MPI_Comm comm)
{
    int rank = 0, yes = 0;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0) {
        char path[4096];
        snprintf(path, sizeof path, "%s/manifest", dir);
        yes = access(path, F_OK) == 0;
    }
    MPI_Bcast(&yes, 1, MPI_INT, 0, comm);
    return yes;
}

int tm_ckpt_save(const char *dir, tm_ckpt_info_t *info, const tm_buf_t *state, MPI_Comm comm,
                 tm_err_t *err)
{
    int rank = 0, nranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    const int64_t gen = info->generation + 1;
    int rc = 0;
    if (rank == 0 && mkdir(dir, 0777) != 0 && errno != EEXIST)
        rc = tm_err_set(err, TM_EIO, "cannot create the checkpoint directory %s: %s", dir,
                        strerror(errno));
    rc = tm_err_agree(rc, err, comm);
    if (rc != 0)
        return rc;

    /* This rank's state file. */
    tm_buf_t f = {0};
    const int64_t head[5] = {gen, rank, info->pos.pass, info->pos.round, (int64_t)state->len};
    tm_buf_put(&f, STATE_MAGIC, 8);
    tm_buf_put(&f, head, sizeof head);
    tm_buf_put(&f, state->p, state->len);
    uint64_t h = fnv(FNV0, f.p, f.len);
    tm_buf_put(&f, &h, sizeof h);
    char name[128];
    state_name(name, sizeof name, gen, rank);
    if (f.bad || state->bad)
        rc = tm_err_set(err, TM_ENOMEM, "cannot assemble the checkpoint state of rank %d", rank);
    if (rc == 0)
        rc = tm_fault_at("save", rank, err);
    if (rc == 0)
        rc = write_atomic(dir, name, f.p, f.len, err);
    uint64_t mine[2] = {(uint64_t)f.len, h};
    tm_buf_free(&f);
    uint64_t *all = rank == 0 ? malloc((size_t)nranks * sizeof mine) : NULL;
    if (rank == 0 && all == NULL)
        rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the checkpoint manifest");
    MPI_Gather(mine, 2, MPI_UINT64_T, all, 2, MPI_UINT64_T, 0, comm);
    rc = tm_err_agree(rc, err, comm);

    /* The manifest, last: it makes the new generation the valid one. */
    if (rc == 0 && rank == 0) {
        tm_buf_t m = {0};
        char line[256];
        int k = snprintf(line, sizeof line, "%s\ngeneration %" PRId64 "\npass %d\nround %" PRId64
                         "\nranks %d\n", MANIFEST_HEAD, gen, info->pos.pass, info->pos.round,
                         nranks);
        tm_buf_put(&m, line, (size_t)k);
        for (int q = 0; q < nranks; q++) {
            k = snprintf(line, sizeof line, "state %d %" PRIu64 " %016" PRIx64 "\n", q,
                         all[2 * q], all[2 * q + 1]);
            tm_buf_put(&m, line, (size_t)k);
        }
        for (const char *p = info->deps; *p != '\0';) {
            const char *e = strchr(p, '\n');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            tm_buf_put(&m, "dep ", 4);
            tm_buf_put(&m, p, len);
            tm_buf_put(&m, "\n", 1);
            p += len + (e ? 1 : 0);
        }
        k = snprintf(line, sizeof line, "hash %016" PRIx64 "\n", fnv(FNV0, m.p, m.len));
        tm_buf_put(&m, line, (size_t)k);
        rc = m.bad ? tm_err_set(err, TM_ENOMEM, "cannot assemble the checkpoint manifest")
                   : write_atomic(dir, "manifest", m.p, m.len, err);
        tm_buf_free(&m);
    }
    free(all);
    rc = tm_err_agree(rc, err, comm);
    if (rc != 0)
        return rc;
    /* The new generation is in place: the old one can go. */
    if (info->generation > 0) {
        char path[4096];
        state_name(name, sizeof name, info->generation, rank);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        unlink(path);
    }
    info->generation = gen;
    return 0;
}

/* ---- load ----------------------------------------------------------------- */

/* Parse and check the manifest text (NUL-terminated). */
static int parse_manifest(const char *dir, char *text, int nranks, tm_ckpt_info_t *info,
                          uint64_t *sizes, uint64_t *hashes, tm_err_t *err)
{
    /* The last line is the hash of everything before it. */
    size_t len = strlen(text);
    if (len == 0 || text[len - 1] != '\n')
        return tm_err_set(err, TM_EINPUT, "the manifest in %s is truncated (checkpoint)", dir);
    text[len - 1] = '\0';
    char *last = strrchr(text, '\n');
    uint64_t want = 0;
    if (last == NULL || sscanf(last + 1, "hash %" SCNx64, &want) != 1 ||
        fnv(FNV0, text, (size_t)(last + 1 - text)) != want)
        return tm_err_set(err, TM_EINPUT, "the manifest in %s is damaged: its hash does not "
                          "match (checkpoint)", dir);
    *last = '\0';

    tm_buf_t deps = {0};
    int got = 0, ranks = -1, seen = 0;
    long long gen = -1, round = -1;
    int pass = 0;
    char *save = NULL;
    for (char *ln = strtok_r(text, "\n", &save); ln != NULL; ln = strtok_r(NULL, "\n", &save)) {
        int q = -1;
        uint64_t sz = 0, hh = 0;
        if (got == 0) {
            if (strcmp(ln, MANIFEST_HEAD) != 0)
                break;
            got = 1;
        } else if (sscanf(ln, "generation %lld", &gen) == 1 || sscanf(ln, "pass %d", &pass) == 1 ||
                   sscanf(ln, "round %lld", &round) == 1 || sscanf(ln, "ranks %d", &ranks) == 1) {
            continue;
        } else if (sscanf(ln, "state %d %" SCNu64 " %" SCNx64, &q, &sz, &hh) == 3) {
            if (q >= 0 && q < nranks && ranks == nranks) {
                sizes[q] = sz;
                hashes[q] = hh;
                seen++;
            }
        } else if (strncmp(ln, "dep ", 4) == 0) {
            tm_buf_put(&deps, ln + 4, strlen(ln + 4));
            tm_buf_put(&deps, "\n", 1);
        } else {
            got = -1;
            break;
        }
    }
    tm_buf_put(&deps, "", 1);
    if (got != 1 || gen < 1 || pass < 1 || pass > 2 || round < 0 || ranks < 1 || deps.bad) {
        tm_buf_free(&deps);
        return tm_err_set(err, TM_EINPUT, "the manifest in %s is not a tripminer checkpoint "
                          "(checkpoint)", dir);
    }
    if (ranks != nranks) {
        tm_buf_free(&deps);
        return tm_err_set(err, TM_EINPUT, "the checkpoint in %s was made on %d ranks, this run "
                          "has %d: resume on %d ranks (checkpoint)", dir, ranks, nranks, ranks);
    }
    if (seen != nranks) {
        tm_buf_free(&deps);
        return tm_err_set(err, TM_EINPUT, "the manifest in %s lists %d of %d rank states "
                          "(checkpoint)", dir, seen, nranks);
    }
    info->generation = gen;
    info->pos.pass = pass;
    info->pos.round = round;
    info->nranks = ranks;
    info->deps = (char *)deps.p;
    return 0;
}

/* Rank 0: read and check the manifest; hdr gets what the others need. */
static int read_manifest(const char *dir, int nranks, tm_ckpt_info_t *info, uint64_t *sizes,
                         uint64_t *hashes, int64_t hdr[4], tm_err_t *err)
{
    char path[4096];
    tm_buf_t text = {0};
    int rc;
    snprintf(path, sizeof path, "%s/manifest", dir);
    if (access(path, F_OK) != 0)
        rc = tm_err_set(err, TM_EINPUT, "no checkpoint to resume: %s has no manifest "
                        "(--resume)", dir);
    else
        rc = read_all(path, MANIFEST_MAX, &text, err);
    tm_buf_put(&text, "", 1);
    if (rc == 0 && text.bad)
        rc = tm_err_set(err, TM_ENOMEM, "cannot read the manifest (checkpoint)");
    if (rc == 0 && strlen((char *)text.p) != text.len - 1)
        rc = tm_err_set(err, TM_EINPUT, "the manifest in %s is damaged (checkpoint)", dir);
    if (rc == 0)
        rc = parse_manifest(dir, (char *)text.p, nranks, info, sizes, hashes, err);
    if (rc == 0) {
        hdr[0] = info->generation;
        hdr[1] = info->pos.pass;
        hdr[2] = info->pos.round;
        hdr[3] = (int64_t)strlen(info->deps) + 1;
    }
    tm_buf_free(&text);
    return rc;
}

/* Rank 0's manifest to every rank. Collective. */
static int share_manifest(tm_ckpt_info_t *info, uint64_t *sizes, uint64_t *hashes,
                          int64_t hdr[4], MPI_Comm comm, tm_err_t *err)
{
    int rank = 0, nranks = 1, rc = 0;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    MPI_Bcast(hdr, 4, MPI_INT64_T, 0, comm);
    MPI_Bcast(sizes, nranks, MPI_UINT64_T, 0, comm);
    MPI_Bcast(hashes, nranks, MPI_UINT64_T, 0, comm);
    if (rank != 0) {
        info->generation = hdr[0];
        info->pos.pass = (int)hdr[1];
        info->pos.round = hdr[2];
        info->nranks = nranks;
        info->deps = malloc((size_t)hdr[3]);
        if (info->deps == NULL)
            rc = tm_err_set(err, TM_ENOMEM, "cannot allocate (checkpoint)");
    }
    rc = tm_err_agree(rc, err, comm);
    if (rc == 0)
        MPI_Bcast(info->deps, (int)hdr[3], MPI_CHAR, 0, comm);
    return rc;
}

/* This rank's state: size, hash and header must all agree with the manifest. */
static int read_state(const char *dir, const tm_ckpt_info_t *info, int rank, uint64_t size,
                      uint64_t hash, tm_buf_t *state, tm_err_t *err)
{
    char name[128], path[4096];
    state_name(name, sizeof name, info->generation, rank);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    tm_buf_t f = {0};
    const size_t fixed = 8 + 5 * sizeof(int64_t) + sizeof(uint64_t);
    int rc = tm_fault_at("load", rank, err);
    if (rc == 0 && size < fixed)
        rc = tm_err_set(err, TM_EINPUT, "the manifest in %s gives rank %d a state of %" PRIu64
                        " bytes (checkpoint)", dir, rank, size);
    if (rc == 0)
        rc = read_all(path, size, &f, err);
    if (rc == 0 && f.len != size)
        rc = tm_err_set(err, TM_EINPUT, "%s has %zu bytes, the manifest says %" PRIu64
                        ": truncated or replaced (checkpoint)", path, f.len, size);
    if (rc == 0) {
        uint64_t h;
        memcpy(&h, f.p + f.len - sizeof h, sizeof h);
        if (h != hash || fnv(FNV0, f.p, f.len - sizeof h) != h)
            rc = tm_err_set(err, TM_EINPUT, "%s is damaged: its hash does not match "
                            "(checkpoint)", path);
    }
    if (rc == 0) {
        int64_t head[5];
        memcpy(head, f.p + 8, sizeof head);
        if (memcmp(f.p, STATE_MAGIC, 8) != 0 || head[0] != info->generation || head[1] != rank ||
            head[2] != info->pos.pass || head[3] != info->pos.round ||
            (uint64_t)head[4] != f.len - fixed)
            rc = tm_err_set(err, TM_EINPUT, "%s does not belong to this checkpoint (checkpoint)",
                            path);
        else
            tm_buf_put(state, f.p + 8 + sizeof head, (size_t)head[4]);
        if (rc == 0 && state->bad)
            rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the state (checkpoint)");
    }
    tm_buf_free(&f);
    return rc;
}

int tm_ckpt_load(const char *dir, tm_ckpt_info_t *info, tm_buf_t *state, MPI_Comm comm,
                 tm_err_t *err)
{
    int rank = 0, nranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    memset(info, 0, sizeof *info);
    uint64_t *sizes = calloc((size_t)nranks, sizeof *sizes);
    uint64_t *hashes = calloc((size_t)nranks, sizeof *hashes);
    int64_t hdr[4] = {0, 0, 0, 0};
    int rc = sizes && hashes ? 0 : tm_err_set(err, TM_ENOMEM, "cannot allocate (checkpoint)");
    /* Rank 0 reads and checks the manifest; everyone gets the result. */
    if (rc == 0 && rank == 0)
        rc = read_manifest(dir, nranks, info, sizes, hashes, hdr, err);
    rc = tm_err_agree(rc, err, comm);
    if (rc == 0)
        rc = share_manifest(info, sizes, hashes, hdr, comm, err);
    if (rc == 0) {
        rc = read_state(dir, info, rank, sizes[rank], hashes[rank], state, err);
        rc = tm_err_agree(rc, err, comm);
    }
    free(sizes);
    free(hashes);
    if (rc != 0) {
        tm_ckpt_info_free(info);
        tm_buf_free(state);
    }
    return rc;
}

/* ---- the rest --------------------------------------------------------------- */

/* The value of key in dependency lines (up to the newline), or NULL. */
static const char *dep_value(const char *deps, const char *key, size_t klen, size_t *vlen)
{
    for (const char *p = deps; *p != '\0';) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            *vlen = len - klen - 1;
            return p + klen + 1;
        }
        p += len + (e ? 1 : 0);
    }
    return NULL;
}

/* Look for a key of a whose value in b differs (or is missing). */
static int first_diff(const char *a, const char *b, char *what, size_t len, int swap)
{
    for (const char *p = a; *p != '\0';) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        const char *eq = memchr(p, '=', l);
        if (eq != NULL) {
            size_t klen = (size_t)(eq - p), va = l - klen - 1, vb = 0;
            const char *v = dep_value(b, p, klen, &vb);
            if (v == NULL || vb != va || strncmp(v, eq + 1, va) != 0) {
                const char *was = swap ? v : eq + 1, *is = swap ? eq + 1 : v;
                int wl = (int)(swap ? vb : va), il = (int)(swap ? va : vb);
                snprintf(what, len, "%.*s was %.*s, is %.*s", (int)klen, p, was ? wl : 6,
                         was ? was : "absent", is ? il : 6, is ? is : "absent");
                return 1;
            }
        }
        p += l + (e ? 1 : 0);
    }
    return 0;
}

int tm_ckpt_deps_differ(const char *saved, const char *now, char *what, size_t len)
{
    return first_diff(saved, now, what, len, 0) || first_diff(now, saved, what, len, 1);
}

void tm_ckpt_remove(const char *dir, const tm_ckpt_info_t *info, MPI_Comm comm)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    char path[4096], name[128];
    if (rank == 0) {
        snprintf(path, sizeof path, "%s/manifest", dir);
        unlink(path);
    }
    /* No rank removes its state before the manifest that names it is gone. */
    MPI_Barrier(comm);
    if (info->generation > 0) {
        state_name(name, sizeof name, info->generation, rank);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        unlink(path);
    }
}

static volatile sig_atomic_t signalled;

static void on_signal(int sig)
{
    (void)sig;
    signalled = 1;
}

void tm_ckpt_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

int tm_ckpt_signalled(void)
{
    return signalled != 0;
}

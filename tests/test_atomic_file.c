/* Tests of atomic file output (src/io/atomic_file.c): commit, abort, the two-step
 * sync/publish, the unnamed O_TMPFILE path and the named fallback, the removal of stale
 * temporaries of dead processes, and a full disk (ENOSPC) on a small tmpfs, which needs
 * root (mount(2)); without it that part is skipped with a message.
 *
 * Every check also asks that the folder holds nothing but the expected files: no
 * temporary may be left behind by any path. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "io/atomic_file.h"

/* ------------------------------------------------------------------ helpers */

/* Entries of dir other than . and .., and the first of them (by readdir order). */
static int count_entries(const char *dir, char *first, size_t size)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    if (first && size)
        first[0] = '\0';
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (n == 0 && first)
            snprintf(first, size, "%s", e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

/* The contents of path as a string ("" on failure, or "<missing>"). */
static const char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "rb");
    if (!f)
        return "<missing>";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void make_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f || fputs(text, f) == EOF || fclose(f) != 0) {
        fprintf(stderr, "%s: cannot create test file\n", path);
        exit(2);
    }
}

/* out = dir/name; the test's folders are short, so a name that does not fit is a bug. */
static void join(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size) {
        fprintf(stderr, "%s/%s: path too long\n", dir, name);
        exit(2);
    }
}

/* A pid that no process has: a child that has exited and been reaped. */
static pid_t dead_pid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return pid;
}

/* ------------------------------------------------------------------ tests */

/* Commit, replace, abort and the temporaries seen while writing, in one mode. */
static void test_commit_abort(const char *dir, int named)
{
    const char *mode = named ? "named" : "O_TMPFILE";
    atomic_file_force_named(named);
    char path[4096], seen[256];
    join(path, sizeof path, dir, "out.txt");
    ba_error err = {.msg = ""};

    /* A new file: nothing visible until commit (O_TMPFILE), one temporary (named). */
    atomic_file af;
    CHECK_MSG(atomic_file_open(&af, path, &err) == 0, "%s: %s", mode, err.msg);
    CHECK_MSG(af.unnamed == !named, "%s: unnamed = %d", mode, af.unnamed);
    fputs("first\n", af.fp);
    int n = count_entries(dir, seen, sizeof seen);
    if (named)
        CHECK_MSG(n == 1 && !strncmp(seen, "out.txt.tmp-", 12), "%s: %d entries, %s", mode,
                  n, seen);
    else
        CHECK_MSG(n == 0, "%s: %d entries while writing (%s)", mode, n, seen);
    CHECK_MSG(atomic_file_commit(&af, &err) == 0, "%s: %s", mode, err.msg);
    CHECK_MSG(!strcmp(slurp(path), "first\n"), "%s: %s", mode, slurp(path));
    CHECK_MSG(count_entries(dir, seen, sizeof seen) == 1, "%s: left %s", mode, seen);

    /* The usual permissions of a new file, whichever way it was made. */
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);

    /* Over an existing file: the old contents until commit, then the new. */
    CHECK(atomic_file_open(&af, path, &err) == 0);
    fputs("second\n", af.fp);
    fflush(af.fp);
    CHECK_MSG(!strcmp(slurp(path), "first\n"), "%s: %s", mode, slurp(path));
    CHECK_MSG(atomic_file_commit(&af, &err) == 0, "%s: %s", mode, err.msg);
    CHECK_MSG(!strcmp(slurp(path), "second\n"), "%s: %s", mode, slurp(path));
    CHECK_MSG(count_entries(dir, seen, sizeof seen) == 1, "%s: left %s", mode, seen);

    /* Abort: the target as it was, no temporary. */
    CHECK(atomic_file_open(&af, path, &err) == 0);
    fputs("third, abandoned\n", af.fp);
    atomic_file_abort(&af);
    CHECK_MSG(!strcmp(slurp(path), "second\n"), "%s: %s", mode, slurp(path));
    CHECK_MSG(count_entries(dir, seen, sizeof seen) == 1, "%s: left %s", mode, seen);

    /* Two steps: after sync nothing is named yet; publish replaces. */
    CHECK(atomic_file_open(&af, path, &err) == 0);
    fputs("fourth\n", af.fp);
    CHECK_MSG(atomic_file_sync(&af, &err) == 0, "%s: %s", mode, err.msg);
    CHECK_MSG(!strcmp(slurp(path), "second\n"), "%s: %s", mode, slurp(path));
    CHECK_MSG(atomic_file_publish(&af, &err) == 0, "%s: %s", mode, err.msg);
    CHECK_MSG(!strcmp(slurp(path), "fourth\n"), "%s: %s", mode, slurp(path));
    atomic_file_abort(&af); /* harmless after publish */
    CHECK_MSG(!strcmp(slurp(path), "fourth\n"), "%s: %s", mode, slurp(path));
    CHECK_MSG(count_entries(dir, seen, sizeof seen) == 1, "%s: left %s", mode, seen);

    /* Sync then abort: the target untouched. */
    CHECK(atomic_file_open(&af, path, &err) == 0);
    fputs("fifth\n", af.fp);
    CHECK(atomic_file_sync(&af, &err) == 0);
    atomic_file_abort(&af);
    CHECK_MSG(!strcmp(slurp(path), "fourth\n"), "%s: %s", mode, slurp(path));
    CHECK_MSG(count_entries(dir, seen, sizeof seen) == 1, "%s: left %s", mode, seen);

    /* A target that cannot be replaced (a folder): one error naming it, nothing left. */
    char sub[4096];
    join(sub, sizeof sub, dir, "folder");
    CHECK(mkdir(sub, 0777) == 0);
    CHECK(atomic_file_open(&af, sub, &err) == 0);
    fputs("x", af.fp);
    CHECK(atomic_file_commit(&af, &err) != 0);
    CHECK_MSG(strstr(err.msg, sub) && strstr(err.msg, "cannot write"), "%s: %s", mode,
              err.msg);
    CHECK_MSG(count_entries(dir, NULL, 0) == 2, "%s: %d entries", mode,
              count_entries(dir, NULL, 0));
    rmdir(sub);

    /* A folder that does not exist: the error names the file. */
    char missing[4096];
    snprintf(missing, sizeof missing, "%s/no/such/file", dir);
    CHECK(atomic_file_open(&af, missing, &err) != 0);
    CHECK_MSG(strstr(err.msg, missing) && strstr(err.msg, "No such file"), "%s", err.msg);

    /* atomic_write_bytes, a whole buffer. */
    CHECK(atomic_write_bytes(path, "bytes", 5, &err) == 0);
    CHECK(!strcmp(slurp(path), "bytes"));
    unlink(path);
    atomic_file_force_named(0);
}

/* Temporaries of dead processes are removed when the same target is opened again;
 * those of live processes, of other targets and of other kinds of names are not. */
static void test_stale(const char *dir)
{
    char path[4096], stale[4096], live[4096], other[4096], odd[4096];
    join(path, sizeof path, dir, "model.bin");
    char name[64];
    snprintf(name, sizeof name, "model.bin.tmp-%ld-abc123", (long)dead_pid());
    join(stale, sizeof stale, dir, name);
    snprintf(name, sizeof name, "model.bin.tmp-%ld-abc123", (long)getppid());
    join(live, sizeof live, dir, name);
    snprintf(name, sizeof name, "other.bin.tmp-%ld-abc123", (long)dead_pid());
    join(other, sizeof other, dir, name);
    join(odd, sizeof odd, dir, "model.bin.tmp-notapid-abc123");
    make_file(stale, "stale");
    make_file(live, "live");
    make_file(other, "other");
    make_file(odd, "odd");
    for (int named = 0; named < 2; named++) {
        atomic_file_force_named(named);
        make_file(stale, "stale");
        ba_error err;
        CHECK(atomic_write_bytes(path, "new", 3, &err) == 0);
        CHECK_MSG(access(stale, F_OK) != 0, "named=%d: %s still there", named, stale);
        CHECK(access(live, F_OK) == 0);
        CHECK(access(other, F_OK) == 0);
        CHECK(access(odd, F_OK) == 0);
        CHECK(!strcmp(slurp(path), "new"));
    }
    atomic_file_force_named(0);
    unlink(live);
    unlink(other);
    unlink(odd);
    unlink(path);
    CHECK(count_entries(dir, NULL, 0) == 0);
}

/* The environment variable the command-line tests use to force the fallback. */
static void test_env(const char *dir)
{
    char path[4096];
    join(path, sizeof path, dir, "env.txt");
    setenv("BAYESAMP_NO_O_TMPFILE", "1", 1);
    atomic_file af;
    ba_error err;
    CHECK(atomic_file_open(&af, path, &err) == 0);
    CHECK(!af.unnamed && af.tmp_path[0]);
    atomic_file_abort(&af);
    unsetenv("BAYESAMP_NO_O_TMPFILE");
    CHECK(atomic_file_open(&af, path, &err) == 0);
    CHECK(af.unnamed && !af.tmp_path[0]);
    atomic_file_abort(&af);
    CHECK(count_entries(dir, NULL, 0) == 0);
}

/* A full disk: a tmpfs of 64 KiB. Returns 0 if tested, 1 if mounting is not possible
 * (the other parts still count; the message says what was skipped). */
static int test_enospc(const char *base)
{
    char dir[4096];
    join(dir, sizeof dir, base, "small");
    if (mkdir(dir, 0777) != 0)
        return 1;
    if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") != 0) {
        printf("test_atomic_file: SKIP the full-disk part: cannot mount a tmpfs on %s: %s "
               "(needs root)\n", dir, strerror(errno));
        rmdir(dir);
        return 1;
    }
    static char big[256 * 1024];
    memset(big, 'x', sizeof big);
    char path[4096], filler[4096];
    join(path, sizeof path, dir, "pred.npy");
    join(filler, sizeof filler, dir, "filler");
    for (int named = 0; named < 2; named++) {
        const char *mode = named ? "named" : "O_TMPFILE";
        atomic_file_force_named(named);
        ba_error err = {.msg = ""};
        CHECK(atomic_write_bytes(path, "previous", 8, &err) == 0);

        /* Larger than the disk: fwrite fails on the way. */
        CHECK(atomic_write_bytes(path, big, sizeof big, &err) != 0);
        CHECK_MSG(strstr(err.msg, path) && strstr(err.msg, "No space left"), "%s: %s", mode,
                  err.msg);
        CHECK_MSG(!strcmp(slurp(path), "previous"), "%s: %s", mode, slurp(path));
        CHECK_MSG(count_entries(dir, NULL, 0) == 1, "%s: %d entries", mode,
                  count_entries(dir, NULL, 0));

        /* Small enough to stay in the stream's buffer (BUFSIZ, 8 KiB) through every
         * fprintf, too large for what is left (the filler takes the 15 pages that
         * "previous" leaves): the error comes from the flush in commit. */
        FILE *f = fopen(filler, "wb");
        size_t fill = 60 * 1024;
        CHECK(f && fwrite(big, 1, fill, f) == fill && fclose(f) == 0);
        atomic_file af;
        CHECK(atomic_file_open(&af, path, &err) == 0);
        for (int i = 0; i < 40; i++)
            CHECK(fprintf(af.fp, "%099d\n", i) == 100);
        CHECK(atomic_file_commit(&af, &err) != 0);
        CHECK_MSG(strstr(err.msg, path) && strstr(err.msg, "No space left"), "%s: %s", mode,
                  err.msg);
        CHECK_MSG(!strcmp(slurp(path), "previous"), "%s: %s", mode, slurp(path));
        unlink(filler);
        CHECK_MSG(count_entries(dir, NULL, 0) == 1, "%s: %d entries", mode,
                  count_entries(dir, NULL, 0));
        unlink(path);
    }
    atomic_file_force_named(0);
    umount2(dir, MNT_DETACH);
    rmdir(dir);
    return 0;
}

int main(void)
{
    umask(022);
    char base[] = "/tmp/bayesamp-atomic-XXXXXX";
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 2;
    }
    char dir[4096];
    join(dir, sizeof dir, base, "out");
    mkdir(dir, 0777);

    test_commit_abort(dir, 0);
    test_commit_abort(dir, 1);
    test_stale(dir);
    test_env(dir);
    test_enospc(base);

    rmdir(dir);
    rmdir(base);
    return test_summary("test_atomic_file");
}

/* Atomic file output; see atomic_file.h for the story. */
/* O_TMPFILE and fopencookie are Linux/glibc extensions (open(2), fopencookie(3)). */
#define _GNU_SOURCE
#include "io/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"

/* fp writes through this: write(2) straight to the file, keeping the first error, so
 * that a full disk is reported as ENOSPC whichever fprintf, fwrite or fflush met it
 * (stdio itself keeps only a flag, and errno is long overwritten by commit time). */
struct atomic_sink {
    int fd;
    int err; /* errno of the first failed write, 0 if none */
};

static ssize_t sink_write(void *cookie, const char *buf, size_t size)
{
    atomic_sink *s = cookie;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(s->fd, buf + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (!s->err)
                s->err = n < 0 ? errno : EIO;
            /* The bytes written, not -1 as fopencookie(3) allows: glibc 2.36's fwrite
             * subtracts the -1 from what it has left to write and then copies one byte
             * past the caller's buffer (seen under gdb on a full tmpfs). A short count
             * marks the stream in error all the same. */
            return (ssize_t)done;
        }
        done += (size_t)n;
    }
    return (ssize_t)size;
}

static int force_named = 0;

void atomic_file_force_named(int on)
{
    force_named = on;
}

static int use_o_tmpfile(void)
{
    const char *env = getenv("BAYESAMP_NO_O_TMPFILE");
    return !force_named && !(env && env[0] && strcmp(env, "0") != 0);
}

/* The folder part of path ("." if none) and the name part. */
static void split_path(const char *path, char *dir, size_t dir_size, const char **base)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dir, dir_size, ".");
        *base = path;
    } else if (slash == path) {
        snprintf(dir, dir_size, "/");
        *base = slash + 1;
    } else {
        snprintf(dir, dir_size, "%.*s", (int)(slash - path), path);
        *base = slash + 1;
    }
}

/* Temporary names are BASE.tmp-PID-XXXXXX: the pid tells a later run whether the
 * writer is still alive. */
#define TMP_MARK ".tmp-"

/* Remove the temporaries of path left by processes that no longer exist (killed while
 * writing a named temporary, or in the microseconds between link and rename). A pid
 * that exists again, reused, only keeps a stale file a while longer. Best effort:
 * errors are ignored, the write does not depend on it. */
static void remove_stale(const char *dir, const char *base)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    size_t base_len = strlen(base), mark_len = strlen(TMP_MARK);
    pid_t self = getpid();
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        if (strncmp(name, base, base_len) != 0 ||
            strncmp(name + base_len, TMP_MARK, mark_len) != 0)
            continue;
        const char *p = name + base_len + mark_len;
        char *end;
        errno = 0;
        long pid = strtol(p, &end, 10);
        if (end == p || *end != '-' || strlen(end + 1) != 6 || errno || pid <= 0 ||
            pid == (long)self)
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char stale[4096 + 256];
        snprintf(stale, sizeof stale, "%s/%s", dir, name);
        unlink(stale);
    }
    closedir(d);
}

/* A fresh temporary name for path (not created); 0, or -1 if it does not fit (never:
 * open checked the length). */
static int temp_name(const char *path, char *out, size_t size)
{
    static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    static unsigned counter;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15u ^ (uint64_t)ts.tv_sec ^
                 ((uint64_t)++counter << 40) ^ (uint64_t)getpid() << 20;
    char tag[7];
    for (int i = 0; i < 6; i++) {
        tag[i] = digits[x % 36];
        x /= 36;
    }
    tag[6] = '\0';
    int n = snprintf(out, size, "%s" TMP_MARK "%ld-%s", path, (long)getpid(), tag);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

/* mkstemp creates 0600; give the file the permissions of a file made by open(2). */
static void usual_mode(int fd)
{
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
}

int atomic_file_open(atomic_file *af, const char *path, ba_error *err)
{
    memset(af, 0, sizeof *af);
    af->fd = -1;
    if (strlen(path) + 32 >= sizeof af->tmp_path)
        return ba_fail(err, "%s: path too long", path);
    strcpy(af->path, path);
    char dir[4096];
    const char *base;
    split_path(path, dir, sizeof dir, &base);
    if (!*base)
        return ba_fail(err, "%s: cannot write: not a file name", path);
    remove_stale(dir, base);

    int fd = -1;
    if (use_o_tmpfile()) {
        /* The mode is applied as by open(O_CREAT), through the umask. */
        fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
        /* Filesystems without it say EOPNOTSUPP; kernels before 3.11, which do not know
         * the flag, EISDIR or EINVAL (open(2), BUGS). Anything else is a real error. */
        if (fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
            return ba_fail(err, "%s: cannot write: %s", path, strerror(errno));
        af->unnamed = fd >= 0;
    }
    if (fd < 0) {
        snprintf(af->tmp_path, sizeof af->tmp_path, "%s" TMP_MARK "%ld-XXXXXX", path,
                 (long)getpid());
        fd = mkstemp(af->tmp_path);
        if (fd < 0) {
            af->tmp_path[0] = '\0';
            return ba_fail(err, "%s: cannot write: %s", path, strerror(errno));
        }
        usual_mode(fd);
    }
    af->fd = fd;
    af->sink = calloc(1, sizeof *af->sink);
    if (af->sink) {
        af->sink->fd = fd;
        cookie_io_functions_t io = {.write = sink_write};
        af->fp = fopencookie(af->sink, "w", io);
    }
    if (!af->fp) {
        atomic_file_abort(af);
        return ba_fail(err, "%s: cannot write: out of memory", path);
    }
    return 0;
}

/* Fail: remove the temporary, report errno e. */
static int fail_with(atomic_file *af, int e, ba_error *err)
{
    atomic_file_abort(af);
    return ba_fail(err, "%s: cannot write: %s", af->path, strerror(e ? e : EIO));
}

int atomic_file_sync(atomic_file *af, ba_error *err)
{
    if (af->synced)
        return 0;
    if (!af->fp)
        return ba_fail(err, "%s: cannot write: file already closed", af->path);
    int e = 0;
    if (fflush(af->fp) != 0 || ferror(af->fp))
        e = af->sink->err ? af->sink->err : EIO;
    /* fsync before the name: after a crash of the machine the name must not point at
     * data still in the page cache (ext4 and others may order them the other way).
     * EINVAL: a file that cannot be synced, e.g. /dev/stdout; nothing to wait for. */
    if (!e && fsync(af->fd) != 0 && errno != EINVAL)
        e = errno;
    /* Closes only the stream; the descriptor stays ours until publish or abort. */
    if (fclose(af->fp) != 0 && !e)
        e = af->sink->err ? af->sink->err : EIO;
    af->fp = NULL;
    free(af->sink);
    af->sink = NULL;
    if (e)
        return fail_with(af, e, err);
    af->synced = 1;
    return 0;
}

/* Give the unnamed file a name: the target itself if it does not exist, else a fresh
 * temporary name that publish then renames over the target. Returns 0 when the file
 * is at the target already, 1 when it is at tmp_path, -1 with errno on failure. */
static int link_unnamed(atomic_file *af)
{
    /* linkat of /proc/self/fd/N is the way open(2) documents for O_TMPFILE; AT_EMPTY_PATH
     * would need CAP_DAC_READ_SEARCH. */
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", af->fd);
    if (linkat(AT_FDCWD, proc, AT_FDCWD, af->path, AT_SYMLINK_FOLLOW) == 0)
        return 0;
    if (errno != EEXIST)
        return -1;
    for (int attempt = 0; attempt < 100; attempt++) {
        if (temp_name(af->path, af->tmp_path, sizeof af->tmp_path)) {
            af->tmp_path[0] = '\0';
            errno = ENAMETOOLONG;
            return -1;
        }
        if (linkat(AT_FDCWD, proc, AT_FDCWD, af->tmp_path, AT_SYMLINK_FOLLOW) == 0)
            return 1;
        if (errno != EEXIST) {
            af->tmp_path[0] = '\0';
            return -1;
        }
    }
    af->tmp_path[0] = '\0';
    errno = EEXIST;
    return -1;
}

int atomic_file_publish(atomic_file *af, ba_error *err)
{
    if (!af->synced)
        return ba_fail(err, "%s: cannot write: not synced before publishing", af->path);
    int placed = 0;
    if (af->unnamed) {
        int r = link_unnamed(af);
        if (r < 0)
            return fail_with(af, errno, err);
        placed = r == 0;
    }
    if (!placed && rename(af->tmp_path, af->path) != 0)
        return fail_with(af, errno, err);
    af->tmp_path[0] = '\0';
    /* The data were synced: close cannot lose them now, and the file is in place. */
    close(af->fd);
    af->fd = -1;
    af->synced = 0;
    return 0;
}

int atomic_file_commit(atomic_file *af, ba_error *err)
{
    if (atomic_file_sync(af, err))
        return -1;
    return atomic_file_publish(af, err);
}

void atomic_file_abort(atomic_file *af)
{
    if (af->fp)
        fclose(af->fp);
    af->fp = NULL;
    free(af->sink);
    af->sink = NULL;
    if (af->fd >= 0)
        close(af->fd);
    af->fd = -1;
    if (af->tmp_path[0])
        unlink(af->tmp_path);
    af->tmp_path[0] = '\0';
    af->synced = 0;
}

int atomic_write_bytes(const char *path, const void *data, size_t size, ba_error *err)
{
    atomic_file af;
    if (atomic_file_open(&af, path, err))
        return -1;
    if (size && fwrite(data, 1, size, af.fp) != size)
        return fail_with(&af, af.sink->err, err);
    return atomic_file_commit(&af, err);
}

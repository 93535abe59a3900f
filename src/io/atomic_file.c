#include "io/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"

int atomic_file_open(atomic_file *af, const char *path, ba_error *err)
{
    memset(af, 0, sizeof *af);
    if (strlen(path) + 16 >= sizeof af->tmp_path)
        return ba_fail(err, "%s: path too long", path);
    strcpy(af->path, path);
    snprintf(af->tmp_path, sizeof af->tmp_path, "%s.tmpXXXXXX", path);
    int fd = mkstemp(af->tmp_path);
    if (fd < 0)
        return ba_fail(err, "%s: cannot write: %s", path, strerror(errno));
    af->fp = fdopen(fd, "wb");
    if (!af->fp) {
        int e = errno;
        close(fd);
        unlink(af->tmp_path);
        return ba_fail(err, "%s: cannot write: %s", path, strerror(e));
    }
    return 0;
}

int atomic_file_commit(atomic_file *af, ba_error *err)
{
    int failed = 0, e = 0;
    if (fflush(af->fp) != 0 || ferror(af->fp)) {
        failed = 1;
        e = errno;
    }
    if (!failed && fsync(fileno(af->fp)) != 0 && errno != EINVAL) {
        failed = 1;
        e = errno;
    }
    if (fclose(af->fp) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    af->fp = NULL;
    /* mkstemp creates 0600; give the file the usual permissions of a new file. */
    if (!failed) {
        mode_t mask = umask(0);
        umask(mask);
        chmod(af->tmp_path, 0666 & ~mask);
    }
    if (!failed && rename(af->tmp_path, af->path) != 0) {
        failed = 1;
        e = errno;
    }
    if (failed) {
        unlink(af->tmp_path);
        return ba_fail(err, "%s: cannot write: %s", af->path, strerror(e ? e : EIO));
    }
    return 0;
}

void atomic_file_abort(atomic_file *af)
{
    if (af->fp)
        fclose(af->fp);
    af->fp = NULL;
    unlink(af->tmp_path);
}

int atomic_write_bytes(const char *path, const void *data, size_t size, ba_error *err)
{
    atomic_file af;
    if (atomic_file_open(&af, path, err))
        return -1;
    if (size && fwrite(data, 1, size, af.fp) != size) {
        int e = errno;
        atomic_file_abort(&af);
        return ba_fail(err, "%s: cannot write: %s", path, strerror(e));
    }
    return atomic_file_commit(&af, err);
}

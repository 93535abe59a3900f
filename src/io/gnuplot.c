#include "io/gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"

int gnuplot_find(char *out, size_t size)
{
    const char *path = getenv("PATH");
    if (!path)
        return -1;
    for (const char *p = path;;) {
        size_t len = strcspn(p, ":");
        /* An empty entry means the current folder (POSIX). */
        int n = len ? snprintf(out, size, "%.*s/gnuplot", (int)len, p)
                    : snprintf(out, size, "./gnuplot");
        struct stat st;
        if (n > 0 && (size_t)n < size && stat(out, &st) == 0 && S_ISREG(st.st_mode) &&
            access(out, X_OK) == 0)
            return 0;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    return -1;
}

/* The last non-empty line of text (modified in place), or "". */
static const char *last_line(char *text)
{
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        text[--n] = '\0';
    char *nl = strrchr(text, '\n');
    return nl ? nl + 1 : text;
}

int gnuplot_run(const char *gnuplot, const char *dir, const char *script, ba_error *err)
{
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return ba_fail(err, "%s/%s: cannot run gnuplot: %s", dir, script, strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        return ba_fail(err, "%s/%s: cannot run gnuplot: %s", dir, script, strerror(e));
    }
    if (pid == 0) {
        /* The child: only async-signal-safe calls until exec. gnuplot's messages go to
         * the pipe, its standard output and input to /dev/null. */
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
        }
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        if (chdir(dir) != 0)
            _exit(126);
        char *const argv[] = {"gnuplot", (char *)script, NULL};
        execv(gnuplot, argv);
        _exit(127);
    }
    close(pipefd[1]);
    /* Keep the last few kilobytes of gnuplot's messages. */
    char msg[4096];
    size_t used = 0;
    for (;;) {
        if (used == sizeof msg - 1) { /* full: drop the older half */
            size_t half = used / 2;
            memmove(msg, msg + half, used - half);
            used -= half;
        }
        ssize_t got = read(pipefd[0], msg + used, sizeof msg - 1 - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        used += (size_t)got;
    }
    msg[used] = '\0';
    close(pipefd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return ba_fail(err, "%s/%s: gnuplot: %s", dir, script, strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    const char *why = last_line(msg);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 126)
        return ba_fail(err, "%s: cannot enter the folder to run gnuplot", dir);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return ba_fail(err, "%s: cannot execute", gnuplot);
    if (WIFEXITED(status))
        return ba_fail(err, "gnuplot %s/%s failed (exit status %d)%s%s", dir, script,
                       WEXITSTATUS(status), *why ? ": " : "", why);
    return ba_fail(err, "gnuplot %s/%s was killed by signal %d", dir, script,
                   WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

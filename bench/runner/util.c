/*
 * util.c — small helpers of mini-bench: the clock, paths, running a command for one line of
 * output, CSV and JSON text.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/runner/runner.h"

int64_t runner_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *runner_display_path(const char *path, char *buf, size_t len)
{
    char cwd[PATH_MAX];
    char real[PATH_MAX];
    const char *p = path;
    /* Resolve the directory part only: the file itself may not exist. */
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        if (realpath(dir, real) != NULL) {
            snprintf(buf, len, "%s/%s", real, slash + 1);
            p = buf;
        }
    }
    if (getcwd(cwd, sizeof(cwd)) != NULL) {
        size_t n = strlen(cwd);
        if (strncmp(p, cwd, n) == 0 && p[n] == '/') {
            memmove(buf, p + n + 1, strlen(p + n + 1) + 1);
            return buf;
        }
    }
    if (p != buf)
        snprintf(buf, len, "%s", p);
    return buf;
}

int runner_self_dir(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash == NULL)
        return -1;
    *slash = '\0';
    return 0;
}

void runner_capture(char *const argv[], char *buf, size_t len)
{
    int p[2];
    buf[0] = '\0';
    if (pipe2(p, O_CLOEXEC) != 0)
        return;
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(p[1], 1);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 2);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    size_t got = 0;
    for (;;) {
        char tmp[512];
        ssize_t n = read(p[0], tmp, sizeof(tmp));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n && got + 1 < len; i++)
            buf[got++] = tmp[i];
    }
    buf[got] = '\0';
    close(p[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        buf[0] = '\0';
    char *nl = strchr(buf, '\n');
    if (nl != NULL)
        *nl = '\0';
}

void runner_csv_clean(char *s)
{
    for (; *s; s++) {
        if (*s == ',' || *s == '"')
            *s = ';';
        else if (*s == '\n' || *s == '\r' || *s == '\t')
            *s = ' ';
    }
}

void runner_note(char *note, size_t len, const char *fmt, ...)
{
    size_t n = strlen(note);
    if (n > 0 && n + 2 < len) {
        memcpy(note + n, "; ", 3);
        n += 2;
    }
    if (n + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(note + n, len - n, fmt, ap);
    va_end(ap);
}

long runner_self_status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "re");
    if (f == NULL)
        return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, field, n) == 0) {
            v = strtol(line + n, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

void runner_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/*
 * message.c — everything libmini writes: fixed-buffer formatting, warnings, fatal errors.
 *
 * Nothing here allocates or uses stdio: output goes through write(2), so it is safe inside the
 * allocator, from an atexit handler, and in a child after fork. Fatal errors print one line
 * "libmini: <fn>(): <what> 0x<address>" and abort(), as glibc's malloc does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

void mini_buf_puts(struct mini_buf *b, const char *s)
{
    while (*s && b->len + 1 < b->cap)
        b->p[b->len++] = *s++;
    if (b->cap)
        b->p[b->len] = '\0';
}

void mini_buf_u64(struct mini_buf *b, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    char out[24];
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    mini_buf_puts(b, out);
}

void mini_buf_i64(struct mini_buf *b, int64_t v)
{
    if (v < 0) {
        mini_buf_puts(b, "-");
        mini_buf_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        mini_buf_u64(b, (uint64_t)v);
    }
}

void mini_buf_hex(struct mini_buf *b, uintptr_t v)
{
    static const char digits[] = "0123456789abcdef";
    char out[2 + 2 * sizeof(uintptr_t) + 1];
    int n = 0;
    out[n++] = '0';
    out[n++] = 'x';
    int started = 0;
    for (int shift = (int)(8 * sizeof(uintptr_t)) - 4; shift >= 0; shift -= 4) {
        unsigned d = (unsigned)(v >> shift) & 15;
        if (d || started || shift == 0) {
            out[n++] = digits[d];
            started = 1;
        }
    }
    out[n] = '\0';
    mini_buf_puts(b, out);
}

const char *mini_buf_str(struct mini_buf *b)
{
    if (b->cap)
        b->p[b->len < b->cap ? b->len : b->cap - 1] = '\0';
    return b->p;
}

void mini_write_all(int fd, const char *s, size_t n)
{
    int saved = errno;
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        s += w;
        n -= (size_t)w;
    }
    errno = saved;
}

void mini_write_err(const char *s)
{
    mini_write_all(STDERR_FILENO, s, strlen(s));
}

void mini_gather_flush(struct mini_gather *g)
{
    mini_write_all(g->fd, g->buf, g->len);
    g->len = 0;
}

void mini_gather_cb(void *gather, const char *s)
{
    struct mini_gather *g = gather;
    size_t n = strlen(s);
    if (n > sizeof(g->buf) - g->len)
        mini_gather_flush(g);
    if (n > sizeof(g->buf)) {
        mini_write_all(g->fd, s, n);
        return;
    }
    memcpy(g->buf + g->len, s, n);
    g->len += n;
}

_Noreturn void mini_fatal_ptr(const char *fn, const char *what, const void *p)
{
    char mem[256];
    struct mini_buf b = {mem, 0, sizeof(mem)};
    mini_buf_puts(&b, "libmini: ");
    mini_buf_puts(&b, fn);
    mini_buf_puts(&b, "(): ");
    mini_buf_puts(&b, what);
    mini_buf_puts(&b, " ");
    mini_buf_hex(&b, (uintptr_t)p);
    mini_buf_puts(&b, "\n");
    mini_write_err(mini_buf_str(&b));
    abort();
}

_Noreturn void mini_fatal(const char *what, const char *detail, uintptr_t addr)
{
    char mem[512];
    struct mini_buf b = {mem, 0, sizeof(mem)};
    mini_buf_puts(&b, "libmini: ");
    mini_buf_puts(&b, what);
    if (detail) {
        mini_buf_puts(&b, ": ");
        mini_buf_puts(&b, detail);
    }
    if (addr) {
        mini_buf_puts(&b, " at ");
        mini_buf_hex(&b, addr);
    }
    mini_buf_puts(&b, "\n");
    mini_write_err(mini_buf_str(&b));
    abort();
}

_Noreturn void mini_assert_fail(const char *expr, const char *file, int line)
{
    char mem[512];
    struct mini_buf b = {mem, 0, sizeof(mem)};
    mini_buf_puts(&b, "libmini: assertion failed: ");
    mini_buf_puts(&b, expr);
    mini_buf_puts(&b, " (");
    mini_buf_puts(&b, file);
    mini_buf_puts(&b, ":");
    mini_buf_u64(&b, (uint64_t)line);
    mini_buf_puts(&b, ")\n");
    mini_write_err(mini_buf_str(&b));
    abort();
}

void mini_warn(const char *a, const char *b, const char *c)
{
    char mem[512];
    struct mini_buf buf = {mem, 0, sizeof(mem)};
    mini_buf_puts(&buf, "libmini: warning: ");
    mini_buf_puts(&buf, a);
    if (b)
        mini_buf_puts(&buf, b);
    if (c)
        mini_buf_puts(&buf, c);
    mini_buf_puts(&buf, "\n");
    mini_write_err(mini_buf_str(&buf));
}

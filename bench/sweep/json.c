/*
 * json.c — read one value out of a JSON text by its path, without building a tree: enough for
 * the kernel model's --json output (sweep.h: sw_json_get).
 *
 *   path   "vmstat.pswpout"        key of an object, then key of the nested object
 *          "processes.0.state"     a number is an array index
 *
 * The value's text is copied out: a number as written, a string without its quotes (escapes
 * are kept as written except \" and \\), true/false/null as words. Objects and arrays are
 * returned as "{" or "[" (present, not copied). Returns 0, or -1 when the path is absent or
 * the text is not JSON up to that point.
 */
#include "bench/sweep/sweep.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *ws(const char *p)
{
    while (*p && isspace((unsigned char)*p))
        p++;
    return p;
}

/* Skips a string starting at the quote; returns the character after the closing quote. */
static const char *skip_string(const char *p)
{
    if (*p != '"')
        return NULL;
    for (p++; *p; p++) {
        if (*p == '\\') {
            if (p[1] == '\0')
                return NULL;
            p++;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return NULL;
}

/* Skips any value; returns the character after it, or NULL on bad JSON. */
static const char *skip_value(const char *p, int depth)
{
    p = ws(p);
    if (depth > 64)
        return NULL;
    if (*p == '"')
        return skip_string(p);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = ws(p + 1);
        if (*p == close)
            return p + 1;
        for (;;) {
            if (close == '}') {
                p = skip_string(ws(p));
                if (p == NULL)
                    return NULL;
                p = ws(p);
                if (*p != ':')
                    return NULL;
                p++;
            }
            p = skip_value(p, depth + 1);
            if (p == NULL)
                return NULL;
            p = ws(p);
            if (*p == ',') {
                p++;
                continue;
            }
            return *p == close ? p + 1 : NULL;
        }
    }
    const char *s = p;
    while (*p && (isalnum((unsigned char)*p) || strchr("+-.", *p)))
        p++;
    return p > s ? p : NULL;
}

/* Skips the value at p and the comma after it; NULL at the container's end or on bad JSON
 * (the callers look for an item that would come later). */
static const char *next_item(const char *p)
{
    p = skip_value(p, 0);
    if (p == NULL)
        return NULL;
    p = ws(p);
    return *p == ',' ? p + 1 : NULL;
}

/* Finds the value of key `k` (length kl) in the object at p; NULL if absent. */
static const char *find_key(const char *p, const char *k, size_t kl)
{
    p = ws(p);
    if (*p != '{')
        return NULL;
    p = ws(p + 1);
    if (*p == '}')
        return NULL;
    for (;;) {
        p = ws(p);
        const char *ks = p + 1, *ke = skip_string(p);
        if (ke == NULL)
            return NULL;
        p = ws(ke);
        if (*p != ':')
            return NULL;
        p = ws(p + 1);
        if ((size_t)(ke - 1 - ks) == kl && memcmp(ks, k, kl) == 0)
            return p;
        p = next_item(p);
        if (p == NULL)
            return NULL;
    }
}

static const char *find_index(const char *p, long idx)
{
    p = ws(p);
    if (*p != '[')
        return NULL;
    p = ws(p + 1);
    if (*p == ']')
        return NULL;
    for (long i = 0;; i++) {
        p = ws(p);
        if (i == idx)
            return p;
        p = next_item(p);
        if (p == NULL)
            return NULL;
    }
}

int sw_json_get(const char *json, const char *path, char *out, size_t len)
{
    const char *p = ws(json);
    while (*path) {
        size_t n = strcspn(path, ".");
        char *end;
        long idx = strtol(path, &end, 10);
        if (n > 0 && (size_t)(end - path) == n && idx >= 0)
            p = find_index(p, idx);
        else
            p = find_key(p, path, n);
        if (p == NULL)
            return -1;
        path += n + (path[n] == '.');
    }
    p = ws(p);
    if (*p == '{' || *p == '[') {
        snprintf(out, len, "%c", *p);
        return skip_value(p, 0) ? 0 : -1;
    }
    const char *e = skip_value(p, 0);
    if (e == NULL)
        return -1;
    size_t o = 0;
    if (*p == '"') {
        for (const char *q = p + 1; q < e - 1 && o + 1 < len; q++) {
            if (*q == '\\' && (q[1] == '"' || q[1] == '\\'))
                q++;
            out[o++] = *q;
        }
    } else {
        for (const char *q = p; q < e && o + 1 < len; q++)
            out[o++] = *q;
    }
    if (len)
        out[o] = '\0';
    return 0;
}

int sw_json_num(const char *json, const char *path, double *v)
{
    char buf[64];
    if (sw_json_get(json, path, buf, sizeof(buf)) != 0)
        return -1;
    char *end;
    *v = strtod(buf, &end);
    return end != buf && *end == '\0' ? 0 : -1;
}

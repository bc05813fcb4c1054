/*
 * json.c — a small JSON reader for machine.json, calibration.json and Google Benchmark's
 * output: objects, arrays, strings (with \uXXXX kept as '?' beyond ASCII), numbers, true,
 * false, null. Errors are "file: offset N: message".
 */
#include <ctype.h>
#include <string.h>

#include "analysis/report/report.h"

struct parser {
    const char *s;
    size_t i;
    char err[160];
};

static struct json *parse_value(struct parser *p, int depth);

static void skip_ws(struct parser *p)
{
    while (isspace((unsigned char)p->s[p->i]))
        p->i++;
}

static struct json *fail(struct parser *p, const char *msg)
{
    if (p->err[0] == '\0')
        snprintf(p->err, sizeof(p->err), "offset %zu: %s", p->i, msg);
    return NULL;
}

static char *parse_string(struct parser *p)
{
    if (p->s[p->i] != '"')
        return (char *)fail(p, "expected a string");
    p->i++;
    size_t cap = 32, n = 0;
    char *out = xmalloc(cap);
    for (;;) {
        char c = p->s[p->i++];
        if (c == '\0') {
            free(out);
            return (char *)fail(p, "unterminated string");
        }
        if (c == '"')
            break;
        if (c == '\\') {
            char e = p->s[p->i++];
            switch (e) {
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'u': {
                unsigned v = 0;
                for (int k = 0; k < 4; k++) {
                    char h = p->s[p->i++];
                    if (!isxdigit((unsigned char)h)) {
                        free(out);
                        return (char *)fail(p, "bad \\u escape");
                    }
                    v = v * 16 +
                        (unsigned)(isdigit((unsigned char)h) ? h - '0' : (tolower(h) - 'a' + 10));
                }
                c = v < 128 ? (char)v : '?';
                break;
            }
            default:
                c = e;
                break;
            }
        }
        if (n + 2 > cap) {
            cap *= 2;
            out = xrealloc(out, cap);
        }
        out[n++] = c;
    }
    out[n] = '\0';
    return out;
}

static struct json *new_node(enum json_type t)
{
    struct json *j = xcalloc(1, sizeof(*j));
    j->type = t;
    return j;
}

static void add_child(struct json *j, char *key, struct json *v)
{
    j->keys = xrealloc(j->keys, (size_t)(j->n + 1) * sizeof(char *));
    j->v = xrealloc(j->v, (size_t)(j->n + 1) * sizeof(struct json *));
    j->keys[j->n] = key;
    j->v[j->n] = v;
    j->n++;
}

static struct json *parse_container(struct parser *p, int depth, bool object)
{
    struct json *j = new_node(object ? JSON_OBJ : JSON_ARR);
    p->i++;
    skip_ws(p);
    if (p->s[p->i] == (object ? '}' : ']')) {
        p->i++;
        return j;
    }
    for (;;) {
        skip_ws(p);
        char *key = NULL;
        if (object) {
            key = parse_string(p);
            if (key == NULL)
                return NULL;
            skip_ws(p);
            if (p->s[p->i] != ':')
                return fail(p, "expected ':'");
            p->i++;
        }
        struct json *v = parse_value(p, depth + 1);
        if (v == NULL)
            return NULL;
        add_child(j, key, v);
        skip_ws(p);
        if (p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->s[p->i] == (object ? '}' : ']')) {
            p->i++;
            return j;
        }
        return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static struct json *parse_value(struct parser *p, int depth)
{
    if (depth > 64)
        return fail(p, "nested too deep");
    skip_ws(p);
    char c = p->s[p->i];
    if (c == '{' || c == '[')
        return parse_container(p, depth, c == '{');
    if (c == '"') {
        char *s = parse_string(p);
        if (s == NULL)
            return NULL;
        struct json *j = new_node(JSON_STR);
        j->str = s;
        return j;
    }
    static const struct {
        const char *word;
        enum json_type t;
        bool b;
    } words[] = {
        {"true", JSON_BOOL, true}, {"false", JSON_BOOL, false}, {"null", JSON_NULL, false}};
    for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
        size_t n = strlen(words[k].word);
        if (strncmp(p->s + p->i, words[k].word, n) == 0) {
            p->i += n;
            struct json *j = new_node(words[k].t);
            j->num = words[k].b;
            return j;
        }
    }
    char *end;
    double v = strtod(p->s + p->i, &end);
    if (end == p->s + p->i)
        return fail(p, "unexpected character");
    p->i = (size_t)(end - p->s);
    struct json *j = new_node(JSON_NUM);
    j->num = v;
    return j;
}

struct json *json_parse_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open", path);
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    fclose(f);
    buf[n] = '\0';
    struct parser p = {buf, 0, ""};
    struct json *j = parse_value(&p, 0);
    if (j != NULL) {
        skip_ws(&p);
        if (p.s[p.i] != '\0') {
            j = NULL;
            fail(&p, "trailing text");
        }
    }
    if (j == NULL)
        snprintf(err, errlen, "%s: %s", path, p.err);
    free(buf);
    return j;
}

const struct json *json_get(const struct json *o, const char *key)
{
    if (o == NULL || o->type != JSON_OBJ)
        return NULL;
    for (int i = 0; i < o->n; i++)
        if (strcmp(o->keys[i], key) == 0)
            return o->v[i];
    return NULL;
}

double json_num(const struct json *o, const char *key)
{
    const struct json *v = json_get(o, key);
    return v != NULL && v->type == JSON_NUM ? v->num : NAN;
}

const char *json_str(const struct json *o, const char *key)
{
    const struct json *v = json_get(o, key);
    return v != NULL && v->type == JSON_STR ? v->str : NULL;
}

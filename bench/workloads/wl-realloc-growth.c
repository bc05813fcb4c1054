/*
 * wl-realloc-growth — realloc growth: vector doubling and string append.
 *
 * Vectors: 256 vectors of 8-byte elements grow together, one element each in turn, from a
 * capacity of 2 elements, doubling their capacity with realloc whenever they are full, up to a
 * random final length (log-uniform, 1 KiB to 4 MiB of elements; about 180 MiB in all). As the
 * vectors interleave, a block can seldom grow in place at first; large ones move by copying or,
 * where the allocator uses mremap, by remapping. Each element holds a value derived from its
 * vector and index, checked at the old end of the content after every realloc and in full at
 * the end.
 * Strings: 1024 strings grow together by appends of 1..64 bytes, each append a realloc to the
 * exact new length (the naive string builder), up to a random final length (log-uniform,
 * 256 bytes to 64 KiB); the bytes before the append point are checked after every realloc and
 * the whole string at the end.
 * At scale 1.0 there are 3 rounds of each (everything is freed after each round); an op is one
 * realloc call. Live bytes are the current requested sizes.
 */
#include "bench/workloads/wl.h"

#include <stdlib.h>
#include <string.h>

#define NVEC 256
#define NSTR 1024

static int nvec = NVEC, nstr = NSTR; /* fewer below one round (small scales) */

struct vec {
    uint64_t *v;
    size_t len, cap, final;
};

struct str {
    unsigned char *s;
    size_t len, final;
};

static inline uint64_t elem(int id, size_t i)
{
    return wl_pat(wl_tag(1, (uint64_t)id), i);
}

static void check_elem(const struct vec *v, int id, size_t i)
{
    if (v->v[i] != elem(id, i)) {
        size_t k = 0;
        uint64_t e = elem(id, i), f = v->v[i];
        while (((e >> (8 * k)) & 0xff) == ((f >> (8 * k)) & 0xff))
            k++;
        wl_mismatch(v->v, v->cap * 8, i * 8 + k, (unsigned)(e >> (8 * k)) & 0xff,
                    (unsigned)(f >> (8 * k)) & 0xff);
    }
}

static void vectors(struct wl_ctr *c, struct wl_rng *r, struct vec *vs)
{
    size_t growing = (size_t)nvec;
    for (int i = 0; i < nvec; i++) {
        vs[i].len = 0;
        vs[i].cap = 2;
        vs[i].final = wl_rng_logsize(r, 128, 512 * 1024); /* elements: 1 KiB .. 4 MiB */
        vs[i].v = wl_malloc(vs[i].cap * 8);
        wl_ctr_live(c, (int64_t)vs[i].cap * 8);
    }
    while (growing > 0) {
        for (int i = 0; i < nvec; i++) {
            struct vec *v = &vs[i];
            if (v->len == v->final)
                continue;
            if (v->len == v->cap) {
                v->v = wl_realloc(v->v, v->cap * 2 * 8);
                wl_ctr_live(c, (int64_t)v->cap * 8);
                v->cap *= 2;
                wl_ctr_ops(c, 1);
                check_elem(v, i, 0);
                check_elem(v, i, v->len - 1);
                check_elem(v, i, v->len / 2);
            }
            v->v[v->len] = elem(i, v->len);
            v->len++;
            if (v->len == v->final)
                growing--;
        }
    }
    for (int i = 0; i < nvec; i++) {
        for (size_t k = 0; k < vs[i].len; k++)
            check_elem(&vs[i], i, k);
        free(vs[i].v);
        wl_ctr_live(c, -(int64_t)vs[i].cap * 8);
    }
}

static void strings(struct wl_ctr *c, struct wl_rng *r, struct str *ss)
{
    size_t growing = (size_t)nstr;
    for (int i = 0; i < nstr; i++) {
        ss[i].s = NULL;
        ss[i].len = 0;
        ss[i].final = wl_rng_logsize(r, 256, 65536);
    }
    while (growing > 0) {
        for (int i = 0; i < nstr; i++) {
            struct str *s = &ss[i];
            if (s->len == s->final)
                continue;
            size_t add = wl_rng_range(r, 1, 64);
            if (add > s->final - s->len)
                add = s->final - s->len;
            uint64_t tag = wl_tag(2, (uint64_t)i);
            s->s = wl_realloc(s->s, s->len + add);
            wl_ctr_live(c, (int64_t)add);
            wl_ctr_ops(c, 1);
            /* The bytes before the append point came along: check the last 16 of them. */
            if (s->len > 0)
                wl_check_range(s->s, s->len > 16 ? s->len - 16 : 0, s->len, tag);
            wl_fill_range(s->s, s->len, s->len + add, tag);
            s->len += add;
            if (s->len == s->final)
                growing--;
        }
    }
    for (int i = 0; i < nstr; i++) {
        wl_check_range(ss[i].s, 0, ss[i].len, wl_tag(2, (uint64_t)i));
        free(ss[i].s);
        wl_ctr_live(c, -(int64_t)ss[i].len);
    }
}

int main(int argc, char **argv)
{
    static const struct wl_spec spec = {
        .name = "realloc-growth",
        .summary = "realloc growth: 256 vectors doubling their capacity (1 KiB..4 MiB each) and\n"
                   "1024 strings growing by 1..64-byte appends (256 B..64 KiB each), all growing\n"
                   "together; 3 rounds of each at scale 1.0, fewer vectors and strings below 1/3.",
        .ops_unit = "reallocs",
    };
    wl_init(argc, argv, &spec);
    /* The scale sets the number of rounds; below one round it cuts the number of vectors
     * and strings instead, which keeps the size mix of each. */
    double rounds_f = 3.0 * wl.scale;
    uint64_t rounds = rounds_f < 1.0 ? 1 : (uint64_t)(rounds_f + 0.5);
    if (rounds_f < 1.0) {
        nvec = (int)(NVEC * rounds_f) > 4 ? (int)(NVEC * rounds_f) : 4;
        nstr = (int)(NSTR * rounds_f) > 4 ? (int)(NSTR * rounds_f) : 4;
    }

    struct wl_ctr c;
    struct wl_rng r;
    wl_ctr_init(&c, 0, 1);
    wl_rng_init(&r, 0);
    struct vec *vs = wl_book_alloc(&c, NVEC * sizeof(*vs));
    struct str *ss = wl_book_alloc(&c, NSTR * sizeof(*ss));

    wl_phase(BENCH_PHASE_RUN);
    for (uint64_t k = 0; k < rounds; k++) {
        vectors(&c, &r, vs);
        strings(&c, &r, ss);
    }
    int64_t peak = c.peak;
    wl_book_free(&c, ss, NSTR * sizeof(*ss));
    wl_book_free(&c, vs, NVEC * sizeof(*vs));

    wl_result_begin();
    wl_result_u64("rounds", rounds);
    wl_result_u64("vectors", (uint64_t)nvec);
    wl_result_u64("strings", (uint64_t)nstr);
    wl_result_i64("peak_live_bytes", peak);
    wl_result_end();
    wl_done();
    return 0;
}

/*
 * slab.c — SLUB caches as the kernel lays them out and the kernel objects a process costs
 * (KMODEL-SPEC.md section 9; mm/slub.c calculate_sizes, calculate_order, calc_slab_order,
 * set_cpu_partial, set_min_partial; mm/slab_common.c calculate_alignment).
 *
 *   slab = 2^order pages: | obj | obj | ... | obj | waste |      objects = (PAGE_SIZE << order) / size
 *   object: | payload (object_size) ... [free pointer] ... | padding to `size` (aligned) |
 *
 *   cache ── cpu_slab[cpu]      the slab objects are taken from
 *         ── partial list      slabs with free objects (the model folds the per-CPU partial
 *                               lists into the node list)
 *         ── full list         slabs with no free object
 *
 * An empty slab beyond min_partial partial slabs goes back to the page allocator. Objects are
 * counted, not placed: a free takes an object from the slab that most recently allocated
 * (the CPU slab, then the partial list, then a full slab).
 *
 * Invariants (slab_check_cache): Σ inuse = nr_active; each slab is on exactly one of the
 * cpu/partial/full places matching its fill; nr_slabs = partial + full + cpu slabs.
 */
#include "analysis/kmodel/kmodel.h"

#include <stdlib.h>
#include <string.h>

#define SLUB_MAX_ORDER    KM_COSTLY_ORDER
#define MAX_OBJS_PER_PAGE 32767u

static unsigned fls_u(unsigned x)
{
    unsigned r = 0;
    while (x) {
        r++;
        x >>= 1;
    }
    return r;
}

static unsigned get_order(uint64_t size)
{
    unsigned order = 0;
    while ((KM_PAGE_SIZE << order) < size)
        order++;
    return order;
}

static unsigned align_up(unsigned v, unsigned a)
{
    return (v + a - 1) / a * a;
}

static unsigned calc_slab_order(unsigned size, unsigned min_order, unsigned max_order,
                                unsigned fract)
{
    unsigned order;
    for (order = min_order; order <= max_order; order++) {
        unsigned slab_size = (unsigned)KM_PAGE_SIZE << order;
        if (slab_size % size <= slab_size / fract)
            break;
    }
    return order;
}

/* calculate_order(): returns the order; *objects the objects per slab. */
int slab_calc_order(uint32_t size, int nr_cpus, uint32_t *objects)
{
    unsigned min_objects = 4 * (fls_u((unsigned)nr_cpus) + 1);
    unsigned max_objects = (unsigned)(KM_PAGE_SIZE << SLUB_MAX_ORDER) / size;
    if (max_objects < 1)
        max_objects = 1;
    if (min_objects > max_objects)
        min_objects = max_objects;
    unsigned min_order = get_order((uint64_t)min_objects * size);
    int order;
    if (((unsigned)KM_PAGE_SIZE << min_order) / size > MAX_OBJS_PER_PAGE) {
        order = (int)get_order((uint64_t)size * MAX_OBJS_PER_PAGE) - 1;
        goto out;
    }
    for (unsigned fraction = 16; fraction > 1; fraction /= 2) {
        unsigned o = calc_slab_order(size, min_order, SLUB_MAX_ORDER, fraction);
        if (o <= SLUB_MAX_ORDER) {
            order = (int)o;
            goto out;
        }
    }
    order = (int)get_order(size);
out:
    *objects = (uint32_t)(((uint64_t)KM_PAGE_SIZE << order) / size);
    return order;
}

/* calculate_alignment() + calculate_sizes() + the per-cache tunables. */
void slab_calculate(struct km_slab_layout *l, uint32_t object_size, uint32_t align, uint32_t flags,
                    int nr_cpus)
{
    memset(l, 0, sizeof(*l));
    l->object_size = object_size;
    if (flags & KM_SLAB_HWCACHE_ALIGN) {
        unsigned ralign = 64;
        while (object_size <= ralign / 2)
            ralign /= 2;
        if (ralign > align)
            align = ralign;
    }
    if (align < 8)
        align = 8;
    align = align_up(align, 8);
    l->align = align;
    unsigned size = align_up(object_size, 8);
    if ((flags & KM_SLAB_RED_ZONE) && size == object_size)
        size += 8;
    bool rcu_outside = (flags & KM_SLAB_TYPESAFE_RCU) && !(flags & KM_SLAB_FREEPTR_IN);
    if (rcu_outside || (flags & (KM_SLAB_POISON | KM_SLAB_CTOR))) {
        l->offset = size;
        size += 8;
    } else {
        l->offset = (object_size / 2) & ~7u;
    }
    if (flags & KM_SLAB_STORE_USER)
        size += 2 * 152; /* two struct track records with a 16-entry stack */
    if (flags & KM_SLAB_RED_ZONE)
        size += 8 + align_up(8, align);
    size = align_up(size, align);
    l->size = size;
    l->order = (uint32_t)slab_calc_order(size, nr_cpus, &l->objects);
    unsigned cp;
    if (size >= KM_PAGE_SIZE)
        cp = 6;
    else if (size >= 1024)
        cp = 24;
    else if (size >= 256)
        cp = 52;
    else
        cp = 120;
    l->cpu_partial = cp;
    l->cpu_partial_slabs = (2 * cp + l->objects - 1) / l->objects;
    unsigned mp = (fls_u(size) - 1) / 2;
    l->min_partial = mp < 5 ? 5 : mp > 10 ? 10 : mp;
}

static const uint32_t kmalloc_sizes[14] = {8,   16,  32,   64,   96,   128,  192,
                                           256, 512, 1024, 2048, 4096, 8192, 0};

int kmalloc_index(size_t size)
{
    for (int i = 0; kmalloc_sizes[i]; i++)
        if (size <= kmalloc_sizes[i])
            return i;
    return -1;
}

int slab_cache_create(struct km *km, const char *name, uint32_t object_size, uint32_t align,
                      uint32_t flags)
{
    if (km->ncaches == km->caches_cap) {
        int cap = km->caches_cap ? km->caches_cap * 2 : 32;
        struct km_slab_cache *n = realloc(km->caches, (size_t)cap * sizeof(*n));
        if (n == NULL)
            return -1;
        km->caches = n;
        km->caches_cap = cap;
    }
    struct km_slab_cache *c = &km->caches[km->ncaches];
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->flags = flags;
    slab_calculate(&c->l, object_size, align, flags, km->cfg.ncpus);
    c->partial.head = c->partial.tail = KM_NIL;
    c->full.head = c->full.tail = KM_NIL;
    for (int i = 0; i < KM_MAX_CPUS; i++)
        c->cpu_slab[i] = KM_NIL;
    return km->ncaches++;
}

/* ---- Slab id lists ------------------------------------------------------------------------ */

static void sl_add(struct km *km, struct km_slist *l, uint32_t id)
{
    struct km_slab *s = &km->slabs[id];
    s->prev = KM_NIL;
    s->next = l->head;
    if (l->head != KM_NIL)
        km->slabs[l->head].prev = id;
    else
        l->tail = id;
    l->head = id;
    l->n++;
}

static void sl_del(struct km *km, struct km_slist *l, uint32_t id)
{
    struct km_slab *s = &km->slabs[id];
    if (s->prev != KM_NIL)
        km->slabs[s->prev].next = s->next;
    else
        l->head = s->next;
    if (s->next != KM_NIL)
        km->slabs[s->next].prev = s->prev;
    else
        l->tail = s->prev;
    s->next = s->prev = KM_NIL;
    l->n--;
}

static uint32_t new_slab(struct km *km, int cache)
{
    struct km_slab_cache *c = &km->caches[cache];
    bool recl = (c->flags & KM_SLAB_RECLAIM) != 0;
    uint32_t pfn =
        palloc_alloc(km, recl ? KM_GFP_RECLAIMABLE : KM_GFP_KERNEL, (int)c->l.order, KM_FS_SLAB);
    if (pfn == KM_NIL)
        return KM_NIL;
    uint32_t id;
    if (km->slab_free_id != KM_NIL && km->slab_free_id < km->nslabs) {
        id = km->slab_free_id;
        km->slab_free_id = km->slabs[id].next;
    } else {
        if (km->nslabs == km->slabs_cap) {
            uint32_t cap = km->slabs_cap ? km->slabs_cap * 2 : 256;
            struct km_slab *n = realloc(km->slabs, cap * sizeof(*n));
            if (n == NULL) {
                fprintf(stderr, "kmodel: out of host memory\n");
                exit(3);
            }
            km->slabs = n;
            km->slabs_cap = cap;
        }
        id = km->nslabs++;
    }
    struct km_slab *s = &km->slabs[id];
    memset(s, 0, sizeof(*s));
    s->pfn = pfn;
    s->cache = (uint32_t)cache;
    s->next = s->prev = KM_NIL;
    km->frames[pfn].b = id;
    c->nr_slabs++;
    uint64_t pages = 1ULL << c->l.order;
    if (recl) {
        km->slab_recl_pages += pages;
        km_zone_of(km, pfn)->nr_slab_recl += pages;
    } else {
        km->slab_unrecl_pages += pages;
        km_zone_of(km, pfn)->nr_slab_unrecl += pages;
    }
    return id;
}

static void discard_slab(struct km *km, uint32_t id)
{
    struct km_slab *s = &km->slabs[id];
    struct km_slab_cache *c = &km->caches[s->cache];
    uint64_t pages = 1ULL << c->l.order;
    if (c->flags & KM_SLAB_RECLAIM) {
        km->slab_recl_pages -= pages;
        km_zone_of(km, s->pfn)->nr_slab_recl -= pages;
    } else {
        km->slab_unrecl_pages -= pages;
        km_zone_of(km, s->pfn)->nr_slab_unrecl -= pages;
    }
    palloc_free(km, s->pfn, (int)c->l.order);
    c->nr_slabs--;
    s->pfn = KM_NIL;
    s->next = km->slab_free_id;
    km->slab_free_id = id;
}

uint32_t slab_alloc(struct km *km, int cache)
{
    struct km_slab_cache *c = &km->caches[cache];
    int cpu = km->cur_cpu;
    uint32_t id = c->cpu_slab[cpu];
    if (id == KM_NIL || km->slabs[id].inuse >= c->l.objects) {
        if (id != KM_NIL) {
            /* The full CPU slab is unfrozen onto the full list. */
            km->slabs[id].on = KM_SLAB_ON_FULL;
            sl_add(km, &c->full, id);
        }
        c->cpu_slab[cpu] = KM_NIL;
        if (c->partial.head != KM_NIL) {
            id = c->partial.head;
            sl_del(km, &c->partial, id);
        } else {
            id = new_slab(km, cache);
            if (id == KM_NIL)
                return KM_NIL;
            c = &km->caches[cache];
        }
        km->slabs[id].on = KM_SLAB_ON_CPU;
        c->cpu_slab[cpu] = id;
    }
    km->slabs[id].inuse++;
    c->nr_active++;
    return id;
}

void slab_free(struct km *km, int cache, uint32_t id)
{
    struct km_slab_cache *c = &km->caches[cache];
    struct km_slab *s = &km->slabs[id];
    km_assert(s->inuse > 0);
    bool was_full = s->inuse == c->l.objects;
    s->inuse--;
    c->nr_active--;
    if (s->on == KM_SLAB_ON_CPU)
        return;
    if (was_full && s->on == KM_SLAB_ON_FULL) {
        sl_del(km, &c->full, id);
        s->on = KM_SLAB_ON_PARTIAL;
        sl_add(km, &c->partial, id);
    }
    if (s->inuse == 0 && s->on == KM_SLAB_ON_PARTIAL && c->partial.n > c->l.min_partial) {
        sl_del(km, &c->partial, id);
        s->on = KM_SLAB_ON_NONE;
        discard_slab(km, id);
    }
}

/* Free one anonymous object of the cache: from the slab that allocated most recently. */
static void free_one(struct km *km, int cache)
{
    struct km_slab_cache *c = &km->caches[cache];
    for (int cpu = 0; cpu < km->cfg.ncpus; cpu++) {
        int k = (km->cur_cpu + cpu) % km->cfg.ncpus;
        uint32_t id = c->cpu_slab[k];
        if (id != KM_NIL && km->slabs[id].inuse > 0) {
            slab_free(km, cache, id);
            return;
        }
    }
    for (uint32_t id = c->partial.head; id != KM_NIL; id = km->slabs[id].next)
        if (km->slabs[id].inuse > 0) {
            slab_free(km, cache, id);
            return;
        }
    if (c->full.head != KM_NIL)
        slab_free(km, cache, c->full.head);
}

void kobj_alloc(struct km *km, enum km_kobj k, int64_t n)
{
    int cache = km->kcache[k];
    if (cache < 0)
        return;
    if (k == KM_KO_MAPLE)
        km->nr_maple_nodes = (uint64_t)((int64_t)km->nr_maple_nodes + n);
    for (; n > 0; n--)
        if (slab_alloc(km, cache) == KM_NIL)
            return;
    for (; n < 0; n++)
        if (km->caches[cache].nr_active)
            free_one(km, cache);
}

/* Start a cache in a given state: `total` objects in slabs, `inuse` of them allocated, the
 * free ones spread over the slabs as a long-running machine's partial slabs have them. */
void slab_seed(struct km *km, int cache, uint64_t total, uint64_t inuse)
{
    for (uint64_t i = 0; i < total; i++)
        if (slab_alloc(km, cache) == KM_NIL)
            return;
    struct km_slab_cache *c = &km->caches[cache];
    uint64_t nids = c->nr_slabs, k = 0;
    uint32_t *ids = malloc(nids * sizeof(*ids));
    if (ids == NULL)
        return;
    for (uint32_t id = c->full.head; id != KM_NIL && k < nids; id = km->slabs[id].next)
        ids[k++] = id;
    for (int cpu = 0; cpu < km->cfg.ncpus && k < nids; cpu++)
        if (c->cpu_slab[cpu] != KM_NIL)
            ids[k++] = c->cpu_slab[cpu];
    uint64_t to_free = total > inuse ? total - inuse : 0;
    for (uint64_t round = 0; to_free > 0 && round < c->l.objects; round++)
        for (uint64_t i = 0; i < k && to_free > 0; i++) {
            if (km->slabs[ids[i]].inuse <= 1)
                continue;
            slab_free(km, cache, ids[i]);
            to_free--;
        }
    free(ids);
}

/*
 * The caches the model allocates from, with this machine's object sizes (6.18, x86-64), read
 * from /sys/kernel/slab on the reference VM: object_size, alignment flags, constructors.
 */
void slab_init_caches(struct km *km)
{
    static const struct {
        enum km_kobj k;
        const char *name;
        uint32_t size, align, flags;
    } objs[KM_NR_KOBJ] = {
        {KM_KO_VMA, "vm_area_struct", 192, 0,
         KM_SLAB_HWCACHE_ALIGN | KM_SLAB_TYPESAFE_RCU | KM_SLAB_FREEPTR_IN | KM_SLAB_ACCOUNT},
        {KM_KO_ANON_VMA, "anon_vma", 96, 0, KM_SLAB_TYPESAFE_RCU | KM_SLAB_CTOR | KM_SLAB_ACCOUNT},
        {KM_KO_AVC, "anon_vma_chain", 64, 0, KM_SLAB_ACCOUNT},
        {KM_KO_MAPLE, "maple_node", 256, 256, 0},
        {KM_KO_MM, "mm_struct", 1568, 0, KM_SLAB_HWCACHE_ALIGN | KM_SLAB_ACCOUNT},
        {KM_KO_TASK, "task_struct", 5824, 64, KM_SLAB_ACCOUNT},
        {KM_KO_FILES, "files_cache", 704, 0, KM_SLAB_HWCACHE_ALIGN | KM_SLAB_ACCOUNT},
        {KM_KO_SIGNAL, "signal_cache", 1152, 0, KM_SLAB_HWCACHE_ALIGN | KM_SLAB_ACCOUNT},
        {KM_KO_SIGHAND, "sighand_cache", 2080, 0,
         KM_SLAB_HWCACHE_ALIGN | KM_SLAB_TYPESAFE_RCU | KM_SLAB_CTOR | KM_SLAB_ACCOUNT},
        {KM_KO_FS, "fs_cache", 64, 0, KM_SLAB_ACCOUNT},
        {KM_KO_PID, "pid", 184, 0, KM_SLAB_HWCACHE_ALIGN | KM_SLAB_ACCOUNT},
        {KM_KO_CRED, "cred", 184, 0, KM_SLAB_HWCACHE_ALIGN | KM_SLAB_ACCOUNT},
    };
    km->slab_free_id = KM_NIL;
    for (int i = 0; kmalloc_sizes[i]; i++) {
        char name[32];
        if (kmalloc_sizes[i] >= 1024)
            snprintf(name, sizeof(name), "kmalloc-%uk", kmalloc_sizes[i] / 1024);
        else
            snprintf(name, sizeof(name), "kmalloc-%u", kmalloc_sizes[i]);
        /* kmalloc caches are aligned to their power-of-two size (96 and 192 to 8). */
        uint32_t a = (kmalloc_sizes[i] & (kmalloc_sizes[i] - 1)) ? 8 : kmalloc_sizes[i];
        if (a > KM_PAGE_SIZE)
            a = KM_PAGE_SIZE;
        km->kmalloc_cache[i] = (uint32_t)slab_cache_create(km, name, kmalloc_sizes[i], a, 0);
    }
    for (int i = 0; i < KM_NR_KOBJ; i++)
        km->kcache[objs[i].k] =
            slab_cache_create(km, objs[i].name, objs[i].size, objs[i].align, objs[i].flags);
}

void slab_check_cache(const struct km *km, int cache)
{
    const struct km_slab_cache *c = &km->caches[cache];
    uint64_t active = 0, slabs = 0;
    const struct km_slist *lists[2] = {&c->partial, &c->full};
    for (int li = 0; li < 2; li++) {
        uint64_t n = 0;
        for (uint32_t id = lists[li]->head; id != KM_NIL; id = km->slabs[id].next) {
            const struct km_slab *s = &km->slabs[id];
            if (s->cache != (uint32_t)cache || s->pfn == KM_NIL)
                km_check_fail("slab: slab on the wrong cache's list");
            if (li == 0 && (s->on != KM_SLAB_ON_PARTIAL || s->inuse >= c->l.objects))
                km_check_fail("slab: a partial slab is full or mislabelled");
            if (li == 1 && (s->on != KM_SLAB_ON_FULL || s->inuse != c->l.objects))
                km_check_fail("slab: a full slab has free objects");
            if (fr_state(&km->frames[s->pfn]) != KM_FS_SLAB || km->frames[s->pfn].b != id)
                km_check_fail("slab: slab frame does not name its slab");
            active += s->inuse;
            n++;
        }
        if (n != lists[li]->n)
            km_check_fail("slab: list count wrong");
        slabs += n;
    }
    for (int cpu = 0; cpu < km->cfg.ncpus; cpu++) {
        uint32_t id = c->cpu_slab[cpu];
        if (id == KM_NIL)
            continue;
        if (km->slabs[id].on != KM_SLAB_ON_CPU || km->slabs[id].inuse > c->l.objects)
            km_check_fail("slab: cpu slab mislabelled or overfull");
        active += km->slabs[id].inuse;
        slabs++;
    }
    if (active != c->nr_active)
        km_check_fail("slab: object count differs from the slabs");
    if (slabs != c->nr_slabs)
        km_check_fail("slab: slab count differs from the lists");
}

uint64_t slab_total_pages(const struct km *km, bool reclaimable)
{
    return reclaimable ? km->slab_recl_pages : km->slab_unrecl_pages;
}

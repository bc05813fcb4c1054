/*
 * zone.c — watermarks, lowmem reserves, per-CPU list sizes and the watermark test
 * (KMODEL-SPEC.md section 2; mm/page_alloc.c, mm/khugepaged.c, mm/show_mem.c).
 *
 *   free pages of a zone
 *   ^
 *   |  ........... high   kswapd sleeps once every eligible zone is above high
 *   |  ........... low    the fast path allocates above low; below it wakes kswapd
 *   |  ........... min    the slow path allocates above min; below it reclaims directly
 *   |  ___________ 0      (+ lowmem_reserve[highest_zoneidx] of the requesting allocation)
 *
 * Invariants: min <= low <= high <= promo in every zone; the values equal the kernel's for the
 * same managed pages and sysctls (checked against /proc/zoneinfo by tests/kmodel/e7_static).
 */
#include "analysis/kmodel/kmodel.h"

/* int_sqrt() of lib/math/int_sqrt.c: the integer square root, rounded down. */
uint64_t zone_int_sqrt(uint64_t x)
{
    uint64_t r = 0, b = 1ULL << 62;
    while (b > x)
        b >>= 2;
    while (b) {
        if (x >= r + b) {
            x -= r + b;
            r = (r >> 1) + b;
        } else {
            r >>= 1;
        }
        b >>= 2;
    }
    return r;
}

static uint64_t mult_frac(uint64_t x, uint64_t n, uint64_t d)
{
    return (x / d) * n + ((x % d) * n) / d;
}

static bool zone_is_lowmem(int idx)
{
    return idx != KM_ZONE_MOVABLE; /* x86-64 has no highmem */
}

/* nr_free_buffer_pages(): Σ max(managed - high) over zones usable by GFP_USER. */
static uint64_t nr_free_buffer_pages(const struct km *km)
{
    uint64_t n = 0;
    for (int i = 0; i <= KM_ZONE_NORMAL; i++) {
        const struct km_zone *z = &km->zones[i];
        uint64_t high = z->wmark[KM_WMARK_HIGH];
        if (z->managed > high)
            n += z->managed - high;
    }
    return n;
}

/*
 * calculate_min_free_kbytes(): clamp(int_sqrt(lowmem_kB * 16), 128, 262144); with THP enabled
 * khugepaged's set_recommended_min_free_kbytes() raises it to
 * pageblock * zones * (2 + MIGRATE_PCPTYPES^2) pages, capped at 5 % of lowmem.
 */
uint64_t zone_min_free_kbytes_rule(const struct km *km, bool thp)
{
    uint64_t lowmem_kb = nr_free_buffer_pages(km) * (KM_PAGE_SIZE >> 10);
    uint64_t v = zone_int_sqrt(lowmem_kb * 16);
    if (v < 128)
        v = 128;
    if (v > 262144)
        v = 262144;
    if (thp) {
        uint64_t nr_zones = 0;
        for (int i = 0; i <= KM_ZONE_NORMAL; i++)
            if (km->zones[i].managed)
                nr_zones++;
        uint64_t rec = KM_PAGEBLOCK_PAGES * nr_zones * 2;
        rec += KM_PAGEBLOCK_PAGES * nr_zones * KM_MT_PCPTYPES * KM_MT_PCPTYPES;
        uint64_t cap = nr_free_buffer_pages(km) / 20;
        if (rec > cap)
            rec = cap;
        rec <<= KM_PAGE_SHIFT - 10;
        if (rec > v)
            v = rec;
    }
    return v;
}

static void setup_wmarks_with(struct km *km, uint64_t min_free_kbytes)
{
    uint64_t pages_min = min_free_kbytes >> (KM_PAGE_SHIFT - 10);
    uint64_t lowmem_pages = 0;
    for (int i = 0; i < KM_NR_ZONES; i++)
        if (zone_is_lowmem(i))
            lowmem_pages += km->zones[i].managed;
    for (int i = 0; i < KM_NR_ZONES; i++) {
        struct km_zone *z = &km->zones[i];
        uint64_t tmp = lowmem_pages ? pages_min * z->managed / lowmem_pages : 0;
        if (!zone_is_lowmem(i)) {
            uint64_t m = z->managed / 1024;
            if (m < KM_SWAP_CLUSTER_MAX)
                m = KM_SWAP_CLUSTER_MAX;
            if (m > 128)
                m = 128;
            z->wmark[KM_WMARK_MIN] = m;
        } else {
            z->wmark[KM_WMARK_MIN] = tmp;
        }
        uint64_t gap = tmp >> 2;
        uint64_t scaled = mult_frac(z->managed, (uint64_t)km->cfg.watermark_scale_factor, 10000);
        if (scaled > gap)
            gap = scaled;
        z->wmark[KM_WMARK_LOW] = z->wmark[KM_WMARK_MIN] + gap;
        z->wmark[KM_WMARK_HIGH] = z->wmark[KM_WMARK_LOW] + gap;
        z->wmark[KM_WMARK_PROMO] = z->wmark[KM_WMARK_HIGH] + gap;
        z->boost = 0;
    }
}

void zone_setup_watermarks(struct km *km)
{
    bool thp = km->cfg.thp != KM_THP_NEVER;
    if (km->cfg.min_free_kbytes >= 0) {
        km->min_free_kbytes = (uint64_t)km->cfg.min_free_kbytes;
    } else {
        /* At boot the watermarks are still zero when the rule runs; then khugepaged starts. */
        for (int i = 0; i < KM_NR_ZONES; i++)
            for (int w = 0; w < KM_NR_WMARK; w++)
                km->zones[i].wmark[w] = 0;
        uint64_t v = zone_min_free_kbytes_rule(km, false);
        setup_wmarks_with(km, v);
        if (thp) {
            uint64_t t = zone_min_free_kbytes_rule(km, true);
            if (t > v)
                v = t;
        }
        km->min_free_kbytes = v;
    }
    setup_wmarks_with(km, km->min_free_kbytes);
}

/* setup_per_zone_lowmem_reserve() and calculate_totalreserve_pages(). */
void zone_setup_lowmem_reserve(struct km *km)
{
    for (int i = 0; i < KM_NR_ZONES; i++) {
        struct km_zone *z = &km->zones[i];
        int ratio = km->cfg.lowmem_reserve_ratio[i];
        bool clear = ratio == 0 || z->managed == 0;
        uint64_t managed = 0;
        for (int j = 0; j < KM_NR_ZONES; j++)
            z->lowmem_reserve[j] = 0;
        for (int j = i + 1; j < KM_NR_ZONES; j++) {
            managed += km->zones[j].managed;
            z->lowmem_reserve[j] = clear ? 0 : managed / (uint64_t)ratio;
        }
    }
    uint64_t total = 0;
    for (int i = 0; i < KM_NR_ZONES; i++) {
        struct km_zone *z = &km->zones[i];
        uint64_t max = 0;
        for (int j = i; j < KM_NR_ZONES; j++)
            if (z->lowmem_reserve[j] > max)
                max = z->lowmem_reserve[j];
        max += z->wmark[KM_WMARK_HIGH];
        if (max > z->managed)
            max = z->managed;
        total += max;
    }
    km->totalreserve = total;
}

static int rounddown_pow_of_two(int v)
{
    int r = 1;
    while (r * 2 <= v)
        r *= 2;
    return r;
}

/* zone_batchsize(): about a quarter of a megabyte, a power of two minus one. */
static int zone_batchsize(const struct km_zone *z)
{
    uint64_t b = z->managed >> 10;
    if (b > 256)
        b = 256;
    b /= 4;
    if (b < 1)
        b = 1;
    int batch = rounddown_pow_of_two((int)(b + b / 2)) - 1;
    return batch < 1 ? 1 : batch;
}

/* zone_highsize(): the pcp high mark, from the low watermark (or managed/fraction). */
static int zone_highsize(const struct km *km, const struct km_zone *z, int batch, int fraction)
{
    uint64_t total = fraction ? z->managed / (uint64_t)fraction : z->wmark[KM_WMARK_LOW];
    int high = (int)(total / (uint64_t)km->cfg.ncpus);
    if (high < batch << 2)
        high = batch << 2;
    return high;
}

void zone_setup_pcp(struct km *km)
{
    for (int i = 0; i < KM_NR_ZONES; i++) {
        struct km_zone *z = &km->zones[i];
        int batch = zone_batchsize(z);
        int high_min = zone_highsize(km, z, batch, 0);
        int high_max = zone_highsize(km, z, batch, 8);
        for (int c = 0; c < km->cfg.ncpus; c++) {
            struct km_pcp *p = &z->pcp[c];
            bool fresh = p->batch == 0;
            p->batch = batch;
            p->high_min = high_min;
            p->high_max = high_max;
            if (fresh) {
                for (size_t l = 0; l < sizeof(p->lists) / sizeof(p->lists[0]); l++)
                    kl_init(&p->lists[l]);
                p->high = high_min;
            }
        }
    }
}

uint64_t zone_wmark(const struct km_zone *z, int which)
{
    return z->wmark[which] + z->boost;
}

/* __zone_watermark_ok(); free_pages < 0 means "the zone's NR_FREE_PAGES". */
bool zone_watermark_ok(const struct km_zone *z, int order, uint64_t mark, int highest_zoneidx,
                       unsigned alloc_flags, int64_t free_pages)
{
    if (free_pages < 0)
        free_pages = (int64_t)z->nr_free;
    int64_t min = (int64_t)mark;
    unsigned reserves =
        KM_ALLOC_NON_BLOCK | KM_ALLOC_MIN_RESERVE | KM_ALLOC_HIGHATOMIC | KM_ALLOC_OOM;
    free_pages -= (1 << order) - 1;
    if (!(alloc_flags & reserves))
        free_pages -= (int64_t)z->nr_reserved_highatomic;
    if (alloc_flags & reserves) {
        if (alloc_flags & KM_ALLOC_MIN_RESERVE) {
            min -= min / 2;
            if (alloc_flags & KM_ALLOC_NON_BLOCK)
                min -= min / 4;
        }
        if (alloc_flags & KM_ALLOC_OOM)
            min -= min / 2;
    }
    if (free_pages <= min + (int64_t)z->lowmem_reserve[highest_zoneidx])
        return false;
    if (order == 0)
        return true;
    for (int o = order; o < KM_NR_ORDERS; o++) {
        if (!z->nr_free_blocks[o])
            continue;
        for (int mt = 0; mt < KM_MT_PCPTYPES; mt++)
            if (z->free_list[o][mt].n)
                return true;
        if ((alloc_flags & (KM_ALLOC_HIGHATOMIC | KM_ALLOC_OOM)) &&
            z->free_list[o][KM_MT_HIGHATOMIC].n)
            return true;
    }
    return false;
}

/* si_mem_available() (mm/show_mem.c). */
uint64_t zone_si_mem_available(const struct km *km)
{
    uint64_t wmark_low = 0;
    for (int i = 0; i < KM_NR_ZONES; i++)
        wmark_low += zone_wmark(&km->zones[i], KM_WMARK_LOW);
    int64_t avail = (int64_t)km_nr_free_pages(km) - (int64_t)km->totalreserve;
    uint64_t pagecache = km->nr_file;
    pagecache -= pagecache / 2 < wmark_low ? pagecache / 2 : wmark_low;
    avail += (int64_t)pagecache;
    uint64_t recl = km->slab_recl_pages;
    recl -= recl / 2 < wmark_low ? recl / 2 : wmark_low;
    avail += (int64_t)recl;
    return avail < 0 ? 0 : (uint64_t)avail;
}

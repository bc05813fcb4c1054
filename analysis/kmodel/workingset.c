/*
 * workingset.c — refault detection (KMODEL-SPEC.md section 4.6; mm/workingset.c).
 *
 *   eviction:  shadow = {memcg, PG_workingset, lruvec->nonresident_age >> bucket_order}
 *              stored where the page was (the file's page slot, or the swap slot)
 *   refault:   distance = nonresident_age(now) - eviction
 *              activate if distance <= workingset size (active file [+ inactive file for anon]
 *              [+ anon lists when swap is available])
 *
 *   shadow (32 bits):  | 1 tag | 1 workingset | 8 memcg | 22 eviction age |
 *
 * The age advances on evictions and activations, in the lruvec and its parent (the root).
 */
#include "analysis/kmodel/kmodel.h"

#define EVICTION_BITS 22
#define EVICTION_MASK ((1u << EVICTION_BITS) - 1)

static unsigned bucket_order(const struct km *km)
{
    unsigned bits = 0;
    while (bits < 40 && (1ULL << bits) < km->totalram)
        bits++;
    return bits > EVICTION_BITS ? bits - EVICTION_BITS : 0;
}

void workingset_age_nonresident(struct km *km, int cg, uint64_t nr)
{
    lru_vec(km, cg)->nonresident_age += nr;
    if (cg != 0)
        lru_vec(km, 0)->nonresident_age += nr;
}

uint32_t workingset_eviction(struct km *km, uint32_t pfn)
{
    const struct km_frame *f = &km->frames[pfn];
    int cg = (int)fr_memcg(f);
    uint64_t eviction = lru_vec(km, cg)->nonresident_age >> bucket_order(km);
    workingset_age_nonresident(km, cg, fr_test(f, KM_PG_THP) ? KM_PAGEBLOCK_PAGES : 1);
    return KM_SHADOW_TAG | (fr_test(f, KM_PG_WORKINGSET) ? 1u << 30 : 0) | ((uint32_t)cg << 22) |
           ((uint32_t)eviction & EVICTION_MASK);
}

/* workingset_refault(): called before the new page goes onto the LRU. */
void workingset_refault(struct km *km, uint32_t pfn, uint32_t shadow)
{
    struct km_frame *f = &km->frames[pfn];
    bool file = fr_state(f) == KM_FS_FILE;
    int cg = (int)fr_memcg(f);
    km->vm[file ? KM_VM_workingset_refault_file : KM_VM_workingset_refault_anon]++;
    int ecg = (int)((shadow >> 22) & 0xff);
    bool workingset = (shadow >> 30) & 1;
    if (ecg >= km->nmemcg || !km->memcg[ecg].used)
        return;
    unsigned bo = bucket_order(km);
    uint64_t eviction = (uint64_t)(shadow & EVICTION_MASK) << bo;
    uint64_t refault = lru_vec(km, ecg)->nonresident_age;
    uint64_t distance =
        (refault - eviction) & (((uint64_t)EVICTION_MASK << bo) | ((1ULL << bo) - 1));
    uint64_t ws = lru_vec_size(km, ecg, KM_LRU_ACTIVE_FILE);
    if (!file)
        ws += lru_vec_size(km, ecg, KM_LRU_INACTIVE_FILE);
    if (swap_free_pages(km) > 0) {
        ws += lru_vec_size(km, ecg, KM_LRU_ACTIVE_ANON);
        if (file)
            ws += lru_vec_size(km, ecg, KM_LRU_INACTIVE_ANON);
    }
    if (distance > ws)
        return;
    fr_set(f, KM_PG_ACTIVE);
    workingset_age_nonresident(km, cg, 1);
    struct km_lruvec *v = lru_vec(km, cg);
    v->wa_activate[file]++;
    if (cg != 0)
        lru_vec(km, 0)->wa_activate[file]++;
    km->vm[file ? KM_VM_workingset_activate_file : KM_VM_workingset_activate_anon]++;
    if (workingset) {
        fr_set(f, KM_PG_WORKINGSET);
        lru_note_cost(km, cg, file, 1, 0);
        km->vm[file ? KM_VM_workingset_restore_file : KM_VM_workingset_restore_anon]++;
    }
}

void workingset_activation(struct km *km, uint32_t pfn)
{
    const struct km_frame *f = &km->frames[pfn];
    workingset_age_nonresident(km, (int)fr_memcg(f),
                               fr_test(f, KM_PG_THP) ? KM_PAGEBLOCK_PAGES : 1);
}

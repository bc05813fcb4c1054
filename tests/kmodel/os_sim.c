/*
 * os_sim.c (test) — libmini's OS layer over the model's simulated address space, driven
 * directly: every mini_os_* call changes the model as the kernel would (VMAs, commit charge,
 * RSS) while the host memory behind the addresses works for the caller (data written before a
 * remap is there after it; purged memory reads as zeros).
 */
#include "analysis/kmodel/os_sim.h"
#include "libmini/src/os.h"
#include "tests/kmodel/kmtest.h"

#include <errno.h>

static void setup(int overcommit)
{
    struct km_config c;
    km_config_default(&c);
    c.ram_bytes = 1ULL << 30;
    c.overcommit_memory = overcommit;
    char err[256];
    if (mini_sim_init(&c, 8ULL << 30, err, sizeof(err)) != 0) {
        printf("mini_sim_init: %s\n", err);
        abort();
    }
}

TEST_BEGIN(map_touch_and_sync_count_pages)
{
    setup(0);
    struct km *km = mini_sim_machine();
    struct km_mm *mm = mini_sim_process();
    uint64_t rss0 = proc_rss(mm), c0 = km->committed;
    char *p = mini_os_map(1 << 20);
    require_true(p != NULL, "map");
    expect_u64_eq(km->committed - c0, 256, "1 MiB charged");
    memset(p, 1, 1 << 20);
    expect_u64_eq(mini_sim_sync(), 256, "the host wrote 256 pages");
    expect_u64_eq(proc_rss(mm) - rss0, 256, "model RSS");
    expect_u64_eq(mini_sim_sync(), 0, "nothing new");
    expect_d_eq(mini_os_unmap(p, 1 << 20), 0, "");
    expect_u64_eq(proc_rss(mm), rss0, "");
    expect_u64_eq(km->committed, c0, "charge released");
    km_check_all(km);
    mini_sim_fini();
}
TEST_END

TEST_BEGIN(sbrk_grows_and_shrinks_the_heap)
{
    setup(0);
    struct km_mm *mm = mini_sim_process();
    char *old = mini_os_sbrk(64 << 10);
    require_true(old != MINI_OS_SBRK_FAILED, "sbrk");
    expect_true(mini_os_sbrk(0) == old + (64 << 10), "break moved");
    memset(old, 7, 64 << 10);
    uint64_t rss = proc_rss(mm);
    mini_sim_touch(old, 64 << 10, KM_TOUCH_WRITE);
    expect_u64_eq(proc_rss(mm) - rss, 16, "16 heap pages");
    expect_true(mini_os_sbrk(-(64 << 10)) != MINI_OS_SBRK_FAILED, "shrink");
    expect_u64_eq(proc_rss(mm), rss, "pages gone with the shrink");
    km_check_all(mini_sim_machine());
    mini_sim_fini();
}
TEST_END

TEST_BEGIN(reserve_commit_decommit_purge)
{
    setup(0);
    struct km *km = mini_sim_machine();
    struct km_mm *mm = mini_sim_process();
    uint64_t c0 = km->committed;
    char *r = mini_os_reserve(16 << 20, 2 << 20);
    require_true(r != NULL, "reserve");
    expect_u64_eq((uint64_t)(uintptr_t)r & ((2 << 20) - 1), 0, "aligned");
    expect_u64_eq(km->committed, c0, "a reservation is not charged");
    expect_d_eq(mini_os_commit(r, 4 << 20), 0, "");
    expect_u64_eq(km->committed - c0, 1024, "committing charges");
    memset(r, 3, 4 << 20);
    mini_sim_sync();
    uint64_t rss = proc_rss(mm);
    expect_d_eq(mini_os_purge(r, 1 << 20), 0, "");
    expect_u64_eq(rss - proc_rss(mm), 256, "purge drops the pages");
    expect_d_eq(r[100], 0, "purged memory reads as zeros");
    expect_d_eq(mini_os_decommit(r + (1 << 20), 3 << 20), 0, "");
    expect_u64_eq(proc_rss(mm), rss - 1024, "decommit drops the rest");
    expect_u64_eq(km->committed - c0, 256,
                  "decommit (mmap MAP_FIXED|MAP_NORESERVE PROT_NONE, as os.c) drops the charge");
    km_check_all(km);
    mini_sim_fini();
}
TEST_END

TEST_BEGIN(remap_moves_data_and_pages)
{
    setup(0);
    struct km_mm *mm = mini_sim_process();
    char *q = mini_os_map(64 << 10);
    require_true(q != NULL, "");
    for (int i = 0; i < (64 << 10); i++)
        q[i] = (char)i;
    mini_sim_sync();
    /* Something right above so that it cannot grow in place... the next map goes below, so
     * grow it a lot: it moves when the gap above is taken or too small. */
    uint64_t rss = proc_rss(mm), f0 = mm->minflt;
    char *q2 = mini_os_remap(q, 64 << 10, 64 << 20);
    require_true(q2 != NULL, "remap");
    bool same = true;
    for (int i = 0; i < (64 << 10); i++)
        same &= q2[i] == (char)i;
    expect_true(same, "data preserved");
    expect_u64_eq(proc_rss(mm), rss, "pages moved, not copied");
    mini_sim_sync();
    expect_u64_eq(mm->minflt, f0, "no new faults for the moved pages");
    expect_d_eq(mini_os_unmap(q2, 64 << 20), 0, "");
    km_check_all(mini_sim_machine());
    mini_sim_fini();
}
TEST_END

TEST_BEGIN(overcommit_never_refuses_like_the_kernel)
{
    setup(2);
    errno = 0;
    void *p = mini_os_map(4ULL << 30);
    expect_true(p == NULL, "4 GiB refused on a 1 GiB machine in mode 2");
    expect_d_eq(errno, ENOMEM, "");
    expect_true(mini_os_reserve(4ULL << 30, 4096) != NULL, "a PROT_NONE reservation is free");
    mini_sim_fini();
}
TEST_END

TEST_BEGIN(userfaultfd_watch_sees_each_first_write)
{
    setup(0);
    char err[256] = "";
    bool w = mini_sim_watch(err, sizeof(err));
    test_skip_if(!w, err);
    struct km_mm *mm = mini_sim_process();
    char *p = mini_os_map(64 << 10);
    require_true(p != NULL, "map");
    uint64_t rss = proc_rss(mm), f0 = mm->minflt;
    p[0] = 1;
    expect_u64_eq(proc_rss(mm) - rss, 1, "a host write is a model fault at once");
    memset(p, 2, 64 << 10);
    expect_u64_eq(proc_rss(mm) - rss, 16, "16 pages");
    expect_u64_eq(mm->minflt - f0, 16, "16 faults");
    expect_u64_eq(mini_sim_watched_pages(), 16, "all seen by the watcher");
    expect_d_eq(p[100], 2, "the data is there");
    /* The program's touches (the replayer's) go to the model and map the host pages quietly. */
    char *q = mini_os_map(64 << 10);
    mini_sim_touch(q, 64 << 10, KM_TOUCH_WRITE);
    q[5] = 3;
    expect_u64_eq(mini_sim_watched_pages(), 16, "no round trip for pages the model has");
    expect_u64_eq(proc_rss(mm) - rss, 32, "");
    /* Purged pages fault again when written. */
    expect_d_eq(mini_os_purge(p, 64 << 10), 0, "");
    expect_d_eq(p[7], 0, "purged memory reads as zeros");
    expect_u64_eq(proc_rss(mm) - rss, 17,
                  "a first read counts as a write (the watcher maps a real page)");
    /* A moved mapping stays watched. */
    char *r = mini_os_remap(q, 64 << 10, 8 << 20);
    require_true(r != NULL, "remap");
    uint64_t w0 = mini_sim_watched_pages();
    r[(4 << 20) + 1] = 1;
    expect_u64_eq(mini_sim_watched_pages() - w0, 1, "the grown part of a moved mapping");
    km_check_all(mini_sim_machine());
    mini_sim_fini();
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, map_touch_and_sync_count_pages, sbrk_grows_and_shrinks_the_heap,
                     reserve_commit_decommit_purge, remap_moves_data_and_pages,
                     overcommit_never_refuses_like_the_kernel,
                     userfaultfd_watch_sees_each_first_write);
}

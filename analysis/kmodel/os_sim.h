/*
 * os_sim.h — libmini's OS layer (libmini/src/os.h) over the kernel model: the same allocator
 * code, linked with os_sim.c instead of os.c, asks a simulated Linux for its memory.
 *
 *   host:   one big PROT_NONE, MAP_NORESERVE reservation [base, base + span)
 *   model:  one simulated process whose mmap area is that same range (mmap_base = the top,
 *           start_brk = the bottom), so a simulated address IS the host address
 *
 * Every mini_os_* call is applied to the model (VMAs, commit charge, page tables...) and the
 * host range is made accessible or inaccessible to match, so libmini can write its headers.
 * What the program writes is reported with mini_sim_touch() (a replayer knows each block's
 * address and size); mini_sim_sync() additionally asks the host (mincore) which pages of the
 * mapped ranges are resident and faults the missing ones into the model as writes, which
 * catches libmini's own metadata writes.
 */
#ifndef KMODEL_OS_SIM_H
#define KMODEL_OS_SIM_H

#include "analysis/kmodel/kmodel.h"

/* Create the machine and the process; span is the host reservation (e.g. 64 GiB). */
int mini_sim_init(const struct km_config *cfg, uint64_t span, char *err, size_t errlen);
/* The same over a machine the caller made (and destroys after mini_sim_fini). */
int mini_sim_attach(struct km *km, uint64_t span, char *err, size_t errlen);
void mini_sim_fini(void);
/* False once the simulated process was OOM-killed: every mini_os_* call then fails (ENOMEM). */
bool mini_sim_alive(void);
struct km *mini_sim_machine(void);
struct km_mm *mini_sim_process(void);
/* The program accessed [addr, addr + len): fault the pages into the model. */
int mini_sim_touch(const void *addr, size_t len, enum km_touch how);
/* Fault into the model every page the host has resident in mapped ranges; returns pages. */
uint64_t mini_sim_sync(void);
/* The same for the pages of [addr, addr + len) only (cheap: a replayer probes the pages of a
 * block's header and of the next block's, which libmini writes). */
uint64_t mini_sim_probe(const void *addr, size_t len);

/* Watch the host reservation with a userfaultfd: every page libmini (or anyone) touches first
 * is faulted into the model as a write when it is touched, exactly and in order (replaces
 * mini_sim_sync/probe). False (and err) when the kernel refuses userfaultfd. */
bool mini_sim_watch(char *err, size_t errlen);
void mini_sim_unwatch(void);
/* Pages the watcher faulted into the model. */
uint64_t mini_sim_watched_pages(void);

/* Forget the machine (the caller destroys it) but keep the host memory libmini points into. */
void mini_sim_detach(void);

#endif

/*
 * vmprobe.h — read the machine's memory state for an experiment (the readers that the kernel
 * model's validation harness and the overcommit/swappiness sweep share).
 *
 *   vmprobe_key(path, key)        the number after "key" in /proc/vmstat-, /proc/meminfo- or
 *                                 memory.stat-shaped files ("key value" or "key: value")
 *   vmprobe_keys(path, keys, n, v) the same for n keys in one read of the file (one snapshot)
 *   vmprobe_vmstat("pswpout")     /proc/vmstat
 *   vmprobe_meminfo_kb("MemFree") /proc/meminfo, in kB
 *   vmprobe_read_num(path)        the first number of a file (a sysctl, memory.failcnt, ...)
 *   vmprobe_zone_managed(m)       managed pages of DMA, DMA32 and Normal (/proc/zoneinfo)
 *   vmprobe_psi(&some, &full)     /proc/pressure/memory total stall times, in microseconds
 *   vmprobe_make_file(path, n, b) write a file of n bytes of byte b (fsync'ed)
 *   vmprobe_drop_cache(path)      drop a file's page cache and count what is left (mincore)
 *
 * Numbers are -1 when the file or the key is missing. Nothing here changes a setting.
 */
#ifndef VMPROBE_H
#define VMPROBE_H

#include <stdint.h>

long long vmprobe_key(const char *path, const char *key);
/* v[i] is the number of keys[i] (-1 when missing); returns -1 when the file cannot be read. */
int vmprobe_keys(const char *path, const char *const keys[], int n, long long v[]);
long long vmprobe_vmstat(const char *key);
long long vmprobe_meminfo_kb(const char *key);
long long vmprobe_read_num(const char *path);
int vmprobe_zone_managed(uint64_t managed[3]);
int vmprobe_psi(long long *some_us, long long *full_us);
int vmprobe_make_file(const char *path, uint64_t bytes, int byte);
/* Returns the pages of the file still cached after trying for about 2 s, or -1 on error. */
long vmprobe_drop_cache(const char *path);

#endif

/*
 * kmtest.h — helpers shared by the kernel-model tests: build a machine from a few settings,
 * and read numbers from /proc files.
 */
#ifndef KMTEST_H
#define KMTEST_H

#include "analysis/kmodel/kmodel.h"
#include "tests/harness.h"

#include <string.h>

static inline struct km *kmt_machine(uint64_t ram, uint64_t swap)
{
    struct km_config c;
    km_config_default(&c);
    c.ram_bytes = ram;
    c.swap_bytes = swap;
    c.stats_flush_ms = 0; /* exact statistics: the unit tests check the algorithms */
    char err[256];
    struct km *km = km_create(&c, err, sizeof(err));
    if (km == NULL) {
        fprintf(stdout, "km_create: %s\n", err);
        abort();
    }
    return km;
}

static inline struct km *kmt_machine_cfg(const struct km_config *c)
{
    char err[256];
    struct km *km = km_create(c, err, sizeof(err));
    if (km == NULL) {
        fprintf(stdout, "km_create: %s\n", err);
        abort();
    }
    return km;
}

/* The value after `key` in a "key value" or "key: value" text file; -1 if absent. */
static inline long long kmt_read_key(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[512];
    long long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, kl) == 0 &&
            (line[kl] == ' ' || line[kl] == ':' || line[kl] == '\t')) {
            v = strtoll(line + kl + 1 + strspn(line + kl + 1, " :\t"), NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

static inline long long kmt_read_num(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    long long v = -1;
    if (fscanf(f, "%lld", &v) != 1)
        v = -1;
    fclose(f);
    return v;
}

#endif

/*
 * vmprobe.c — see vmprobe.h.
 */
#include "bench/vmctl/vmprobe.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int vmprobe_keys(const char *path, const char *const keys[], int n, long long v[])
{
    for (int i = 0; i < n; i++)
        v[i] = -1;
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    /* Each key occurs once in these files: stop once all are found. */
    char line[512];
    int found = 0;
    while (found < n && fgets(line, sizeof(line), f)) {
        for (int i = 0; i < n; i++) {
            size_t kl = strlen(keys[i]);
            if (strncmp(line, keys[i], kl) == 0 && (line[kl] == ' ' || line[kl] == ':')) {
                v[i] = strtoll(line + kl + 1 + strspn(line + kl + 1, " :\t"), NULL, 10);
                found++;
                break;
            }
        }
    }
    fclose(f);
    return 0;
}

long long vmprobe_key(const char *path, const char *key)
{
    long long v;
    vmprobe_keys(path, &key, 1, &v);
    return v;
}

long long vmprobe_vmstat(const char *key)
{
    return vmprobe_key("/proc/vmstat", key);
}

long long vmprobe_meminfo_kb(const char *key)
{
    return vmprobe_key("/proc/meminfo", key);
}

long long vmprobe_read_num(const char *path)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    long long v = -1;
    if (fscanf(f, "%lld", &v) != 1)
        v = -1;
    fclose(f);
    return v;
}

int vmprobe_zone_managed(uint64_t managed[3])
{
    FILE *f = fopen("/proc/zoneinfo", "re");
    if (f == NULL)
        return -1;
    char line[512];
    int z = -1;
    while (fgets(line, sizeof(line), f)) {
        char name[32];
        long long v;
        if (sscanf(line, "Node %*d, zone %31s", name) == 1) {
            z = strcmp(name, "DMA") == 0      ? 0
                : strcmp(name, "DMA32") == 0  ? 1
                : strcmp(name, "Normal") == 0 ? 2
                                              : -1;
            continue;
        }
        if (z >= 0 && sscanf(line, " managed %lld", &v) == 1)
            managed[z] = (uint64_t)v;
    }
    fclose(f);
    return 0;
}

int vmprobe_psi(long long *some_us, long long *full_us)
{
    *some_us = *full_us = -1;
    FILE *f = fopen("/proc/pressure/memory", "re");
    if (f == NULL)
        return -1;
    char line[256];
    while (fgets(line, sizeof(line), f)) {
        const char *t = strstr(line, "total=");
        if (t == NULL)
            continue;
        long long v = strtoll(t + 6, NULL, 10);
        if (strncmp(line, "some", 4) == 0)
            *some_us = v;
        else if (strncmp(line, "full", 4) == 0)
            *full_us = v;
    }
    fclose(f);
    return *some_us >= 0 ? 0 : -1;
}

int vmprobe_make_file(const char *path, uint64_t bytes, int byte)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    static char buf[1 << 20];
    memset(buf, byte, sizeof(buf));
    for (uint64_t done = 0; done < bytes;) {
        size_t n = bytes - done < sizeof(buf) ? (size_t)(bytes - done) : sizeof(buf);
        if (write(fd, buf, n) != (ssize_t)n) {
            close(fd);
            return -1;
        }
        done += n;
    }
    if (fsync(fd) != 0) {
        close(fd);
        return -1;
    }
    return close(fd);
}

/* A page cache page that stayed would be charged to whichever memory cgroup read it first, not
 * to the next experiment's: drop the file's cache and check with mincore that it is gone. */
long vmprobe_drop_cache(const char *path)
{
    long cached = -1;
    for (int tries = 0; tries < 20 && cached != 0; tries++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return -1;
        struct stat st;
        if (fstat(fd, &st) != 0) {
            close(fd);
            return -1;
        }
        size_t len = (size_t)st.st_size;
        fdatasync(fd);
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        if (len == 0) {
            close(fd);
            return 0;
        }
        void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
        close(fd);
        if (m == MAP_FAILED)
            return -1;
        size_t pages = (len + 4095) / 4096;
        unsigned char *vec = malloc(pages);
        cached = 0;
        if (vec != NULL && mincore(m, len, vec) == 0)
            for (size_t i = 0; i < pages; i++)
                cached += vec[i] & 1;
        free(vec);
        munmap(m, len);
        if (cached)
            usleep(100000);
    }
    return cached;
}

/*
 * machine.c — `mini-bench machine`: the description of this machine that results/machine.json
 * holds and the report opens with (kernel, CPU, memory, the vm sysctls, THP, cgroups, PMU,
 * package versions of every allocator and tool, the tree's commit).
 *
 * A flat JSON object of strings and numbers plus one "allocators" object; a value that cannot
 * be read is the string "n/a (reason)".
 */
#include <errno.h>
#include <gnu/libc-version.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench/runner/runner.h"

/* The first line of a file, without the newline; "" when it cannot be read. */
static void first_line(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return;
    if (fgets(buf, (int)len, f) == NULL)
        buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
}

/* "key: value" from a /proc file such as /proc/cpuinfo or /proc/meminfo. */
static void proc_field(const char *path, const char *key, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return;
    char line[1024];
    size_t n = strlen(key);
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, key, n) == 0 && (line[n] == ':' || line[n] == ' ' || line[n] == '\t')) {
            char *v = strchr(line, ':');
            if (v == NULL)
                continue;
            v++;
            while (*v == ' ' || *v == '\t')
                v++;
            v[strcspn(v, "\n")] = '\0';
            snprintf(buf, len, "%s", v);
            break;
        }
    }
    fclose(f);
}

static void kv_str(FILE *f, const char *key, const char *val, bool *first)
{
    fprintf(f, "%s\n  ", *first ? "" : ",");
    *first = false;
    runner_json_str(f, key);
    fputs(": ", f);
    runner_json_str(f, val && *val ? val : "n/a (not readable)");
}

/* A number when the text is one, else the text. */
static void kv_auto(FILE *f, const char *key, const char *val, bool *first)
{
    char *end;
    if (val && *val) {
        strtoll(val, &end, 10);
        if (*end == '\0') {
            fprintf(f, "%s\n  ", *first ? "" : ",");
            *first = false;
            runner_json_str(f, key);
            fprintf(f, ": %s", val);
            return;
        }
    }
    kv_str(f, key, val, first);
}

/* The selected value of a sysfs choice file: "always [madvise] never" -> "madvise". */
static void sysfs_choice(const char *path, char *buf, size_t len)
{
    char line[256];
    first_line(path, line, sizeof(line));
    char *a = strchr(line, '['), *b = a ? strchr(a, ']') : NULL;
    if (a && b) {
        *b = '\0';
        snprintf(buf, len, "%s", a + 1);
    } else {
        snprintf(buf, len, "%s", line);
    }
}

static void pmu_status(char *buf, size_t len)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.type = PERF_TYPE_HARDWARE;
    a.config = PERF_COUNT_HW_CPU_CYCLES;
    a.disabled = 1;
    int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd >= 0) {
        close(fd);
        snprintf(buf, len, "yes");
    } else {
        snprintf(buf, len, "n/a (no PMU: perf_event_open cycles: %s)", strerror(errno));
    }
}

int runner_machine_json(FILE *f, const char *bindir)
{
    bool first = true;
    char buf[1024], key[128];
    struct utsname u;
    fputc('{', f);

    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    kv_str(f, "date_utc", buf, &first);
    if (uname(&u) == 0) {
        kv_str(f, "kernel", u.release, &first);
        kv_str(f, "kernel_version", u.version, &first);
        kv_str(f, "arch", u.machine, &first);
    }
    first_line("/etc/debian_version", buf, sizeof(buf));
    kv_str(f, "debian_version", buf, &first);
    proc_field("/proc/cpuinfo", "model name", buf, sizeof(buf));
    kv_str(f, "cpu_model", buf, &first);
    snprintf(buf, sizeof(buf), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
    kv_auto(f, "cpus_online", buf, &first);
    proc_field("/proc/cpuinfo", "flags", buf, sizeof(buf));
    kv_str(f, "hypervisor", strstr(buf, " hypervisor") ? "yes" : "no", &first);
    proc_field("/proc/cpuinfo", "cache size", buf, sizeof(buf));
    kv_str(f, "cpu_cache", buf, &first);
    /* Other processes competing for the CPUs when the run starts: the 1-minute load average. */
    first_line("/proc/loadavg", buf, sizeof(buf));
    char *end;
    double load = strtod(buf, &end);
    if (end != buf) {
        fprintf(f, ",\n  \"loadavg_1min\": %.2f", load);
    } else {
        kv_str(f, "loadavg_1min", "n/a (/proc/loadavg unreadable)", &first);
    }
    static const char *const mem_keys[][2] = {{"MemTotal", "mem_total_kb"},
                                              {"MemAvailable", "mem_available_kb"},
                                              {"SwapTotal", "swap_total_kb"}};
    for (size_t i = 0; i < sizeof(mem_keys) / sizeof(mem_keys[0]); i++) {
        proc_field("/proc/meminfo", mem_keys[i][0], buf, sizeof(buf));
        buf[strcspn(buf, " ")] = '\0';
        kv_auto(f, mem_keys[i][1], buf, &first);
    }
    snprintf(buf, sizeof(buf), "%ld", sysconf(_SC_PAGESIZE));
    kv_auto(f, "page_size", buf, &first);
    sysfs_choice("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf));
    kv_str(f, "thp_enabled", buf, &first);
    sysfs_choice("/sys/kernel/mm/transparent_hugepage/defrag", buf, sizeof(buf));
    kv_str(f, "thp_defrag", buf, &first);
    static const char *const sysctls[] = {"vm/overcommit_memory",
                                          "vm/overcommit_ratio",
                                          "vm/swappiness",
                                          "vm/min_free_kbytes",
                                          "vm/max_map_count",
                                          "vm/zone_reclaim_mode",
                                          "vm/page-cluster",
                                          "kernel/perf_event_paranoid",
                                          "kernel/randomize_va_space",
                                          NULL};
    for (int i = 0; sysctls[i] != NULL; i++) {
        char path[128];
        snprintf(path, sizeof(path), "/proc/sys/%s", sysctls[i]);
        first_line(path, buf, sizeof(buf));
        snprintf(key, sizeof(key), "%s", sysctls[i]);
        for (char *p = key; *p; p++)
            if (*p == '/')
                *p = '.';
        kv_auto(f, key, buf, &first);
    }
    kv_str(f, "cgroup",
           access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ? "v2 (unified)" : "v1", &first);
    pmu_status(buf, sizeof(buf));
    kv_str(f, "hw_counters", buf, &first);
    kv_str(f, "glibc", gnu_get_libc_version(), &first);
    kv_str(f, "compiler", __VERSION__, &first);

    static const char *const packages[] = {"libc6",
                                           "libjemalloc2",
                                           "libmimalloc2.0",
                                           "libtcmalloc-minimal4",
                                           "libbenchmark-dev",
                                           "libpfm4",
                                           "gnuplot-nox",
                                           "linux-perf",
                                           "sqlite3",
                                           "python3",
                                           NULL};
    for (int i = 0; packages[i] != NULL; i++) {
        char pkg[64];
        snprintf(pkg, sizeof(pkg), "%s", packages[i]);
        char *argv[] = {"dpkg-query", "-W", "-f=${Version}", pkg, NULL};
        runner_capture(argv, buf, sizeof(buf));
        snprintf(key, sizeof(key), "pkg.%s", packages[i]);
        kv_str(f, key, buf[0] ? buf : "n/a (not installed)", &first);
    }
    {
        char *argv[] = {"git", "rev-parse", "--short=12", "HEAD", NULL};
        runner_capture(argv, buf, sizeof(buf));
        kv_str(f, "git_commit", buf[0] ? buf : "n/a (not a git checkout)", &first);
        char *argv2[] = {"git", "status", "--porcelain", "--untracked-files=no", NULL};
        char dirty[256];
        runner_capture(argv2, dirty, sizeof(dirty));
        kv_str(f, "git_dirty", dirty[0] ? "yes" : "no", &first);
    }

    fprintf(f, ",\n  \"allocators\": {");
    for (int i = 0; runner_alloc_names[i] != NULL; i++) {
        struct runner_alloc a;
        runner_alloc_lookup(runner_alloc_names[i], bindir, NULL, &a);
        fprintf(f, "%s\n    ", i ? "," : "");
        runner_json_str(f, a.name);
        fputs(": {\"available\": ", f);
        fputs(a.available ? "true" : "false", f);
        fputs(", \"version\": ", f);
        runner_json_str(f, a.version);
        fputs(", \"preload\": ", f);
        char disp[PATH_MAX];
        runner_json_str(f, a.preload[0] ? runner_display_path(a.preload, disp, sizeof(disp))
                                        : "(none)");
        fputs(", \"settings\": ", f);
        runner_json_str(f, a.settings);
        fputs(", \"reason\": ", f);
        runner_json_str(f, a.reason[0] ? a.reason : "-");
        fputc('}', f);
    }
    fputs("\n  }\n}\n", f);
    return ferror(f) ? -1 : 0;
}

/*
 * record.c — MINI_TRACE=FILE: record every allocation call and every OS call of libmini into a
 * trace file (format: trace_format.h, TRACE-FORMAT.md).
 *
 *   thread A: TLS -> struct mini_rec_thread --> chunk (64 KiB of FILE, mmap MAP_SHARED)
 *                                                 [chunk header | rec rec rec ...    ]
 *   thread B: TLS -> struct mini_rec_thread --> another chunk of FILE
 *
 *   FILE:  [header page][chunk 0][chunk 1][chunk 2] ...  (chunks of all threads, in the order
 *                                                          they were taken)
 *
 * A record is 64 bytes stored straight into the calling thread's chunk of the file; the chunk's
 * `count` is raised after each record, so the file (the kernel's page cache) is a valid trace at
 * every instant: nothing to flush at exit, at thread exit, on _exit() or after a crash. A full
 * chunk is closed and the thread takes the next: the file grows by one chunk (fallocate, under
 * rec.lock), the thread maps it. No record path allocates memory: the recorder's state is in
 * static storage and in mmap'd pages, so it never calls the allocator it records.
 *
 * Deciding: the shim's constructor, or an earlier first call into the shim, reads MINI_TRACE
 * (getenv: the C library has set up the environment before the first malloc of any program we
 * have met; if it has not, the decision waits for a later call). Unset, mini_rec_active drops
 * to 0 and every later call costs one predictable branch.
 *
 * Whose file: the process takes FILE when it can lock it (flock LOCK_EX, held while it runs);
 * if another live process holds it — a traced parent whose child ran exec(), or an unrelated
 * process with the same MINI_TRACE — it writes FILE.<pid>. A child of fork() writes FILE.<pid>
 * (opened at its first record: a child that only execs creates no file); its header has
 * MINI_TRACE_HF_CHILD, and its trace may free blocks its parent allocated.
 *
 * fork: chunk and header mappings are MADV_DONTFORK, so a child can never write into its
 * parent's file; the child handler forgets the parent's state (no lock is taken across fork:
 * the child re-initialises the recorder's locks).
 *
 * Signals: a signal handler that allocates while this thread is inside the recorder writes its
 * record into the next slot (slots are reserved before they are written; the chunk being
 * replaced stays mapped until the following switch), so records are neither torn nor lost;
 * malloc from a signal handler is still unsafe for other reasons (README).
 *
 * Lock order: libmini's locks (an OS call is recorded under an arena lock), then rec.lock.
 * rec.init_lock is only taken outside libmini.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "preload/shim.h"

enum { ST_UNDECIDED, ST_OFF, ST_ON, ST_REOPEN };

#define REC_MAX_THREADS 16384u
#define REC_CAP         ((MINI_TRACE_CHUNK_BYTES - sizeof(struct mini_trace_chunk)) / MINI_TRACE_REC_BYTES)

struct mini_rec_thread {
    struct mini_trace_chunk *chunk; /* the chunk being written, or NULL */
    struct mini_trace_chunk *old;   /* the previous one: unmapped at the next switch */
    uint32_t count;                 /* slots of `chunk` reserved */
    uint32_t tid;
    uint32_t seq; /* the next record number */
    uint64_t uid;
    uint64_t nchunks; /* chunks this thread has taken */
    struct mini_rec_thread *next_free;
};

static struct {
    _Atomic int state;
    int fd;
    pthread_mutex_t init_lock;
    pthread_mutex_t lock; /* file growth, thread slots, uids */
    struct mini_trace_header *hdr;
    dev_t dev; /* the file's identity, checked before it grows */
    ino_t ino;
    uint64_t nchunks;
    uint64_t next_uid;
    struct mini_rec_thread *slots; /* REC_MAX_THREADS of them, mmap'd */
    uint32_t nslots;
    struct mini_rec_thread *free_slots;
    pthread_key_t key;
    int key_ok;
    char base[PATH_MAX];
} rec = {
    .fd = -1,
    .init_lock = PTHREAD_MUTEX_INITIALIZER,
    .lock = PTHREAD_MUTEX_INITIALIZER,
};

_Atomic int mini_rec_active = 1;
static MINI_TLS struct mini_rec_thread *tls_rt;
static MINI_TLS int tls_busy; /* the recorder's slow path runs on this thread */

static void os_hook(unsigned op, uintptr_t addr, size_t len, uint64_t arg, uintptr_t ret);
static void go_off(void);

uint64_t mini_rec_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void warn(const char *what, const char *path)
{
    char mem[PATH_MAX + 200];
    struct mini_buf b = {mem, 0, sizeof(mem)};
    mini_buf_puts(&b, "libmini: MINI_TRACE: ");
    mini_buf_puts(&b, path);
    mini_buf_puts(&b, ": ");
    mini_buf_puts(&b, what);
    mini_buf_puts(&b, ": ");
    /* Not strerror: it may translate, and allocate, and this may run under an arena lock. */
    const char *e = strerrordesc_np(errno);
    mini_buf_puts(&b, e ? e : "unknown error");
    mini_buf_puts(&b, "; not tracing\n");
    mini_write_err(mini_buf_str(&b));
}

static void count_lost(void)
{
    struct mini_trace_header *h = rec.hdr;
    if (h) {
        __atomic_fetch_add(&h->lost, 1, __ATOMIC_RELAXED);
        __atomic_fetch_or(&h->flags, MINI_TRACE_HF_LOST, __ATOMIC_RELAXED);
    }
}

/* ---- The file ------------------------------------------------------------------------------ */

static int lock_or_fail(int fd)
{
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
    /* A file system without flock: nobody can tell; take the file. */
    return errno == EWOULDBLOCK ? -1 : 0;
}

/* Open `path` (or path.<pid> when `own_pid` or when another live process holds path), write a
 * fresh header. Runs with rec.init_lock held. */
static bool open_trace(const char *base, bool own_pid)
{
    char path[PATH_MAX + 32];
    struct mini_buf b = {path, 0, sizeof(path)};
    int fd = -1;
    if (!own_pid) {
        mini_buf_puts(&b, base);
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            warn("cannot open", path);
            return false;
        }
        if (lock_or_fail(fd) != 0) {
            close(fd);
            fd = -1;
        }
    }
    if (fd < 0) {
        b.len = 0;
        mini_buf_puts(&b, base);
        mini_buf_puts(&b, ".");
        mini_buf_u64(&b, (uint64_t)getpid());
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            warn("cannot open", path);
            return false;
        }
        (void)lock_or_fail(fd);
    }
    if (ftruncate(fd, 0) != 0 || ftruncate(fd, MINI_TRACE_HEADER_BYTES) != 0) {
        warn("cannot size", path);
        close(fd);
        return false;
    }
    void *h = mmap(NULL, MINI_TRACE_HEADER_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (h == MAP_FAILED) {
        warn("cannot map", path);
        close(fd);
        return false;
    }
    madvise(h, MINI_TRACE_HEADER_BYTES, MADV_DONTFORK);
    struct mini_trace_header *hd = h;
    hd->version = MINI_TRACE_VERSION;
    hd->header_bytes = MINI_TRACE_HEADER_BYTES;
    hd->record_bytes = MINI_TRACE_REC_BYTES;
    hd->chunk_bytes = MINI_TRACE_CHUNK_BYTES;
    hd->pid = (uint32_t)getpid();
    hd->ppid = (uint32_t)getppid();
    hd->clock = MINI_TRACE_CLOCK_MONOTONIC;
    hd->page_size = (uint32_t)mini_os_page_size();
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    hd->start_ns = mini_rec_now();
    hd->start_realtime_ns = (uint64_t)rt.tv_sec * 1000000000u + (uint64_t)rt.tv_nsec;
    hd->flags = own_pid ? MINI_TRACE_HF_CHILD : 0;
    hd->initial_brk = (uint64_t)(uintptr_t)sbrk(0);
    hd->mmap_threshold = mini_option_get(MINI_OPT_MMAP_THRESHOLD);
    hd->trim_threshold = mini_option_get(MINI_OPT_TRIM_THRESHOLD);
    hd->top_pad = mini_option_get(MINI_OPT_TOP_PAD);
    hd->arena_max = mini_option_get(MINI_OPT_ARENA_MAX);
    memcpy(hd->libmini_version, MINI_VERSION, sizeof(MINI_VERSION));
    ssize_t n = readlink("/proc/self/exe", hd->exe, sizeof(hd->exe) - 1);
    if (n < 0)
        n = 0;
    hd->exe[n] = '\0';
    memcpy(hd->magic, MINI_TRACE_MAGIC, 8);
    /* Out of the way of the program's own descriptors (shells use low fixed numbers); the
     * flock belongs to the open file, so it stays. */
    int hi = fcntl(fd, F_DUPFD_CLOEXEC, 64);
    if (hi >= 0) {
        close(fd);
        fd = hi;
    }
    struct stat st;
    if (fstat(fd, &st) == 0) {
        rec.dev = st.st_dev;
        rec.ino = st.st_ino;
    }
    rec.fd = fd;
    rec.hdr = hd;
    rec.nchunks = 0;
    return true;
}

/* Take the next chunk of the file for rt. */
static struct mini_trace_chunk *chunk_new(struct mini_rec_thread *rt)
{
    pthread_mutex_lock(&rec.lock);
    uint64_t idx = rec.nchunks;
    off_t off = (off_t)(MINI_TRACE_HEADER_BYTES + idx * MINI_TRACE_CHUNK_BYTES);
    int r = -1;
    struct stat st;
    /* A program that closes every descriptor may have closed ours, and the number may now be
     * one of its own files: write only into the file we opened. */
    if (rec.fd >= 0 && (fstat(rec.fd, &st) != 0 || st.st_dev != rec.dev || st.st_ino != rec.ino)) {
        rec.fd = -1;
        errno = EBADF;
    }
    if (rec.fd >= 0) {
        r = fallocate(rec.fd, 0, off, MINI_TRACE_CHUNK_BYTES);
        if (r != 0 && (errno == EOPNOTSUPP || errno == ENOSYS))
            r = ftruncate(rec.fd, off + MINI_TRACE_CHUNK_BYTES);
    }
    if (r == 0) {
        rec.nchunks = idx + 1;
        __atomic_store_n(&rec.hdr->nchunks, idx + 1, __ATOMIC_RELEASE);
    }
    int fd = rec.fd;
    pthread_mutex_unlock(&rec.lock);
    if (r != 0)
        return NULL;
    void *p = mmap(NULL, MINI_TRACE_CHUNK_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                   fd, off);
    if (p == MAP_FAILED)
        return NULL; /* the chunk stays all zero: readers skip it */
    madvise(p, MINI_TRACE_CHUNK_BYTES, MADV_DONTFORK);
    struct mini_trace_chunk *ch = p;
    ch->tid = rt->tid;
    ch->capacity = (uint32_t)REC_CAP;
    ch->index = idx;
    ch->thread_uid = rt->uid;
    ch->thread_seq = rt->nchunks++;
    ch->first_seq = rt->seq;
    __atomic_store_n((uint64_t *)ch->magic, *(const uint64_t *)MINI_TRACE_CHUNK_MAGIC,
                     __ATOMIC_RELEASE);
    return ch;
}

static void chunk_close(struct mini_trace_chunk *ch)
{
    if (ch)
        __atomic_fetch_or(&ch->flags, MINI_TRACE_CF_CLOSED, __ATOMIC_RELEASE);
}

/* rt's chunk is full (or there is none): close it, take the next. */
MINI_NOINLINE static bool chunk_switch(struct mini_rec_thread *rt)
{
    int saved = errno;
    int busy = tls_busy;
    tls_busy = 1;
    if (rt->old)
        munmap(rt->old, MINI_TRACE_CHUNK_BYTES);
    chunk_close(rt->chunk);
    /* A signal handler that interrupted a record may still write into this one. */
    rt->old = rt->chunk;
    rt->chunk = NULL;
    rt->count = 0;
    struct mini_trace_chunk *ch = chunk_new(rt);
    rt->chunk = ch;
    if (ch == NULL) {
        /* No room (the file system is full) or no address space: stop recording, once, with
         * one warning; the file stays a valid trace of what came before (HF_LOST). */
        static _Atomic int warned;
        if (atomic_exchange(&warned, 1) == 0)
            warn("cannot extend the trace", rec.base);
        go_off();
    }
    tls_busy = busy;
    errno = saved;
    return ch != NULL;
}

/* ---- Threads ------------------------------------------------------------------------------- */

static void thread_exit(void *arg)
{
    struct mini_rec_thread *rt = arg;
    /* After fork() the key may still name a slot of the parent's: ignore it. */
    if (rt == NULL || rt != tls_rt)
        return;
    tls_rt = NULL;
    chunk_close(rt->chunk);
    if (rt->chunk)
        munmap(rt->chunk, MINI_TRACE_CHUNK_BYTES);
    if (rt->old)
        munmap(rt->old, MINI_TRACE_CHUNK_BYTES);
    pthread_mutex_lock(&rec.lock);
    rt->chunk = rt->old = NULL;
    rt->next_free = rec.free_slots;
    rec.free_slots = rt;
    pthread_mutex_unlock(&rec.lock);
}

MINI_NOINLINE static struct mini_rec_thread *thread_new(void)
{
    int busy = tls_busy;
    tls_busy = 1;
    pthread_mutex_lock(&rec.lock);
    struct mini_rec_thread *rt = rec.free_slots;
    if (rt)
        rec.free_slots = rt->next_free;
    else if (rec.slots && rec.nslots < REC_MAX_THREADS)
        rt = &rec.slots[rec.nslots++];
    uint64_t uid = ++rec.next_uid;
    pthread_mutex_unlock(&rec.lock);
    if (rt) {
        memset(rt, 0, sizeof(*rt));
        rt->tid = (uint32_t)gettid();
        rt->uid = uid;
        tls_rt = rt;
        if (rec.key_ok)
            pthread_setspecific(rec.key, rt);
    }
    tls_busy = busy;
    return rt;
}

/* ---- Starting ------------------------------------------------------------------------------ */

static void fork_child(void)
{
    int st = atomic_load(&rec.state);
    if (st != ST_ON && st != ST_REOPEN)
        return;
    /* The chunk and header mappings did not come along (MADV_DONTFORK). */
    if (rec.fd >= 0)
        close(rec.fd);
    rec.fd = -1;
    rec.hdr = NULL;
    rec.nchunks = 0;
    rec.nslots = 0;
    rec.free_slots = NULL;
    rec.next_uid = 0;
    pthread_mutex_init(&rec.lock, NULL);
    pthread_mutex_init(&rec.init_lock, NULL);
    tls_rt = NULL;
    atomic_store(&rec.state, ST_REOPEN);
}

static void go_off(void)
{
    atomic_store(&rec.state, ST_OFF);
    __atomic_store_n(&mini_os_trace_hook, (mini_os_hook_t)NULL, __ATOMIC_RELEASE);
    atomic_store(&mini_rec_active, 0);
}

/* rec.base = path, made absolute (a fork child opens FILE.<pid> later, maybe elsewhere). */
static bool set_base(const char *path)
{
    size_t n = strlen(path), d = 0;
    if (path[0] != '/') {
        if (getcwd(rec.base, sizeof(rec.base)) == NULL)
            return false;
        d = strlen(rec.base);
        if (d + 1 < sizeof(rec.base))
            rec.base[d++] = '/';
    }
    if (d + n + 1 > sizeof(rec.base)) {
        mini_warn("MINI_TRACE: path too long; not tracing", NULL, NULL);
        return false;
    }
    memcpy(rec.base + d, path, n + 1);
    return true;
}

/* Decide whether to trace, or open the file of a fork child. Returns true when tracing. */
MINI_NOINLINE static bool start(void)
{
    tls_busy = 1;
    pthread_mutex_lock(&rec.init_lock);
    int st = atomic_load(&rec.state);
    if (st == ST_UNDECIDED) {
        const char *path = environ ? getenv("MINI_TRACE") : NULL;
        if (environ == NULL) {
            /* Too early to read the environment: decide at a later call. */
        } else if (path == NULL || *path == '\0' || !set_base(path)) {
            go_off();
        } else {
            rec.slots =
                mmap(NULL, REC_MAX_THREADS * sizeof(struct mini_rec_thread), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (rec.slots == MAP_FAILED) {
                rec.slots = NULL;
                warn("no memory for the recorder", path);
                go_off();
            } else if (!open_trace(rec.base, false)) {
                go_off();
            } else {
                /* Neither call allocates here (a small key, the first fork handlers). */
                rec.key_ok = pthread_key_create(&rec.key, thread_exit) == 0;
                pthread_atfork(NULL, NULL, fork_child);
                __atomic_store_n(&mini_os_trace_hook, os_hook, __ATOMIC_RELEASE);
                atomic_store(&rec.state, ST_ON);
            }
        }
    } else if (st == ST_REOPEN) {
        if (open_trace(rec.base, true))
            atomic_store(&rec.state, ST_ON);
        else
            go_off();
    }
    st = atomic_load(&rec.state);
    pthread_mutex_unlock(&rec.init_lock);
    tls_busy = 0;
    return st == ST_ON;
}

struct mini_rec_thread *mini_rec_begin(void)
{
    if (tls_busy)
        return NULL;
    if (MINI_UNLIKELY(atomic_load_explicit(&rec.state, memory_order_acquire) != ST_ON) && !start())
        return NULL;
    struct mini_rec_thread *rt = tls_rt;
    if (MINI_UNLIKELY(rt == NULL))
        rt = thread_new();
    if (rt == NULL)
        count_lost();
    return rt;
}

void mini_rec_put(struct mini_rec_thread *rt, unsigned op, unsigned flags, int result, uint64_t ts,
                  uint64_t ts_enter, uint64_t size, uint64_t arg, const void *in, const void *out)
{
    struct mini_trace_chunk *ch = rt->chunk;
    uint32_t i = rt->count;
    if (MINI_UNLIKELY(ch == NULL || i >= REC_CAP)) {
        if (!chunk_switch(rt)) {
            count_lost();
            return;
        }
        ch = rt->chunk;
        i = 0;
    }
    /* Reserve the slot before writing it (a signal handler's record takes the next one). */
    rt->count = i + 1;
    uint32_t seq = rt->seq++;
    struct mini_trace_rec *r = (struct mini_trace_rec *)(ch + 1) + i;
    r->ts = ts;
    r->ts_enter = ts_enter;
    r->tid = rt->tid;
    r->op = (uint16_t)op;
    r->flags = (uint16_t)flags;
    r->seq = seq;
    r->result = result;
    r->size = size;
    r->arg = arg;
    r->in = (uint64_t)(uintptr_t)in;
    r->out = (uint64_t)(uintptr_t)out;
    if (__atomic_load_n(&ch->count, __ATOMIC_RELAXED) < i + 1)
        __atomic_store_n(&ch->count, i + 1, __ATOMIC_RELEASE);
}

static void os_hook(unsigned op, uintptr_t addr, size_t len, uint64_t arg, uintptr_t ret)
{
    int saved = errno;
    struct mini_rec_thread *rt = mini_rec_begin();
    if (rt) {
        bool failed = ret == (uintptr_t)-1;
        mini_rec_put(rt, op, failed ? MINI_TR_F_FAILED : 0, failed ? saved : 0, mini_rec_now(), 0,
                     len, arg, (const void *)addr, (const void *)ret);
    }
    errno = saved;
}

/* At load: decide now (the environment is ready), so that a traced process owns FILE from its
 * start even if it allocates late or never; calls made before this (by constructors that ran
 * earlier) decided already. */
__attribute__((constructor)) static void rec_init(void)
{
    if (mini_rec_on() && atomic_load(&rec.state) == ST_UNDECIDED && !tls_busy)
        start();
}

/* exit(): the trace is complete (threads still running may add records after this). */
__attribute__((destructor)) static void rec_fini(void)
{
    if (atomic_load(&rec.state) == ST_ON && rec.hdr)
        __atomic_fetch_or(&rec.hdr->flags, MINI_TRACE_HF_COMPLETE, __ATOMIC_RELEASE);
}

/* Exported: a marker record for tools (mini-trace replay). */
MINI_EXPORT void mini_trace_mark(uint64_t value)
{
    if (!mini_rec_on())
        return;
    struct mini_rec_thread *rt = mini_rec_begin();
    if (rt)
        mini_rec_put(rt, MINI_TR_MARK, 0, 0, mini_rec_now(), 0, 0, value, NULL, NULL);
}

_Static_assert((int)MINI_TR_OS_SBRK == (int)MINI_OS_OP_SBRK &&
                   (int)MINI_TR_OS_MMAP == (int)MINI_OS_OP_MMAP &&
                   (int)MINI_TR_OS_MUNMAP == (int)MINI_OS_OP_MUNMAP &&
                   (int)MINI_TR_OS_MREMAP == (int)MINI_OS_OP_MREMAP &&
                   (int)MINI_TR_OS_MPROTECT == (int)MINI_OS_OP_MPROTECT &&
                   (int)MINI_TR_OS_MADVISE == (int)MINI_OS_OP_MADVISE,
               "os.c's op codes are the trace format's");
_Static_assert(REC_CAP *MINI_TRACE_REC_BYTES + sizeof(struct mini_trace_chunk) ==
                   MINI_TRACE_CHUNK_BYTES,
               "a chunk is its header and whole records");

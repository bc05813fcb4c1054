/*
 * trace_export.c — a libmini trace (TRACE-FORMAT.md) as the kernel model's text trace
 * ("Input 2" of analysis/kmodel/README.md): one call per line, blocks named by their slot
 * number, failed calls left out (as the model's README asks), a pointer the trace never
 * produced written as NULL. Used by `mini-trace export` and by `kmodel --alloc-trace`, which
 * reads a binary trace directly. Plain C11, no dependency on libmini.
 */
#include <inttypes.h>
#include <stdio.h>

#include "preload/trace_export.h"
#include "preload/trace_read.h"

int mtr_export_text(const char *path, FILE *out, struct mtr_err *err)
{
    struct mtr_trace t;
    struct mtr_res res;
    if (mtr_load(&t, &res, path, err) != 0)
        return -1;
    const struct mini_trace_header *h = t.hdr;
    uint64_t page = h->page_size ? h->page_size : 4096;
    fprintf(out, "# libmini trace %s: pid %u %s, %" PRIu64 " records (mini-trace export)\n", path,
            h->pid, h->exe, t.nrec);
    for (uint64_t e = 0; e < t.nev; e++) {
        if (t.ev[e].kind != MTR_EV_RECORD)
            continue;
        const struct mini_trace_rec *r = t.rec[t.ev[e].rec];
        uint32_t si = res.slot_in[t.ev[e].rec], so = res.slot_out[t.ev[e].rec];
        uint64_t in = si == MTR_SLOT_UNKNOWN ? 0 : si;
        if (!mtr_op_is_call(r->op) || (r->flags & MINI_TR_F_FAILED))
            continue;
        switch (r->op) {
        case MINI_TR_MALLOC:
            fprintf(out, "@%u m %u %" PRIu64 "\n", r->tid, so, r->size);
            break;
        case MINI_TR_NEW:
            if (r->flags & MINI_TR_F_ALIGNED)
                fprintf(out, "@%u a %u %" PRIu64 " %" PRIu64 "\n", r->tid, so, r->arg, r->size);
            else
                fprintf(out, "@%u m %u %" PRIu64 "\n", r->tid, so, r->size);
            break;
        case MINI_TR_CALLOC:
            fprintf(out, "@%u c %u %" PRIu64 " %" PRIu64 "\n", r->tid, so, r->arg, r->size);
            break;
        case MINI_TR_MEMALIGN:
        case MINI_TR_POSIX_MEMALIGN:
        case MINI_TR_ALIGNED_ALLOC:
            fprintf(out, "@%u a %u %" PRIu64 " %" PRIu64 "\n", r->tid, so, r->arg, r->size);
            break;
        case MINI_TR_VALLOC:
            fprintf(out, "@%u a %u %" PRIu64 " %" PRIu64 "\n", r->tid, so, page, r->size);
            break;
        case MINI_TR_PVALLOC:
            fprintf(out, "@%u a %u %" PRIu64 " %" PRIu64 "\n", r->tid, so, page,
                    r->size ? (r->size + page - 1) / page * page : page);
            break;
        case MINI_TR_REALLOC:
        case MINI_TR_REALLOCARRAY:
            fprintf(out, "@%u r %" PRIu64 " %u %" PRIu64 "\n", r->tid, in, so,
                    so ? mtr_req_bytes(r) : 0);
            break;
        case MINI_TR_FREE:
        case MINI_TR_DELETE:
            fprintf(out, "@%u f %" PRIu64 "\n", r->tid, in);
            break;
        case MINI_TR_TRIM:
            fprintf(out, "@%u t %" PRIu64 "\n", r->tid, r->size);
            break;
        default:
            break; /* mallopt, marks: no equivalent */
        }
    }
    mtr_unload(&t, &res);
    return fflush(out) == 0 && !ferror(out) ? 0 : 1;
}

/*
 * cxx.c — C++ operator new and delete, every replaceable variant, written in C under their
 * Itanium C++ ABI names (x86-64: std::size_t is `m`, std::align_val_t is passed as a size_t,
 * const std::nothrow_t& as a pointer).
 *
 *   new(size)                    _Znwm                       new[]: _Znam
 *   new(size, nothrow)           _ZnwmRKSt9nothrow_t                _ZnamRKSt9nothrow_t
 *   new(size, align)             _ZnwmSt11align_val_t               _ZnamSt11align_val_t
 *   new(size, align, nothrow)    _ZnwmSt11align_val_tRKSt9nothrow_t _ZnamSt11align_val_tRKSt9nothrow_t
 *   delete(p)                    _ZdlPv                      delete[]: _ZdaPv
 *   delete(p, size)              _ZdlPvm                            _ZdaPvm
 *   delete(p, nothrow)           _ZdlPvRKSt9nothrow_t               _ZdaPvRKSt9nothrow_t
 *   delete(p, align)             _ZdlPvSt11align_val_t              _ZdaPvSt11align_val_t
 *   delete(p, size, align)       _ZdlPvmSt11align_val_t             _ZdaPvmSt11align_val_t
 *   delete(p, align, nothrow)    _ZdlPvSt11align_val_tRKSt9nothrow_t _ZdaPvSt11align_val_tRKSt9nothrow_t
 *
 * new: libmini's malloc (or memalign for an alignment above 16); when it fails, the new_handler
 * loop of [new.delete.single]: while std::get_new_handler() is set, call it and try again;
 * without one, the throwing forms throw std::bad_alloc through std::__throw_bad_alloc() and the
 * nothrow forms return NULL. Both are weak references to libstdc++, which every C++ program has
 * loaded; a C program that calls _Znwm itself gets libmini's "out of memory" message and abort()
 * instead of an exception. Known limit: a new_handler that throws out of a nothrow new is not
 * caught here (C cannot catch): the exception reaches the caller instead of NULL.
 *
 * delete: libmini's free, whatever the variant (the size and alignment are not needed: the
 * header knows). Debug builds (MINI_DEBUG >= 1) check a sized delete's size against the block;
 * release builds pay nothing for it.
 */
#include <errno.h>

#include "preload/shim.h"

typedef void (*mini_new_handler_t)(void);
/* libstdc++: std::get_new_handler() and std::__throw_bad_alloc(). */
extern mini_new_handler_t _ZSt15get_new_handlerv(void) __attribute__((weak));
extern void _ZSt17__throw_bad_allocv(void) __attribute__((weak, noreturn));

#define F_ARR MINI_TR_F_ARRAY
#define F_NT  MINI_TR_F_NOTHROW
#define F_AL  MINI_TR_F_ALIGNED
#define F_SZ  MINI_TR_F_SIZED

static inline void *new_try(size_t s, size_t align)
{
    return align > MINI_ALIGN ? mini_memalign(align, s) : mini_malloc(s);
}

/* The new_handler loop after a failed attempt: NULL once there is no handler. */
MINI_NOINLINE static void *new_slow(size_t s, size_t align)
{
    for (;;) {
        mini_new_handler_t h = _ZSt15get_new_handlerv ? _ZSt15get_new_handlerv() : NULL;
        if (h == NULL)
            return NULL;
        h();
        void *p = new_try(s, align);
        if (p)
            return p;
    }
}

MINI_COLD static _Noreturn void throw_bad_alloc(void)
{
    if (_ZSt17__throw_bad_allocv)
        _ZSt17__throw_bad_allocv();
    mini_fatal("operator new", "out of memory, and no C++ runtime to throw std::bad_alloc", 0);
}

MINI_NOINLINE static void *traced_new(size_t s, size_t align, unsigned flags)
{
    struct mini_rec_thread *rt = mini_rec_begin();
    void *p = new_try(s, align);
    if (MINI_UNLIKELY(p == NULL))
        p = new_slow(s, align);
    if (rt) {
        int e = errno;
        mini_rec_put(rt, MINI_TR_NEW, flags | (p ? 0 : MINI_TR_F_FAILED), p ? 0 : ENOMEM,
                     mini_rec_now(), 0, s, (flags & F_AL) ? align : 0, NULL, p);
        errno = e;
    }
    if (MINI_UNLIKELY(p == NULL) && !(flags & F_NT))
        throw_bad_alloc();
    return p;
}

static inline void *op_new(size_t s, size_t align, unsigned flags)
{
    if (mini_rec_on())
        return traced_new(s, align, flags);
    void *p = new_try(s, align);
    if (MINI_LIKELY(p != NULL))
        return p;
    p = new_slow(s, align);
    if (p == NULL && !(flags & F_NT))
        throw_bad_alloc();
    return p;
}

MINI_NOINLINE static void traced_delete(void *p, size_t s, size_t align, unsigned flags)
{
    struct mini_rec_thread *rt = mini_rec_begin();
    if (rt)
        mini_rec_put(rt, MINI_TR_DELETE, flags, 0, mini_rec_now(), 0, s, align, p, NULL);
    mini_free(p);
}

MINI_COLD static _Noreturn void bad_size(void *p)
{
    mini_fatal_ptr("operator delete", "size larger than the block (sized delete)", p);
}

static inline void op_delete(void *p, size_t s, size_t align, unsigned flags)
{
    if (mini_config_debug >= 1 && (flags & F_SZ) && p && s > mini_usable_size(p))
        bad_size(p);
    if (mini_rec_on()) {
        traced_delete(p, s, align, flags);
        return;
    }
    mini_free(p);
}

/* ---- new ------------------------------------------------------------------------------- */

MINI_EXPORT void *_Znwm(size_t s)
{
    return op_new(s, 0, 0);
}
MINI_EXPORT void *_Znam(size_t s)
{
    return op_new(s, 0, F_ARR);
}
MINI_EXPORT void *_ZnwmRKSt9nothrow_t(size_t s, const void *nt)
{
    (void)nt;
    return op_new(s, 0, F_NT);
}
MINI_EXPORT void *_ZnamRKSt9nothrow_t(size_t s, const void *nt)
{
    (void)nt;
    return op_new(s, 0, F_ARR | F_NT);
}
MINI_EXPORT void *_ZnwmSt11align_val_t(size_t s, size_t al)
{
    return op_new(s, al, F_AL);
}
MINI_EXPORT void *_ZnamSt11align_val_t(size_t s, size_t al)
{
    return op_new(s, al, F_ARR | F_AL);
}
MINI_EXPORT void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t s, size_t al, const void *nt)
{
    (void)nt;
    return op_new(s, al, F_AL | F_NT);
}
MINI_EXPORT void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t s, size_t al, const void *nt)
{
    (void)nt;
    return op_new(s, al, F_ARR | F_AL | F_NT);
}

/* ---- delete ---------------------------------------------------------------------------- */

MINI_EXPORT void _ZdlPv(void *p)
{
    op_delete(p, 0, 0, 0);
}
MINI_EXPORT void _ZdaPv(void *p)
{
    op_delete(p, 0, 0, F_ARR);
}
MINI_EXPORT void _ZdlPvm(void *p, size_t s)
{
    op_delete(p, s, 0, F_SZ);
}
MINI_EXPORT void _ZdaPvm(void *p, size_t s)
{
    op_delete(p, s, 0, F_ARR | F_SZ);
}
MINI_EXPORT void _ZdlPvRKSt9nothrow_t(void *p, const void *nt)
{
    (void)nt;
    op_delete(p, 0, 0, F_NT);
}
MINI_EXPORT void _ZdaPvRKSt9nothrow_t(void *p, const void *nt)
{
    (void)nt;
    op_delete(p, 0, 0, F_ARR | F_NT);
}
MINI_EXPORT void _ZdlPvSt11align_val_t(void *p, size_t al)
{
    op_delete(p, 0, al, F_AL);
}
MINI_EXPORT void _ZdaPvSt11align_val_t(void *p, size_t al)
{
    op_delete(p, 0, al, F_ARR | F_AL);
}
MINI_EXPORT void _ZdlPvmSt11align_val_t(void *p, size_t s, size_t al)
{
    op_delete(p, s, al, F_SZ | F_AL);
}
MINI_EXPORT void _ZdaPvmSt11align_val_t(void *p, size_t s, size_t al)
{
    op_delete(p, s, al, F_ARR | F_SZ | F_AL);
}
MINI_EXPORT void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *p, size_t al, const void *nt)
{
    (void)nt;
    op_delete(p, 0, al, F_AL | F_NT);
}
MINI_EXPORT void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *p, size_t al, const void *nt)
{
    (void)nt;
    op_delete(p, 0, al, F_ARR | F_AL | F_NT);
}

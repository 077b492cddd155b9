/* memory/lib: a fixed-size object pool with a free list.
 *
 * Every object has the same size.  mem_pool_free pushes the object on an
 * intrusive singly linked free list (the link lives in the dead object) and
 * mem_pool_alloc pops it, so both are a few instructions with no size lookup,
 * no header and no locking (a pool belongs to one thread).  When the list is
 * empty the pool carves objects from its current chunk; the out-of-line slow
 * path allocates a new chunk.  Memory goes back to malloc only in
 * mem_pool_destroy.  Under ASan a free object is poisoned (the pool unpoisons
 * it just long enough to read or write the link) and each object is followed
 * by a poisoned redzone.
 */
#ifndef FLAGBENCH_MEM_POOL_H
#define FLAGBENCH_MEM_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "mem_asan.h"

typedef struct mem_pool_chunk {
    struct mem_pool_chunk *next;
    max_align_t data[];
} mem_pool_chunk;

typedef struct mem_pool {
    void *free_list;
    char *cur, *end;        /* objects not yet handed out in the current chunk */
    size_t obj_size;        /* what the caller asked for */
    size_t stride;          /* obj_size rounded up to the alignment, + redzone */
    size_t chunk_objs;      /* objects per chunk */
    mem_pool_chunk *chunks; /* newest first */
    size_t reserved;        /* bytes held in chunks (for reports) */
} mem_pool;

/* align: a power of two, at most alignof(max_align_t); obj_size >= 1. */
void mem_pool_init(mem_pool *p, size_t obj_size, size_t align, size_t chunk_bytes);
void *mem_pool_alloc_slow(mem_pool *p);
void mem_pool_destroy(mem_pool *p);

static inline void *mem_pool_alloc(mem_pool *p)
{
    void *o = p->free_list;
    if (o) {
        MEM_UNPOISON(o, sizeof(void *));
        p->free_list = *(void **)o;
        MEM_UNPOISON(o, p->obj_size);
        return o;
    }
    if (__builtin_expect(p->cur != p->end, 1)) {
        o = p->cur;
        p->cur += p->stride;
        MEM_UNPOISON(o, p->obj_size);
        return o;
    }
    return mem_pool_alloc_slow(p);
}

static inline void mem_pool_free(mem_pool *p, void *o)
{
    *(void **)o = p->free_list;
    p->free_list = o;
    MEM_POISON(o, p->stride);
}

#endif

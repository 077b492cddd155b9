/* memory/lib: a slab allocator with per-size-class free lists.
 *
 * Sizes up to MEM_SLAB_MAX bytes are rounded up to a multiple of 16 (one
 * size class per 16 bytes); each class is a fixed-size pool of its own: a
 * free list plus the unused rest of its current slab (a MEM_SLAB_BYTES
 * block carved into equal objects).  Larger sizes go to malloc.  The free is
 * *sized* (the caller passes the size it allocated, like C23's free_sized),
 * so no header is stored next to the object and the class is one shift
 * away.  Compared with one pool sized for the largest object, a slab packs
 * mixed sizes densely; compared with malloc it skips headers, bin searches,
 * coalescing and the call into libc.  One thread per slab.
 */
#ifndef FLAGBENCH_MEM_SLAB_H
#define FLAGBENCH_MEM_SLAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mem_asan.h"

#define MEM_SLAB_GRANULE 16
#define MEM_SLAB_MAX 1024
#define MEM_SLAB_CLASSES (MEM_SLAB_MAX / MEM_SLAB_GRANULE)
#define MEM_SLAB_BYTES ((size_t)64 << 10)

typedef struct mem_slab_class {
    void *free_list;
    char *cur, *end;
} mem_slab_class;

typedef struct mem_slab_block {
    struct mem_slab_block *next;
    size_t bytes;
    max_align_t data[];
} mem_slab_block;

typedef struct mem_slab {
    mem_slab_class cls[MEM_SLAB_CLASSES];
    mem_slab_block *blocks; /* every slab, newest first */
    size_t reserved;        /* bytes held in slabs (for reports) */
} mem_slab;

void mem_slab_init(mem_slab *s);
void *mem_slab_alloc_slow(mem_slab *s, size_t size);
void mem_slab_destroy(mem_slab *s);

/* Class c holds objects of (c + 1) * 16 bytes. */
static inline size_t mem_slab_class_of(size_t size)
{
    return (size + MEM_SLAB_GRANULE - 1) / MEM_SLAB_GRANULE - 1;
}
static inline size_t mem_slab_stride(size_t c) { return (c + 1) * MEM_SLAB_GRANULE + MEM_REDZONE; }

/* size >= 1.  Large sizes (> MEM_SLAB_MAX) come from malloc. */
static inline void *mem_slab_alloc(mem_slab *s, size_t size)
{
    if (__builtin_expect(size > MEM_SLAB_MAX, 0)) return mem_slab_alloc_slow(s, size);
    mem_slab_class *c = &s->cls[mem_slab_class_of(size)];
    void *o = c->free_list;
    if (o) {
        MEM_UNPOISON(o, sizeof(void *));
        c->free_list = *(void **)o;
        MEM_UNPOISON(o, size);
        return o;
    }
    size_t stride = mem_slab_stride(mem_slab_class_of(size));
    if (__builtin_expect((size_t)(c->end - c->cur) >= stride, 1)) {
        o = c->cur;
        c->cur += stride;
        MEM_UNPOISON(o, size);
        return o;
    }
    return mem_slab_alloc_slow(s, size);
}

/* size: the size passed to mem_slab_alloc for this object. */
static inline void mem_slab_free(mem_slab *s, void *o, size_t size)
{
    if (__builtin_expect(size > MEM_SLAB_MAX, 0)) {
        free(o);
        return;
    }
    size_t k = mem_slab_class_of(size);
    mem_slab_class *c = &s->cls[k];
    MEM_UNPOISON(o, sizeof(void *)); /* a slot is >= 16 bytes, the object maybe fewer */
    *(void **)o = c->free_list;
    c->free_list = o;
    MEM_POISON(o, mem_slab_stride(k));
}

#endif

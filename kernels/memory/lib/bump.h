/* memory/lib: a bump ("arena") allocator with chunk growth.
 *
 * mem_bump_alloc moves a pointer forward inside the current chunk; when the
 * chunk is full the out-of-line slow path moves to the next chunk, reusing
 * chunks kept from before the last reset or allocating a new one twice the
 * size of the last (capped).  There is no per-object free: mem_bump_reset
 * rewinds to the first chunk and keeps every chunk for reuse, so a workload
 * that resets after each task reaches a steady state without calling malloc.
 * Under ASan everything behind the bump pointer is poisoned after a reset and
 * every object is followed by a poisoned redzone (see mem_asan.h).
 */
#ifndef FLAGBENCH_MEM_BUMP_H
#define FLAGBENCH_MEM_BUMP_H

#include <stddef.h>
#include <stdint.h>

#include "mem_asan.h"

typedef struct mem_bump_chunk {
    struct mem_bump_chunk *next;
    size_t size; /* usable bytes after the header */
    max_align_t data[];
} mem_bump_chunk;

typedef struct mem_bump {
    char *cur, *end;        /* free space in the current chunk */
    mem_bump_chunk *chunk;  /* the current chunk */
    mem_bump_chunk *first;  /* the list of chunks, oldest first */
    size_t next_size;       /* usable size of the next new chunk */
    size_t first_size;      /* usable size of the first chunk */
    size_t reserved;        /* bytes held in chunks (for reports) */
    size_t chunks;          /* number of chunks (for reports) */
} mem_bump;

/* first_chunk: usable bytes of the first chunk (later chunks double, up to
 * 64 MiB).  No memory is taken until the first allocation. */
void mem_bump_init(mem_bump *a, size_t first_chunk);
void *mem_bump_alloc_slow(mem_bump *a, size_t size, size_t align);
/* Every object allocated so far is dead: rewind, keep the chunks. */
void mem_bump_reset(mem_bump *a);
void mem_bump_destroy(mem_bump *a);

/* align: a power of two.  Never returns NULL (aborts when out of memory). */
static inline void *mem_bump_alloc(mem_bump *a, size_t size, size_t align)
{
    uintptr_t p = ((uintptr_t)a->cur + (align - 1)) & ~(uintptr_t)(align - 1);
    uintptr_t end = (uintptr_t)a->end;
    if (__builtin_expect(p <= end && end - p >= size + MEM_REDZONE, 1)) {
        a->cur = (char *)(p + size + MEM_REDZONE);
        MEM_UNPOISON((void *)p, size);
        return (void *)p;
    }
    return mem_bump_alloc_slow(a, size, align);
}

#endif

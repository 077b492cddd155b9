/* memory/lib: slab allocator slow paths (see slab.h). */
#include "slab.h"

#include <stdio.h>
#include <string.h>

void mem_slab_init(mem_slab *s)
{
    memset(s, 0, sizeof *s);
}

static void *checked_malloc(size_t bytes)
{
    void *p = malloc(bytes);
    if (!p) {
        fprintf(stderr, "mem_slab: out of memory allocating %zu bytes\n", bytes);
        abort();
    }
    return p;
}

void *mem_slab_alloc_slow(mem_slab *s, size_t size)
{
    if (size > MEM_SLAB_MAX) return checked_malloc(size);
    size_t k = mem_slab_class_of(size);
    mem_slab_class *c = &s->cls[k];
    /* A new slab for this class; the few bytes at the end of the old one that
     * do not hold a whole object stay unused. */
    mem_slab_block *b = checked_malloc(sizeof *b + MEM_SLAB_BYTES);
    b->bytes = MEM_SLAB_BYTES;
    MEM_POISON(b->data, MEM_SLAB_BYTES);
    b->next = s->blocks;
    s->blocks = b;
    s->reserved += MEM_SLAB_BYTES;
    c->cur = (char *)b->data;
    c->end = c->cur + MEM_SLAB_BYTES;
    return mem_slab_alloc(s, size);
}

void mem_slab_destroy(mem_slab *s)
{
    for (mem_slab_block *b = s->blocks, *next; b; b = next) {
        next = b->next;
        MEM_UNPOISON(b->data, b->bytes);
        free(b);
    }
    mem_slab_init(s);
}

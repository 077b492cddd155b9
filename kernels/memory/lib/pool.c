/* memory/lib: fixed-size pool slow paths (see pool.h). */
#include "pool.h"

#include <stdio.h>
#include <stdlib.h>

void mem_pool_init(mem_pool *p, size_t obj_size, size_t align, size_t chunk_bytes)
{
    if (obj_size < sizeof(void *)) obj_size = sizeof(void *); /* room for the link */
    if (align < _Alignof(void *)) align = _Alignof(void *);
    p->free_list = NULL;
    p->cur = p->end = NULL;
    p->obj_size = obj_size;
    /* The redzone is a multiple of 16, so the stride keeps the alignment. */
    p->stride = ((obj_size + align - 1) & ~(align - 1)) + MEM_REDZONE;
    p->chunk_objs = chunk_bytes / p->stride;
    if (p->chunk_objs < 16) p->chunk_objs = 16;
    p->chunks = NULL;
    p->reserved = 0;
}

void *mem_pool_alloc_slow(mem_pool *p)
{
    size_t bytes = p->chunk_objs * p->stride;
    mem_pool_chunk *c = malloc(sizeof *c + bytes);
    if (!c) {
        fprintf(stderr, "mem_pool: out of memory allocating a %zu-byte chunk\n", bytes);
        abort();
    }
    MEM_POISON(c->data, bytes);
    c->next = p->chunks;
    p->chunks = c;
    p->reserved += bytes;
    p->cur = (char *)c->data;
    p->end = p->cur + bytes;
    return mem_pool_alloc(p);
}

void mem_pool_destroy(mem_pool *p)
{
    size_t bytes = p->chunk_objs * p->stride;
    for (mem_pool_chunk *c = p->chunks, *next; c; c = next) {
        next = c->next;
        MEM_UNPOISON(c->data, bytes);
        free(c);
    }
    p->chunks = NULL;
    p->free_list = NULL;
    p->cur = p->end = NULL;
    p->reserved = 0;
}

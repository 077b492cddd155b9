/* memory/lib: bump allocator slow paths (see bump.h). */
#include "bump.h"

#include <stdio.h>
#include <stdlib.h>

#define MEM_BUMP_MAX_CHUNK ((size_t)64 << 20)

void mem_bump_init(mem_bump *a, size_t first_chunk)
{
    a->cur = a->end = NULL;
    a->chunk = a->first = NULL;
    a->next_size = a->first_size = first_chunk < 256 ? 256 : first_chunk;
    a->reserved = 0;
    a->chunks = 0;
}

static void enter_chunk(mem_bump *a, mem_bump_chunk *c)
{
    a->chunk = c;
    a->cur = (char *)c->data;
    a->end = (char *)c->data + c->size;
}

void *mem_bump_alloc_slow(mem_bump *a, size_t size, size_t align)
{
    size_t need = size + align + MEM_REDZONE;
    /* A chunk kept from before a reset: use it if the object fits. */
    mem_bump_chunk *next = a->chunk ? a->chunk->next : a->first;
    if (next && next->size >= need) {
        enter_chunk(a, next);
        return mem_bump_alloc(a, size, align);
    }
    size_t usable = a->next_size;
    if (usable < need) usable = need;
    mem_bump_chunk *c = malloc(sizeof *c + usable);
    if (!c) {
        fprintf(stderr, "mem_bump: out of memory allocating a %zu-byte chunk\n", usable);
        abort();
    }
    c->size = usable;
    MEM_POISON(c->data, usable);
    /* Link it after the current chunk, ahead of any kept chunk that was too
     * small for this object, so the list stays in allocation order. */
    if (a->chunk) {
        c->next = a->chunk->next;
        a->chunk->next = c;
    } else {
        c->next = a->first;
        a->first = c;
    }
    a->reserved += usable;
    a->chunks++;
    if (a->next_size < MEM_BUMP_MAX_CHUNK) a->next_size *= 2;
    enter_chunk(a, c);
    return mem_bump_alloc(a, size, align);
}

void mem_bump_reset(mem_bump *a)
{
#if MEM_ASAN
    for (mem_bump_chunk *c = a->first; c; c = c->next) MEM_POISON(c->data, c->size);
#endif
    if (a->first) enter_chunk(a, a->first);
    else a->cur = a->end = NULL;
}

void mem_bump_destroy(mem_bump *a)
{
    for (mem_bump_chunk *c = a->first, *next; c; c = next) {
        next = c->next;
        MEM_UNPOISON(c->data, c->size); /* malloc'd memory must be unpoisoned before free */
        free(c);
    }
    mem_bump_init(a, a->first_size);
}

/* parallel/lib/naive.c: see naive.h. */
#include "naive.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    naive_body fn;
    void *ctx;
    int t;
    size_t lo, hi;
} naive_arg;

static void *naive_main(void *p)
{
    naive_arg *a = p;
    a->fn(a->ctx, a->t, a->lo, a->hi);
    return NULL;
}

void naive_threads_for(int threads, size_t n, naive_body fn, void *ctx)
{
    if (threads < 1) threads = 1;
    /* malloc per call, like the rest of the naive approach: part of its cost. */
    pthread_t *tid = malloc((size_t)threads * sizeof *tid);
    naive_arg *arg = malloc((size_t)threads * sizeof *arg);
    if (!tid || !arg) {
        fprintf(stderr, "parallel/naive: out of memory\n");
        abort();
    }
    for (int t = 0; t < threads; t++) {
        arg[t] = (naive_arg){fn, ctx, t, naive_split(n, threads, t), naive_split(n, threads, t + 1)};
        /* pthread_create orders everything before it before the thread's
         * start, and pthread_join orders the thread's writes before our
         * return: the only synchronization needed. */
        if (pthread_create(&tid[t], NULL, naive_main, &arg[t]) != 0) {
            fprintf(stderr, "parallel/naive: cannot create thread %d\n", t);
            abort();
        }
    }
    for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
    free(tid);
    free(arg);
}

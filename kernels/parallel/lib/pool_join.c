/* parallel/lib/pool_join.c: join: pool_join, and waiting for a stolen job while doing other work (a part of lib/pool.c). */
#ifndef POOL_PARTS
#error "a part of lib/pool.c, compiled only inside it"
#endif

/* ---- join ------------------------------------------------------------------------ */

/* Waits for a job a thief took, doing other work meanwhile.  Our own deque is
 * empty here: thieves take from the top, so everything older than `j` was
 * stolen before it. */
static void wait_job(worker *w, pool_job *j)
{
    unsigned idle = 0;
    /* acquire: pairs with run_stolen's release; the job's results are ours. */
    while (!atomic_load_explicit(&j->done, memory_order_acquire)) {
        pool_job *s = steal_any(w);
        if (s) {
            run_stolen(w, s);
            idle = 0;
            continue;
        }
        if (backoff(w->pool, &idle)) idle_sleep(w, j);
        fb_stress_point();
    }
}

static void join_in(worker *w, void (*fa)(void *), void *a, void (*fb)(void *), void *b)
{
    pool_job jb = {.fn = fb, .arg = b, .owner = w};
    atomic_init(&jb.done, 0);
    if (ws_push(&w->dq, &jb)) stat_inc(&w->grows);
    notify_work(w->pool, w);
    fa(a);
    pool_job *j = ws_take(&w->dq);
    if (j == &jb) {
        fb(b);
        stat_inc(&w->tasks);
        return;
    }
    /* Everything a's own joins pushed they also took back, so the only job
     * ws_take can find here is jb; anything else is a broken invariant. */
    if (j != NULL) pool_die("join: deque holds a job that is not ours");
    wait_job(w, &jb);
}

/* Makes the calling thread a worker of p for one call: a task of p already
 * is one; an outside thread becomes worker 0, one at a time. */
static worker *enter(pool *p, worker **saved)
{
    worker *self = tls_self;
    if (self && self->pool == p) {
        *saved = self;
        return self;
    }
    pthread_mutex_lock(&p->enter);
    *saved = self;
    tls_self = &p->w[0];
    return &p->w[0];
}

static void leave(pool *p, worker *self, worker *saved)
{
    if (saved == self) return; /* nested call */
    tls_self = saved;
    pthread_mutex_unlock(&p->enter);
}

void pool_join(pool *p, void (*fa)(void *), void *a, void (*fb)(void *), void *b)
{
    worker *saved, *self = enter(p, &saved);
    join_in(self, fa, a, fb, b);
    leave(p, self, saved);
}

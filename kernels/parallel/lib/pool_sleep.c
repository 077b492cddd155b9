/* parallel/lib/pool_sleep.c: sleeping: the futex protocol by which idle threads park and wake (a part of lib/pool.c). */
#ifndef POOL_PARTS
#error "a part of lib/pool.c, compiled only inside it"
#endif

/* ---- sleeping ------------------------------------------------------------------
 * A thread with nothing to do parks on its own futex word, wake_seq:
 *
 *   sleeper                               waker (pusher / job completer / destroy)
 *   sleeping = 1; sleepers++              publish (bottom / done / stop)
 *   fence(seq_cst)          (F1)          fence(seq_cst)                  (F2)
 *   seq = wake_seq (acquire)              if sleepers && CAS(sleeping 1->0):
 *   if nothing to do: futex_wait(seq)         wake_seq++ (release); futex_wake
 *
 * Why no wake-up is lost: F1 and F2 are totally ordered.  If F2 comes first,
 * the sleeper's re-check after F1 sees what the waker published and does not
 * sleep.  If F1 comes first, the waker sees sleeping == 1 and bumps wake_seq:
 * either the sleeper read seq after the bump (acquire: then it also sees the
 * published work, which precedes the bump, and does not sleep), or its
 * futex_wait(seq) finds the word changed, or it is already queued and the
 * futex_wake reaches it.  The claim CAS only keeps two wakers from waking
 * the same sleeper; whoever loses it knows that sleeper is being woken and
 * will look at every deque when it wakes.  Nothing here times out: a lost
 * wake-up would show as a hang, not as a slowdown.
 *
 * Which wake-ups progress depends on: a pushed job that nobody steals is
 * taken back by its owner, so waking a sleeper after a push only buys
 * parallelism (hence the cheap sleepers == 0 shortcut there, itself covered
 * by the same fence argument).  Progress needs the wake-up of an owner
 * parked until a thief completes its job, and pool_destroy's: both go to a
 * known worker, without the shortcut. */

static void wake(worker *v)
{
    /* release: a sleeper that reads the new wake_seq sees what we published. */
    atomic_fetch_add_explicit(&v->wake_seq, 1, memory_order_release);
    futex_wake(&v->wake_seq, INT_MAX);
}

/* Wakes v if it is (about to be) parked and nobody else has claimed it. */
static bool try_wake(worker *v)
{
    int one = 1;
    /* relaxed: only a claim; the ordering comes from F2 and from wake(). */
    if (atomic_load_explicit(&v->sleeping, memory_order_relaxed) == 1 &&
        atomic_compare_exchange_strong_explicit(&v->sleeping, &one, 0, memory_order_relaxed,
                                                memory_order_relaxed)) {
        wake(v);
        return true;
    }
    return false;
}

/* After a push: wake one sleeper, if any, to steal it. */
static void notify_work(pool *p, worker *self)
{
    /* F2 (seq_cst): orders our release store of bottom before the load of
     * sleepers below; a StoreLoad barrier (MFENCE or a locked op on x86). It
     * is the price of never losing a wake-up, paid once per pushed job. */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&p->sleepers, memory_order_relaxed) == 0) return;
    for (int k = 1; k < p->n; k++)
        if (try_wake(&p->w[(self->index + k) % p->n])) return;
}

static bool work_visible(pool *p)
{
    for (int i = 0; i < p->n; i++) {
        /* relaxed: ordered after F1 by the fence; a stale answer only costs
         * a futile wake-up or sleep attempt, never a lost one (see above). */
        if (ws_looks_nonempty(&p->w[i].dq)) return true;
    }
    return false;
}

/* Parks until there may be something to do: work in some deque, `waiting_on`
 * done, or the pool stopping.  Returns early whenever in doubt. */
static void idle_sleep(worker *w, pool_job *waiting_on)
{
    pool *p = w->pool;
    atomic_store_explicit(&w->sleeping, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->sleepers, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst); /* F1 */
    /* acquire, and before the re-check: see "Why no wake-up is lost". */
    unsigned seq = atomic_load_explicit(&w->wake_seq, memory_order_acquire);
    bool go = atomic_load_explicit(&p->stop, memory_order_acquire) ||
              (waiting_on && atomic_load_explicit(&waiting_on->done, memory_order_acquire)) ||
              work_visible(p);
    if (!go) {
        stat_inc(&w->parks);
        futex_wait(&w->wake_seq, seq, 0);
    }
    atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
    atomic_fetch_sub_explicit(&p->sleepers, 1, memory_order_relaxed);
}

/* Back-off for a thread that found nothing: spin (cheap to resume, but it
 * burns a core), then yield (lets an oversubscribed machine run the thread
 * that has the work), then return true: time to park.  When the pool has no
 * more threads than the CPUs it may run on, the spin phase is 64 sweeps with
 * up to 64 pauses each: on the order of 100 µs, so back-to-back calls and
 * short gaps between them find the workers awake (a parked thread's wake-up
 * is not just a syscall: the scheduler may queue it behind a busy thread for
 * a while, even milliseconds on a loaded machine).  With more threads than
 * CPUs, spinning only takes time slices from the threads that have the work,
 * so the spin phase shrinks to 4 short sweeps — the same trade-off libgomp
 * makes when it throttles GOMP_SPINCOUNT for oversubscribed teams.  Then 16
 * sweeps with a sched_yield each, then park. */
enum { SPIN_ROUNDS = 64, SPIN_ROUNDS_OVERSUBSCRIBED = 4, YIELD_ROUNDS = 16 };

static bool backoff(const pool *p, unsigned *idle)
{
    unsigned i = (*idle)++;
    if (i < p->spin_rounds) {
        for (unsigned k = 0, e = 1u << (i < 6 ? i : 6); k < e; k++) cpu_relax();
        return false;
    }
    if (i < p->spin_rounds + YIELD_ROUNDS) {
        sched_yield();
        return false;
    }
    *idle = p->spin_rounds; /* after a wake-up with nothing to do: yield, then park again */
    return true;
}

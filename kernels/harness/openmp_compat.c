/* harness/openmp_compat.c: lets clang >= 19 link against an older libomp.
 *
 * Clang 19 ends every `schedule(dynamic)` / `schedule(guided)` loop with a
 * call to __kmpc_dispatch_deinit, an entry point that libomp gained in LLVM
 * 19.  Debian ships one libomp-dev at a time, and the build borrows the
 * installed one (LLVM 14 here, see cmake/FlagbenchDetect.cmake), which lacks
 * it, so the link fails.  This definition forwards to the runtime's own
 * function when the loaded libomp has one (RTLD_NEXT: the libraries after the
 * executable) and otherwise does nothing, which is what an older runtime did
 * at that point anyway: it had no per-loop dispatch state to release there.
 * cmake/FlagbenchDetect.cmake adds it to every OpenMP kernel when it borrows
 * a libomp; it compiles to nothing for other compilers.
 */
#if FB_HAVE_OPENMP && defined(__clang__) && __clang_major__ >= 19
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdint.h>

void __kmpc_dispatch_deinit(void *loc, int32_t gtid);

typedef void (*deinit_fn)(void *, int32_t);
static _Atomic(deinit_fn) real_deinit;
static atomic_int looked_up;

void __kmpc_dispatch_deinit(void *loc, int32_t gtid)
{
    /* Threads may race to look it up: each finds the same answer, so the
     * only ordering needed is that `looked_up` publishes `real_deinit`
     * (release/acquire). */
    if (!atomic_load_explicit(&looked_up, memory_order_acquire)) {
        deinit_fn f = (deinit_fn)dlsym(RTLD_NEXT, "__kmpc_dispatch_deinit");
        atomic_store_explicit(&real_deinit, f, memory_order_relaxed);
        atomic_store_explicit(&looked_up, 1, memory_order_release);
    }
    deinit_fn f = atomic_load_explicit(&real_deinit, memory_order_relaxed);
    if (f) f(loc, gtid);
}
#else
typedef int fb_omp_shim_unused; /* ISO C wants a translation unit to declare something */
#endif

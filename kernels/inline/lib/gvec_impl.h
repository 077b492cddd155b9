/* inline/lib/gvec_impl.h: generic map / filter / fold over arrays of any
 * element type, C's classic `void *` + element size + callback interface.
 *
 * The body is written once and included twice: lib/gvec.c compiles it as an
 * ordinary external library (GVEC_LINKAGE empty, names gvec_*), and
 * inline/generic.c includes it as static functions of its own translation
 * unit (names gvec_local_*), where the optimizer can see both the algorithm
 * and the callbacks it is given.
 *
 * Before including, define:
 *   GVEC_LINKAGE   storage class of the functions (empty or static)
 *   GVEC_NAME(x)   the name of function x
 */
#include "gvec.h"

#include <string.h>

/* dst[i] = f(src[i]) for i < n; both arrays hold elements of `size` bytes. */
GVEC_LINKAGE void GVEC_NAME(map)(void *dst, const void *src, size_t n, size_t size, gvec_map_fn f,
                                 const void *ctx)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    for (size_t i = 0; i < n; i++) f(d + i * size, s + i * size, ctx);
}

/* Copies the elements of src that satisfy p to dst, in order; returns how
 * many.  Branch-free: every element is copied to dst[m] and m advances only
 * when p holds, so an unpredictable predicate costs no mispredictions (dst
 * must have room for n elements). */
GVEC_LINKAGE size_t GVEC_NAME(filter)(void *dst, const void *src, size_t n, size_t size,
                                      gvec_pred_fn p, const void *ctx)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(d + m * size, s + i * size, size);
        m += p(s + i * size, ctx);
    }
    return m;
}

/* For i < n: f(acc, src[i]), in order. */
GVEC_LINKAGE void GVEC_NAME(fold)(void *acc, const void *src, size_t n, size_t size, gvec_fold_fn f,
                                  const void *ctx)
{
    const unsigned char *s = src;
    for (size_t i = 0; i < n; i++) f(acc, s + i * size, ctx);
}

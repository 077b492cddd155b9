/* inline/lib/tu_ops: two tiny integer functions compiled in their own
 * translation unit (tu_ops.c), for inline/cross_tu.  The same bodies are
 * repeated in cross_tu.c as TU_OPS_SCALE_BODY / TU_OPS_CLAMP_BODY so every
 * variant computes exactly the same thing. */
#ifndef INLINE_LIB_TU_OPS_H
#define INLINE_LIB_TU_OPS_H

#include <stdint.h>

/* x * k + (x >> 3), in uint32 arithmetic so overflow wraps (no UB) and the
 * shift is arithmetic on the signed value. */
#define TU_OPS_SCALE_BODY(x, k) return (int32_t)((uint32_t)(x) * (uint32_t)(k) + (uint32_t)((x) >> 3))
#define TU_OPS_CLAMP_BODY(x, lo, hi) return (x) < (lo) ? (lo) : (x) > (hi) ? (hi) : (x)

int32_t tu_ops_scale(int32_t x, int32_t k);
int32_t tu_ops_clamp(int32_t x, int32_t lo, int32_t hi);

#endif

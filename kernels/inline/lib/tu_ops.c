/* inline/lib/tu_ops: see tu_ops.h.  Deliberately nothing but the two
 * functions: without LTO the compiler of cross_tu.c sees only their
 * declarations. */
#include "tu_ops.h"

int32_t tu_ops_scale(int32_t x, int32_t k) { TU_OPS_SCALE_BODY(x, k); }
int32_t tu_ops_clamp(int32_t x, int32_t lo, int32_t hi) { TU_OPS_CLAMP_BODY(x, lo, hi); }

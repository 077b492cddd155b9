/* common/cc.h: compiler attributes the primitives share.
 *
 * FB_PRIM_INLINE forces a primitive's operations inline, so that each
 * kernel's hot function (<kernel>_<variant>) holds the whole algorithm,
 * which is what the assembly tools look at, whatever the inlining flags.
 */
#ifndef FB_COMMON_CC_H
#define FB_COMMON_CC_H

#define FB_PRIM_INLINE static inline __attribute__((always_inline))

#endif

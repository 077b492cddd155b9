/* inline/lib/gvec: generic map / filter / fold (see gvec_impl.h). */
#ifndef INLINE_LIB_GVEC_H
#define INLINE_LIB_GVEC_H

#include <stdbool.h>
#include <stddef.h>

typedef void (*gvec_map_fn)(void *dst, const void *src, const void *ctx);
typedef bool (*gvec_pred_fn)(const void *elem, const void *ctx);
typedef void (*gvec_fold_fn)(void *acc, const void *elem, const void *ctx);

void gvec_map(void *dst, const void *src, size_t n, size_t size, gvec_map_fn f, const void *ctx);
size_t gvec_filter(void *dst, const void *src, size_t n, size_t size, gvec_pred_fn p, const void *ctx);
void gvec_fold(void *acc, const void *src, size_t n, size_t size, gvec_fold_fn f, const void *ctx);

#endif

/* inline/lib/gsort: a generic introsort with the qsort interface (element
 * size + comparator callback), compiled as its own translation unit.
 *
 * It is the same algorithm as SORT_DEFINE in sort.c (median-of-three Hoare
 * quicksort, insertion sort below SORT_SMALL elements, heapsort past a depth
 * limit), written once for any element type: every comparison is an indirect
 * call and every move copies `size` bytes with a run-time length.  Being in
 * another file, the compiler cannot specialize it for a call site unless LTO
 * lets it: GCC at -O3 with LTO clones the internal introsort per comparator
 * and size (intro.constprop.N in the binary); at -O2, and with Clang, one
 * generic copy remains.
 */
#ifndef INLINE_LIB_GSORT_H
#define INLINE_LIB_GSORT_H

#include <stddef.h>

/* Partitions at or below this many elements are finished by insertion sort;
 * sort.c's SORT_DEFINE uses the same threshold. */
#define SORT_SMALL 16
/* The largest element gsort accepts (the pivot and swap buffers live on the
 * stack). */
#define GSORT_MAX_SIZE 64

typedef int (*gsort_cmp)(const void *a, const void *b);

void gsort(void *base, size_t n, size_t size, gsort_cmp cmp);

#endif

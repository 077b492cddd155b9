/* inline/lib/gsort: the generic introsort (see gsort.h). */
#include "gsort.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AT(i) (base + (i) * size)

static void swap_bytes(unsigned char *x, unsigned char *y, size_t size)
{
    unsigned char tmp[GSORT_MAX_SIZE];
    memcpy(tmp, x, size);
    memcpy(x, y, size);
    memcpy(y, tmp, size);
}

static void insertion(unsigned char *base, size_t n, size_t size, gsort_cmp cmp)
{
    unsigned char x[GSORT_MAX_SIZE];
    for (size_t i = 1; i < n; i++) {
        memcpy(x, AT(i), size);
        size_t j = i;
        while (j > 0 && cmp(x, AT(j - 1)) < 0) {
            memcpy(AT(j), AT(j - 1), size);
            j--;
        }
        memcpy(AT(j), x, size);
    }
}

static void sift(unsigned char *base, size_t i, size_t n, size_t size, gsort_cmp cmp)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) return;
        if (c + 1 < n && cmp(AT(c), AT(c + 1)) < 0) c++;
        if (cmp(AT(i), AT(c)) >= 0) return;
        swap_bytes(AT(i), AT(c), size);
        i = c;
    }
}

static void heapsort_bytes(unsigned char *base, size_t n, size_t size, gsort_cmp cmp)
{
    for (size_t i = n / 2; i-- > 0;) sift(base, i, n, size, cmp);
    for (size_t end = n - 1; end > 0; end--) {
        swap_bytes(AT(0), AT(end), size);
        sift(base, 0, end, size, cmp);
    }
}

static void intro(unsigned char *base, size_t n, size_t size, gsort_cmp cmp, int depth)
{
    unsigned char p[GSORT_MAX_SIZE];
    while (n > SORT_SMALL) {
        if (depth-- == 0) {
            heapsort_bytes(base, n, size, cmp);
            return;
        }
        /* Median of three, which also leaves sentinels at both ends. */
        size_t m = n / 2;
        if (cmp(AT(m), AT(0)) < 0) swap_bytes(AT(m), AT(0), size);
        if (cmp(AT(n - 1), AT(m)) < 0) {
            swap_bytes(AT(n - 1), AT(m), size);
            if (cmp(AT(m), AT(0)) < 0) swap_bytes(AT(m), AT(0), size);
        }
        memcpy(p, AT(m), size);
        size_t i = 0, j = n - 1;
        for (;;) {
            do i++;
            while (cmp(AT(i), p) < 0);
            do j--;
            while (cmp(p, AT(j)) < 0);
            if (i >= j) break;
            swap_bytes(AT(i), AT(j), size);
        }
        /* [0, i) <= pivot <= [i, n): recurse into the smaller side. */
        if (i < n - i) {
            intro(base, i, size, cmp, depth);
            base = AT(i), n -= i;
        } else {
            intro(AT(i), n - i, size, cmp, depth);
            n = i;
        }
    }
    insertion(base, n, size, cmp);
}

void gsort(void *base, size_t n, size_t size, gsort_cmp cmp)
{
    if (size > GSORT_MAX_SIZE) {
        fprintf(stderr, "gsort: elements of %zu bytes exceed GSORT_MAX_SIZE\n", size);
        abort();
    }
    if (n < 2) return;
    int depth = 0;
    for (size_t k = n; k > 1; k >>= 1) depth += 2;
    intro(base, n, size, cmp, depth);
}

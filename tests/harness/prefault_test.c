/* fb_prefault and the prefaulted allocators: contents are kept (unaligned
 * ranges included), fb_calloc_prefaulted is zeroed, and where the OS
 * populates (fb_prefault returns true) touching the memory afterwards takes
 * next to no page faults.  Exit 0 when all hold. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* What FB_KERNEL_MAIN would define: the harness's start-up ISA check reads it. */
const fb_isa fb_build_isa_bits = FB_BUILD_ISA_HERE;

/* GCC says so with __SANITIZE_*__, Clang with __has_feature. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

static long minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

static int failures;
#define EXPECT(cond, ...)                                                                      \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "prefault_test: " __VA_ARGS__);                                    \
            fputc('\n', stderr);                                                               \
            failures++;                                                                        \
        }                                                                                      \
    } while (0)

int main(int argc, char **argv)
{
    /* Contents survive, for ranges that start and end inside pages. */
    size_t bytes = (size_t)3 << 20;
    unsigned char *p = fb_alloc(bytes);
    for (size_t i = 0; i < bytes; i++) p[i] = (unsigned char)(i * 131 + 7);
    fb_prefault(p + 1001, bytes - 5003);
    fb_prefault(p, 1);
    fb_prefault(p + bytes - 1, 1);
    fb_prefault(p, 0);
    size_t bad = 0;
    for (size_t i = 0; i < bytes; i++) bad += p[i] != (unsigned char)(i * 131 + 7);
    EXPECT(bad == 0, "%zu bytes changed by fb_prefault", bad);
    free(p);

    /* Zeroed when asked. */
    size_t count = ((size_t)5 << 20) + 3;
    uint32_t *z = fb_calloc_prefaulted(count, sizeof *z);
    bad = 0;
    for (size_t i = 0; i < count; i++) bad += z[i] != 0;
    EXPECT(bad == 0, "%zu words of fb_calloc_prefaulted not zero", bad);
    EXPECT(((uintptr_t)z & 63) == 0, "fb_calloc_prefaulted not 64-byte aligned");
    free(z);

    /* A fresh block (glibc maps one this large), populated, then written:
     * the writes find their pages present.  Sanitizers fault in their own
     * shadow memory on access, so the count is only checked without them;
     * an emulator (qemu-user, --emulated) accepts the advice and ignores it. */
    bytes = (size_t)16 << 20;
    char *q = fb_alloc(bytes);
    bool populated = fb_prefault(q, bytes);
    long before = minor_faults();
    memset(q, 1, bytes);
    long faults = minor_faults() - before;
    bool emulated = argc > 1 && !strcmp(argv[1], "--emulated");
    if (populated && !emulated && !UNDER_SANITIZER)
        EXPECT(faults < 64, "%ld page faults writing %zu populated bytes", faults, bytes);
    printf("prefault_test: populate %s, %ld faults writing %zu bytes afterwards\n",
           populated ? "supported" : "unsupported (pages fault in on first touch)", faults, bytes);
    free(q);
    return failures ? 1 : 0;
}

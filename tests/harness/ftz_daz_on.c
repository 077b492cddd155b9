/* Linked into a probe: a constructor that turns on flush-to-zero and
 * denormals-are-zero before main, as -ffast-math's crtfastmath.o does, so
 * the test can check that the harness reports the start-up environment. */
#include <stdint.h>

__attribute__((constructor)) static void ftz_daz_on(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned csr;
    __asm__ volatile("stmxcsr %0" : "=m"(csr));
    csr |= (1u << 15) | (1u << 6); /* FTZ, DAZ */
    __asm__ volatile("ldmxcsr %0" : : "m"(csr));
#elif defined(__aarch64__)
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    fpcr |= 1ull << 24; /* FZ */
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
#endif
}

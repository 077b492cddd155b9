/* The floating-point environment the process started with.  -ffast-math
 * links crtfastmath.o, whose constructor sets flush-to-zero and
 * denormals-are-zero before main: identical instructions then run at another
 * speed on denormal data, so the sweep treats the start-up environment as
 * part of a binary's identity.  Read first thing in fb_main, after every
 * constructor and before any kernel code. */
#include "runner_parts.h"

#include <stdio.h>

static char fpenv_text[80] = "unknown";

void fb_fpenv_capture(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned csr;
    __asm__ volatile("stmxcsr %0" : "=m"(csr));
    /* MXCSR bit 15 is FTZ (flush-to-zero), bit 6 DAZ (denormals-are-zero). */
    snprintf(fpenv_text, sizeof fpenv_text, "mxcsr=0x%04x ftz=%u daz=%u", csr, (csr >> 15) & 1u,
             (csr >> 6) & 1u);
#elif defined(__aarch64__)
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    /* FPCR bit 24 is FZ (flush-to-zero), bit 19 FZ16 (the same for half floats). */
    snprintf(fpenv_text, sizeof fpenv_text, "fpcr=0x%08llx fz=%u fz16=%u", (unsigned long long)fpcr,
             (unsigned)(fpcr >> 24) & 1u, (unsigned)(fpcr >> 19) & 1u);
#endif
}

const char *fb_fpenv(void) { return fpenv_text; }

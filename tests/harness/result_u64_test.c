/* The one-word result helpers: fb_hash_u64 is fb_hash_bytes over the word's
 * 8 bytes (so checksums written before it existed still match), and
 * fb_check_u64 passes equal words and names both when they differ.  Exit 0
 * when all hold. */
#include "harness.h"

#include <stdio.h>
#include <string.h>

/* What FB_KERNEL_MAIN would define: the harness's start-up ISA check reads it. */
const fb_isa fb_build_isa_bits = FB_BUILD_ISA_HERE;

int main(void)
{
    int failures = 0;
    const uint64_t words[] = {0, 1, 0x8000000000000000ull, 0x0123456789abcdefull, ~0ull};
    for (size_t i = 0; i < FB_COUNT(words); i++) {
        uint64_t w = words[i];
        if (fb_hash_u64(w) != fb_hash_bytes(&w, sizeof w, FB_HASH_INIT)) {
            fprintf(stderr, "result_u64_test: fb_hash_u64(%016llx) is not fb_hash_bytes of it\n",
                    (unsigned long long)w);
            failures++;
        }
    }
    char why[128] = "";
    if (!fb_check_u64("sum", 42, 42, why, sizeof why) || why[0]) {
        fprintf(stderr, "result_u64_test: equal words failed the check (%s)\n", why);
        failures++;
    }
    const char *want = "sum 00000000000000ff, reference 0000000000000100";
    if (fb_check_u64("sum", 0xff, 0x100, why, sizeof why) || strcmp(why, want) != 0) {
        fprintf(stderr, "result_u64_test: got \"%s\", want false and \"%s\"\n", why, want);
        failures++;
    }
    return failures != 0;
}

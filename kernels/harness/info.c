/* --describe and --clock: what the binary is, and how fast the core runs. */
#include "runner_parts.h"

#include <stdio.h>

#include "fb_build_info.h"

void describe(const fb_kernel *k)
{
    char names[256], kname[128];
    snprintf(kname, sizeof kname, "%s/%s", k->family, k->name);
    fb_json j;
    json_begin(&j);
    fb_json_str(&j, "kernel", kname);
    fb_json_str(&j, "family", k->family);
    fb_json_str(&j, "name", k->name);
    fb_json_str(&j, "summary", k->summary);
    fb_json_str(&j, "unit", k->unit);
    json_key(&j, "sizes");
    json_raw(&j, "{\"test\":%zu,\"train\":%zu,\"ref\":%zu}", k->sizes[0], k->sizes[1], k->sizes[2]);
    json_key(&j, "reps");
    json_raw(&j, "{\"test\":%d,\"train\":%d,\"ref\":%d}", k->reps[0], k->reps[1], k->reps[2]);
    json_bool_or_null(&j, "concurrent", k->concurrent);
    fb_isa_names(fb_build_isa(), names, sizeof names);
    fb_json_str(&j, "compiler", FB_BUILD_COMPILER);
    fb_json_str(&j, "config", FB_BUILD_CONFIG);
    fb_json_str(&j, "build_isa", names);
    fb_isa_names(fb_cpu_features(), names, sizeof names);
    fb_json_str(&j, "cpu_isa", names);
    json_key(&j, "variants");
    json_raw(&j, "[");
    for (size_t i = 0; i < k->variant_count; i++) {
        const fb_variant *v = &k->variants[i];
        fb_isa_names(v->isa, names, sizeof names);
        json_raw(&j, i ? "," : "");
        json_open(&j);
        fb_json_str(&j, "name", v->name);
        fb_json_str(&j, "isa", names);
        json_bool_or_null(&j, "supported", fb_cpu_has(v->isa));
        fb_json_str(&j, "summary", v->summary ? v->summary : "");
        json_raw(&j, "}");
    }
    json_raw(&j, "]");
    json_end_line(&j);
}

/* --clock: the core's effective clock, measured rather than read from
 * /proc/cpuinfo (a VM reports its nominal clock there).  A chain of dependent
 * register adds runs at one add per cycle on every x86-64 core, so adds per
 * nanosecond is the clock in GHz.  The fastest of several trials counts (the
 * others were interrupted or ran before the clock ramped up). */
void print_clock(void)
{
#if defined(__x86_64__)
    double best = 0;
    for (int trial = 0; trial < 7; trial++) {
        uint64_t iters = 10000000, x = 0;
        uint64_t t0 = fb_now_ns();
        __asm__ volatile("1:\n\t"
                         "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                         "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                         "dec %1\n\tjnz 1b"
                         : "+r"(x), "+r"(iters));
        double ghz = 8.0 * 10000000 / (double)(fb_now_ns() - t0);
        if (ghz > best) best = ghz;
    }
    printf("{\"clock_ghz\":%.4f,\"method\":\"dependent register adds, 1 per cycle, fastest of 7 "
           "trials\"}\n", best);
#else
    printf("{\"clock_ghz\":null,\"method\":\"not measured on this architecture\"}\n");
#endif
}

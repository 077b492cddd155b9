/* The command line: options, sizes, pinning and the variant selection. */
#include "runner_parts.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const fb_size_names[4] = {"test", "train", "ref", "custom"};

static void usage(const fb_kernel *k, FILE *to)
{
    fprintf(to,
            "usage: %s_%s [options]\n"
            "  %s\n\n"
            "  --list              print the variant names, one a line\n"
            "  --describe          print the kernel, its variants and this build as JSON\n"
            "  --variant A[,B]     run only these variants (default: all)\n"
            "  --size S            test | train | ref | N (items; default ref)\n"
            "  --reps N            timed repetitions (default: the kernel's for the size)\n"
            "  --warmup N          untimed repetitions first (default 1)\n"
            "  --threads N         worker threads for concurrent kernels (default: CPUs)\n"
            "  --check             compare each result with the reference computation\n"
            "  --seed N            input seed (default 1)\n"
            "  --stress            longer runs with random delays (concurrent kernels)\n"
            "  --pin CPUS          pin the process to a CPU list such as 0 or 0-3,6\n"
            "  --stack-pad BYTES   consume 0..65536 bytes of stack before setup, so the\n"
            "                      run loop's frames land at another address (default 0)\n"
            "  --samples           include every repetition's time in the JSON line\n"
            "  --append FILE       also append every JSON line to FILE\n"
            "  --clock             measure the core's effective clock (x86-64) and exit\n"
            "  --help              this text\n\n"
            "Output: one JSON line per variant. Exit: 0 correct, 1 wrong result,\n"
            "2 usage error, 3 unsupported on this CPU.\n"
            "FLAGBENCH_ISA_MAX=baseline|x86-64-v2|x86-64-v3|x86-64-v4 hides newer CPU\n"
            "features from variant selection and runtime dispatch.\n",
            k->family, k->name, k->summary);
}

_Noreturn void usage_error(const fb_kernel *k, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s_%s: ", k->family, k->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see --help)\n");
    exit(2);
}

static long parse_count(const fb_kernel *k, const char *opt, const char *s, long min)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > 1000000000000LL)
        usage_error(k, "%s wants a whole number >= %ld, not '%s'", opt, min, s);
    return (long)v;
}

options parse_args(const fb_kernel *k, int argc, char **argv)
{
    options o = {.size = "ref", .reps = -1, .warmup = 1, .seed = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        bool needs_value = !strcmp(a, "--variant") || !strcmp(a, "--size") ||
                           !strcmp(a, "--reps") || !strcmp(a, "--warmup") ||
                           !strcmp(a, "--threads") || !strcmp(a, "--seed") || !strcmp(a, "--pin") ||
                           !strcmp(a, "--append") || !strcmp(a, "--stack-pad");
        if (needs_value) {
            if (i + 1 >= argc) usage_error(k, "%s needs a value", a);
            val = argv[++i];
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(k, stdout);
            exit(0);
        } else if (!strcmp(a, "--list")) o.list = true;
        else if (!strcmp(a, "--describe")) o.describe = true;
        else if (!strcmp(a, "--clock")) o.clock = true;
        else if (!strcmp(a, "--check")) o.check = true;
        else if (!strcmp(a, "--stress")) o.stress = true;
        else if (!strcmp(a, "--samples")) o.samples = true;
        else if (!strcmp(a, "--variant")) o.variants = val;
        else if (!strcmp(a, "--size")) o.size = val;
        else if (!strcmp(a, "--reps")) o.reps = parse_count(k, a, val, 1);
        else if (!strcmp(a, "--warmup")) o.warmup = parse_count(k, a, val, 0);
        else if (!strcmp(a, "--threads")) o.threads = parse_count(k, a, val, 1);
        else if (!strcmp(a, "--seed")) o.seed = (uint64_t)parse_count(k, a, val, 0);
        else if (!strcmp(a, "--pin")) o.pin = val;
        else if (!strcmp(a, "--append")) o.append = val;
        else if (!strcmp(a, "--stack-pad")) {
            o.stack_pad = parse_count(k, a, val, 0);
            if (o.stack_pad > FB_STACK_PAD_MAX)
                usage_error(k, "--stack-pad wants at most %d bytes, not %ld", FB_STACK_PAD_MAX, o.stack_pad);
        }
        else usage_error(k, "unknown option '%s'", a);
    }
    return o;
}

fb_size_class parse_size(const fb_kernel *k, const char *s, size_t *n)
{
    for (int c = FB_SIZE_TEST; c <= FB_SIZE_REF; c++) {
        if (!strcmp(s, fb_size_names[c])) {
            *n = k->sizes[c];
            return (fb_size_class)c;
        }
    }
    *n = (size_t)parse_count(k, "--size", s, 1);
    return FB_SIZE_CUSTOM;
}

int available_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    return 1;
}

void pin_to(const fb_kernel *k, const char *list)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    const char *p = list;
    while (*p) {
        char *end;
        long lo = strtol(p, &end, 10), hi = lo;
        if (end == p || lo < 0 || lo >= CPU_SETSIZE) usage_error(k, "bad --pin list '%s'", list);
        p = end;
        if (*p == '-') {
            hi = strtol(p + 1, &end, 10);
            if (end == p + 1 || hi < lo || hi >= CPU_SETSIZE) usage_error(k, "bad --pin list '%s'", list);
            p = end;
        }
        for (long c = lo; c <= hi; c++) CPU_SET((int)c, &set);
        if (*p == ',') p++;
        else if (*p) usage_error(k, "bad --pin list '%s'", list);
    }
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        usage_error(k, "cannot pin to CPUs '%s': %s", list, strerror(errno));
}

/* Which variants to run: NULL entries are skipped. */
void select_variants(const fb_kernel *k, const char *names, bool *chosen)
{
    for (size_t i = 0; i < k->variant_count; i++) chosen[i] = names == NULL;
    if (!names) return;
    char *copy = strdup(names), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        size_t i = 0;
        while (i < k->variant_count && strcmp(k->variants[i].name, t)) i++;
        if (i == k->variant_count) {
            fprintf(stderr, "%s_%s: unknown variant '%s'; this build has:", k->family, k->name, t);
            for (size_t j = 0; j < k->variant_count; j++) fprintf(stderr, " %s", k->variants[j].name);
            fprintf(stderr, "\n");
            exit(2);
        }
        chosen[i] = true;
    }
    free(copy);
}

/* The harness's runner: command line, timing, checking and JSON output.
 * See harness.h for the contract and docs/kernel-contract.md for the CLI. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fb_build_info.h"

/* ---- small helpers ------------------------------------------------------ */

void fb_rng_seed(fb_rng *r, uint64_t seed)
{
    /* splitmix64 expands one seed into xoshiro's 256-bit state. */
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        r->s[i] = z ^ (z >> 31);
    }
}

void *fb_alloc(size_t bytes)
{
    void *p = NULL;
    size_t rounded = (bytes + 63) & ~(size_t)63;
    if (posix_memalign(&p, 64, rounded ? rounded : 64) != 0) {
        fprintf(stderr, "flagbench: out of memory allocating %zu bytes\n", bytes);
        exit(1);
    }
    return p;
}

void *fb_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) {
        fprintf(stderr, "flagbench: allocation of %zu x %zu bytes overflows\n", count, size);
        exit(1);
    }
    void *p = fb_alloc(count * size);
    memset(p, 0, count * size);
    return p;
}

uint64_t fb_hash_bytes(const void *p, size_t len, uint64_t h)
{
    const unsigned char *b = p;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < len; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

bool fb_close(double got, double want, double tol)
{
    if (isnan(got) || isnan(want)) return false;
    double scale = fabs(want) > 1.0 ? fabs(want) : 1.0;
    return fabs(got - want) <= tol * scale;
}

uint64_t fb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool fb_stress_enabled;

void fb_stress_delay(void)
{
    static _Thread_local fb_rng rng;
    static _Thread_local bool seeded;
    if (!seeded) {
        fb_rng_seed(&rng, (uint64_t)(uintptr_t)&rng ^ fb_now_ns());
        seeded = true;
    }
    uint64_t r = fb_rng_next(&rng);
    switch (r & 15) {
    case 0: sched_yield(); break;
    case 1:
    case 2:
        for (volatile unsigned i = 0, e = (unsigned)(r >> 8) & 1023; i < e; i++) {
        }
        break;
    default: break;
    }
}

/* ---- JSON output ---------------------------------------------------------- */

struct fb_json {
    char buf[16384];
    size_t used;
    bool overflow;
    bool first_key; /* no comma before the next key */
};

static void json_raw(fb_json *j, const char *fmt, ...)
{
    if (j->overflow) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(j->buf + j->used, sizeof j->buf - j->used, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= sizeof j->buf - j->used) {
        j->overflow = true;
        return;
    }
    j->used += (size_t)w;
}

static void json_string(fb_json *j, const char *s)
{
    json_raw(j, "\"");
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') json_raw(j, "\\%c", c);
        else if (c < 0x20) json_raw(j, "\\u%04x", c);
        else json_raw(j, "%c", c);
    }
    json_raw(j, "\"");
}

/* Opens a nested object; the next key needs no comma. */
static void json_open(fb_json *j)
{
    json_raw(j, "{");
    j->first_key = true;
}

static void json_key(fb_json *j, const char *key)
{
    json_raw(j, j->first_key ? "" : ",");
    j->first_key = false;
    json_string(j, key);
    json_raw(j, ":");
}

void fb_json_int(fb_json *j, const char *key, long long v)
{
    json_key(j, key);
    json_raw(j, "%lld", v);
}

void fb_json_num(fb_json *j, const char *key, double v)
{
    json_key(j, key);
    if (isfinite(v)) json_raw(j, "%.6g", v);
    else json_raw(j, "null");
}

void fb_json_str(fb_json *j, const char *key, const char *v)
{
    json_key(j, key);
    json_string(j, v);
}

static void json_bool_or_null(fb_json *j, const char *key, int v)
{
    json_key(j, key);
    json_raw(j, v < 0 ? "null" : v ? "true" : "false");
}

static void json_begin(fb_json *j)
{
    j->used = 0;
    j->overflow = false;
    json_open(j);
}

/* --append FILE: every JSON line also goes there, in one write(2) on an
 * O_APPEND descriptor, so lines of several processes never interleave.
 * (hyperfine, which runs the sweep's samples, keeps no program output.) */
static int append_fd = -1;

static void json_end_line(fb_json *j)
{
    json_raw(j, "}");
    if (j->overflow) {
        fprintf(stderr, "flagbench: JSON line too long, dropped\n");
        return;
    }
    fputs(j->buf, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    if (append_fd >= 0) {
        j->buf[j->used] = '\n';
        if (write(append_fd, j->buf, j->used + 1) != (ssize_t)(j->used + 1))
            fprintf(stderr, "flagbench: cannot append the JSON line: %s\n", strerror(errno));
        j->buf[j->used] = '\0';
    }
}

/* ---- command line ---------------------------------------------------------- */

static const char *size_names[] = {"test", "train", "ref", "custom"};

typedef struct options {
    bool list, describe, check, samples, clock;
    const char *variants; /* comma-separated, NULL = all */
    const char *size;
    long reps;            /* -1 = the kernel's default for the size */
    long warmup;
    long threads;         /* 0 = CPUs available */
    uint64_t seed;
    bool stress;
    const char *pin;
    const char *append;
} options;

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

static _Noreturn void usage_error(const fb_kernel *k, const char *fmt, ...)
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

static options parse_args(const fb_kernel *k, int argc, char **argv)
{
    options o = {.size = "ref", .reps = -1, .warmup = 1, .seed = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        bool needs_value = !strcmp(a, "--variant") || !strcmp(a, "--size") ||
                           !strcmp(a, "--reps") || !strcmp(a, "--warmup") ||
                           !strcmp(a, "--threads") || !strcmp(a, "--seed") || !strcmp(a, "--pin") ||
                           !strcmp(a, "--append");
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
        else usage_error(k, "unknown option '%s'", a);
    }
    return o;
}

static fb_size_class parse_size(const fb_kernel *k, const char *s, size_t *n)
{
    for (int c = FB_SIZE_TEST; c <= FB_SIZE_REF; c++) {
        if (!strcmp(s, size_names[c])) {
            *n = k->sizes[c];
            return (fb_size_class)c;
        }
    }
    *n = (size_t)parse_count(k, "--size", s, 1);
    return FB_SIZE_CUSTOM;
}

static int available_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    return 1;
}

static void pin_to(const fb_kernel *k, const char *list)
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
static void select_variants(const fb_kernel *k, const char *names, bool *chosen)
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

static void describe(const fb_kernel *k)
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
static void print_clock(void)
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

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Runs one variant: warm-up, timed repetitions, optional check, JSON line.
 * Returns the exit status it contributes: 0, 1 (wrong) or 3 (unsupported). */
static int run_variant(const fb_kernel *k, const fb_variant *v, void *st, const fb_ctx *ctx,
                       const options *o, long reps, uint64_t setup_ns)
{
    fb_json j;
    json_begin(&j);
    char kname[128];
    snprintf(kname, sizeof kname, "%s/%s", k->family, k->name);
    fb_json_str(&j, "kernel", kname);
    fb_json_str(&j, "variant", v->name);
    fb_json_str(&j, "size", size_names[ctx->size_class]);
    fb_json_int(&j, "n", (long long)ctx->n);
    fb_json_int(&j, "threads", ctx->threads);

    if (!fb_cpu_has(v->isa)) {
        char need[256];
        fb_isa_names(v->isa & ~fb_cpu_features(), need, sizeof need);
        fb_json_str(&j, "status", "unsupported");
        json_bool_or_null(&j, "ok", -1);
        fb_json_str(&j, "error", need);
        json_end_line(&j);
        fprintf(stderr, "%s: variant %s needs %s, which this CPU lacks (or FLAGBENCH_ISA_MAX hides)\n",
                kname, v->name, need);
        return 3;
    }

    for (long w = 0; w < o->warmup; w++) {
        if (k->prepare) k->prepare(st, v);
        v->run(st);
        fb_clobber();
    }
    uint64_t *samples = fb_alloc((size_t)reps * sizeof *samples);
    for (long r = 0; r < reps; r++) {
        if (k->prepare) k->prepare(st, v);
        fb_clobber();
        uint64_t t0 = fb_now_ns();
        v->run(st);
        fb_clobber();
        samples[r] = fb_now_ns() - t0;
    }

    int status = 0;
    char why[512] = "";
    int ok = -1;
    if (o->check) {
        ok = k->check(st, v, why, sizeof why);
        if (!ok) {
            status = 1;
            if (!why[0]) snprintf(why, sizeof why, "result differs from the reference");
            fprintf(stderr, "%s: variant %s gives a wrong result: %s\n", kname, v->name, why);
        }
    }
    double items = k->items ? k->items(st) : (double)ctx->n;
    uint64_t sorted_min, median, max;
    uint64_t *sorted = fb_alloc((size_t)reps * sizeof *sorted);
    memcpy(sorted, samples, (size_t)reps * sizeof *sorted);
    qsort(sorted, (size_t)reps, sizeof *sorted, cmp_u64);
    sorted_min = sorted[0];
    max = sorted[reps - 1];
    median = reps % 2 ? sorted[reps / 2] : (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2;

    char sum[32];
    snprintf(sum, sizeof sum, "%016" PRIx64, k->checksum(st));
    fb_json_str(&j, "status", ok < 0 ? "unchecked" : ok ? "ok" : "wrong");
    json_bool_or_null(&j, "ok", ok);
    fb_json_str(&j, "checksum", sum);
    fb_json_num(&j, "items", items);
    fb_json_int(&j, "reps", reps);
    fb_json_int(&j, "min_ns", (long long)sorted_min);
    fb_json_int(&j, "median_ns", (long long)median);
    fb_json_int(&j, "max_ns", (long long)max);
    fb_json_num(&j, "ns_per_item", items > 0 ? (double)median / items : NAN);
    fb_json_int(&j, "setup_ns", (long long)setup_ns);
    if (ok == 0) fb_json_str(&j, "error", why);
    if (k->report) k->report(st, v, &j);
    if (o->samples) {
        json_key(&j, "samples_ns");
        json_raw(&j, "[");
        for (long r = 0; r < reps; r++) json_raw(&j, "%s%" PRIu64, r ? "," : "", samples[r]);
        json_raw(&j, "]");
    }
    json_end_line(&j);
    free(sorted);
    free(samples);
    return status;
}

int fb_main(const fb_kernel *k, int argc, char **argv)
{
    options o = parse_args(k, argc, argv);
    if (o.list) {
        for (size_t i = 0; i < k->variant_count; i++) puts(k->variants[i].name);
        return 0;
    }
    if (o.describe) {
        describe(k);
        return 0;
    }
    if (o.clock) {
        print_clock();
        return 0;
    }

    fb_ctx ctx = {.seed = o.seed, .stress = o.stress};
    ctx.size_class = parse_size(k, o.size, &ctx.n);
    ctx.threads = o.threads ? (int)o.threads : available_cpus();
    long reps = o.reps > 0 ? o.reps : k->reps[ctx.size_class == FB_SIZE_CUSTOM ? FB_SIZE_TRAIN : ctx.size_class];
    if (reps < 1) reps = 1;
    fb_stress_enabled = o.stress;
    if (o.pin) pin_to(k, o.pin);
    if (o.append) {
        append_fd = open(o.append, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (append_fd < 0) usage_error(k, "cannot open --append file '%s': %s", o.append, strerror(errno));
    }

    bool chosen[k->variant_count ? k->variant_count : 1];
    select_variants(k, o.variants, chosen);

    uint64_t t0 = fb_now_ns();
    void *st = k->setup(&ctx);
    uint64_t setup_ns = fb_now_ns() - t0;

    int worst = 0;
    size_t ran = 0, unsupported = 0;
    for (size_t i = 0; i < k->variant_count; i++) {
        if (!chosen[i]) continue;
        int s = run_variant(k, &k->variants[i], st, &ctx, &o, reps, setup_ns);
        if (s == 3) unsupported++;
        else ran++;
        if (s == 1) worst = 1;
    }
    k->teardown(st);
    if (worst) return 1;
    /* Exit 3 only when nothing that was asked for could run. */
    if (unsupported && !ran) return 3;
    return 0;
}

/* branch/parser: a CSV tokenizer over skewed input; hand-written hints vs PGO.
 *
 * What it shows
 *   A one-pass CSV parser sums the integer fields and counts strings, empty
 *   fields and lines.  The input is skewed like real data: about 85% of the
 *   fields are short unsigned integers, 7% negative integers, 5% quoted
 *   strings (a few with "" escapes), 3% empty, 8 fields a line.  Every
 *   branch of the parser therefore has a strongly preferred direction, known
 *   to whoever knows the data, not to the compiler.  One parser, written
 *   once as a macro, is instantiated three ways:
 *   - plain:        no hints: the compiler guesses branch probabilities from
 *                   static heuristics (loop back-edges taken, equality
 *                   compares false, ...).
 *   - expect:       __builtin_expect on every decision, written to match the
 *                   data: digits likely, '"' and '-' unlikely, ',' more likely
 *                   than '\n'.  The hot path becomes the fall-through path and
 *                   the rare cases move out of line.
 *   - expect_wrong: the same hints inverted (as if the data had changed since
 *                   the hints were written): the hot path is laid out as the
 *                   cold one.
 *   Expect small differences: the parser's cost is mostly mispredictions
 *   (where a number ends, which kind the next field is), which neither hints
 *   nor a profile remove; what they change is layout (fall-through vs taken
 *   branches, code placement), worth a few percent either way.  GCC's layout
 *   follows the hints visibly (expect < plain < expect_wrong); Clang's much
 *   less.  With PGO the measured profile replaces the hints, so the three
 *   should converge: expect_wrong is repaired and plain catches up with
 *   expect.  Clang 19's -Wmisexpect (with a profile) lists the hints the
 *   profile contradicts, including the "digit follows" hint of the digit
 *   loop, right only ~60% of the time with 1-3 digit numbers; Clang 14 does
 *   not have the warning.
 * Sizes: test 1003, train 300007, ref 1048576 bytes of CSV (about 280k
 *   fields): ref is 1 MiB, streamed once per repetition from L2/L3; the loop
 *   is bound by branches and the digit dependency chain, not memory.  An
 *   item is one byte of input.  Like branch/interpreter, the generator's seed
 *   mixes in the size, so train is an independent sample of the same field
 *   mix: representative for PGO without being ref.
 * Sensitive to: pgo (the point), compiler (block placement), opt, march
 *   barely (nothing here vectorizes).
 * Correctness: the parser's totals (integer sum, counts of integers, strings,
 *   string bytes after unescaping, empty fields, fields and lines) are
 *   compared with the totals the generator recorded while writing the input.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t int_sum;
    uint64_t ints, strings, string_bytes, empty, fields, lines;
    uint64_t errors; /* malformed input seen (never, with this generator) */
} totals;

typedef struct {
    size_t len;
    char *buf;
    totals want, got;
} state;

#define EXPECT_TRUE(x) __builtin_expect(!!(x), 1)
#define EXPECT_FALSE(x) __builtin_expect(!!(x), 0)
#define NO_HINT(x) (x)

/* DEFINE_PARSER(name, LIKELY, UNLIKELY): a parser whose decisions are
 * wrapped in LIKELY(...) where the data says "usually true" and UNLIKELY(...)
 * where it says "usually false".  The buffer must end with '\n' followed by
 * a NUL (a sentinel that stops the digit and string loops). */
#define DEFINE_PARSER(name, LIKELY, UNLIKELY)                                                  \
    FB_HOT totals name(const char *buf, size_t len)                                            \
    {                                                                                          \
        totals t = {0};                                                                        \
        const char *p = buf, *end = buf + len;                                                 \
        while (p < end) {                                                                      \
            unsigned char c = (unsigned char)*p;                                               \
            if (LIKELY((unsigned)(c - '0') < 10u)) {                                                       \
                int64_t v = 0;                                                                 \
                do {                                                                           \
                    v = v * 10 + (c - '0');                                                    \
                    c = (unsigned char)*++p;                                                   \
                } while (LIKELY((unsigned)(c - '0') < 10u));                                               \
                t.int_sum += v;                                                                \
                t.ints++;                                                                      \
            } else if (UNLIKELY(c == '-')) {                                                   \
                int64_t v = 0;                                                                 \
                c = (unsigned char)*++p;                                                       \
                while (LIKELY((unsigned)(c - '0') < 10u)) {                                                \
                    v = v * 10 + (c - '0');                                                    \
                    c = (unsigned char)*++p;                                                   \
                }                                                                              \
                t.int_sum -= v;                                                                \
                t.ints++;                                                                      \
            } else if (UNLIKELY(c == '"')) {                                                   \
                p++;                                                                           \
                for (;;) {                                                                     \
                    c = (unsigned char)*p;                                                     \
                    if (UNLIKELY(c == '"')) {                                                  \
                        if (UNLIKELY(p[1] == '"')) {                                           \
                            t.string_bytes++;                                                  \
                            p += 2;                                                            \
                            continue;                                                          \
                        }                                                                      \
                        p++;                                                                   \
                        break;                                                                 \
                    }                                                                          \
                    if (UNLIKELY(c == '\0')) break;                                            \
                    t.string_bytes++;                                                          \
                    p++;                                                                       \
                }                                                                              \
                t.strings++;                                                                   \
            } else {                                                                           \
                t.empty++;                                                                     \
            }                                                                                  \
            c = (unsigned char)*p;                                                             \
            t.fields++;                                                                        \
            if (LIKELY(c == ',')) {                                                            \
                p++;                                                                           \
            } else if (LIKELY(c == '\n')) {                                                    \
                t.lines++;                                                                     \
                p++;                                                                           \
            } else {                                                                           \
                /* Malformed: skip to the next line. */                                        \
                t.errors++;                                                                    \
                while (p < end && *p != '\n') p++;                                             \
                p++;                                                                           \
            }                                                                                  \
        }                                                                                      \
        return t;                                                                              \
    }

DEFINE_PARSER(parser_plain, NO_HINT, NO_HINT)
DEFINE_PARSER(parser_expect, EXPECT_TRUE, EXPECT_FALSE)
DEFINE_PARSER(parser_expect_wrong, EXPECT_FALSE, EXPECT_TRUE)

#define RUNNER(variant)                                                                        \
    static void run_##variant(void *p)                                                         \
    {                                                                                          \
        state *st = p;                                                                         \
        st->got = parser_##variant(st->buf, st->len);                                          \
    }
RUNNER(plain) RUNNER(expect) RUNNER(expect_wrong)

enum { FIELDS_PER_LINE = 8, MAX_FIELD = 40 };

/* Appends one field to b (room for MAX_FIELD bytes assumed), recording it. */
static size_t emit_field(fb_rng *r, char *b, totals *t)
{
    uint64_t kind = fb_rng_below(r, 100);
    size_t k = 0;
    if (kind < 92) { /* 85% unsigned, 7% negative */
        /* Mostly 1-3 digits, sometimes up to 9. */
        static const uint64_t limits[] = {10, 100, 1000, 10000, 1000000000};
        uint64_t d = fb_rng_below(r, 16);
        uint64_t limit = limits[d < 5 ? 0 : d < 10 ? 1 : d < 14 ? 2 : d < 15 ? 3 : 4];
        int64_t v = (int64_t)fb_rng_below(r, limit);
        if (kind >= 85) b[k++] = '-', t->int_sum -= v;
        else t->int_sum += v;
        k += (size_t)sprintf(b + k, "%lld", (long long)v);
        t->ints++;
    } else if (kind < 97) { /* 5% quoted strings */
        size_t n = 1 + fb_rng_below(r, 12);
        b[k++] = '"';
        for (size_t i = 0; i < n; i++) {
            if (fb_rng_below(r, 20) == 0) b[k++] = '"', b[k++] = '"';
            else if (fb_rng_below(r, 10) == 0) b[k++] = ',';
            else b[k++] = (char)('a' + fb_rng_below(r, 26));
        }
        b[k++] = '"';
        t->strings++;
        t->string_bytes += n;
    } else { /* 3% empty */
        t->empty++;
    }
    t->fields++;
    return k;
}

static void *setup(const fb_ctx *ctx)
{
    state *st = fb_calloc(1, sizeof *st);
    size_t cap = ctx->n + FIELDS_PER_LINE * (MAX_FIELD + 1) + 2;
    st->buf = fb_alloc(cap);
    fb_rng rng = fb_rng_seeded(ctx->seed ^ (ctx->n * 0x9e3779b97f4a7c15ull));
    size_t len = 0;
    /* Whole lines until the target size is reached (so len >= n, slightly). */
    while (len < ctx->n) {
        for (int f = 0; f < FIELDS_PER_LINE; f++) {
            len += emit_field(&rng, st->buf + len, &st->want);
            st->buf[len++] = f + 1 < FIELDS_PER_LINE ? ',' : '\n';
        }
        st->want.lines++;
    }
    st->buf[len] = '\0';
    st->len = len;
    return st;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    const totals *g = &st->got, *w = &st->want;
    if (g->int_sum == w->int_sum && g->ints == w->ints && g->strings == w->strings &&
        g->string_bytes == w->string_bytes && g->empty == w->empty && g->fields == w->fields &&
        g->lines == w->lines && g->errors == 0)
        return true;
    snprintf(why, len,
             "got sum %lld ints %llu strings %llu/%llu bytes empty %llu fields %llu lines %llu "
             "errors %llu; want %lld %llu %llu/%llu %llu %llu %llu",
             (long long)g->int_sum, (unsigned long long)g->ints, (unsigned long long)g->strings,
             (unsigned long long)g->string_bytes, (unsigned long long)g->empty,
             (unsigned long long)g->fields, (unsigned long long)g->lines,
             (unsigned long long)g->errors, (long long)w->int_sum, (unsigned long long)w->ints,
             (unsigned long long)w->strings, (unsigned long long)w->string_bytes,
             (unsigned long long)w->empty, (unsigned long long)w->fields,
             (unsigned long long)w->lines);
    return false;
}

FB_CHECKSUM(&st->got, sizeof st->got)

static double items(void *p)
{
    state *st = p;
    return (double)st->len;
}

static void report(void *p, const fb_variant *v, fb_json *out)
{
    (void)v;
    state *st = p;
    fb_json_int(out, "fields", (long long)st->got.fields);
}

static void teardown(void *p)
{
    state *st = p;
    free(st->buf);
    free(st);
}

static const fb_variant variants[] = {
    {"plain", run_plain, 0, "no hints: static branch heuristics only"},
    {"expect", run_expect, 0, "__builtin_expect written to match the data"},
    {"expect_wrong", run_expect_wrong, 0, "the same hints inverted: hot path laid out as cold"},
};

static const fb_kernel kernel = {
    .family = "branch",
    .name = "parser",
    .summary = "CSV tokenizer over skewed fields: no hints vs __builtin_expect vs wrong hints, for PGO",
    .unit = "bytes",
    .sizes = {1003, 300007, 1048576},
    .reps = {1, 3, 10},
    FB_HOOKS(setup, NULL, check, checksum, items, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)

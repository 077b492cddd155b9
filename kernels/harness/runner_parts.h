/* What the harness's own parts (cli.c, json.c, info.c, timer.c, fpenv.c,
 * runner.c) share; kernels never include this. */
#ifndef FLAGBENCH_RUNNER_PARTS_H
#define FLAGBENCH_RUNNER_PARTS_H

#include "harness.h"

/* ---- json.c ---- */
struct fb_json {
    char buf[1 << 17]; /* --samples: tens of thousands of numbers */
    size_t used;
    bool overflow;
    bool first_key; /* no comma before the next key */
};
void json_begin(fb_json *j);
void json_raw(fb_json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void json_open(fb_json *j);
void json_key(fb_json *j, const char *key);
void json_bool_or_null(fb_json *j, const char *key, int v);
/* A time in ns: an integer when whole, else two decimals. */
void json_ns(fb_json *j, const char *key, double ns);
/* Closes the object and writes it to stdout (and the --append file). */
void json_end_line(fb_json *j);
/* --append FILE; exits 2 with a message when it cannot be opened. */
bool json_append_to(const char *path);

/* ---- cli.c ---- */
#define FB_STACK_PAD_MAX 65536
extern const char *const fb_size_names[4];

typedef struct options {
    bool list, describe, check, samples, clock;
    const char *variants; /* comma-separated, NULL = all */
    const char *size;
    long reps;            /* -1 = the kernel's default for the size */
    long warmup;
    long threads;         /* 0 = CPUs available */
    long stack_pad;       /* bytes of stack consumed before setup */
    uint64_t seed;
    bool stress;
    const char *pin;
    const char *append;
} options;

options parse_args(const fb_kernel *k, int argc, char **argv);
fb_size_class parse_size(const fb_kernel *k, const char *s, size_t *n);
_Noreturn void usage_error(const fb_kernel *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int available_cpus(void);
void pin_to(const fb_kernel *k, const char *list);
void select_variants(const fb_kernel *k, const char *names, bool *chosen);

/* ---- info.c ---- */
void describe(const fb_kernel *k);
void print_clock(void);

/* ---- fpenv.c ---- */
/* The floating-point environment at start-up, as text ("mxcsr=0x1f80 ftz=0
 * daz=0"); fb_fpenv_capture() must run before anything that may change it. */
void fb_fpenv_capture(void);
const char *fb_fpenv(void);

/* ---- timer.c ---- */
typedef struct fb_timer {
    double resolution_ns; /* smallest step the clock was seen to take */
    double overhead_ns;   /* cost of one fb_now_ns() */
} fb_timer;
fb_timer timer_calibrate(void);
/* The shortest a timed sample may last: 1000 x the resolution. */
double timer_min_sample_ns(const fb_timer *t);

#endif

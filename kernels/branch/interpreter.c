/* branch/interpreter: a bytecode interpreter over skewed input, for PGO.
 *
 * What it shows
 *   A small register VM runs one fixed program over an array of uint32
 *   inputs.  The program branches on each value: 90% are small (< 16: two
 *   arithmetic ops), 9% medium (< 4096: a bit-counting loop of 4 ops per bit,
 *   5-12 bits), 1% large (a multiply, a modulo and a call to a hash helper).
 *   Which handlers are hot, which way the VM's conditional jumps go, and how
 *   often the rare ops (MOD, HASH and the traps) run all depend on the input
 *   data, which is exactly what profile-guided optimization measures and what
 *   the compiler cannot know statically:
 *   - switch: the classic `switch (op)` loop: a bounds check and a jump
 *             table, one shared indirect branch.  A profile lets compilers
 *             peel hot cases, lay hot handlers out together, weight the
 *             handlers' branches and move traps and rare ops out of the way.
 *   - goto:   direct threading with computed goto: one indirect jump per
 *             handler (a history per opcode), no bounds check.  Expect it
 *             faster than switch without PGO and less changed by PGO.
 *   - call:   call threading: one function per opcode through a table, the
 *             VM state in memory.  Expect the slowest.  Indirect-call
 *             promotion does not fire: the hottest handler gets only ~19% of
 *             the calls, below the thresholds.  (Clang's
 *             -fprofile-instr-generate records no call targets without
 *             -mllvm -enable-value-profiling; -fprofile-generate does.)
 *   - native: the program in plain C, the yardstick (expect 5-20x faster).
 *   Expect little from PGO on a current out-of-order core.  Beware code
 *   placement: switch and goto are very sensitive to the alignment of hot
 *   blocks, so a build that merely moves the function can look tens of
 *   percent faster or slower (compare code_hash; -falign-functions=64 on
 *   both sides removes much of this).  The report adds vm_insns (about 10
 *   per input), so ns per VM instruction can be read off.
 * Sizes: test 1003, train 150001, ref 400000 inputs (1.6 MB, streamed: bound
 *   by dispatch, not memory).  train has ref's distribution from another
 *   random stream, so PGO never sees ref itself.
 * Sensitive to: pgo, code alignment, compiler (switch lowering, block
 *   placement), opt, inline (the HASH helper), lto barely.
 * Correctness: the VM's result is compared with a plain C evaluation of the
 *   program's semantics; a VM trap (bad opcode, input overrun, modulo by
 *   zero) is reported as a wrong result.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

enum {
    OP_JEND,   /* if the input is exhausted, jump to imm */
    OP_LOADIN, /* r[a] = next input */
    OP_JLTI,   /* if r[a] < imm, jump to c (an instruction index) */
    OP_JNZ,    /* if r[a] != 0, jump to imm */
    OP_JMP,    /* jump to imm */
    OP_ADD,    /* r[a] = r[b] + r[c] */
    OP_XOR,    /* r[a] = r[b] ^ r[c] */
    OP_MUL,    /* r[a] = r[b] * r[c] */
    OP_MOD,    /* r[a] = r[b] % r[c]; traps when r[c] == 0 */
    OP_MULI,   /* r[a] = r[b] * imm */
    OP_ANDI,   /* r[a] = r[b] & imm */
    OP_SHRI,   /* r[a] = r[b] >> imm */
    OP_LI,     /* r[a] = imm */
    OP_HASH,   /* r[a] = mix(r[b]) (a helper function) */
    OP_HALT,   /* stop; the result is r[0] */
    OP_COUNT
};

typedef struct {
    uint8_t op, a, b, c;
    int32_t imm;
} insn;

enum { TRAP_NONE, TRAP_OPCODE, TRAP_INPUT, TRAP_DIV0 };

typedef struct {
    uint64_t result;
    int trap;
} vm_out;

/* The program.  Registers: r0 accumulator, r1 input, r2 product modulo P,
 * r3 and r5 temporaries, r4 bit count, r7 the modulus P. */
#define P_MOD 1000003
enum { L_LOOP = 4, L_MEDIUM = 14, L_MLOOP = 16, L_SMALL = 21, L_DONE = 24 };
static const insn program[] = {
    /* 0 */ {OP_LI, 0, 0, 0, 0},
    /* 1 */ {OP_LI, 2, 0, 0, 1},
    /* 2 */ {OP_LI, 4, 0, 0, 0},
    /* 3 */ {OP_LI, 7, 0, 0, P_MOD},
    /* 4 loop */ {OP_JEND, 0, 0, 0, L_DONE},
    /* 5 */ {OP_LOADIN, 1, 0, 0, 0},
    /* 6 */ {OP_JLTI, 1, 0, L_SMALL, 16},
    /* 7 */ {OP_JLTI, 1, 0, L_MEDIUM, 4096},
    /* 8 large */ {OP_MUL, 2, 2, 1, 0},
    /* 9 */ {OP_MOD, 2, 2, 7, 0},
    /* 10 */ {OP_HASH, 3, 1, 0, 0},
    /* 11 */ {OP_XOR, 0, 0, 3, 0},
    /* 12 */ {OP_JMP, 0, 0, 0, L_LOOP},
    /* 13 (unreachable filler) */ {OP_HALT, 0, 0, 0, 0},
    /* 14 medium */ {OP_SHRI, 3, 1, 0, 2},
    /* 15 */ {OP_XOR, 0, 0, 3, 0},
    /* 16 mloop */ {OP_ANDI, 5, 1, 0, 1},
    /* 17 */ {OP_ADD, 4, 4, 5, 0},
    /* 18 */ {OP_SHRI, 1, 1, 0, 1},
    /* 19 */ {OP_JNZ, 1, 0, 0, L_MLOOP},
    /* 20 */ {OP_JMP, 0, 0, 0, L_LOOP},
    /* 21 small */ {OP_MULI, 3, 1, 0, 3},
    /* 22 */ {OP_ADD, 0, 0, 3, 0},
    /* 23 */ {OP_JMP, 0, 0, 0, L_LOOP},
    /* 24 done */ {OP_ADD, 0, 0, 4, 0},
    /* 25 */ {OP_XOR, 0, 0, 2, 0},
    /* 26 */ {OP_HALT, 0, 0, 0, 0},
};

/* The HASH helper: a real function, so inlining it is the optimizer's
 * choice (PGO knows it is rare). */
static uint64_t mix(uint64_t x) { return FB_XMX64(x, 33, 0xff51afd7ed558ccdull, 33, 0xc4ceb9fe1a85ec53ull, 33); }

FB_HOT vm_out interpreter_switch(const insn *code, const uint32_t *in, size_t n)
{
    uint64_t r[8] = {0};
    size_t i = 0;
    const insn *ip = code;
    for (;;) {
        switch (ip->op) {
        case OP_JEND:
            ip = i == n ? code + ip->imm : ip + 1;
            break;
        case OP_LOADIN:
            if (i >= n) return (vm_out){0, TRAP_INPUT};
            r[ip->a] = in[i++];
            ip++;
            break;
        case OP_JLTI:
            ip = r[ip->a] < (uint64_t)(int64_t)ip->imm ? code + ip->c : ip + 1;
            break;
        case OP_JNZ:
            ip = r[ip->a] != 0 ? code + ip->imm : ip + 1;
            break;
        case OP_JMP:
            ip = code + ip->imm;
            break;
        case OP_ADD:
            r[ip->a] = r[ip->b] + r[ip->c];
            ip++;
            break;
        case OP_XOR:
            r[ip->a] = r[ip->b] ^ r[ip->c];
            ip++;
            break;
        case OP_MUL:
            r[ip->a] = r[ip->b] * r[ip->c];
            ip++;
            break;
        case OP_MOD:
            if (r[ip->c] == 0) return (vm_out){0, TRAP_DIV0};
            r[ip->a] = r[ip->b] % r[ip->c];
            ip++;
            break;
        case OP_MULI:
            r[ip->a] = r[ip->b] * (uint64_t)(int64_t)ip->imm;
            ip++;
            break;
        case OP_ANDI:
            r[ip->a] = r[ip->b] & (uint64_t)(int64_t)ip->imm;
            ip++;
            break;
        case OP_SHRI:
            r[ip->a] = r[ip->b] >> (ip->imm & 63);
            ip++;
            break;
        case OP_LI:
            r[ip->a] = (uint64_t)(int64_t)ip->imm;
            ip++;
            break;
        case OP_HASH:
            r[ip->a] = mix(r[ip->b]);
            ip++;
            break;
        case OP_HALT:
            return (vm_out){r[0], TRAP_NONE};
        default:
            return (vm_out){0, TRAP_OPCODE};
        }
    }
}

FB_HOT vm_out interpreter_goto(const insn *code, const uint32_t *in, size_t n)
{
    static const void *const labels[OP_COUNT] = {
        [OP_JEND] = &&do_jend, [OP_LOADIN] = &&do_loadin, [OP_JLTI] = &&do_jlti,
        [OP_JNZ] = &&do_jnz,   [OP_JMP] = &&do_jmp,       [OP_ADD] = &&do_add,
        [OP_XOR] = &&do_xor,   [OP_MUL] = &&do_mul,       [OP_MOD] = &&do_mod,
        [OP_MULI] = &&do_muli, [OP_ANDI] = &&do_andi,     [OP_SHRI] = &&do_shri,
        [OP_LI] = &&do_li,     [OP_HASH] = &&do_hash,     [OP_HALT] = &&do_halt,
    };
    uint64_t r[8] = {0};
    size_t i = 0;
    const insn *ip = code;
    /* The opcodes were validated before the run (validate_program), so the
     * table lookup needs no bounds check: the saving over switch. */
#define NEXT() goto *labels[ip->op]
    NEXT();
do_jend:
    ip = i == n ? code + ip->imm : ip + 1;
    NEXT();
do_loadin:
    if (i >= n) return (vm_out){0, TRAP_INPUT};
    r[ip->a] = in[i++];
    ip++;
    NEXT();
do_jlti:
    ip = r[ip->a] < (uint64_t)(int64_t)ip->imm ? code + ip->c : ip + 1;
    NEXT();
do_jnz:
    ip = r[ip->a] != 0 ? code + ip->imm : ip + 1;
    NEXT();
do_jmp:
    ip = code + ip->imm;
    NEXT();
do_add:
    r[ip->a] = r[ip->b] + r[ip->c];
    ip++;
    NEXT();
do_xor:
    r[ip->a] = r[ip->b] ^ r[ip->c];
    ip++;
    NEXT();
do_mul:
    r[ip->a] = r[ip->b] * r[ip->c];
    ip++;
    NEXT();
do_mod:
    if (r[ip->c] == 0) return (vm_out){0, TRAP_DIV0};
    r[ip->a] = r[ip->b] % r[ip->c];
    ip++;
    NEXT();
do_muli:
    r[ip->a] = r[ip->b] * (uint64_t)(int64_t)ip->imm;
    ip++;
    NEXT();
do_andi:
    r[ip->a] = r[ip->b] & (uint64_t)(int64_t)ip->imm;
    ip++;
    NEXT();
do_shri:
    r[ip->a] = r[ip->b] >> (ip->imm & 63);
    ip++;
    NEXT();
do_li:
    r[ip->a] = (uint64_t)(int64_t)ip->imm;
    ip++;
    NEXT();
do_hash:
    r[ip->a] = mix(r[ip->b]);
    ip++;
    NEXT();
do_halt:
    return (vm_out){r[0], TRAP_NONE};
#undef NEXT
}

/* Call threading: one function per opcode, called through a table.  Each
 * handler returns the next instruction (NULL to stop). */
typedef struct {
    uint64_t r[8];
    const insn *code;
    const uint32_t *in;
    size_t i, n;
    int trap;
} vm;
typedef const insn *(*handler)(vm *m, const insn *ip);

static const insn *h_jend(vm *m, const insn *ip) { return m->i == m->n ? m->code + ip->imm : ip + 1; }
static const insn *h_loadin(vm *m, const insn *ip)
{
    if (m->i >= m->n) {
        m->trap = TRAP_INPUT;
        return NULL;
    }
    m->r[ip->a] = m->in[m->i++];
    return ip + 1;
}
static const insn *h_jlti(vm *m, const insn *ip)
{
    return m->r[ip->a] < (uint64_t)(int64_t)ip->imm ? m->code + ip->c : ip + 1;
}
static const insn *h_jnz(vm *m, const insn *ip) { return m->r[ip->a] != 0 ? m->code + ip->imm : ip + 1; }
static const insn *h_jmp(vm *m, const insn *ip) { return m->code + ip->imm; }
static const insn *h_add(vm *m, const insn *ip)
{
    m->r[ip->a] = m->r[ip->b] + m->r[ip->c];
    return ip + 1;
}
static const insn *h_xor(vm *m, const insn *ip)
{
    m->r[ip->a] = m->r[ip->b] ^ m->r[ip->c];
    return ip + 1;
}
static const insn *h_mul(vm *m, const insn *ip)
{
    m->r[ip->a] = m->r[ip->b] * m->r[ip->c];
    return ip + 1;
}
static const insn *h_mod(vm *m, const insn *ip)
{
    if (m->r[ip->c] == 0) {
        m->trap = TRAP_DIV0;
        return NULL;
    }
    m->r[ip->a] = m->r[ip->b] % m->r[ip->c];
    return ip + 1;
}
static const insn *h_muli(vm *m, const insn *ip)
{
    m->r[ip->a] = m->r[ip->b] * (uint64_t)(int64_t)ip->imm;
    return ip + 1;
}
static const insn *h_andi(vm *m, const insn *ip)
{
    m->r[ip->a] = m->r[ip->b] & (uint64_t)(int64_t)ip->imm;
    return ip + 1;
}
static const insn *h_shri(vm *m, const insn *ip)
{
    m->r[ip->a] = m->r[ip->b] >> (ip->imm & 63);
    return ip + 1;
}
static const insn *h_li(vm *m, const insn *ip)
{
    m->r[ip->a] = (uint64_t)(int64_t)ip->imm;
    return ip + 1;
}
static const insn *h_hash(vm *m, const insn *ip)
{
    m->r[ip->a] = mix(m->r[ip->b]);
    return ip + 1;
}
static const insn *h_halt(vm *m, const insn *ip)
{
    (void)m, (void)ip;
    return NULL;
}

static const handler handlers[OP_COUNT] = {
    [OP_JEND] = h_jend, [OP_LOADIN] = h_loadin, [OP_JLTI] = h_jlti, [OP_JNZ] = h_jnz,
    [OP_JMP] = h_jmp,   [OP_ADD] = h_add,       [OP_XOR] = h_xor,   [OP_MUL] = h_mul,
    [OP_MOD] = h_mod,   [OP_MULI] = h_muli,     [OP_ANDI] = h_andi, [OP_SHRI] = h_shri,
    [OP_LI] = h_li,     [OP_HASH] = h_hash,     [OP_HALT] = h_halt,
};

FB_HOT vm_out interpreter_call(const insn *code, const uint32_t *in, size_t n)
{
    vm m = {.code = code, .in = in, .n = n, .trap = TRAP_NONE};
    /* Opcodes were validated before the run (validate_program). */
    for (const insn *ip = code; ip;) ip = handlers[ip->op](&m, ip);
    return (vm_out){m.trap == TRAP_NONE ? m.r[0] : 0, m.trap};
}

FB_HOT vm_out interpreter_native(const insn *code, const uint32_t *in, size_t n)
{
    (void)code;
    uint64_t acc = 0, prod = 1, bits = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = in[i];
        if (x < 16) {
            acc += x * 3;
        } else if (x < 4096) {
            acc ^= x >> 2;
            for (; x; x >>= 1) bits += x & 1;
        } else {
            prod = prod * x % P_MOD;
            acc ^= mix(x);
        }
    }
    return (vm_out){(acc + bits) ^ prod, TRAP_NONE};
}

typedef struct {
    size_t n;
    uint32_t *in;
    vm_out out;
} state;

#define RUNNER(variant)                                                                        \
    static void run_##variant(void *p)                                                         \
    {                                                                                          \
        state *st = p;                                                                         \
        st->out = interpreter_##variant(program, st->in, st->n);                               \
    }
RUNNER(switch) RUNNER(goto) RUNNER(call) RUNNER(native)

/* What a loader would do once: every opcode and jump target in range. */
static void validate_program(void)
{
    size_t len = FB_COUNT(program);
    for (size_t k = 0; k < len; k++) {
        const insn *x = &program[k];
        bool jump = x->op == OP_JEND || x->op == OP_JNZ || x->op == OP_JMP;
        bool c_ok = x->op == OP_JLTI ? x->c < len : x->c <= 7;
        if (x->op >= OP_COUNT || x->a > 7 || x->b > 7 || !c_ok ||
            (jump && (x->imm < 0 || (size_t)x->imm >= len))) {
            fprintf(stderr, "branch/interpreter: bad instruction %zu\n", k);
            exit(2);
        }
    }
}

static void *setup(const fb_ctx *ctx)
{
    validate_program();
    state *st = fb_calloc(1, sizeof *st);
    st->n = ctx->n;
    st->in = fb_alloc(ctx->n * sizeof(uint32_t));
    /* The size is mixed into the seed so that train and ref are independent
     * samples of the same distribution (see "Sizes" above). */
    fb_rng rng = fb_rng_seeded(ctx->seed ^ (ctx->n * 0x9e3779b97f4a7c15ull));
    for (size_t i = 0; i < ctx->n; i++) {
        uint64_t u = fb_rng_below(&rng, 100);
        if (u < 90) st->in[i] = (uint32_t)fb_rng_below(&rng, 16);
        else if (u < 99) st->in[i] = 16 + (uint32_t)fb_rng_below(&rng, 4096 - 16);
        else st->in[i] = 4096 + (uint32_t)fb_rng_below(&rng, (1u << 31) - 4096);
    }
    return st;
}

/* The program's meaning, evaluated plainly; also counts VM instructions. */
static uint64_t reference(const state *st, uint64_t *vm_insns)
{
    uint64_t acc = 0, prod = 1, bits = 0, count = 4 + 1 + 3; /* LIs, last JEND, epilogue */
    for (size_t i = 0; i < st->n; i++) {
        uint64_t x = st->in[i];
        if (x < 16) {
            acc += x * 3;
            count += 6;
        } else if (x < 4096) {
            acc ^= x >> 2;
            count += 7;
            while (x) {
                bits += x & 1;
                x >>= 1;
                count += 4;
            }
        } else {
            prod = (prod * x) % P_MOD;
            acc ^= mix(x);
            count += 9;
        }
    }
    *vm_insns = count;
    return (acc + bits) ^ prod;
}

static bool check(void *p, const fb_variant *v, char *why, size_t len)
{
    (void)v;
    state *st = p;
    uint64_t count;
    uint64_t want = reference(st, &count);
    if (st->out.trap != TRAP_NONE) {
        snprintf(why, len, "the VM trapped (code %d)", st->out.trap);
        return false;
    }
    return fb_check_u64("result", st->out.result, want, why, len);
}

static uint64_t checksum(void *p) { return fb_hash_u64(((state *)p)->out.result); }

static void report(void *p, const fb_variant *v, fb_json *out)
{
    state *st = p;
    uint64_t count;
    reference(st, &count);
    if (strcmp(v->name, "native") != 0) fb_json_int(out, "vm_insns", (long long)count);
}

static void teardown(void *p)
{
    state *st = p;
    free(st->in);
    free(st);
}

static const fb_variant variants[] = {
    {"switch", run_switch, 0, "switch dispatch: one shared, bounds-checked indirect jump"},
    {"goto", run_goto, 0, "computed goto (direct threading): an indirect jump per handler"},
    {"call", run_call, 0, "call threading: a handler function per opcode, called via a table"},
    {"native", run_native, 0, "the same program compiled from C: the interpretive overhead"},
};

static const fb_kernel kernel = {
    .family = "branch",
    .name = "interpreter",
    .summary = "bytecode interpreter (switch, computed goto, call threading) over skewed input, for PGO",
    .unit = "inputs",
    .sizes = {1003, 150001, 400000},
    .reps = {1, 3, 5},
    FB_HOOKS(setup, NULL, check, checksum, NULL, report, teardown),
    FB_VARIANTS(variants),
};

FB_KERNEL_MAIN(kernel)

/* Shared helpers of the simd family (header only; not a kernel).
 *
 * NO_VECTORIZE / NO_VECTORIZE_LOOP switch the auto-vectorizer off for a
 * "scalar" variant, the same way simd/reduce.c does: GCC takes a per-function
 * optimize attribute, Clang a per-loop pragma (it ignores the attribute).
 *
 * NO_CONTRACT stops a function's float multiplies and adds from being fused
 * into FMAs.  GCC contracts across statements, and even across intrinsic
 * calls (its _mm256_mul_ps is a plain vector '*'), whenever the target has
 * FMA (-ffp-contract=fast is the GNU C default); Clang's default
 * (-ffp-contract=on) only fuses within one expression and never across
 * intrinsics.  A kernel that wants bit-identical results from every variant
 * uses NO_CONTRACT on GCC and `#pragma STDC FP_CONTRACT OFF` on Clang
 * (FB_PRAGMA_NO_CONTRACT, at file scope).
 */
#ifndef FLAGBENCH_SIMD_UTIL_H
#define FLAGBENCH_SIMD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__clang__)
#define NO_VECTORIZE
#define NO_VECTORIZE_LOOP _Pragma("clang loop vectorize(disable) interleave(disable)")
#define NO_CONTRACT
#define FB_PRAGMA_NO_CONTRACT _Pragma("STDC FP_CONTRACT OFF")
#else
#define NO_VECTORIZE __attribute__((optimize("no-tree-vectorize", "no-tree-slp-vectorize")))
#define NO_VECTORIZE_LOOP
#define NO_CONTRACT __attribute__((optimize("fp-contract=off")))
#define FB_PRAGMA_NO_CONTRACT
#endif

/* The build's native vector width, as portable-simd's "native" lane count:
 * chosen from the target macros, so a vecext variant gets 16-byte vectors on
 * the x86-64 baseline and NEON, 32 with AVX/AVX2 and 64 with AVX-512.  A
 * vector type wider than the target is legal but GCC 12 lowers it through
 * the stack (each 32-byte v8sf on SSE2 is stored and reloaded as two
 * halves), so the vecext variants of this family never use one.  Float
 * vectors need AVX for 32 bytes; integer vectors need AVX2 (AVX has no
 * 256-bit integer ops) and AVX-512BW for 64 bytes of bytes. */
#if defined(__AVX512F__)
#define FB_VEC_BYTES 64
#elif defined(__AVX__)
#define FB_VEC_BYTES 32
#else
#define FB_VEC_BYTES 16
#endif
#if defined(__AVX512BW__)
#define FB_IVEC_BYTES 64
#elif defined(__AVX2__)
#define FB_IVEC_BYTES 32
#else
#define FB_IVEC_BYTES 16
#endif
typedef float vnf __attribute__((vector_size(FB_VEC_BYTES)));  /* native float */
typedef int32_t vni __attribute__((vector_size(FB_VEC_BYTES))); /* its compare mask */
typedef uint8_t vnb __attribute__((vector_size(FB_IVEC_BYTES)));  /* native bytes */
typedef uint16_t vnh __attribute__((vector_size(FB_IVEC_BYTES))); /* native u16 */
typedef uint32_t vnu __attribute__((vector_size(FB_IVEC_BYTES))); /* native u32 */
typedef uint64_t vnq __attribute__((vector_size(FB_IVEC_BYTES))); /* native u64 */
#define VNF_LANES (FB_VEC_BYTES / 4)
#define VNB_LANES FB_IVEC_BYTES
#define VNH_LANES (FB_IVEC_BYTES / 2)
#define VNU_LANES (FB_IVEC_BYTES / 4)
#define VNQ_LANES (FB_IVEC_BYTES / 8)

/* Code for one architecture only, as an expression of a list: ON_X86(...)
 * stands for its arguments on x86-64 and for nothing elsewhere, so a
 * variant table writes ON_X86({"avx2", ...}, {"avx512", ...},) and a list
 * of runners ON_X86(RUNNER(avx2) RUNNER(avx512)). */
#if defined(__x86_64__)
#define ON_X86(...) __VA_ARGS__
#else
#define ON_X86(...)
#endif
#if defined(__aarch64__)
#define ON_ARM64(...) __VA_ARGS__
#else
#define ON_ARM64(...)
#endif

/* The hand-written variants most kernels of the family have, as an X-macro
 * over a kernel's RUNNER(variant): sse, avx2 and avx512 on x86-64, neon on
 * aarch64. */
#define SIMD_INTRINSIC_VARIANTS(X) ON_X86(X(sse) X(avx2) X(avx512)) ON_ARM64(X(neon))

/* Unaligned integer-vector loads from any pointer (the intrinsics want a
 * vector pointer). */
#define LOADU_SI128(p) _mm_loadu_si128((const __m128i *)(p))
#define LOADU_SI256(p) _mm256_loadu_si256((const __m256i *)(p))

/* Sizes of the family's one-pass array kernels (gather, prefix_sum, saxpy):
 * an odd test length, so every remainder path runs, and arrays that stay in
 * L2 at train and ref. */
#define SIMD_ARRAY_SIZES .unit = "elements", .sizes = {1003, 20011, 65536}, .reps = {1, 200, 2000}

/* Portable fixed-width vectors (GCC/Clang vector extensions). */
typedef float v4sf __attribute__((vector_size(16)));
typedef float v8sf __attribute__((vector_size(32)));
typedef int32_t v4si __attribute__((vector_size(16)));
typedef int32_t v8si __attribute__((vector_size(32)));
typedef uint32_t v4su __attribute__((vector_size(16)));
typedef uint32_t v8su __attribute__((vector_size(32)));
typedef uint16_t v16hu __attribute__((vector_size(32)));
typedef uint8_t v16qu __attribute__((vector_size(16)));
typedef uint8_t v32qu __attribute__((vector_size(32)));
typedef int8_t v32qi __attribute__((vector_size(32)));
typedef uint64_t v4du __attribute__((vector_size(32)));

/* memcpy is how C spells an unaligned vector load or store; it compiles to
 * one (v)movups/movdqu. */
#define VLOAD(dst, src) memcpy(&(dst), (src), sizeof(dst))
#define VSTORE(dst, src) memcpy((dst), &(src), sizeof(src))

/* The AVX-512 variants end with masked 16-lane steps instead of a scalar
 * loop: the __mmask16 of the `left` elements still to do (all 16 past that).
 * A macro, not an inline function: GCC 12 lays out those loops differently
 * when the same expression comes through a function. */
#define TAIL_MASK16(left) ((left) >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (left)) - 1))

#endif

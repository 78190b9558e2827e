// Edge's direct depthwise convolution: padded-plane copy, vector row kernels per ISA,
// fused bias + activation store, channels split over the thread pool.
// The scheme is described in include/edge_depthwise.h.
//
// The row kernels are one template (`EDGE_DW_ROWS`) over GCC/Clang vector extensions,
// instantiated per ISA with its own __attribute__((target)), as in edge_gemm.c: the file
// is compiled for the baseline ISA and the AVX2 code only runs after
// __builtin_cpu_supports said yes. `acc += v * k` contracts to one FMA where the target
// has it (AVX2+FMA, NEON).
#include "edge_depthwise.h"
#include "edge_activation_vec.h"
#include "edge_gemm.h"
#include "edge_threads.h"

#include <math.h>
#include <string.h>

typedef float edge_dw_v4 __attribute__((vector_size(16)));
typedef float edge_dw_v8 __attribute__((vector_size(32)));

/// Floats past the padded plane: a stride-2 step reads one input past those it uses.
#define EDGE_DW_SLACK 16

// Lanes picked from the 2W lanes of (a, b) by constant indices (even or odd lanes).
#if defined(__clang__)
#define EDGE_DW_SHUFFLE(VT, a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
typedef int edge_dw_v4_mask __attribute__((vector_size(16)));
typedef int edge_dw_v8_mask __attribute__((vector_size(32)));
#define EDGE_DW_SHUFFLE(VT, a, b, ...) __builtin_shuffle(a, b, (VT##_mask){__VA_ARGS__})
#endif

#define EDGE_DW_EVEN_edge_dw_v4 0, 2, 4, 6
#define EDGE_DW_ODD_edge_dw_v4 1, 3, 5, 7
#define EDGE_DW_EVEN_edge_dw_v8 0, 2, 4, 6, 8, 10, 12, 14
#define EDGE_DW_ODD_edge_dw_v8 1, 3, 5, 7, 9, 11, 13, 15

#if defined(__GNUC__)
#define EDGE_DW_UNROLL _Pragma("GCC unroll 16")
#else
#define EDGE_DW_UNROLL
#endif

/// Scalar rows: any kernel, stride and dilation (rows narrower than 4, strides above 2).
static void edge_dw_rows_scalar(const edge_dw_geometry *g, long pw, const float *padded, const float *f,
                                float bias, const edge_dw_epilogue *ep, float *y) {
    const long rowTap = g->dilation_h * pw, colTap = g->dilation_w;
    for (long oh = 0; oh < g->out_h; oh++) {
        const float *r0 = padded + oh * g->stride_h * pw;
        float *row = y + oh * g->out_w;
        for (long ow = 0; ow < g->out_w; ow++) {
            float s = bias;
            const float *r = r0 + ow * g->stride_w;
            long t = 0;
            for (long i = 0; i < g->kernel_h; i++, r += rowTap) {
                const float *p = r;
                for (long j = 0; j < g->kernel_w; j++, p += colTap) s += *p * f[t++];
            }
            row[ow] = edge_activation_scalar(s, &ep->act);
        }
    }
}

// One row step: W outputs at `ow` into s, stored with the epilogue. BODY(VT, W, S, OW,
// S2, OW2) accumulates into S from the padded rows at r0 for outputs [OW, OW + W) and,
// when `pair`, into S2 for the next step's [OW2, OW2 + W) with the same taps in the same
// order. Paired steps keep two chains of multiply-adds in flight: one step's taps are a
// chain of dependent multiply-adds (25 for 5x5), so a single accumulator waits on the
// FMA latency (5x5 on MobileNetV3's 7x7 planes ran at ~7 GFLOP/s). Every output still
// gets the same sum as unpaired, bit for bit.
// `light` (EDGE_DW_ROWS' LIGHT): only the clamps (none, Relu, Clip) on the registers, the
// other kinds in one pass over each finished row (in L1) by edge_epilogue_apply, so their
// code (exp, selects) is not expanded into each of the four loops: -2.5 KB on aarch64,
// whose only vector rows these are, and MobileNet's Relu6 still runs fused. The AVX2 rows
// keep every kind fused.
#define EDGE_DW_ROW_LOOP(VT, W, BODY)                                                        \
    for (long oh = 0; oh < outH; oh++) {                                                     \
        const float *r0 = padded + oh * rowStep;                                             \
        float *row = y + oh * outW;                                                          \
        long ow = 0;                                                                         \
        for (;;) {                                                                           \
            if (ow > outW - W) ow = outW - W;                                                \
            const long ow2 = ow + W < outW - W ? ow + W : outW - W;                          \
            VT s = vbias, s2 = vbias;                                                        \
            BODY(VT, W, s, ow, s2, ow2);                                                     \
            s = light ? EDGE_VCLAMP(s, lo, hi) : EDGE_ACTIVATE(VT, s, &ep->act);             \
            memcpy(row + ow, &s, sizeof(VT));                                                \
            if (pair) {                                                                      \
                s2 = light ? EDGE_VCLAMP(s2, lo, hi) : EDGE_ACTIVATE(VT, s2, &ep->act);      \
                memcpy(row + ow2, &s2, sizeof(VT));                                          \
                ow = ow2;                                                                    \
            }                                                                                \
            if (ow == outW - W) break;                                                       \
            ow += W;                                                                         \
        }                                                                                    \
        if (light && kind > EDGE_ACT_CLIP) edge_epilogue_apply(row, outW, 0, NULL, &ep->act); \
    }

// One padded row of a 3x3 stride-2 step: 2W inputs from rr split into even lanes (tap a)
// and odd lanes (tap b), the even lanes of the 2W inputs two further on (tap c).
#define EDGE_DW_S2_TAPS(VT, S, rr, ka, kb, kc)                                               \
    do {                                                                                     \
        memcpy(&x0, (rr), sizeof(VT));                                                       \
        memcpy(&x1, (rr) + sizeof(VT) / sizeof(float), sizeof(VT));                          \
        S += EDGE_DW_SHUFFLE(VT, x0, x1, EDGE_DW_EVEN_##VT) * (ka);                          \
        S += EDGE_DW_SHUFFLE(VT, x0, x1, EDGE_DW_ODD_##VT) * (kb);                           \
        memcpy(&x0, (rr) + 2, sizeof(VT));                                                   \
        memcpy(&x1, (rr) + 2 + sizeof(VT) / sizeof(float), sizeof(VT));                      \
        S += EDGE_DW_SHUFFLE(VT, x0, x1, EDGE_DW_EVEN_##VT) * (kc);                          \
    } while (0)

#define EDGE_DW_3X3_S1_STEP(VT, S, OW)                                                       \
    do {                                                                                     \
        const float *a = r0 + (OW), *b = a + pw, *c = b + pw;                                \
        memcpy(&x0, a, sizeof(VT)); S += x0 * k0;                                            \
        memcpy(&x0, a + 1, sizeof(VT)); S += x0 * k1;                                        \
        memcpy(&x0, a + 2, sizeof(VT)); S += x0 * k2;                                        \
        memcpy(&x0, b, sizeof(VT)); S += x0 * k3;                                            \
        memcpy(&x0, b + 1, sizeof(VT)); S += x0 * k4;                                        \
        memcpy(&x0, b + 2, sizeof(VT)); S += x0 * k5;                                        \
        memcpy(&x0, c, sizeof(VT)); S += x0 * k6;                                            \
        memcpy(&x0, c + 1, sizeof(VT)); S += x0 * k7;                                        \
        memcpy(&x0, c + 2, sizeof(VT)); S += x0 * k8;                                        \
    } while (0)
// A step body as a paired body: the second step is a copy of the first.
#define EDGE_DW_PAIRED(STEP, VT, S, OW, S2, OW2)                                             \
    do {                                                                                     \
        STEP(VT, S, OW);                                                                     \
        if (pair) STEP(VT, S2, OW2);                                                         \
    } while (0)
#define EDGE_DW_3X3_S1(VT, W, S, OW, S2, OW2) EDGE_DW_PAIRED(EDGE_DW_3X3_S1_STEP, VT, S, OW, S2, OW2)

/* Inputs 2ow .. 2ow+2W: even lanes are tap 0, odd tap 1, even from +2 tap 2. */
#define EDGE_DW_3X3_S2_STEP(VT, S, OW)                                                       \
    do {                                                                                     \
        const float *rr = r0 + 2 * (OW);                                                     \
        EDGE_DW_S2_TAPS(VT, S, rr, k0, k1, k2);                                              \
        EDGE_DW_S2_TAPS(VT, S, rr + pw, k3, k4, k5);                                         \
        EDGE_DW_S2_TAPS(VT, S, rr + 2 * pw, k6, k7, k8);                                     \
    } while (0)
#define EDGE_DW_3X3_S2(VT, W, S, OW, S2, OW2) EDGE_DW_PAIRED(EDGE_DW_3X3_S2_STEP, VT, S, OW, S2, OW2)

// Any kernel: both steps in one tap loop (the loop's overhead and the weight shared).
#define EDGE_DW_ANY_S1(VT, W, S, OW, S2, OW2)                                                \
    do {                                                                                     \
        const float *r = r0 + (OW), *r2 = r0 + (OW2);                                        \
        long t = 0;                                                                          \
        for (long i = 0; i < kH; i++, r += rowTap, r2 += rowTap) {                           \
            const float *p = r, *p2 = r2;                                                    \
            for (long j = 0; j < kW; j++, p += colTap, p2 += colTap, t++) {                  \
                memcpy(&x0, p, sizeof(VT));                                                  \
                S += x0 * f[t];                                                              \
                if (pair) {                                                                  \
                    memcpy(&x2, p2, sizeof(VT));                                             \
                    S2 += x2 * f[t];                                                         \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    } while (0)
#define EDGE_DW_ANY_S2(VT, W, S, OW, S2, OW2)                                                \
    do {                                                                                     \
        const float *r = r0 + 2 * (OW), *r2 = r0 + 2 * (OW2);                                \
        long t = 0;                                                                          \
        for (long i = 0; i < kH; i++, r += rowTap, r2 += rowTap) {                           \
            const float *p = r, *p2 = r2;                                                    \
            for (long j = 0; j < kW; j++, p += colTap, p2 += colTap, t++) {                  \
                memcpy(&x0, p, sizeof(VT));                                                  \
                memcpy(&x1, p + W, sizeof(VT));                                              \
                S += EDGE_DW_SHUFFLE(VT, x0, x1, EDGE_DW_EVEN_##VT) * f[t];                  \
                if (pair) {                                                                  \
                    memcpy(&x2, p2, sizeof(VT));                                             \
                    memcpy(&x3, p2 + W, sizeof(VT));                                         \
                    S2 += EDGE_DW_SHUFFLE(VT, x2, x3, EDGE_DW_EVEN_##VT) * f[t];             \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    } while (0)

// One tap's input vector for output ow at tap offset o: consecutive inputs (stride 1) or
// the even lanes of 2W (stride 2).
#define EDGE_DW_LOAD_S1(VT, W, X, p)                                                         \
    memcpy(&X, (p), sizeof(VT))
#define EDGE_DW_LOAD_S2(VT, W, X, p)                                                         \
    do {                                                                                     \
        VT l_a, l_b;                                                                         \
        memcpy(&l_a, (p), sizeof(VT));                                                       \
        memcpy(&l_b, (p) + W, sizeof(VT));                                                   \
        X = EDGE_DW_SHUFFLE(VT, l_a, l_b, EDGE_DW_EVEN_##VT);                                \
    } while (0)

// Four output rows at a time, each in two steps (as EDGE_DW_ROW_LOOP's pairs): eight
// independent chains of multiply-adds. On small planes (MobileNetV3's 5x5 taps on 7x7
// planes) a row is one pair, whose two 25-long chains left the FMA units waiting on
// their latency (9 GFLOP/s). Each output's sum is the same, in the same order, as in
// EDGE_DW_ROW_LOOP; the last group of rows moves back to end at the plane's end
// (recomputing rows, which needs the epilogue fused: not LIGHT). Needs outH >= 4.
#define EDGE_DW_ROWS4_LOOP(VT, W, CS, LOAD)                                                  \
    for (long oh = 0;; oh += 4) {                                                            \
        if (oh > outH - 4) oh = outH - 4;                                                    \
        const float *q = padded + oh * rowStep;                                              \
        long ow = 0;                                                                         \
        for (;;) {                                                                           \
            if (ow > outW - W) ow = outW - W;                                                \
            const long ow2 = ow + W < outW - W ? ow + W : outW - W;                          \
            const float *a = q + (CS) * ow, *b = q + (CS) * ow2;                             \
            VT s0 = vbias, s1 = vbias, s2 = vbias, s3 = vbias;                               \
            VT u0 = vbias, u1 = vbias, u2 = vbias, u3 = vbias;                               \
            long t = 0;                                                                      \
            for (long i = 0; i < kH; i++) {                                                  \
                for (long j = 0; j < kW; j++, t++) {                                         \
                    const long o = i * rowTap + j * colTap;                                  \
                    const float k = f[t];                                                    \
                    LOAD(VT, W, x0, a + o); s0 += x0 * k;                                    \
                    LOAD(VT, W, x0, a + rowStep + o); s1 += x0 * k;                          \
                    LOAD(VT, W, x0, a + 2 * rowStep + o); s2 += x0 * k;                      \
                    LOAD(VT, W, x0, a + 3 * rowStep + o); s3 += x0 * k;                      \
                    LOAD(VT, W, x0, b + o); u0 += x0 * k;                                    \
                    LOAD(VT, W, x0, b + rowStep + o); u1 += x0 * k;                          \
                    LOAD(VT, W, x0, b + 2 * rowStep + o); u2 += x0 * k;                      \
                    LOAD(VT, W, x0, b + 3 * rowStep + o); u3 += x0 * k;                      \
                }                                                                            \
            }                                                                                \
            float *row = y + oh * outW;                                                      \
            EDGE_DW_STORE4(VT, row + ow, s0, s1, s2, s3);                                    \
            EDGE_DW_STORE4(VT, row + ow2, u0, u1, u2, u3);                                   \
            if (ow2 == outW - W) break;                                                      \
            ow = ow2 + W;                                                                    \
        }                                                                                    \
        if (oh == outH - 4) break;                                                           \
    }
// Four rows' vectors (rows outW apart) through the fused epilogue.
#define EDGE_DW_STORE4(VT, p, A, B, C, D)                                                    \
    do {                                                                                     \
        VT e_v[4] = {A, B, C, D};                                                            \
        for (int e_i = 0; e_i < 4; e_i++) {                                                  \
            const VT e_s = EDGE_ACTIVATE(VT, e_v[e_i], &ep->act);                            \
            memcpy((p) + e_i * outW, &e_s, sizeof(VT));                                      \
        }                                                                                    \
    } while (0)

// W-wide rows for a plane with out_w >= W and stride_w 1 or 2 (LIGHT: see
// EDGE_DW_ROW_LOOP; PAIR: two steps at a time, see there).
#define EDGE_DW_ROWS(NAME, ATTR, VT, W, LIGHT, PAIR)                                         \
    ATTR static void NAME(const edge_dw_geometry *g, long pw, const float *padded, const float *f, \
                          float bias, const edge_dw_epilogue *ep, float *y) {                \
        const long outH = g->out_h, outW = g->out_w, rowStep = g->stride_h * pw;             \
        const long kind = ep->act.kind;                                                      \
        const float lo = kind == EDGE_ACT_RELU ? 0.0f : kind == EDGE_ACT_CLIP ? ep->act.alpha : -INFINITY; \
        const float hi = kind == EDGE_ACT_CLIP ? ep->act.beta : INFINITY;                    \
        const int light = LIGHT, pair = PAIR; (void)lo; (void)hi;                            \
        const VT vzero = {0}, vbias = vzero + bias;                                          \
        VT x0, x1, x2, x3;                                                                   \
        (void)x2; (void)x3;                                                                  \
        const int square3 = g->kernel_h == 3 && g->kernel_w == 3 && g->dilation_h == 1 && g->dilation_w == 1; \
        const long kH = g->kernel_h, kW = g->kernel_w;                                       \
        const long rowTap = g->dilation_h * pw, colTap = g->dilation_w;                      \
        /* Four rows at a time (fused epilogue only) for any kernel but 3x3, whose */       \
        /* unrolled rows were as fast or faster (28x28 -> 14x14 stride 2: 1.2-1.4x). */      \
        if (!light && pair && outH >= 4 && !square3) {                                       \
            if (g->stride_w == 1) {                                                          \
                EDGE_DW_ROWS4_LOOP(VT, W, 1, EDGE_DW_LOAD_S1)                                \
            } else {                                                                         \
                EDGE_DW_ROWS4_LOOP(VT, W, 2, EDGE_DW_LOAD_S2)                                \
            }                                                                                \
            return;                                                                          \
        }                                                                                    \
        if (square3) {                                                                       \
            const float k0 = f[0], k1 = f[1], k2 = f[2], k3 = f[3], k4 = f[4], k5 = f[5];    \
            const float k6 = f[6], k7 = f[7], k8 = f[8];                                     \
            if (g->stride_w == 1) {                                                          \
                EDGE_DW_ROW_LOOP(VT, W, EDGE_DW_3X3_S1)                                      \
            } else {                                                                         \
                EDGE_DW_ROW_LOOP(VT, W, EDGE_DW_3X3_S2)                                      \
            }                                                                                \
            return;                                                                          \
        }                                                                                    \
        if (g->stride_w == 1) {                                                              \
            EDGE_DW_ROW_LOOP(VT, W, EDGE_DW_ANY_S1)                                          \
        } else {                                                                             \
            EDGE_DW_ROW_LOOP(VT, W, EDGE_DW_ANY_S2)                                          \
        }                                                                                    \
    }

/// Whether the vector rows of width W apply (else the scalar rows).
static int edge_dw_vector_fits(const edge_dw_geometry *g, long w) {
    return g->out_w >= w && (g->stride_w == 1 || g->stride_w == 2);
}

EDGE_DW_ROWS(edge_dw_rows_v4, , edge_dw_v4, 4, 1, 0)

static void edge_dw_rows_generic(const edge_dw_geometry *g, long pw, const float *padded, const float *f,
                                 float bias, const edge_dw_epilogue *ep, float *y) {
    if (edge_dw_vector_fits(g, 4)) edge_dw_rows_v4(g, pw, padded, f, bias, ep, y);
    else edge_dw_rows_scalar(g, pw, padded, f, bias, ep, y);
}

#if defined(__x86_64__)
#define EDGE_DW_AVX2 __attribute__((target("avx2,fma")))
EDGE_DW_ROWS(edge_dw_rows_avx2_v8, EDGE_DW_AVX2, edge_dw_v8, 8, 0, 1)
// 4-wide rows with FMA, for the 4..7-wide rows of small planes (7x7 in MobileNet).
EDGE_DW_ROWS(edge_dw_rows_avx2_v4, EDGE_DW_AVX2, edge_dw_v4, 4, 0, 1)

static void edge_dw_rows_avx2(const edge_dw_geometry *g, long pw, const float *padded, const float *f,
                              float bias, const edge_dw_epilogue *ep, float *y) {
    if (edge_dw_vector_fits(g, 8)) edge_dw_rows_avx2_v8(g, pw, padded, f, bias, ep, y);
    else if (edge_dw_vector_fits(g, 4)) edge_dw_rows_avx2_v4(g, pw, padded, f, bias, ep, y);
    else edge_dw_rows_scalar(g, pw, padded, f, bias, ep, y);
}
#endif

static const edge_dw_kernel edge_dw_generic = {"generic-4", edge_dw_rows_generic};
#if defined(__x86_64__)
static const edge_dw_kernel edge_dw_avx2 = {"avx2-8", edge_dw_rows_avx2};
#endif
static const edge_dw_kernel edge_dw_scalar = {"scalar", edge_dw_rows_scalar};

static const edge_dw_kernel *edge_dw_kernels[4];
static long edge_dw_total = -1;

static void edge_dw_init(void) {
    long n = 0;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) edge_dw_kernels[n++] = &edge_dw_avx2;
#endif
    edge_dw_kernels[n++] = &edge_dw_generic;
    edge_dw_kernels[n++] = &edge_dw_scalar;
    __atomic_store_n(&edge_dw_total, n, __ATOMIC_RELEASE);
}

long edge_dw_kernel_count(void) {
    if (__atomic_load_n(&edge_dw_total, __ATOMIC_ACQUIRE) < 0) edge_dw_init();
    return edge_dw_total;
}

const edge_dw_kernel *edge_dw_kernel_at(long i) {
    long n = edge_dw_kernel_count();
    return i >= 0 && i < n ? edge_dw_kernels[i] : NULL;
}

const edge_dw_kernel *edge_dw_best(void) { return edge_dw_kernel_at(0); }

static long edge_dw_padded_w(const edge_dw_geometry *g) { return g->in_w + g->pad_left + g->pad_right; }
static long edge_dw_padded_h(const edge_dw_geometry *g) { return g->in_h + g->pad_top + g->pad_bottom; }

long edge_dw_scratch_floats(const edge_dw_geometry *g) {
    return edge_dw_padded_h(g) * edge_dw_padded_w(g) + EDGE_DW_SLACK;
}

/// Zeroes the whole padded buffer; each plane then overwrites only the inside, so the
/// zero border stays valid for every plane a thread convolves.
static void edge_dw_clear(const edge_dw_geometry *g, float *padded) {
    memset(padded, 0, (size_t)edge_dw_scratch_floats(g) * sizeof(float));
}

/// The plane without clearing the border first (it is zero from edge_dw_clear).
static void edge_dw_plane_cleared(const edge_dw_kernel *k, const edge_dw_geometry *g, const float *x,
                                  const float *filter, float bias, const edge_dw_epilogue *ep, float *padded,
                                  float *y) {
    const long pw = edge_dw_padded_w(g);
    float *inside = padded + g->pad_top * pw + g->pad_left;
    for (long i = 0; i < g->in_h; i++) memcpy(inside + i * pw, x + i * g->in_w, (size_t)g->in_w * sizeof(float));
    k->rows(g, pw, padded, filter, bias, ep, y);
}

void edge_dw_plane(const edge_dw_kernel *k, const edge_dw_geometry *g, const float *x, const float *filter,
                   float bias, const edge_dw_epilogue *ep, float *padded, float *y) {
    edge_dw_clear(g, padded);
    edge_dw_plane_cleared(k, g, x, filter, bias, ep, padded, y);
}

typedef struct {
    const edge_dw_kernel *k;
    const edge_dw_geometry *g;
    long channels, multiplier, chunk;
    const float *x, *weights, *bias;
    const edge_dw_epilogue *ep;
    float *y, *scratch;
    edge_pool *pool;
} edge_dw_job;

static void edge_dw_task(void *context, long index, int thread) {
    const edge_dw_job *j = context;
    const edge_dw_geometry *g = j->g;
    float *padded = thread == 0 ? j->scratch : edge_pool_scratch(j->pool, thread);
    const long inPlane = g->in_h * g->in_w, outPlane = g->out_h * g->out_w, taps = g->kernel_h * g->kernel_w;
    const long c0 = index * j->chunk;
    const long c1 = c0 + j->chunk < j->channels ? c0 + j->chunk : j->channels;
    edge_dw_clear(g, padded);
    for (long oc = c0; oc < c1; oc++) {
        edge_dw_plane_cleared(j->k, g, j->x + (oc / j->multiplier) * inPlane, j->weights + oc * taps,
                              j->bias ? j->bias[oc] : 0, j->ep, padded, j->y + oc * outPlane);
    }
}

/// Below this many multiply-adds a conv is not worth waking the pool for.
#define EDGE_DW_PARALLEL_MIN (64L * 1024)

void edge_dw_conv(const edge_dw_kernel *k, const edge_dw_geometry *g, long channels, long multiplier,
                  const float *x, const float *weights, const float *bias, const edge_dw_epilogue *ep,
                  float *y, float *scratch) {
    edge_pool *pool = edge_pool_current();
    long threads = edge_pool_threads(pool);
    const long work = channels * g->out_h * g->out_w * g->kernel_h * g->kernel_w;
    if (threads > 1 && (work < EDGE_DW_PARALLEL_MIN || edge_dw_scratch_floats(g) > edge_pool_scratch_floats(pool)))
        threads = 1;
    edge_dw_job job = {k, g, channels, multiplier, channels, x, weights, bias, ep, y, scratch, pool};
    if (threads == 1) {
        edge_dw_task(&job, 0, 0);
        return;
    }
    job.chunk = (channels + threads - 1) / threads;
    edge_pool_run(pool, edge_dw_task, &job, (channels + job.chunk - 1) / job.chunk);
}

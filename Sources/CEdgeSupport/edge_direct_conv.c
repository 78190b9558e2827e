// Direct convolution for few input channels; the scheme is in include/edge_direct_conv.h.
#include "edge_direct_conv.h"
#include "edge_activation_vec.h"
#include "edge_threads.h"

#include <string.h>

/// Output rows per band: the band's padded rows are copied once for all its outputs
/// (each band re-copies the kH - stride rows it shares with the one before).
#define EDGE_DC_BAND 8
/// Outputs per vector; two vectors per step (two chains of multiply-adds per channel).
#define EDGE_DC_W 8
#define EDGE_DC_STEP (2 * EDGE_DC_W)
/// Output channels per step, at most (their weights broadcast, the input loads shared).
#define EDGE_DC_MAX_OCB 8

static long edge_dc_padded_w(const edge_dc_geometry *g) { return g->in_w + g->pad_left + g->pad_right; }

/// Padded input rows a band of `rows` output rows reads.
static long edge_dc_band_rows(const edge_dc_geometry *g, long rows) { return (rows - 1) * g->stride_h + g->kernel_h; }

static long edge_dc_taps(const edge_dc_geometry *g) { return g->channels * g->kernel_h * g->kernel_w; }

/// Floats of the weights repacked per step's channel block (tap-major, OCB channels per tap).
static long edge_dc_packed_floats(const edge_dc_geometry *g) {
    return (g->out_channels + EDGE_DC_MAX_OCB - 1) / EDGE_DC_MAX_OCB * EDGE_DC_MAX_OCB * edge_dc_taps(g);
}

/// Floats of one thread's band of padded rows.
static long edge_dc_band_floats(const edge_dc_geometry *g) {
    const long rows = g->out_h < EDGE_DC_BAND ? g->out_h : EDGE_DC_BAND;
    return g->channels * edge_dc_band_rows(g, rows) * edge_dc_padded_w(g);
}

long edge_dc_scratch_floats(const edge_dc_geometry *g) { return edge_dc_packed_floats(g) + edge_dc_band_floats(g); }

#if defined(__x86_64__)
#define EDGE_DC_AVX2 __attribute__((target("avx2,fma")))
// AVX-512VL for its 32 vector registers (still 8-wide vectors): 8 channels x 2 vectors
// of accumulators, 2 inputs and a weight fit without spills.
#define EDGE_DC_AVX512 __attribute__((target("avx2,fma,avx512f,avx512vl")))

typedef float edge_dc_v8 __attribute__((vector_size(32)));

static int edge_dc_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static int edge_dc_avx512(void) {
    __builtin_cpu_init();
    return edge_dc_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
}

int edge_dc_supported(const edge_dc_geometry *g) {
    return g->channels >= 1 && g->channels <= EDGE_DC_MAX_CHANNELS && g->out_channels >= 4 &&
           g->out_w >= EDGE_DC_STEP && (g->stride_w == 1 || g->stride_w == 2) && g->stride_h >= 1 &&
           g->kernel_w <= 7 && g->kernel_h <= 7 && edge_dc_avx2();
}

typedef void (*edge_dc_rows_fn)(const edge_dc_geometry *g, const float *padded, long rows, long oh0, long oh1,
                                const float *packed, const float *bias, const edge_activation *act, float *y);

typedef struct {
    const edge_dc_geometry *g;
    const float *x, *packed, *bias;
    const edge_activation *act;
    float *y, *scratch;
    edge_pool *pool;
    edge_dc_rows_fn rows;
} edge_dc_job;

typedef float edge_dc_v4 __attribute__((vector_size(16)));
// Even and odd lanes of the 8 lanes of (a, b): one shufps each on SSE.
#if defined(__clang__)
#define EDGE_DC_EVEN(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6)
#define EDGE_DC_ODD(a, b) __builtin_shufflevector(a, b, 1, 3, 5, 7)
#else
typedef int edge_dc_v4_mask __attribute__((vector_size(16)));
#define EDGE_DC_EVEN(a, b) __builtin_shuffle(a, b, (edge_dc_v4_mask){0, 2, 4, 6})
#define EDGE_DC_ODD(a, b) __builtin_shuffle(a, b, (edge_dc_v4_mask){1, 3, 5, 7})
#endif

/// Input row src (inW floats) into padded row dst (pw floats) split into its even columns
/// (from dst) and its odd ones (from dst + half, half = (pw + 1) / 2): padded column
/// pl + j (input j) to dst[(pl + j) / 2] or dst[half + (pl + j) / 2]. Writes only the
/// columns holding inputs.
static void edge_dc_split_row(const float *src, long inW, long pl, long half, float *dst) {
    // Pairs (src[2i], src[2i + 1]) land on (even, odd) columns when pl is even, else on
    // (odd, even): stream a takes the pairs' first elements, stream b their second ones.
    const long jEven = pl & 1;
    float *even = dst + (pl + jEven) / 2, *odd = dst + half + (pl + 1 - jEven) / 2;
    float *a = jEven ? odd : even, *b = jEven ? even : odd;
    const long pairs = inW / 2;
    if (pairs < 4) {
        for (long i = 0; i < pairs; i++) {
            a[i] = src[2 * i];
            b[i] = src[2 * i + 1];
        }
    } else {
        // Four pairs per step, the last step moved back to end at the last pair (it rewrites
        // a few of the same values): no scalar tail.
        for (long i = 0;; i += 4) {
            if (i > pairs - 4) i = pairs - 4;
            edge_dc_v4 x0, x1;
            memcpy(&x0, src + 2 * i, sizeof x0);
            memcpy(&x1, src + 2 * i + 4, sizeof x1);
            const edge_dc_v4 first = EDGE_DC_EVEN(x0, x1);
            const edge_dc_v4 second = EDGE_DC_ODD(x0, x1);
            memcpy(a + i, &first, sizeof first);
            memcpy(b + i, &second, sizeof second);
            if (i == pairs - 4) break;
        }
    }
    if (inW & 1) a[pairs] = src[inW - 1];
}

/// Input rows [ih0, ih0 + rows) of every channel into `padded` (channel c at c * rows * pw),
/// zero outside the input; for stride 2 each row as its even columns, then its odd ones.
EDGE_DC_AVX2 static void edge_dc_copy_band(const edge_dc_geometry *g, const float *x, long ih0, long rows,
                                           float *padded) {
    const long pw = edge_dc_padded_w(g), half = (pw + 1) / 2, pl = g->pad_left, inW = g->in_w;
    memset(padded, 0, (size_t)(g->channels * rows * pw) * sizeof(float));
    for (long c = 0; c < g->channels; c++) {
        for (long r = 0; r < rows; r++) {
            const long ih = ih0 + r;
            if (ih < 0 || ih >= g->in_h) continue;
            const float *src = x + (c * g->in_h + ih) * inW;
            float *dst = padded + (c * rows + r) * pw;
            if (g->stride_w == 1) {
                memcpy(dst + pl, src, (size_t)inW * sizeof(float));
                continue;
            }
            edge_dc_split_row(src, inW, pl, half, dst);
        }
    }
}

/// The block of OCB channels starting at `oc0` of every step: the last block moves back
/// to end at M (recomputing a few channels the same way).
static long edge_dc_block_start(long block, long ocb, long m) {
    return block * ocb + ocb <= m ? block * ocb : m - ocb;
}

/// W [M, C, kH, kW] as blocks of OCB channels, each tap-major: packed[(b * K + t) * OCB + j]
/// is tap t of channel block_start(b) + j, so one step reads its weights from one pointer.
static void edge_dc_pack(const edge_dc_geometry *g, long ocb, const float *weights, float *packed) {
    const long K = edge_dc_taps(g), m = g->out_channels;
    for (long b = 0; b * ocb < m; b++) {
        const long oc0 = edge_dc_block_start(b, ocb, m);
        for (long t = 0; t < K; t++)
            for (long j = 0; j < ocb; j++) packed[(b * K + t) * ocb + j] = weights[(oc0 + j) * K + t];
    }
}

#define EDGE_DC_UNROLL _Pragma("GCC unroll 16")

// Output rows [oh0, oh1) of every channel from the band copied at `padded`, OCB channels
// per step (accumulators a[OCB][2], all in registers once the constant loops unroll).
#define EDGE_DC_ROWS(NAME, ATTR, OCB)                                                        \
    ATTR static void NAME(const edge_dc_geometry *g, const float *padded, long rows, long oh0, long oh1, \
                          const float *packed, const float *bias, const edge_activation *act, float *y) { \
        const long pw = edge_dc_padded_w(g), half = (pw + 1) / 2;                            \
        const long C = g->channels, kH = g->kernel_h, kW = g->kernel_w, K = C * kH * kW;     \
        const long M = g->out_channels, outW = g->out_w, outPlane = g->out_h * outW;         \
        /* Where tap kw of output 0 reads, in a padded row. */                               \
        long offset[7];                                                                      \
        for (long kw = 0; kw < kW; kw++) offset[kw] = g->stride_w == 1 ? kw : (kw & 1) * half + kw / 2; \
        const long o1 = kW > 1 ? offset[1] : 0, o2 = kW > 2 ? offset[2] : 0;                 \
        const edge_dc_v8 zero = {0};                                                         \
        for (long oh = oh0; oh < oh1; oh++) {                                                \
            const float *band = padded + (oh - oh0) * g->stride_h * pw;                      \
            for (long blk = 0; blk * OCB < M; blk++) {                                       \
                const long oc0 = edge_dc_block_start(blk, OCB, M);                           \
                const float *wb = packed + blk * K * OCB;                                    \
                long ow = 0;                                                                 \
                for (;;) {                                                                   \
                    if (ow > outW - EDGE_DC_STEP) ow = outW - EDGE_DC_STEP;                  \
                    edge_dc_v8 a[OCB][2];                                                    \
                    EDGE_DC_UNROLL for (int j = 0; j < OCB; j++) a[j][0] = a[j][1] = zero + (bias ? bias[oc0 + j] : 0); \
                    const float *w = wb;                                                     \
                    for (long c = 0; c < C; c++) {                                           \
                        const float *r = band + c * rows * pw + ow;                          \
                        for (long kh = 0; kh < kH; kh++, r += pw) {                          \
                            if (kW == 3) {                                                   \
                                EDGE_DC_TAP(OCB, r, w);                                      \
                                EDGE_DC_TAP(OCB, r + o1, w + OCB);                           \
                                EDGE_DC_TAP(OCB, r + o2, w + 2 * OCB);                       \
                                w += 3 * OCB;                                                \
                            } else {                                                         \
                                for (long kw = 0; kw < kW; kw++, w += OCB) EDGE_DC_TAP(OCB, r + offset[kw], w); \
                            }                                                                \
                        }                                                                    \
                    }                                                                        \
                    float *out = y + oc0 * outPlane + oh * outW + ow;                        \
                    EDGE_DC_UNROLL for (int j = 0; j < OCB; j++, out += outPlane) {          \
                        const edge_dc_v8 s0 = EDGE_ACTIVATE(edge_dc_v8, a[j][0], act);       \
                        const edge_dc_v8 s1 = EDGE_ACTIVATE(edge_dc_v8, a[j][1], act);       \
                        memcpy(out, &s0, sizeof s0);                                         \
                        memcpy(out + EDGE_DC_W, &s1, sizeof s1);                             \
                    }                                                                        \
                    if (ow == outW - EDGE_DC_STEP) break;                                    \
                    ow += EDGE_DC_STEP;                                                      \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    }

// One tap (inputs at p, the block's OCB weights at w) into the accumulators.
#define EDGE_DC_TAP(OCB, p, w)                                                               \
    do {                                                                                     \
        edge_dc_v8 x0, x1;                                                                   \
        memcpy(&x0, (p), sizeof x0);                                                         \
        memcpy(&x1, (p) + EDGE_DC_W, sizeof x1);                                             \
        const float *wt = (w);                                                               \
        EDGE_DC_UNROLL for (int j = 0; j < OCB; j++) {                                       \
            a[j][0] += x0 * wt[j];                                                           \
            a[j][1] += x1 * wt[j];                                                           \
        }                                                                                    \
    } while (0)

EDGE_DC_ROWS(edge_dc_rows_avx2, EDGE_DC_AVX2, 4)
EDGE_DC_ROWS(edge_dc_rows_avx512, EDGE_DC_AVX512, 8)

static void edge_dc_task(void *context, long index, int thread) {
    const edge_dc_job *j = context;
    const edge_dc_geometry *g = j->g;
    float *padded = thread == 0 ? j->scratch : edge_pool_scratch(j->pool, thread);
    const long oh0 = index * EDGE_DC_BAND, oh1 = oh0 + EDGE_DC_BAND < g->out_h ? oh0 + EDGE_DC_BAND : g->out_h;
    const long rows = edge_dc_band_rows(g, oh1 - oh0);
    edge_dc_copy_band(g, j->x, oh0 * g->stride_h - g->pad_top, rows, padded);
    j->rows(g, padded, rows, oh0, oh1, j->packed, j->bias, j->act, j->y);
}

void edge_dc_conv(const edge_dc_geometry *g, const float *x, const float *weights, const float *bias,
                  const edge_activation *act, float *y, float *scratch) {
    const int wide = g->out_channels >= 8 && edge_dc_avx512();
    const long ocb = wide ? 8 : 4;
    float *packed = scratch, *band = scratch + edge_dc_packed_floats(g);
    edge_dc_pack(g, ocb, weights, packed);
    edge_pool *pool = edge_pool_current();
    const long threads = edge_pool_threads(pool);
    edge_dc_job job = {g, x, packed, bias, act, y, band, pool, wide ? edge_dc_rows_avx512 : edge_dc_rows_avx2};
    const long bands = (g->out_h + EDGE_DC_BAND - 1) / EDGE_DC_BAND;
    if (threads == 1 || bands == 1 || edge_dc_band_floats(g) > edge_pool_scratch_floats(pool)) {
        for (long b = 0; b < bands; b++) edge_dc_task(&job, b, 0);
        return;
    }
    edge_pool_run(pool, edge_dc_task, &job, bands);
}
#else
int edge_dc_supported(const edge_dc_geometry *g) {
    (void)g;
    return 0;
}

void edge_dc_conv(const edge_dc_geometry *g, const float *x, const float *weights, const float *bias,
                  const edge_activation *act, float *y, float *scratch) {
    (void)g, (void)x, (void)weights, (void)bias, (void)act, (void)y, (void)scratch;
}
#endif

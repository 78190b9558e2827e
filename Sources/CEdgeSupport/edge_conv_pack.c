// Packing a conv's implicit im2col operand straight into GEMM panels (edge_conv_pack.h).
#include "edge_conv_pack.h"

#include <string.h>

typedef float edge_cp_v4 __attribute__((vector_size(16)));

// The even lanes of the 8 floats (a, b).
#if defined(__clang__)
#define EDGE_CP_EVEN(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6)
#else
typedef int edge_cp_v4_mask __attribute__((vector_size(16)));
#define EDGE_CP_EVEN(a, b) __builtin_shuffle(a, b, (edge_cp_v4_mask){0, 2, 4, 6})
#endif

static long edge_clamp(long v, long lo, long hi) { return v < lo ? lo : v > hi ? hi : v; }

/// One run of outputs of an in-bounds input row into d[0, run): zeros where the tap falls
/// in the padding ([0, a) and [b, run)), src[0], src[sw], ... in between. Stride 2 (every
/// downsampling conv) takes 4 outputs from the even lanes of two 4-float loads: left to
/// the compiler (SSE2 baseline) that loop stayed scalar, and ResNet-18's stem packed no
/// faster than im2col + repacking. The loads never pass input 2 * (n - 1), the last used.
static void edge_conv_run(float *restrict d, const float *restrict src, long run, long a, long b, long sw) {
    for (long t = 0; t < a; t++) d[t] = 0;
    float *restrict in = d + a;
    const long n = b - a;
    if (sw == 1) {
        for (long t = 0; t < n; t++) in[t] = src[t];
    } else if (sw == 2) {
        long t = 0;
        for (; t + 4 < n; t += 4) {
            edge_cp_v4 u, v;
            memcpy(&u, src + 2 * t, sizeof u);
            memcpy(&v, src + 2 * t + 4, sizeof v);
            const edge_cp_v4 e = EDGE_CP_EVEN(u, v);
            memcpy(in + t, &e, sizeof e);
        }
        for (; t < n; t++) in[t] = src[2 * t];
    } else {
        for (long t = 0; t < n; t++) in[t] = src[t * sw];
    }
    for (long t = b; t < run; t++) d[t] = 0;
}

// Row by row of R, like edge_pack_right's fast path: one input row segment is read front
// to back and its NR-runs scattered to the panels. Per row, the outputs whose tap lands
// inside the input are the range [lo, hi), so padding costs no per-element test. The
// panel, lane and output position advance incrementally: a division per run (NR is a
// run-time value) cost more than the run's copy.
void edge_conv_pack_right(const edge_conv_geometry *g, const float *x, long p0, long kc, long j0, long nc,
                          long nr, float *dst) {
    const long taps = g->k_h * g->k_w, ow_n = g->out_w, sw = g->stride_w, in_w = g->in_w;
    const long oh0 = j0 / ow_n, ow0 = j0 - oh0 * ow_n, panel = kc * nr;
    for (long p = 0; p < kc; p++) {
        const long row = p0 + p, ch = row / taps, tap = row % taps;
        const long kh = tap / g->k_w, kw = tap % g->k_w;
        const float *plane = x + ch * g->in_h * in_w;
        const long hoff = kh * g->dil_h - g->pad_top, woff = kw * g->dil_w - g->pad_left;
        // ow*sw + woff in [0, in_w)  <=>  ow in [lo, hi).
        const long lo = edge_clamp(woff >= 0 ? 0 : (sw - 1 - woff) / sw, 0, ow_n);
        const long hi = edge_clamp(in_w - woff <= 0 ? 0 : (in_w - woff + sw - 1) / sw, lo, ow_n);
        float *d = dst + p * nr;   // the current panel's row p
        long oh = oh0, ow = ow0, lane = 0;
        for (long left = nc; left > 0;) {
            long run = ow_n - ow;
            if (run > nr - lane) run = nr - lane;
            if (run > left) run = left;
            const long ih = oh * g->stride_h + hoff, end = ow + run;
            if (ih < 0 || ih >= g->in_h) {
                for (long t = 0; t < run; t++) d[lane + t] = 0;
            } else {
                const long a = edge_clamp(lo, ow, end), b = edge_clamp(hi, a, end);
                // The input of output a (inside the row: a >= lo).
                const float *src = plane + ih * in_w + a * sw + woff;
                edge_conv_run(d + lane, src, run, a - ow, b - ow, sw);
            }
            left -= run;
            lane += run;
            if (lane == nr) {
                lane = 0;
                d += panel;
            }
            ow = end;
            if (ow == ow_n) {
                ow = 0;
                oh++;
            }
        }
        for (; lane > 0 && lane < nr; lane++) d[lane] = 0;   // the last panel's padding
    }
}

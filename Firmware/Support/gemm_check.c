// Randomized check of Edge's packed SGEMM on the device ISA (NEON on aarch64): every
// kernel edge_gemm_kernel_at lists, against a plain double-precision product, over random
// shapes around the register-tile edges, K = 0/1 and several K blocks, strided and
// transposed operands, bias, residual, every fused activation kind (edge_activation.h),
// accumulation; then the pool-split GEMM against the single-threaded one (bit for bit), a
// batch of products in one parallel region against each product alone and the row-split
// gemv against one thread (bit for bit); then every direct depthwise kernel
// (edge_depthwise.h) against a plain double-precision convolution, on one thread and split
// over the pool. Built by `make -C Firmware`; DeviceTests runs it under qemu. Prints
// "gemm-check: ok ..." and exits 0, or names the first failure and exits 1.
#include "edge_depthwise.h"
#include "edge_gemm.h"
#include "edge_threads.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long rng_state = 0x9E3779B97F4A7C15ull;

static unsigned long long next_random(void) {
    unsigned long long z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static long pick(long lo, long hi) { return lo + (long)(next_random() % (unsigned long long)(hi - lo + 1)); }
static float value(void) { return (float)(next_random() % 20001) / 10000.0f - 1.0f; }

/// Any activation kind with typical parameters.
static edge_activation random_activation(void) {
    edge_activation a = {pick(0, 8), 0, 0};
    switch (a.kind) {
    case EDGE_ACT_CLIP: a.alpha = pick(0, 1) ? 0.0f : -0.3f; a.beta = pick(0, 1) ? 0.5f : 6.0f; break;
    case EDGE_ACT_LEAKY_RELU: a.alpha = 0.1f; break;
    case EDGE_ACT_HARD_SIGMOID: a.alpha = 0.2f; a.beta = 0.5f; break;
    case EDGE_ACT_HARD_SWISH: a.alpha = 1.0f / 6; a.beta = 0.5f; break;
    default: break;
    }
    return a;
}

/// The activation in double precision, written from the definitions (not the kernels').
static float reference_activation(double x, const edge_activation *a) {
    double g;
    switch (a->kind) {
    case EDGE_ACT_RELU: return (float)(x > 0 ? x : 0);
    case EDGE_ACT_CLIP: return (float)fmin(fmax(x, a->alpha), a->beta);
    case EDGE_ACT_LEAKY_RELU: return (float)(x >= 0 ? x : a->alpha * x);
    case EDGE_ACT_HARD_SIGMOID: return (float)fmax(0, fmin(1, a->alpha * x + a->beta));
    case EDGE_ACT_HARD_SWISH: g = fmax(0, fmin(1, a->alpha * x + a->beta)); return (float)(x * g);
    case EDGE_ACT_SIGMOID: return (float)(1 / (1 + exp(-x)));
    case EDGE_ACT_SWISH: return (float)(x / (1 + exp(-x)));
    case EDGE_ACT_TANH: return (float)tanh(x);
    default: return (float)x;
    }
}

static int check_case(const edge_gemm_kernel *k, edge_pool *pool) {
    const long mr = k->mr, nr = k->nr;
    const long ms[] = {1, 2, mr - 1, mr, mr + 1, 2 * mr + 3, pick(1, 60)};
    const long ns[] = {1, 3, nr - 1, nr, nr + 1, 3 * nr + 5, pick(1, 90), nr / 2, 2 * nr + nr / 2};
    const long ks[] = {0, 1, 2, 9, 27, pick(1, 300), 257};
    const long m = ms[pick(0, 6)], n = ns[pick(0, 8)], depth = ks[pick(0, 6)];
    const int transR = pick(0, 3) == 0, transC = pick(0, 4) == 0, acc = pick(0, 2) == 0, useBias = pick(0, 1);
    const int useResidual = pick(0, 2) == 0;
    const edge_activation act = random_activation();
    float *l = malloc(sizeof(float) * (size_t)(m * depth + 1)), *r = malloc(sizeof(float) * (size_t)(depth * n + 1));
    float *bias = malloc(sizeof(float) * (size_t)m), *c = malloc(sizeof(float) * (size_t)(m * n));
    float *c2 = malloc(sizeof(float) * (size_t)(m * n)), *expect = malloc(sizeof(float) * (size_t)(m * n));
    float *res = malloc(sizeof(float) * (size_t)(m * n));
    float *packed = malloc(sizeof(float) * (edge_gemm_packed_floats(k, m, depth) + 1));
    float *scratch = malloc(sizeof(float) * (edge_gemm_scratch_floats(k, n, depth) + 1));
    for (long i = 0; i < m * depth; i++) l[i] = value();
    for (long i = 0; i < depth * n; i++) r[i] = value();
    for (long i = 0; i < m; i++) bias[i] = value();
    const long rsr = transR ? 1 : n, csr = transR ? depth : 1, rsc = transC ? 1 : n, csc = transC ? m : 1;
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) {
            const float before = value();
            c[i * rsc + j * csc] = c2[i * rsc + j * csc] = before;
            res[i * rsc + j * csc] = value();
            double s = 0;
            for (long p = 0; p < depth; p++) s += (double)l[i * depth + p] * r[p * rsr + j * csr];
            const float v = (float)s + (acc ? before : 0) + (useBias ? bias[i] : 0)
                + (useResidual ? res[i * rsc + j * csc] : 0);
            expect[i * rsc + j * csc] = reference_activation(v, &act);
        }
    edge_gemm_pack_left(k, l, depth, 1, m, depth, packed);
    edge_gemm_epilogue ep = {useBias ? bias : NULL, useResidual ? res : NULL, act, acc};
    edge_gemm(k, m, n, depth, packed, r, rsr, csr, c, rsc, csc, &ep, scratch);
    edge_pool_set_current(pool);
    edge_gemm_parallel(k, m, n, depth, packed, r, rsr, csr, c2, rsc, csc, &ep, scratch);
    edge_pool_set_current(NULL);
    int ok = 1;
    for (long i = 0; i < m * n && ok; i++) {
        if (fabsf(c[i] - expect[i]) > 1e-4f * (1 + fabsf(expect[i])) || memcmp(&c[i], &c2[i], sizeof(float)) != 0) {
            printf("gemm-check: %s M%ld N%ld K%ld transR %d transC %d acc %d bias %d residual %d act %ld: [%ld] %g, "
                   "parallel %g, expected %g\n", k->name, m, n, depth, transR, transC, acc, useBias, useResidual, act.kind, i,
                   c[i], c2[i], expect[i]);
            ok = 0;
        }
    }
    free(l); free(r); free(bias); free(c); free(c2); free(expect); free(res); free(packed); free(scratch);
    return ok;
}

/// A batch of products of one shape, large enough to be split over the pool (whole items
/// or column ranges), against each product alone on one thread: bit for bit.
static int check_batch(const edge_gemm_kernel *k, edge_pool *pool) {
    const long count = pick(1, 4), m = pick(1, 24), n = pick(40, 200), depth = pick(20, 100);
    const long pf = (long)edge_gemm_packed_floats(k, m, depth);
    float *l = malloc(sizeof(float) * (size_t)(m * depth)), *packed = malloc(sizeof(float) * (size_t)(count * pf));
    float *r = malloc(sizeof(float) * (size_t)(count * depth * n));
    float *c = malloc(sizeof(float) * (size_t)(count * m * n)), *c2 = malloc(sizeof(float) * (size_t)(count * m * n));
    float *scratch = malloc(sizeof(float) * (edge_gemm_scratch_floats(k, n, depth) + 1));
    for (long i = 0; i < count; i++) {
        for (long q = 0; q < m * depth; q++) l[q] = value();
        edge_gemm_pack_left(k, l, depth, 1, m, depth, packed + i * pf);
    }
    for (long q = 0; q < count * depth * n; q++) r[q] = value();
    edge_gemm_epilogue ep = {NULL, NULL, {EDGE_ACT_NONE, 0, 0}, 0};
    for (long i = 0; i < count; i++)
        edge_gemm(k, m, n, depth, packed + i * pf, r + i * depth * n, n, 1, c + i * m * n, n, 1, &ep, scratch);
    edge_pool_set_current(pool);
    edge_gemm_batch_parallel(k, count, m, n, depth, packed, pf, r, depth * n, n, 1, c2, m * n, n, 1, &ep, scratch);
    edge_pool_set_current(NULL);
    const int ok = memcmp(c, c2, sizeof(float) * (size_t)(count * m * n)) == 0;
    if (!ok) printf("gemm-check: %s batch %ld x M%ld N%ld K%ld differs from one product at a time\n", k->name, count, m, n, depth);
    free(l); free(packed); free(r); free(c); free(c2); free(scratch);
    return ok;
}

/// The fully-connected gemv split over row ranges against one thread, bit for bit.
static int check_gemv(edge_pool *pool) {
    const long n = pick(300, 1100), depth = pick(256, 700);
    float *w = malloc(sizeof(float) * (size_t)(n * depth)), *x = malloc(sizeof(float) * (size_t)depth);
    float *y = malloc(sizeof(float) * (size_t)n), *y2 = malloc(sizeof(float) * (size_t)n);
    for (long q = 0; q < n * depth; q++) w[q] = value();
    for (long q = 0; q < depth; q++) x[q] = value();
    for (long q = 0; q < n; q++) y[q] = y2[q] = value();
    const int acc = pick(0, 1);
    edge_gemv_rows(w, depth, n, depth, x, y, acc);
    edge_pool_set_current(pool);
    edge_gemv_rows(w, depth, n, depth, x, y2, acc);
    edge_pool_set_current(NULL);
    const int ok = memcmp(y, y2, sizeof(float) * (size_t)n) == 0;
    if (!ok) printf("gemm-check: gemv N%ld K%ld acc %d on the pool differs from one thread\n", n, depth, acc);
    free(w); free(x); free(y); free(y2);
    return ok;
}

/// One random depthwise conv (any kernel, stride, dilation, pads, multiplier; any
/// activation) with kernel k, alone and on the pool, against the plain reference.
static int check_depthwise(const edge_dw_kernel *k, edge_pool *pool) {
    edge_dw_geometry g;
    const int wide = pick(0, 3) == 0;
    g.kernel_h = pick(1, 5); g.kernel_w = pick(1, 5);
    if (pick(0, 1)) g.kernel_h = g.kernel_w = 3;
    g.stride_h = pick(1, 3); g.stride_w = pick(1, 3);
    g.dilation_h = pick(1, 2); g.dilation_w = pick(0, 2) == 0 ? 2 : 1;
    g.pad_top = pick(0, 2); g.pad_left = pick(0, 2); g.pad_bottom = pick(0, 2); g.pad_right = pick(0, 2);
    const long spanH = (g.kernel_h - 1) * g.dilation_h + 1, spanW = (g.kernel_w - 1) * g.dilation_w + 1;
    g.in_h = spanH + pick(0, wide ? 30 : 9); g.in_w = spanW + pick(0, wide ? 60 : 12);
    g.out_h = (g.in_h + g.pad_top + g.pad_bottom - spanH) / g.stride_h + 1;
    g.out_w = (g.in_w + g.pad_left + g.pad_right - spanW) / g.stride_w + 1;
    const long inChannels = pick(1, wide ? 24 : 5), mult = pick(0, 3) == 0 ? 2 : 1, channels = inChannels * mult;
    const long inPlane = g.in_h * g.in_w, outPlane = g.out_h * g.out_w, taps = g.kernel_h * g.kernel_w;
    const edge_dw_epilogue ep = {random_activation()};
    float *x = malloc(sizeof(float) * (size_t)(inChannels * inPlane)), *w = malloc(sizeof(float) * (size_t)(channels * taps));
    float *bias = malloc(sizeof(float) * (size_t)channels), *y = malloc(sizeof(float) * (size_t)(channels * outPlane));
    float *y2 = malloc(sizeof(float) * (size_t)(channels * outPlane));
    float *scratch = malloc(sizeof(float) * (size_t)edge_dw_scratch_floats(&g));
    for (long i = 0; i < inChannels * inPlane; i++) x[i] = value();
    for (long i = 0; i < channels * taps; i++) w[i] = value();
    for (long i = 0; i < channels; i++) bias[i] = value();
    edge_dw_conv(k, &g, channels, mult, x, w, bias, &ep, y, scratch);
    edge_pool_set_current(pool);
    edge_dw_conv(k, &g, channels, mult, x, w, bias, &ep, y2, scratch);
    edge_pool_set_current(NULL);
    int ok = 1;
    for (long oc = 0; oc < channels && ok; oc++)
        for (long oh = 0; oh < g.out_h && ok; oh++)
            for (long ow = 0; ow < g.out_w && ok; ow++) {
                double s = bias[oc];
                for (long i = 0; i < g.kernel_h; i++)
                    for (long j = 0; j < g.kernel_w; j++) {
                        const long ih = oh * g.stride_h - g.pad_top + i * g.dilation_h;
                        const long iw = ow * g.stride_w - g.pad_left + j * g.dilation_w;
                        if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) continue;
                        s += (double)x[(oc / mult) * inPlane + ih * g.in_w + iw] * w[oc * taps + i * g.kernel_w + j];
                    }
                const float v = reference_activation(s, &ep.act);
                const long at = oc * outPlane + oh * g.out_w + ow;
                if (fabsf(y[at] - v) > 1e-4f * (1 + fabsf(v)) || memcmp(&y[at], &y2[at], sizeof(float)) != 0) {
                    printf("gemm-check: depthwise %s %ldx%ld k%ldx%ld s%ld,%ld d%ld,%ld C%ld x%ld: [%ld] %g, pool %g, expected %g\n",
                           k->name, g.in_h, g.in_w, g.kernel_h, g.kernel_w, g.stride_h, g.stride_w, g.dilation_h,
                           g.dilation_w, inChannels, mult, at, y[at], y2[at], v);
                    ok = 0;
                }
            }
    free(x); free(w); free(bias); free(y); free(y2); free(scratch);
    return ok;
}

int main(void) {
    edge_pool *pool = edge_pool_create(2, edge_gemm_max_scratch_floats());
    if (!pool) { printf("gemm-check: no thread pool\n"); return 1; }
    long cases = 0;
    for (long i = 0; i < edge_gemm_kernel_count(); i++) {
        for (int t = 0; t < 150; t++, cases++) {
            if (!check_case(edge_gemm_kernel_at(i), pool)) { edge_pool_destroy(pool); return 1; }
        }
        for (int t = 0; t < 8; t++, cases++) {
            if (!check_batch(edge_gemm_kernel_at(i), pool)) { edge_pool_destroy(pool); return 1; }
        }
    }
    for (int t = 0; t < 4; t++, cases++) {
        if (!check_gemv(pool)) { edge_pool_destroy(pool); return 1; }
    }
    long dwCases = 0;
    for (long i = 0; i < edge_dw_kernel_count(); i++) {
        for (int t = 0; t < 150; t++, dwCases++) {
            if (!check_depthwise(edge_dw_kernel_at(i), pool)) { edge_pool_destroy(pool); return 1; }
        }
    }
    edge_pool_destroy(pool);
    printf("gemm-check: ok, %ld cases over %ld kernel(s), best %s; depthwise %ld cases over %ld kernel(s), best %s\n",
           cases, edge_gemm_kernel_count(), edge_gemm_best()->name, dwCases, edge_dw_kernel_count(), edge_dw_best()->name);
    return 0;
}

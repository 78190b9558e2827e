// Direct depthwise convolution (one input channel per group, any channel multiplier):
// any kernel size, stride, dilation and pads, bias and a clamp / HardSwish in the store.
//
// Why direct and not im2col + GEMM: with one input channel the GEMM has K = kH*kW (9 for
// 3x3) and does almost no work per byte of the column buffer it reads.
//
// Border handling: each input plane is first copied into a zero-padded buffer, after
// which every output, border or not, is the same loads from the padded rows: branch-free
// row loops. (With an interior/border split, MobileNet's 14x14 and 7x7 planes are half
// border, and the checked border pixels cost more than all the rest.) The copy is about
// one load and store per input element against kH*kW multiply-adds per output, and
// leaves the plane hot in cache.
//
// Row kernels: W outputs per step in one vector register (8 with AVX2+FMA, 4 on the
// portable build: SSE2 / NEON), the taps' weights broadcast from registers; 3x3 with
// dilation 1 is fully unrolled (nine loads and multiply-adds per W outputs), stride 2
// de-interleaves 2W consecutive inputs into even and odd lanes. The last step of a row
// moves back to end exactly at the row's end (recomputing a few outputs) instead of a
// scalar tail: MobileNet rows are 7, 14, 28, 56 or 112 outputs. Rows narrower than W use
// the 4-wide step, narrower than 4 (or strides above 2) a scalar loop. The AVX2 rows
// take kernels other than 3x3 four output rows at a time (eight independent chains of
// multiply-adds: a 7-wide row alone is one pair of 25-long chains, FMA-latency bound).
//
// The kernel is chosen at run time on x86-64 (__builtin_cpu_supports), like the GEMM's.
// Every kernel is tested against the plain reference (ConvKernelTests, DepthwiseKernelTests).
#ifndef EDGE_DEPTHWISE_H
#define EDGE_DEPTHWISE_H

#include "edge_activation.h"

/// One plane's geometry. Output extents are the caller's (floor division, validated).
typedef struct edge_dw_geometry {
    long in_h, in_w, out_h, out_w;
    long kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
    long pad_top, pad_left, pad_bottom, pad_right;
} edge_dw_geometry;

/// Store epilogue per output (after + bias): the activation, on the row's registers.
typedef struct edge_dw_epilogue {
    edge_activation act;
} edge_dw_epilogue;

typedef struct edge_dw_kernel {
    const char *name;
    /// All output rows of one plane from its zero-padded copy (row stride padded_w).
    void (*rows)(const edge_dw_geometry *g, long padded_w, const float *padded, const float *filter,
                 float bias, const edge_dw_epilogue *ep, float *y);
} edge_dw_kernel;

/// The fastest kernel this CPU runs; every kernel it runs, best first (tests run all).
const edge_dw_kernel *edge_dw_best(void);
long edge_dw_kernel_count(void);
const edge_dw_kernel *edge_dw_kernel_at(long i);

/// Floats of padded-plane scratch one thread needs (the plane, its pads and a little
/// slack: a stride-2 step reads one float past the inputs it uses).
long edge_dw_scratch_floats(const edge_dw_geometry *g);

/// One plane: x (in_h x in_w) convolved with filter (kernel_h x kernel_w, row-major) into
/// y (out_h x out_w). `padded` holds edge_dw_scratch_floats floats.
void edge_dw_plane(const edge_dw_kernel *k, const edge_dw_geometry *g, const float *x, const float *filter,
                   float bias, const edge_dw_epilogue *ep, float *padded, float *y);

/// A whole depthwise conv over `channels` output channels: output channel oc reads input
/// plane oc / multiplier of x, filter oc of `weights`, bias[oc] (bias may be NULL), and
/// writes plane oc of y. Split over the channels on the calling thread's current pool
/// (edge_threads.h) when the plane fits a worker's scratch; `scratch` serves thread 0.
/// Never allocates.
void edge_dw_conv(const edge_dw_kernel *k, const edge_dw_geometry *g, long channels, long multiplier,
                  const float *x, const float *weights, const float *bias, const edge_dw_epilogue *ep,
                  float *y, float *scratch);

#endif

// Direct convolution for convs with few input channels (a network's stem: 3 RGB channels
// into 16 or 32, 3x3 stride 2; up to 32, see EDGE_DC_MAX_CHANNELS), one group, dilation 1.
//
// Why not im2col + GEMM: with C = 3 the GEMM's depth is 27 and its rows M = 16 or 32;
// packing the 27-row column matrix costs about as much as the product (~40% of the
// time measured on MobileNetV3's stem) and M = 16 fills only part of a 12-row register
// tile. Here the outputs are computed from the input directly: 8 outputs of one row per
// vector, two vectors per step, 4 output channels per step (8 with AVX-512VL's 32
// registers) sharing each input load (their weights broadcast, repacked per run so a step
// reads them from one pointer), all C*kH*kW taps accumulated in registers, bias and the
// activation in the store.
//
// Rows are copied first, per band of output rows, into a zero-padded buffer (so borders
// need no branches); for stride 2 each padded row is split into its even and odd columns,
// so every tap reads consecutive inputs (tap kw of output ow is column 2ow + kw: even
// column ow + kw/2 or odd column ow + kw/2). Bands are split over the thread pool.
//
// x86-64 with AVX2+FMA only (edge_dc_supported says whether this CPU and shape qualify);
// other targets keep the im2col path. Tested against the plain reference (ConvKernelTests).
#ifndef EDGE_DIRECT_CONV_H
#define EDGE_DIRECT_CONV_H

#include "edge_activation.h"

/// One image's geometry. Output extents are the caller's (floor division, validated).
typedef struct edge_dc_geometry {
    long channels, out_channels;
    long in_h, in_w, out_h, out_w;
    long kernel_h, kernel_w, stride_h, stride_w;
    long pad_top, pad_left, pad_bottom, pad_right;
} edge_dc_geometry;

/// Most input channels the direct kernel takes. Measured against im2col + GEMM (1 thread):
/// faster at 3 (stems, 2x), 16 and 32 (YOLO's 3x3 stride-2 convs at 56x56 and 28x28
/// outputs, 1.1-1.3x); no conv of the benchmark models with 33-63 has rows of >= 16 outputs.
#define EDGE_DC_MAX_CHANNELS 32

/// Whether this CPU runs the direct kernel and it takes this shape (dilation 1 and one
/// group are the caller's to check).
int edge_dc_supported(const edge_dc_geometry *g);

/// Floats of scratch thread 0 needs (the repacked weights and one band of padded input
/// rows; the other threads need only a band).
long edge_dc_scratch_floats(const edge_dc_geometry *g);

/// y (out_channels planes) = conv(x (channels planes), weights [M, C, kH, kW]) + bias
/// (may be NULL), then `act`. Splits bands of output rows over the calling thread's
/// current pool when a band fits a worker's scratch; `scratch` serves thread 0. Never
/// allocates. Only for shapes edge_dc_supported accepts.
void edge_dc_conv(const edge_dc_geometry *g, const float *x, const float *weights, const float *bias,
                  const edge_activation *act, float *y, float *scratch);

#endif

// Conv as one GEMM without an im2col matrix: the GEMM's right-operand panels are packed
// straight from the NCHW input. The im2col path used to unroll the patches into scratch
// and the GEMM then copied that scratch again into its NR-column panels; packing from X
// reads each input value once per tap and writes each panel value once.
#ifndef EDGE_CONV_PACK_H
#define EDGE_CONV_PACK_H

#include "edge_gemm.h"

/// One group's window geometry. The implicit right operand R[K x N] has K = channels *
/// k_h * k_w rows in ONNX weight order (channel, kh, kw) and N = out_h * out_w columns
/// (oh * out_w + ow); R(row, col) is X[ch][oh*stride_h + kh*dil_h - pad_top]
/// [ow*stride_w + kw*dil_w - pad_left], zero outside the input.
typedef struct edge_conv_geometry {
    long channels, in_h, in_w, out_h, out_w;
    long k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left;
} edge_conv_geometry;

/// Packs R[p0..p0+kc) x [j0..j0+nc) of the implicit operand over plane-major `x` into
/// NR-column panels (`dst[q * kc * nr + p * nr + j]`, columns past nc zero): the layout
/// edge_gemm's own right packing produces.
void edge_conv_pack_right(const edge_conv_geometry *g, const float *x, long p0, long kc, long j0, long nc,
                          long nr, float *dst);

/// C[M x N] (row stride N) = epilogue(L * R) with R the implicit operand above, L packed
/// by edge_gemm_pack_left; split over the current pool as edge_gemm_parallel. `scratch`:
/// edge_gemm_scratch_floats(k, N, K) floats.
void edge_conv_gemm_parallel(const edge_gemm_kernel *k, long m, const float *packed, const edge_conv_geometry *g,
                             const float *x, float *c, const edge_gemm_epilogue *ep, float *scratch);

#endif

// Edge's own single-precision GEMM: C = act(L * R + bias) with the left operand packed
// once (at load, for weights) and the right one packed per call into caller-given scratch.
//
// Why not cblas_sgemm in `run`: OpenBLAS 0.3.21 mallocs inside sgemm on some paths (the
// SkylakeX/Cooperlake "small matrix" kernel sgemm_small_kernel_nn mallocs a copy of A's
// last rows; the threaded level-3 driver mallocs its job array), and it repacks the
// weights on every call. This GEMM takes all its memory from the caller: it never
// allocates, and the weights are packed once.
//
// Layout (BLIS-style): the left operand L[M x K] is stored as panels of MR rows, each
// panel K-major (`panel[k * MR + r]`, rows past M zero). The right operand R[K x N] is
// read with arbitrary strides and packed per (KC x NC) block into panels of NR columns
// (`panel[k * NR + j]`). The register tile is MR x NR: MR broadcasts of L times NR/W
// vector loads of R per k. Sizes per kernel: see edge_gemm_kernel.
//
// Kernels: one template (edge_gemm.c) instantiated per ISA. x86-64: AVX-512 (12 x 32),
// AVX2+FMA (6 x 16), both chosen at run time with __builtin_cpu_supports, and SSE2
// (4 x 8) as the portable fallback; aarch64: NEON (8 x 12). The x86 kernels add edge tiles
// for a panel's last few columns (tile_cols) and, at 12 rows, a short last row panel
// (tile_rows). Every kernel is tested
// against the plain reference (Tests/EdgeRuntimeTests/PackedGemmTests.swift).
#ifndef EDGE_GEMM_H
#define EDGE_GEMM_H

#include <stddef.h>

#include "edge_activation.h"

/// The epilogue a tile applies in its store (after the last K block, on full-width tiles),
/// on the registers: + bias[r] for the tile's row r (bias NULL: none), + the residual
/// (residual NULL: none; the tile's element (r, j) at residual[r * rsc + j], C's strides),
/// then the activation. Applied on the registers, it saves a second pass over C, which
/// cost a quarter of the tile's time when K is small (MobileNet's 1x1 convs, K = 16-24),
/// and more with an exp (YOLO's Swish and Sigmoid).
typedef struct edge_gemm_finish {
    const float *bias;
    const float *residual;
    edge_activation act;
} edge_gemm_finish;

/// Computes one MR x NR tile over depth kc from packed panels into c (row stride rsc,
/// unit column stride): c = a*b, or c += a*b when `accumulate`; only the first `rows`.
/// `finish` (NULL: none) is applied in the store. `b` advances by ldb floats per k (NR in
/// a packed panel).
typedef void (*edge_gemm_tile_fn)(long kc, const float *a, const float *b, long ldb, float *c, long rsc, long rows,
                                  int accumulate, const edge_gemm_finish *finish);

/// The rows of a's MR x kc panel as vector lanes, times `cols` columns of b (ldb apart
/// per k) broadcast: for a panel's last few columns, where the tile's NR-wide rows would
/// compute mostly padding (N = 49: 17 columns in the last 32-wide panel).
#define EDGE_GEMM_COLS_MAX 4
typedef void (*edge_gemm_cols_fn)(long kc, const float *a, const float *b, long ldb, long cols, float *out,
                                  long ldo);
typedef struct edge_gemm_kernel {
    const char *name;
    /// Register tile: MR rows of L, NR columns of R.
    long mr;
    long nr;
    edge_gemm_tile_fn tile;
    /// The same tile over the first NR/2 columns only (NULL: none), for a last panel of at
    /// most NR/2 columns; reads `b` with the same ldb.
    edge_gemm_tile_fn tile_half;
    /// A panel's last few columns (1..EDGE_GEMM_COLS_MAX, NULL: none): out[r * ldo + j] =
    /// sum over kc of a's row r times b's column j, for all MR rows and j < cols.
    edge_gemm_cols_fn tile_cols;
    /// The tile over a panel's first MR/3 and 2MR/3 rows only (NULL: none), same
    /// arguments, for a last row panel that short (M = 16, 64 on 12 rows).
    edge_gemm_tile_fn tile_rows[2];
} edge_gemm_kernel;

/// The fastest kernel this CPU runs (decided once; thread-safe after the first call).
const edge_gemm_kernel *edge_gemm_best(void);
/// Every kernel this CPU can run, best first (tests run all of them).
long edge_gemm_kernel_count(void);
const edge_gemm_kernel *edge_gemm_kernel_at(long i);

/// Floats needed for the packed left operand of an M x K matrix.
size_t edge_gemm_packed_floats(const edge_gemm_kernel *k, long m, long depth);
/// Packs L (element (i, p) at l[i * rs + p * cs]) into `dst`.
void edge_gemm_pack_left(const edge_gemm_kernel *k, const float *l, long rs, long cs,
                         long m, long depth, float *dst);
/// Floats of scratch `edge_gemm` needs for the right operand's packed block.
size_t edge_gemm_scratch_floats(const edge_gemm_kernel *k, long n, long depth);

/// The epilogue, applied once per output after the last K block:
/// c = act(c + bias[row] + residual(row, col)). `bias` may be NULL; `residual` (NULL:
/// none) is read with C's strides (element (i, j) at residual[i * rsc + j * csc]) and
/// must not overlap C (C holds partial sums between K blocks).
typedef struct edge_gemm_epilogue {
    const float *bias;
    const float *residual;
    edge_activation act;
    /// Adds the product to what C holds (beta = 1) instead of overwriting it.
    int accumulate;
} edge_gemm_epilogue;

/// C[M x N] (element (i, j) at c[i * rsc + j * csc]) = epilogue(L * R), L packed by
/// edge_gemm_pack_left for this kernel, R's element (p, j) at r[p * rsr + j * csr].
/// Rows [m0, m1) and columns [n0, n1) only (a thread's share); m0 is a multiple of MR.
/// `scratch` holds edge_gemm_scratch_floats(k, n1 - n0, depth) floats. Never allocates.
void edge_gemm_part(const edge_gemm_kernel *k, long m, long depth, const float *packed,
                    const float *r, long rsr, long csr, float *c, long rsc, long csc,
                    const edge_gemm_epilogue *ep, long m0, long m1, long n0, long n1, float *scratch);

/// The whole product (edge_gemm_part over every row and column).
void edge_gemm(const edge_gemm_kernel *k, long m, long n, long depth, const float *packed,
               const float *r, long rsr, long csr, float *c, long rsc, long csc,
               const edge_gemm_epilogue *ep, float *scratch);

/// edge_gemm split over the threads of the calling thread's current pool
/// (edge_threads.h): over column ranges when there are enough columns (a few parts per
/// thread, taken dynamically), else over row ranges; the caller's `scratch` serves
/// thread 0, the pool's own scratch the others. Small products (and no pool) run on the
/// calling thread alone.
void edge_gemm_parallel(const edge_gemm_kernel *k, long m, long n, long depth, const float *packed,
                        const float *r, long rsr, long csr, float *c, long rsc, long csc,
                        const edge_gemm_epilogue *ep, float *scratch);

/// `count` products of one shape in ONE parallel region (one wake-up and one join instead
/// of `count`): item i multiplies packed + i * packed_stride by r + i * r_stride into
/// c + i * c_stride (strides in floats; the other arguments as edge_gemm_parallel). The
/// parts are whole items, or column ranges of items when the batch is smaller than the
/// threads' share. Winograd's 16 GEMMs per tile chunk run through it.
void edge_gemm_batch_parallel(const edge_gemm_kernel *k, long count, long m, long n, long depth,
                              const float *packed, long packed_stride, const float *r, long r_stride, long rsr,
                              long csr, float *c, long c_stride, long rsc, long csc, const edge_gemm_epilogue *ep,
                              float *scratch);

/// An upper bound of edge_gemm_scratch_floats over every kernel and shape (a pool
/// worker's scratch).
long edge_gemm_max_scratch_floats(void);

/// y[N] = W[N x K] (row-major, row stride ldw) * x[K] (+ y when accumulate): one row of
/// activations against a fully-connected weight, streamed once (no packing pays here).
/// Split over row ranges on the calling thread's current pool when W is large.
void edge_gemv_rows(const float *w, long ldw, long n, long depth, const float *x, float *y, int accumulate);

#endif

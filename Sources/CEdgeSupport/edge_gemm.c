// Edge's packed SGEMM: blocking, packing, epilogue, and the register-tile kernels.
// The algorithm and layouts are described in include/edge_gemm.h.
//
// The register tile is written once, as a macro over GCC/Clang vector extensions
// (`EDGE_TILE`), and instantiated per ISA with its own __attribute__((target)): the file
// is compiled for the baseline ISA, so the binary runs anywhere and the AVX2 / AVX-512
// code is only entered after __builtin_cpu_supports said yes. Accumulators are an
// MR x (NR/W) array of vectors; the loops over it have constant trip counts and are
// fully unrolled, so they live in registers (checked in the disassembly: no spills in
// the k loop of the AVX2 and NEON tiles).
#include "edge_gemm.h"
#include "edge_conv_pack.h"
#include "edge_activation_vec.h"
#include "edge_threads.h"

#include <math.h>
#include <string.h>

/// K and M blocking: a KC-deep panel of MR rows of L stays in L1 next to the NR-column
/// panel of R it multiplies; an MC x KC block of L (<= 120 KB) in L2; the packed R block
/// (<= RBLOCK floats, 384 KB) in L2/L3. MC is a multiple of every kernel's MR.
#define EDGE_KC 256
#define EDGE_MC 120
#define EDGE_RBLOCK (96 * 1024)
/// Largest MR * NR of any kernel (the edge-tile buffer).
#define EDGE_MAX_TILE (12 * 32)

#if defined(__GNUC__)
#define EDGE_UNROLL _Pragma("GCC unroll 32")
#else
#define EDGE_UNROLL
#endif

// 1: the tile's rolled pass for the non-clamp activations is edge_epilogue_apply per row
// (the same vector math, W = 4), not one more expansion of the activation: on aarch64,
// where NEON is the only tile and every byte of the device binary counts (-0.7 KB). The
// x86 tiles keep their own expansion (no call per row on the host's hot path).
#if defined(__aarch64__)
#define EDGE_TILE_ROW_EPILOGUE 1
#else
#define EDGE_TILE_ROW_EPILOGUE 0
#endif

// Packing R and storing a partial tile stay calls on ARM, where the device binary's size
// counts: inlined into edge_gemm_part_from they were a third of its 3.6 KB (-352 B), and
// a call per packed block or partial tile is small next to its work. x86 inlines them.
#if defined(__aarch64__)
#define EDGE_SIZE_CALL __attribute__((noinline))
#else
#define EDGE_SIZE_CALL
#endif

// The tile prefetches its left panel this many k steps ahead (0: not at all). Few columns
// (N = 16 and 49: Winograd on 7x7 and 14x14 planes, MobileNet's 7x7 layers) give each
// MR x KC micro panel of L only one or two tiles of work, so L streams from L3 at the
// tiles' pace, and the block-ahead prefetch below (spread over a block's column passes)
// is a burst once per tile there. Measured in a C harness (AVX-512, 1 thread, CPU time,
// best of 5, load ~3; with the block-ahead prefetch into L2): 16 x 512x16x512 with
// distinct weights 61-66 -> 72-74 GFLOP/s, 512x49x4608 66 -> 71, 96x12544x16 61 -> 77,
// 36 x 128x196x128 and 256x1024x1024 unchanged within noise. Not on ARM: no measurement,
// and the device binary's size counts.
#if defined(__aarch64__)
#define EDGE_TILE_PREFETCH_K 0
#else
#define EDGE_TILE_PREFETCH_K 32
#endif

// One register tile: MR rows x NV vectors of W floats. `a` is MR floats per k, `b` NV*W
// consecutive floats per k, ldb apart (NR in a packed panel, R's row stride when read
// in place).
// `fin` (may be NULL): the epilogue, applied to the stored values.
// AS: a's floats per k, the kernel's MR; a tile of the panel's first MR < AS rows (a
// short last panel: M = 16, 64 on the 12-row AVX-512 tile) reads the rest of each step.
#define EDGE_TILE_ROWS(NAME, ATTR, VT, W, MR, NV, AS)                                         \
    ATTR static void NAME(long kc, const float *restrict a, const float *restrict b, long ldb, \
                          float *restrict c, long rsc, long rows, int accumulate,             \
                          const edge_gemm_finish *fin) {                                      \
        VT acc[MR][NV];                                                                       \
        EDGE_UNROLL for (int r = 0; r < MR; r++)                                              \
            EDGE_UNROLL for (int v = 0; v < NV; v++) acc[r][v] = (VT){0};                     \
        for (long p = 0; p < kc; p++) {                                                       \
            if (EDGE_TILE_PREFETCH_K) __builtin_prefetch(a + EDGE_TILE_PREFETCH_K * MR, 0, 3);  \
            VT bv[NV];                                                                        \
            EDGE_UNROLL for (int v = 0; v < NV; v++) memcpy(&bv[v], b + v * W, sizeof(VT));   \
            EDGE_UNROLL for (int r = 0; r < MR; r++) {                                        \
                const float av = a[r];                                                        \
                EDGE_UNROLL for (int v = 0; v < NV; v++) acc[r][v] += av * bv[v];             \
            }                                                                                 \
            a += AS;                                                                          \
            b += ldb;                                                                         \
        }                                                                                     \
        /* Clamps (none, Relu, Clip) on the registers in the unrolled store; the other       \
           kinds in one rolled pass over the tile just stored (still in L1), so their code   \
           (exp, selects) is expanded once per kernel, not MR * NV times (+26 KB on NEON). */ \
        const long kind = fin ? fin->act.kind : EDGE_ACT_NONE;                                \
        const float lo = kind == EDGE_ACT_RELU ? 0.0f : kind == EDGE_ACT_CLIP ? fin->act.alpha : -INFINITY; \
        const float hi = kind == EDGE_ACT_CLIP ? fin->act.beta : INFINITY;                    \
        EDGE_UNROLL for (int r = 0; r < MR; r++) {                                            \
            if (r >= rows) break;                                                             \
            EDGE_UNROLL for (int v = 0; v < NV; v++) {                                        \
                float *dst = c + r * rsc + v * W;                                             \
                VT x = acc[r][v];                                                             \
                if (accumulate) {                                                             \
                    VT old;                                                                   \
                    memcpy(&old, dst, sizeof(VT));                                            \
                    x += old;                                                                 \
                }                                                                             \
                if (fin) {                                                                    \
                    x += fin->bias ? fin->bias[r] : 0.0f;                                     \
                    if (fin->residual) {                                                      \
                        VT res;                                                               \
                        memcpy(&res, fin->residual + r * rsc + v * W, sizeof(VT));            \
                        x += res;                                                             \
                    }                                                                         \
                    x = EDGE_VCLAMP(x, lo, hi);                                               \
                }                                                                             \
                memcpy(dst, &x, sizeof(VT));                                                  \
            }                                                                                 \
        }                                                                                     \
        if (kind > EDGE_ACT_CLIP && EDGE_TILE_ROW_EPILOGUE) {                                 \
            for (long q = 0; q < rows; q++) edge_epilogue_apply(c + q * rsc, NV * W, 0, NULL, &fin->act); \
        } else if (kind > EDGE_ACT_CLIP) {                                                    \
            for (long q = 0; q < rows * NV; q++) {                                            \
                float *dst = c + (q / NV) * rsc + (q % NV) * W;                               \
                VT x;                                                                         \
                memcpy(&x, dst, sizeof(VT));                                                  \
                x = EDGE_ACTIVATE(VT, x, &fin->act);                                          \
                memcpy(dst, &x, sizeof(VT));                                                  \
            }                                                                                 \
        }                                                                                     \
    }

#define EDGE_TILE(NAME, ATTR, VT, W, MR, NV) EDGE_TILE_ROWS(NAME, ATTR, VT, W, MR, NV, MR)

typedef float edge_v4 __attribute__((vector_size(16)));
typedef float edge_v8 __attribute__((vector_size(32)));
typedef float edge_v16 __attribute__((vector_size(64)));

// The column tile (edge_gemm_cols_fn): one vector VT of >= MR lanes holds a k step of the
// MR-row panel, one accumulator per column. NC is a compile-time column count (the
// accumulators stay in registers); `cols` <= NC columns are stored, the others of the
// zero-padded panel computed and dropped. Per k: NC multiply-adds where the half tile
// does MR (12 on AVX-512) for a 17th column. x86 only: the device binary has no use for it.
#define EDGE_COLS_BODY(NAME, ATTR, VT, MR, NC)                                                \
    ATTR static void NAME(long kc, const float *restrict a, const float *restrict b, long ldb, \
                          long cols, float *restrict out, long ldo) {                          \
        VT acc[NC];                                                                           \
        EDGE_UNROLL for (int j = 0; j < NC; j++) acc[j] = (VT){0};                            \
        for (long p = 0; p < kc; p++) {                                                       \
            VT av = {0};                                                                      \
            memcpy(&av, a, MR * sizeof(float));                                               \
            EDGE_UNROLL for (int j = 0; j < NC; j++) acc[j] += av * b[j];                     \
            a += MR;                                                                          \
            b += ldb;                                                                         \
        }                                                                                     \
        for (long j = 0; j < cols; j++)                                                       \
            for (int r = 0; r < MR; r++) out[r * ldo + j] = acc[j][r];                        \
    }
#define EDGE_COLS(NAME, ATTR, VT, MR)                                                         \
    EDGE_COLS_BODY(NAME##_1, ATTR, VT, MR, 1)                                                 \
    EDGE_COLS_BODY(NAME##_4, ATTR, VT, MR, 4)                                                 \
    ATTR static void NAME(long kc, const float *a, const float *b, long ldb, long cols, float *out, long ldo) { \
        if (cols == 1) NAME##_1(kc, a, b, ldb, cols, out, ldo);                               \
        else NAME##_4(kc, a, b, ldb, cols, out, ldo);                                         \
    }

// The portable tile: 4-wide vectors (SSE2 on x86-64, NEON on other ARM), 4 x 8. Not on
// aarch64, where NEON is the baseline and the 8 x 12 NEON tile always applies: the
// generic one would be ~3.8 KB of device code that never runs (gemm-check tests every
// listed kernel against a double-precision product, so NEON keeps its reference).
#if !defined(__aarch64__)
#define EDGE_HAS_GENERIC_TILE 1
EDGE_TILE(edge_tile_generic, , edge_v4, 4, 4, 2)
EDGE_TILE(edge_tile_generic_half, , edge_v4, 4, 4, 1)
#endif

#if defined(__x86_64__)
// The column and short-rows tiles (edge_gemm_kernel's tile_cols, tile_rows): x86 only.
#define EDGE_HAS_EDGE_TILES 1
#define EDGE_AVX2 __attribute__((target("avx2,fma")))
#define EDGE_AVX512 __attribute__((target("avx512f,avx2,fma")))
EDGE_TILE(edge_tile_avx2, EDGE_AVX2, edge_v8, 8, 6, 2)
EDGE_TILE(edge_tile_avx2_half, EDGE_AVX2, edge_v8, 8, 6, 1)
EDGE_TILE(edge_tile_avx512, EDGE_AVX512, edge_v16, 16, 12, 2)
EDGE_TILE(edge_tile_avx512_half, EDGE_AVX512, edge_v16, 16, 12, 1)
// The AVX-512 tile's shape (12 x 32) built for AVX2: lets a machine without AVX-512
// test the blocking and edge handling the AVX-512 kernel uses (slow: it spills).
EDGE_TILE(edge_tile_avx2_12x32, EDGE_AVX2, edge_v16, 16, 12, 2)
EDGE_TILE(edge_tile_avx2_12x32_half, EDGE_AVX2, edge_v16, 16, 12, 1)
EDGE_TILE_ROWS(edge_tile_avx512_r4, EDGE_AVX512, edge_v16, 16, 4, 2, 12)
EDGE_TILE_ROWS(edge_tile_avx512_r8, EDGE_AVX512, edge_v16, 16, 8, 2, 12)
EDGE_TILE_ROWS(edge_tile_avx2_12x32_r4, EDGE_AVX2, edge_v16, 16, 4, 2, 12)
EDGE_TILE_ROWS(edge_tile_avx2_12x32_r8, EDGE_AVX2, edge_v16, 16, 8, 2, 12)
EDGE_COLS(edge_cols_avx2, EDGE_AVX2, edge_v8, 6)
EDGE_COLS(edge_cols_avx512, EDGE_AVX512, edge_v16, 12)
EDGE_COLS(edge_cols_avx2_12, EDGE_AVX2, edge_v16, 12)
#endif

#if defined(__aarch64__)
EDGE_TILE(edge_tile_neon, , edge_v4, 4, 8, 3)
#endif
// NEON's 12 columns are three vectors: no half tile (a 2-vector one would cover 8 of 12).

#if defined(EDGE_HAS_GENERIC_TILE)
static const edge_gemm_kernel edge_generic = {"generic-4x8", 4, 8, edge_tile_generic, edge_tile_generic_half, NULL,
                                              {NULL, NULL}};
#endif
#if defined(__x86_64__)
static const edge_gemm_kernel edge_avx2 = {"avx2-6x16", 6, 16, edge_tile_avx2, edge_tile_avx2_half, edge_cols_avx2,
                                           {NULL, NULL}};
static const edge_gemm_kernel edge_avx512 = {"avx512-12x32", 12, 32, edge_tile_avx512, edge_tile_avx512_half,
                                             edge_cols_avx512, {edge_tile_avx512_r4, edge_tile_avx512_r8}};
static const edge_gemm_kernel edge_avx2_12x32 = {"avx2-12x32-test", 12, 32, edge_tile_avx2_12x32,
                                                 edge_tile_avx2_12x32_half, edge_cols_avx2_12,
                                                 {edge_tile_avx2_12x32_r4, edge_tile_avx2_12x32_r8}};
#endif
#if defined(__aarch64__)
static const edge_gemm_kernel edge_neon = {"neon-8x12", 8, 12, edge_tile_neon, NULL, NULL, {NULL, NULL}};
#endif

/// Kernels this CPU runs, best first; filled once.
static const edge_gemm_kernel *edge_kernels[6];
static long edge_kernel_total = -1;

static void edge_gemm_init(void) {
    long n = 0;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) edge_kernels[n++] = &edge_avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        edge_kernels[n++] = &edge_avx2;
        edge_kernels[n++] = &edge_avx2_12x32;
    }
#endif
#if defined(__aarch64__)
    edge_kernels[n++] = &edge_neon;
#endif
#if defined(EDGE_HAS_GENERIC_TILE)
    edge_kernels[n++] = &edge_generic;
#endif
    __atomic_store_n(&edge_kernel_total, n, __ATOMIC_RELEASE);
}

long edge_gemm_kernel_count(void) {
    if (__atomic_load_n(&edge_kernel_total, __ATOMIC_ACQUIRE) < 0) edge_gemm_init();
    return edge_kernel_total;
}

const edge_gemm_kernel *edge_gemm_kernel_at(long i) {
    long n = edge_gemm_kernel_count();
    return i >= 0 && i < n ? edge_kernels[i] : NULL;
}

const edge_gemm_kernel *edge_gemm_best(void) { return edge_gemm_kernel_at(0); }

static long edge_round_up(long x, long to) { return (x + to - 1) / to * to; }
static long edge_min(long a, long b) { return a < b ? a : b; }

size_t edge_gemm_packed_floats(const edge_gemm_kernel *k, long m, long depth) {
    return (size_t)edge_round_up(m, k->mr) * (size_t)depth;
}

void edge_gemm_pack_left(const edge_gemm_kernel *k, const float *l, long rs, long cs,
                         long m, long depth, float *dst) {
    const long mr = k->mr;
    for (long i0 = 0; i0 < m; i0 += mr) {
        const long rows = edge_min(mr, m - i0);
        for (long p = 0; p < depth; p++) {
            for (long r = 0; r < rows; r++) dst[r] = l[(i0 + r) * rs + p * cs];
            for (long r = rows; r < mr; r++) dst[r] = 0;
            dst += mr;
        }
    }
}

/// Columns of R per packed block for depth kc: as many NR panels as fit EDGE_RBLOCK.
static long edge_block_columns(const edge_gemm_kernel *k, long kc) {
    long nc = EDGE_RBLOCK / kc / k->nr * k->nr;
    return nc < k->nr ? k->nr : nc;
}

size_t edge_gemm_scratch_floats(const edge_gemm_kernel *k, long n, long depth) {
    const long kc = depth < 1 ? 1 : edge_min(depth, EDGE_KC);
    const long nc = edge_min(edge_block_columns(k, kc), edge_round_up(n, k->nr));
    return (size_t)(kc * nc);
}

/// Packs R[p0..p0+kc) x [j0..j0+nc) into NR-column panels, zero-padded to whole panels.
/// With a unit column stride the full panels are filled row by row of R (each row of R
/// read once, front to back, its NR-runs scattered to the panels): walking panel by panel
/// instead reads kc rows RSR apart for every NR floats, which on wide, shallow products
/// (ResNet-18's stem, 64 x 12544 x 147) made packing cost as much as a third of the
/// multiply. Measured in a C harness on the Zen 3 VM (CPU time, best of 20, noisy):
/// 64 x 12544 x 147 29-39 -> 32-48 GFLOP/s, 512^3 unchanged within noise.
EDGE_SIZE_CALL static void edge_pack_right(const float *r, long rsr, long csr, long kc, long nc, long nr, float *dst) {
    const long full = csr == 1 ? nc / nr : 0;
    for (long p = 0; p < kc; p++) {
        const float *src = r + p * rsr;
        float *d = dst + p * nr;
        for (long q = 0; q < full; q++) {
            memcpy(d, src + q * nr, (size_t)nr * sizeof(float));
            d += kc * nr;
        }
    }
    dst += full * kc * nr;
    r += full * nr * csr;
    nc -= full * nr;
    // The last partial panel (or every panel, with a non-unit column stride).
    for (long j0 = 0; j0 < nc; j0 += nr) {
        const long cols = edge_min(nr, nc - j0);
        const float *src = r + j0 * csr;
        for (long p = 0; p < kc; p++) {
            for (long j = 0; j < cols; j++) dst[j] = src[p * rsr + j * csr];
            for (long j = cols; j < nr; j++) dst[j] = 0;
            dst += nr;
        }
    }
}

/// Whether the tiles read R's full panels in place instead of packing them. Packing
/// copies K x N floats so that the tiles' loads are contiguous; against the product it
/// costs about 1/M, so for few rows (MobileNet's projections, M = 16-32) with a unit
/// column stride it is the thing to skip. Measured (AVX2, 1 thread, CPU time, best of 7):
/// 24x96x3136 45-57 -> 69-76 GFLOP/s, 24x144x3136 48 -> 62, 32x144x784 52 -> 64-72;
/// with many rows packing wins (960x160x49 68 -> 52-57, 144x24x3136 45-57 -> 40-48),
/// hence the row limit. At 64 rows ResNet-18 (stem and layer1 Winograd GEMMs, M = 64)
/// took ~12% more CPU time over the whole model, so the limit is 32. In place, a tile's k-loop reads one 64-byte run per row of R,
/// RSR apart, for up to EDGE_KC rows: they stay in L1 next to the left panel.
#ifndef EDGE_IN_PLACE_MAX_ROWS
#define EDGE_IN_PLACE_MAX_ROWS 32
#endif
static int edge_gemm_reads_in_place(const edge_gemm_kernel *k, long m, long rsr, long csr, long n) {
    return csr == 1 && m <= EDGE_IN_PLACE_MAX_ROWS && n >= k->nr && rsr >= k->nr;
}

/// Copies the first `rows` x `cols` of a tile computed into `tmp` (row stride nr) to C,
/// adding C's old values when `accumulate`, then the epilogue `ep` (NULL: none; bias
/// already offset to the tile's first row). With a unit column stride the inner loop is
/// contiguous and the compiler vectorizes it: for N = 49 a third of the columns pass here,
/// 18 times over at K = 4608.
EDGE_SIZE_CALL static void edge_store_partial(const float *tmp, long nr, float *c, long rsc, long csc, long rows,
                                              long cols, int accumulate, const edge_gemm_epilogue *ep,
                                              const float *bias, const float *residual) {
    for (long q = 0; q < rows; q++) {
        const float b = bias && ep ? bias[q] : 0;
        const float *src = tmp + q * nr;
        const float *res = ep && residual ? residual + q * rsc : NULL;
        float *dst = c + q * rsc;
        if (csc == 1) {
            for (long j = 0; j < cols; j++) {
                float v = src[j] + (accumulate ? dst[j] : 0);
                if (ep) v = edge_activation_scalar(v + b + (res ? res[j] : 0), &ep->act);
                dst[j] = v;
            }
        } else {
            for (long j = 0; j < cols; j++) {
                float v = src[j] + (accumulate ? dst[j * csc] : 0);
                if (ep) v = edge_activation_scalar(v + b + (res ? res[j * csc] : 0), &ep->act);
                dst[j * csc] = v;
            }
        }
    }
}

/// The MC x KC block of packed L the tiles read after the one at rows i0, depth p0:
/// software-prefetched while the current block's passes (one per column panel) run from
/// L2, an even share of each of its micro panels per pass, so that its own first pass
/// does not wait on L3. With few columns that wait is most of the time: for N = 49 each
/// micro panel serves 4 tiles (3 full, 1 nearly empty) and the weights (9.4 MB for
/// ResNet-18's layer4 3x3 convs) stream from L3. The hardware prefetcher does not cover
/// it: a micro panel's KC x MR floats are 6 KB, and the next one is depth x MR floats
/// away. Measured (AVX2, 1 thread, CPU time, medians of 31, in one process alternating,
/// load average ~10): 512x49x4608 34-36 -> 37-38 GFLOP/s, 1280x49x320 29-30 -> 34-36,
/// 512^3 34-36 -> 35-36. Into L2, not L1: the next micro panel, the current one and
/// the packed R panel (12 + 12 + 16 KB at N = 16) overflow a 32 KB L1 (AVX-512 harness:
/// 16 x 512x16x512 with distinct weights 47-53 -> 59-61 GFLOP/s); the tile's own
/// prefetch (EDGE_TILE_PREFETCH_K) brings each panel into L1 just ahead of use.
typedef struct {
    long row, rows;     /* first row and row count (rows 0: nothing is next) */
    long p0;            /* first K index */
    long panel_bytes;   /* bytes of one micro panel: kc * MR floats */
} edge_next_block;

static edge_next_block edge_next_left_block(long i0, long m0, long m1, int more_columns, long p0, long kc,
                                            long depth, long mr) {
    edge_next_block next = {m0, 0, p0, kc * mr * (long)sizeof(float)};
    if (i0 + EDGE_MC < m1) {
        next.row = i0 + EDGE_MC;                  /* the next rows */
    } else if (!more_columns) {
        if (p0 + kc >= depth) return next;        /* the last block */
        next.p0 = p0 + kc;                        /* the first rows of the next K block */
        next.panel_bytes = edge_min(EDGE_KC, depth - next.p0) * mr * (long)sizeof(float);
    }                                             /* else: the first rows, for the next column block */
    next.rows = edge_min(EDGE_MC, m1 - next.row);
    return next;
}

/// edge_gemm_part with R either strided memory (conv NULL) or a conv's implicit im2col
/// operand over the input r (conv geometry; rsr, csr unused). Only the packing differs,
/// so both give the same sums, bit for bit.
static void edge_gemm_part_from(const edge_gemm_kernel *k, long m, long depth, const float *packed,
                                const float *r, long rsr, long csr, const edge_conv_geometry *conv, float *c,
                                long rsc, long csc, const edge_gemm_epilogue *ep, long m0, long m1, long n0,
                                long n1, float *scratch) {
    const long mr = k->mr, nr = k->nr;
    if (m1 > m) m1 = m;
    if (m0 >= m1 || n0 >= n1) return;
    if (depth == 0) {
        // An empty sum: C = epilogue(0) (or C itself when accumulating).
        for (long i = m0; i < m1; i++) {
            for (long j = n0; j < n1; j++) {
                float *dst = c + i * rsc + j * csc;
                const float v = (ep->accumulate ? *dst : 0) + (ep->bias ? ep->bias[i] : 0)
                    + (ep->residual ? ep->residual[i * rsc + j * csc] : 0);
                *dst = edge_activation_scalar(v, &ep->act);
            }
        }
        return;
    }
    float tmp[EDGE_MAX_TILE] __attribute__((aligned(64)));
    const int direct = !conv && edge_gemm_reads_in_place(k, m, rsr, csr, n1 - n0);
    for (long p0 = 0; p0 < depth; p0 += EDGE_KC) {
        const long kc = edge_min(EDGE_KC, depth - p0);
        const int accumulate = p0 > 0 || ep->accumulate;
        const int last = p0 + kc == depth;
        const long ncMax = edge_block_columns(k, kc);
        for (long j0 = n0; j0 < n1; j0 += ncMax) {
            const long nc = edge_min(ncMax, n1 - j0);
            // In place: full panels straight from R's rows; only a last partial panel
            // (whose loads would run past R's end) is packed, at the start of scratch.
            const long fullCols = direct ? nc / nr * nr : 0;
            if (conv)
                edge_conv_pack_right(conv, r, p0, kc, j0, nc, nr, scratch);
            else if (fullCols < nc)
                edge_pack_right(r + p0 * rsr + (j0 + fullCols) * csr, rsr, csr, kc, nc - fullCols, nr,
                                direct ? scratch : scratch + fullCols * kc);
            for (long i0 = m0; i0 < m1; i0 += EDGE_MC) {
                const long mc = edge_min(EDGE_MC, m1 - i0);
                const edge_next_block next = edge_next_left_block(i0, m0, m1, j0 + ncMax < n1, p0, kc, depth, mr);
                const long passes = (nc + nr - 1) / nr;
                for (long jr = 0; jr < nc; jr += nr) {
                    const int inPlace = jr < fullCols;
                    const float *bp = inPlace ? r + p0 * rsr + j0 + jr : scratch + (direct ? jr - fullCols : jr) * kc;
                    const long ldb = inPlace ? rsr : nr;
                    const long cols = edge_min(nr, nc - jr);
                    // This pass's share of every micro panel of the next block.
                    const long pass = jr / nr;
                    const long from = next.panel_bytes * pass / passes / 64 * 64;
                    const long to = next.panel_bytes * (pass + 1) / passes;
                    for (long ir = 0; ir < mc; ir += mr) {
                        const long row = i0 + ir;
                        // (A last, short block covers the next block's extra micro panels too.)
                        for (long q = ir; q < next.rows; q += mc) {
                            const char *ahead = (const char *)(packed + (next.row + q) * depth + next.p0 * mr);
                            for (long b = from; b < to; b += 64) __builtin_prefetch(ahead + b, 0, 2);
                        }
                        const float *ap = packed + row * depth + p0 * mr;   // panel row/mr, offset p0
                        const long rows = edge_min(mr, m1 - row);
                        float *cp = c + row * rsc + (j0 + jr) * csc;
                        // A panel of at most NR/2 columns runs the half-width tile:
                        // half the multiply-adds (N = 196, 784: 4 or 16 columns left).
                        const int half = k->tile_half && cols <= nr / 2;
                        const long width = half ? nr / 2 : nr;
                        edge_gemm_tile_fn tile = half ? k->tile_half : k->tile;
#if defined(EDGE_HAS_EDGE_TILES)
                        // A short last row panel (4 or 8 of 12 rows) on a full-width
                        // panel: the tile of those rows only, not 12 rows of zeros.
                        if (!half && rows <= mr / 3 && k->tile_rows[0]) tile = k->tile_rows[0];
                        else if (!half && rows <= 2 * mr / 3 && k->tile_rows[1]) tile = k->tile_rows[1];
#endif
                        const float *res = ep->residual ? ep->residual + row * rsc + (j0 + jr) * csc : NULL;
                        const edge_gemm_finish fin = {ep->bias ? ep->bias + row : NULL, res, ep->act};
#if defined(EDGE_HAS_EDGE_TILES)
                        // A few columns past a multiple of NR/2 (17 of N = 49, 4 of 196):
                        // the half tile for the NR/2, the column tile for the rest.
                        const long split = cols > nr / 2 ? nr / 2 : 0;
                        if (k->tile_cols && k->tile_half && cols < nr && cols - split <= EDGE_GEMM_COLS_MAX) {
                            long stored = 0;
                            if (split && csc == 1) {
                                k->tile_half(kc, ap, bp, ldb, cp, rsc, rows, accumulate, last ? &fin : NULL);
                                stored = split;
                            } else if (split) {
                                k->tile_half(kc, ap, bp, ldb, tmp, nr, mr, 0, NULL);
                            }
                            k->tile_cols(kc, ap, bp + split, ldb, cols - split, tmp + split, nr);
                            edge_store_partial(tmp + stored, nr, cp + stored * csc, rsc, csc, rows, cols - stored,
                                               accumulate, last ? ep : NULL, ep->bias ? ep->bias + row : NULL,
                                               res ? res + stored * csc : NULL);
                            continue;
                        }
#endif
                        if (cols == width && csc == 1) {
                            tile(kc, ap, bp, ldb, cp, rsc, rows, accumulate, last ? &fin : NULL);
                        } else {
                            tile(kc, ap, bp, ldb, tmp, nr, mr, 0, NULL);
                            edge_store_partial(tmp, nr, cp, rsc, csc, rows, cols, accumulate,
                                               last ? ep : NULL, ep->bias ? ep->bias + row : NULL, res);
                        }
                    }
                }
            }
        }
    }
}

void edge_gemm_part(const edge_gemm_kernel *k, long m, long depth, const float *packed,
                    const float *r, long rsr, long csr, float *c, long rsc, long csc,
                    const edge_gemm_epilogue *ep, long m0, long m1, long n0, long n1, float *scratch) {
    edge_gemm_part_from(k, m, depth, packed, r, rsr, csr, NULL, c, rsc, csc, ep, m0, m1, n0, n1, scratch);
}

void edge_gemm(const edge_gemm_kernel *k, long m, long n, long depth, const float *packed,
               const float *r, long rsr, long csr, float *c, long rsc, long csc,
               const edge_gemm_epilogue *ep, float *scratch) {
    edge_gemm_part(k, m, depth, packed, r, rsr, csr, c, rsc, csc, ep, 0, m, 0, n, scratch);
}

long edge_gemm_max_scratch_floats(void) { return EDGE_RBLOCK + EDGE_KC * 32; }

/// Below this many multiply-adds a product is not worth waking the pool for.
#define EDGE_PARALLEL_MIN (256L * 1024)

typedef struct {
    const edge_gemm_kernel *k;
    long m, n, depth;
    const float *packed, *r;
    long rsr, csr;
    float *c;
    long rsc, csc;
    const edge_gemm_epilogue *ep;
    float *scratch;
    edge_pool *pool;
    /* Item i of a batch: packed + i * packed_stride, r + i * r_stride, c + i * c_stride. */
    long packed_stride, r_stride, c_stride;
    int split_columns;
    long chunk;
    long parts_per_item;
    const edge_conv_geometry *conv;   /* NULL: R is strided memory */
} edge_gemm_job;

static void edge_gemm_task(void *context, long index, int thread) {
    const edge_gemm_job *j = context;
    float *scratch = thread == 0 ? j->scratch : edge_pool_scratch(j->pool, thread);
    const long item = index / j->parts_per_item, part = index % j->parts_per_item;
    long m0 = 0, m1 = j->m, n0 = 0, n1 = j->n;
    if (j->split_columns) {
        n0 = part * j->chunk;
        n1 = edge_min(j->n, n0 + j->chunk);
    } else {
        m0 = part * j->chunk;
        m1 = edge_min(j->m, m0 + j->chunk);
    }
    edge_gemm_part_from(j->k, j->m, j->depth, j->packed + item * j->packed_stride, j->r + item * j->r_stride,
                        j->rsr, j->csr, j->conv, j->c + item * j->c_stride, j->rsc, j->csc, j->ep, m0, m1, n0, n1,
                        scratch);
}

/* Parts a thread takes beyond its even share, so that a thread the OS preempts (or one
   that is slower on a shared core) leaves its remaining parts to the others instead of
   holding every other thread at the end of the region. */
#define EDGE_PARTS_PER_THREAD 4
/* Column panels a part holds at least: smaller parts re-read the whole packed L for
   too little work. */
#define EDGE_MIN_PANELS_PER_PART 4

/* Splits `count` products of one shape into parts for `threads` threads: over column
   ranges (no packing repeated) when every thread gets EDGE_MIN_PANELS_PER_PART column
   panels, else over row ranges (R's packing repeated per part, so only as many parts as
   threads, and none when the batch alone gives every thread an item), unless there are
   no more row panels than column panels. Returns the number of parts.
   Few columns split over columns make every thread stream all of L for a share of too
   few tiles: at N = 49 (4 panels) two threads each read ResNet-18's 9.4 MB layer4
   weights for 2 panels (one of them the 1-column panel). Split over rows, each reads half
   of them for all 4 panels. Measured (AVX2, 2 threads, process CPU time, medians of 41,
   alternating in one process, load average ~11; both with the prefetch above):
   512x49x4608 37.0 -> 40.0 GFLOP/s, 512x49x2304 36.8 -> 38.8, 1280x49x320 36.0 -> 37.8,
   960x49x160 33.1 -> 34.7. */
static long edge_gemm_plan(edge_gemm_job *job, long threads, long count) {
    const edge_gemm_kernel *k = job->k;
    const long m = job->m, n = job->n;
    const long columnPanels = (n + k->nr - 1) / k->nr, rowPanels = (m + k->mr - 1) / k->mr;
    job->split_columns = columnPanels >= EDGE_MIN_PANELS_PER_PART * threads || columnPanels >= rowPanels;
    long per;
    if (job->split_columns) {
        const long want = (EDGE_PARTS_PER_THREAD * threads + count - 1) / count;
        long most = columnPanels / EDGE_MIN_PANELS_PER_PART;
        if (count < threads && most < threads) most = threads;   /* keep every thread busy */
        per = edge_min(want, edge_min(most, columnPanels));
        if (per < 1) per = 1;
        job->chunk = edge_round_up((n + per - 1) / per, k->nr);
        per = (n + job->chunk - 1) / job->chunk;
    } else {
        per = count >= threads ? 1 : threads;
        job->chunk = edge_round_up((m + per - 1) / per, k->mr);
        per = (m + job->chunk - 1) / job->chunk;
    }
    job->parts_per_item = per;
    return count * per;
}

/// Runs `count` items of `job` (its pool, split and chunk not yet set) on the current
/// pool, or on the calling thread alone when small.
static void edge_gemm_run(edge_gemm_job *job, long count) {
    if (count <= 0) return;
    edge_pool *pool = edge_pool_current();
    const long threads = edge_pool_threads(pool);
    if (threads == 1 || count * job->m * job->n * (job->depth + 1) < EDGE_PARALLEL_MIN) {
        for (long i = 0; i < count; i++)
            edge_gemm_part_from(job->k, job->m, job->depth, job->packed + i * job->packed_stride,
                                job->r + i * job->r_stride, job->rsr, job->csr, job->conv, job->c + i * job->c_stride,
                                job->rsc, job->csc, job->ep, 0, job->m, 0, job->n, job->scratch);
        return;
    }
    job->pool = pool;
    edge_pool_run(pool, edge_gemm_task, job, edge_gemm_plan(job, threads, count));
}

void edge_gemm_parallel(const edge_gemm_kernel *k, long m, long n, long depth, const float *packed,
                        const float *r, long rsr, long csr, float *c, long rsc, long csc,
                        const edge_gemm_epilogue *ep, float *scratch) {
    edge_gemm_batch_parallel(k, 1, m, n, depth, packed, 0, r, 0, rsr, csr, c, 0, rsc, csc, ep, scratch);
}

void edge_gemm_batch_parallel(const edge_gemm_kernel *k, long count, long m, long n, long depth,
                              const float *packed, long packed_stride, const float *r, long r_stride, long rsr,
                              long csr, float *c, long c_stride, long rsc, long csc, const edge_gemm_epilogue *ep,
                              float *scratch) {
    edge_gemm_job job = {k, m, n, depth, packed, r, rsr, csr, c, rsc, csc, ep, scratch, NULL,
                         packed_stride, r_stride, c_stride, 0, 0, 1, NULL};
    edge_gemm_run(&job, count);
}

void edge_conv_gemm_parallel(const edge_gemm_kernel *k, long m, const float *packed, const edge_conv_geometry *g,
                             const float *x, float *c, const edge_gemm_epilogue *ep, float *scratch) {
    const long n = g->out_h * g->out_w, depth = g->channels * g->k_h * g->k_w;
    edge_gemm_job job = {k, m, n, depth, packed, x, 0, 1, c, n, 1, ep, scratch, NULL, 0, 0, 0, 0, 0, 1, g};
    edge_gemm_run(&job, 1);
}

// gemv over weight rows: four rows share each load of x; W-wide partial sums per row.
#define EDGE_GEMV(NAME, ATTR, VT, W)                                                          \
    ATTR static void NAME(const float *w, long ldw, long n, long depth, const float *x,       \
                          float *y, int accumulate) {                                         \
        long i = 0;                                                                           \
        for (; i + 4 <= n; i += 4) {                                                          \
            VT s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};                                        \
            const float *w0 = w + i * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;    \
            long p = 0;                                                                       \
            for (; p + W <= depth; p += W) {                                                  \
                VT xv, a0, a1, a2, a3;                                                        \
                memcpy(&xv, x + p, sizeof(VT));                                               \
                memcpy(&a0, w0 + p, sizeof(VT)); memcpy(&a1, w1 + p, sizeof(VT));            \
                memcpy(&a2, w2 + p, sizeof(VT)); memcpy(&a3, w3 + p, sizeof(VT));            \
                s0 += a0 * xv; s1 += a1 * xv; s2 += a2 * xv; s3 += a3 * xv;                   \
            }                                                                                 \
            float t0 = 0, t1 = 0, t2 = 0, t3 = 0;                                             \
            for (int q = 0; q < W; q++) { t0 += s0[q]; t1 += s1[q]; t2 += s2[q]; t3 += s3[q]; } \
            for (; p < depth; p++) {                                                          \
                t0 += w0[p] * x[p]; t1 += w1[p] * x[p]; t2 += w2[p] * x[p]; t3 += w3[p] * x[p]; \
            }                                                                                 \
            y[i] = t0 + (accumulate ? y[i] : 0);                                              \
            y[i + 1] = t1 + (accumulate ? y[i + 1] : 0);                                      \
            y[i + 2] = t2 + (accumulate ? y[i + 2] : 0);                                      \
            y[i + 3] = t3 + (accumulate ? y[i + 3] : 0);                                      \
        }                                                                                     \
        for (; i < n; i++) {                                                                  \
            const float *wi = w + i * ldw;                                                    \
            float t = 0;                                                                      \
            for (long p = 0; p < depth; p++) t += wi[p] * x[p];                               \
            y[i] = t + (accumulate ? y[i] : 0);                                               \
        }                                                                                     \
    }

EDGE_GEMV(edge_gemv_generic, , edge_v4, 4)
#if defined(__x86_64__)
EDGE_GEMV(edge_gemv_avx2, EDGE_AVX2, edge_v8, 8)
#endif

static void edge_gemv_serial(const float *w, long ldw, long n, long depth, const float *x, float *y,
                             int accumulate) {
#if defined(__x86_64__)
    const edge_gemm_kernel *best = edge_gemm_best();
    if (best == &edge_avx2 || best == &edge_avx512) {
        edge_gemv_avx2(w, ldw, n, depth, x, y, accumulate);
        return;
    }
#endif
    edge_gemv_generic(w, ldw, n, depth, x, y, accumulate);
}

typedef struct {
    const float *w, *x;
    float *y;
    long ldw, n, depth, chunk;
    int accumulate;
} edge_gemv_job;

static void edge_gemv_task(void *context, long index, int thread) {
    (void)thread;
    const edge_gemv_job *j = context;
    const long r0 = index * j->chunk, rows = edge_min(j->chunk, j->n - r0);
    edge_gemv_serial(j->w + r0 * j->ldw, j->ldw, rows, j->depth, j->x, j->y + r0, j->accumulate);
}

/* Below this many weights a gemv is not worth waking the pool for (it streams W once:
   ~0.1 ms per million weights on one core). */
#define EDGE_GEMV_PARALLEL_MIN (256L * 1024)

void edge_gemv_rows(const float *w, long ldw, long n, long depth, const float *x, float *y, int accumulate) {
    edge_pool *pool = edge_pool_current();
    const long threads = edge_pool_threads(pool);
    if (threads == 1 || n * depth < EDGE_GEMV_PARALLEL_MIN || n < 8 * threads) {
        edge_gemv_serial(w, ldw, n, depth, x, y, accumulate);
        return;
    }
    /* Row ranges of a multiple of 4 (the kernel's row group), a few per thread; each row's
       sum is computed the same way whatever the split. */
    const long parts = EDGE_PARTS_PER_THREAD * threads;
    edge_gemv_job job = {w, x, y, ldw, n, depth, edge_round_up((n + parts - 1) / parts, 4), accumulate};
    edge_pool_run(pool, edge_gemv_task, &job, (n + job.chunk - 1) / job.chunk);
}

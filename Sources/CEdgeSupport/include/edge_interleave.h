// Interleaved stores of 4-lane float vectors for the Winograd output transforms on ARM
// (Sources/EdgeRuntime/Kernels/WinogradPlan.swift, WinogradOutputVector). Swift has no
// shuffle: its lane-by-lane SIMD16 initializer compiled to ~60 lane moves per row on
// AArch64, where this shuffle + store becomes one ST4 (ST2). Swift sees edge_float4 as
// SIMD4<Float>. Clang only (the importer and the Swift build); the C kernels do not use it.
#ifndef EDGE_INTERLEAVE_H
#define EDGE_INTERLEAVE_H
#ifdef __clang__

typedef float edge_float4 __attribute__((ext_vector_type(4)));
typedef float edge_float8 __attribute__((ext_vector_type(8)));
typedef float edge_float16 __attribute__((ext_vector_type(16)));

/// p[4t + 0..3] = a[t], b[t], c[t], d[t] for t = 0..<4.
static inline void edge_store_interleaved4(float *p, edge_float4 a, edge_float4 b, edge_float4 c,
                                           edge_float4 d) {
    edge_float8 ab = __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7);
    edge_float8 cd = __builtin_shufflevector(c, d, 0, 1, 2, 3, 4, 5, 6, 7);
    edge_float16 v = __builtin_shufflevector(ab, cd, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    __builtin_memcpy(p, &v, sizeof v);
}

/// p[2t + 0..1] = a[t], b[t] for t = 0..<4.
static inline void edge_store_interleaved2(float *p, edge_float4 a, edge_float4 b) {
    edge_float8 v = __builtin_shufflevector(a, b, 0, 4, 1, 5, 2, 6, 3, 7);
    __builtin_memcpy(p, &v, sizeof v);
}

#endif
#endif

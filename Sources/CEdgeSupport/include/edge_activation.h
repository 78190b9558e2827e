// The fused activations (EdgeFormat's ActivationKind) in C, for every store that applies
// one on its registers: the GEMM tiles, the depthwise rows, Winograd's output transform
// and the runtime's standalone activation pass. One definition of the math; the vector
// forms live in edge_activation_vec.h and are inlined into each ISA's kernels.
#ifndef EDGE_ACTIVATION_H
#define EDGE_ACTIVATION_H

/// Kinds: the raw values of EdgeFormat's ActivationKind (the .edgm record's ints[0]).
enum {
    EDGE_ACT_NONE = 0,
    EDGE_ACT_RELU = 1,
    /// min(max(x, alpha), beta)
    EDGE_ACT_CLIP = 2,
    /// x >= 0 ? x : alpha * x
    EDGE_ACT_LEAKY_RELU = 3,
    /// max(0, min(1, alpha * x + beta))
    EDGE_ACT_HARD_SIGMOID = 4,
    /// x * max(0, min(1, alpha * x + beta))
    EDGE_ACT_HARD_SWISH = 5,
    EDGE_ACT_SIGMOID = 6,
    /// x * sigmoid(x) (SiLU)
    EDGE_ACT_SWISH = 7,
    EDGE_ACT_TANH = 8,
};

typedef struct edge_activation {
    long kind;
    float alpha;
    float beta;
} edge_activation;

/// One value, with libm's expf/tanhf (the same formulas as FusedActivation.apply).
float edge_activation_scalar(float x, const edge_activation *act);

/// The epilogue on one contiguous vector, in place, with the widest vectors this CPU
/// runs: p[i] = act(p[i] + bias + residual[i]) (`residual` NULL: none). Sigmoid, Swish
/// and Tanh use a polynomial exp (about 2 ulp), not libm.
void edge_epilogue_apply(float *p, long n, float bias, const float *residual, const edge_activation *act);

/// The same on a vector width the caller names (4, 8 or 16 floats: the portable, AVX2
/// and AVX-512 forms); 0 when this CPU cannot run it. For the tests.
int edge_epilogue_apply_width(long width, float *p, long n, float bias, const float *residual,
                              const edge_activation *act);

#endif

// Vector forms of the fused activations over GCC/Clang vector extensions, for any vector
// type (4, 8, 16 floats); each kernel that expands them (compiled for AVX2, AVX-512 or
// NEON) gets them in its own ISA. Private to the C shim (the kernels include it; Swift
// does not see it).
//
// Only bitwise selects on comparison masks, no vector `?:` (C vector conditionals are
// Clang-only and the device build compiles these files with GCC).
#ifndef EDGE_ACTIVATION_VEC_H
#define EDGE_ACTIVATION_VEC_H

#include "edge_activation.h"


typedef float edge_v4 __attribute__((vector_size(16)));
typedef float edge_v8 __attribute__((vector_size(32)));
typedef float edge_v16 __attribute__((vector_size(64)));

// Written as GNU statement-expression macros, generic over the vector type, rather than
// inline functions: a function taking an AVX vector by value, called from a kernel
// compiled for AVX2 or AVX-512, is an ABI error in Clang even when always inlined; a
// macro expands inside the kernel and takes its ISA. Each macro's temporaries carry their
// own prefix so that nested expansions do not shadow each other.

/// Lanes of a where `mask` is set, else of b (mask: a comparison's result).
#define EDGE_VSELECT(mask, a, b)                                                              \
    ({                                                                                        \
        const __typeof__(mask) s_m = (mask);                                                  \
        const __typeof__(a) s_a = (a), s_b = (b);                                             \
        (__typeof__(s_a))((s_m & (__typeof__(s_m))s_a) | (~s_m & (__typeof__(s_m))s_b));     \
    })

/// min(max(x, lo), hi) lane by lane (lo, hi: scalars).
#define EDGE_VCLAMP(x, lo, hi)                                                                \
    ({                                                                                        \
        const __typeof__(x) c_x = (x);                                                        \
        const __typeof__(c_x) c_lo = (__typeof__(c_x)){0} + (lo), c_hi = (__typeof__(c_x)){0} + (hi); \
        const __typeof__(c_x) c_y = EDGE_VSELECT(c_x < c_lo, c_lo, c_x);                      \
        EDGE_VSELECT(c_y > c_hi, c_hi, c_y);                                                  \
    })

/// e^x: the range reduction x = n ln2 + r, |r| <= ln2/2, a degree-6 polynomial for e^r
/// (Cephes' coefficients) and 2^n built in the exponent bits, as EdgeRuntime's vectorExp:
/// about 1-2 ulp, well inside the 1e-5 tolerance the kernels are tested to.
#define EDGE_VEXP(x)                                                                          \
    ({                                                                                        \
        typedef __typeof__((x) + 0.0f) e_vt; /* unqualified */                                \
        typedef __typeof__((x) < (x)) e_it;                                                   \
        const e_vt e_x = EDGE_VCLAMP((x), -87.33654f, 88.72283f);                             \
        /* n = round(x / ln2) by the 1.5 * 2^23 trick: the sum's low mantissa bits hold n. */ \
        const e_vt e_shifted = e_x * 1.442695041f + 12582912.0f;                              \
        const e_vt e_n = e_shifted - 12582912.0f;                                             \
        const e_it e_nInt = (e_it)e_shifted - 0x4B400000;                                     \
        /* ln2 split in two so n * ln2 is exact in its high part. */                          \
        const e_vt e_r = e_x - e_n * 0.693359375f + e_n * 2.12194440e-4f;                     \
        e_vt e_p = (e_vt){0} + 1.9875691500e-4f;                                              \
        e_p = e_p * e_r + 1.3981999507e-3f;                                                   \
        e_p = e_p * e_r + 8.3334519073e-3f;                                                   \
        e_p = e_p * e_r + 4.1665795894e-2f;                                                   \
        e_p = e_p * e_r + 1.6666665459e-1f;                                                   \
        e_p = e_p * e_r + 5.0000001201e-1f;                                                   \
        const e_vt e_er = e_p * e_r * e_r + e_r + 1.0f;                                       \
        /* 2^n as 2 * 2^(n-1): n reaches 128 at the top of the range. */                      \
        const e_it e_bits = (e_nInt + 126) << 23;                                             \
        e_er * 2.0f * (e_vt)e_bits;                                                           \
    })

/// 1 / (1 + e^-x), saturating cleanly at both ends.
#define EDGE_VSIGMOID(x)                                                                      \
    ({                                                                                        \
        const __typeof__(x) g_x = (x);                                                        \
        1.0f / (1.0f + EDGE_VEXP(-g_x));                                                      \
    })

/// tanh(x) = 1 - 2 / (e^2|x| + 1) with x's sign; for tiny |x|, tanh(x) ~ x.
#define EDGE_VTANH(x)                                                                         \
    ({                                                                                        \
        const __typeof__(x) t_x = (x), t_zero = {0};                                          \
        const __typeof__(t_x < t_x) t_negative = t_x < t_zero;                                \
        const __typeof__(t_x) t_a = EDGE_VSELECT(t_negative, -t_x, t_x);                      \
        const __typeof__(t_x) t_t = 1.0f - 2.0f / (EDGE_VEXP(2.0f * t_a) + 1.0f);             \
        const __typeof__(t_x) t_u = EDGE_VSELECT(t_a < (t_zero + 0.0004f), t_a, t_t);         \
        EDGE_VSELECT(t_negative, -t_u, t_u);                                                  \
    })

/// The activation `act` (const edge_activation *) on one vector x of type VT.
#define EDGE_ACTIVATE(VT, x, act)                                                             \
    ({                                                                                        \
        VT a_x = (x);                                                                         \
        const edge_activation *a_act = (act);                                                 \
        const VT a_zero = {0};                                                                \
        switch (a_act->kind) {                                                                \
        case EDGE_ACT_RELU: a_x = EDGE_VSELECT(a_x > a_zero, a_x, a_zero); break;             \
        case EDGE_ACT_CLIP: a_x = EDGE_VCLAMP(a_x, a_act->alpha, a_act->beta); break;         \
        case EDGE_ACT_LEAKY_RELU: a_x = EDGE_VSELECT(a_x >= a_zero, a_x, a_x * a_act->alpha); break; \
        case EDGE_ACT_HARD_SIGMOID: a_x = EDGE_VCLAMP(a_x * a_act->alpha + a_act->beta, 0.0f, 1.0f); break; \
        case EDGE_ACT_HARD_SWISH: a_x = a_x * EDGE_VCLAMP(a_x * a_act->alpha + a_act->beta, 0.0f, 1.0f); break; \
        case EDGE_ACT_SIGMOID: a_x = EDGE_VSIGMOID(a_x); break;                               \
        case EDGE_ACT_SWISH: a_x = a_x * EDGE_VSIGMOID(a_x); break;                           \
        case EDGE_ACT_TANH: a_x = EDGE_VTANH(a_x); break;                                     \
        default: break;                                                                       \
        }                                                                                     \
        a_x;                                                                                  \
    })

#endif

// The standalone epilogue pass (edge_activation.h): the activation over a contiguous
// vector for stores that are not a register tile (Winograd's output rows, layers without
// a fused producer), on the widest vectors this CPU runs.
#include "edge_activation_vec.h"

#include <math.h>
#include <string.h>

float edge_activation_scalar(float x, const edge_activation *act) {
    switch (act->kind) {
    case EDGE_ACT_RELU: return x > 0 ? x : 0;
    case EDGE_ACT_CLIP: {
        const float v = x < act->alpha ? act->alpha : x;
        return v > act->beta ? act->beta : v;
    }
    case EDGE_ACT_LEAKY_RELU: return x >= 0 ? x : act->alpha * x;
    case EDGE_ACT_HARD_SIGMOID:
    case EDGE_ACT_HARD_SWISH: {
        float g = act->alpha * x + act->beta;
        g = g < 0 ? 0 : g;
        g = g > 1 ? 1 : g;
        return act->kind == EDGE_ACT_HARD_SWISH ? x * g : g;
    }
    case EDGE_ACT_SIGMOID:
    case EDGE_ACT_SWISH: {
        // Split by sign so expf never overflows to inf/inf.
        float s;
        if (x >= 0) {
            s = 1 / (1 + expf(-x));
        } else {
            const float e = expf(x);
            s = e / (1 + e);
        }
        return act->kind == EDGE_ACT_SWISH ? x * s : s;
    }
    case EDGE_ACT_TANH: return tanhf(x);
    default: return x;
    }
}

// W floats per step; the tail goes through one zero-padded vector so every element sees
// the same (vector) math: this function again on a W-float copy, not a second expansion
// of the activation (-1 KB on aarch64).
#define EDGE_EPILOGUE_ROW(NAME, ATTR, VT, W)                                                  \
    ATTR static void NAME(float *p, long n, float bias, const float *residual,                \
                          const edge_activation *act) {                                       \
        long i = 0;                                                                           \
        for (; i + W <= n; i += W) {                                                          \
            VT x;                                                                             \
            memcpy(&x, p + i, sizeof(VT));                                                    \
            x += bias;                                                                        \
            if (residual) {                                                                   \
                VT r;                                                                         \
                memcpy(&r, residual + i, sizeof(VT));                                         \
                x += r;                                                                       \
            }                                                                                 \
            x = EDGE_ACTIVATE(VT, x, act);                                                    \
            memcpy(p + i, &x, sizeof(VT));                                                    \
        }                                                                                     \
        if (i < n) {                                                                          \
            const size_t tail = (size_t)(n - i) * sizeof(float);                              \
            float x[W] = {0}, r[W] = {0};                                                     \
            memcpy(x, p + i, tail);                                                           \
            if (residual) memcpy(r, residual + i, tail);                                      \
            NAME(x, W, bias, residual ? r : NULL, act);                                       \
            memcpy(p + i, x, tail);                                                           \
        }                                                                                     \
    }

EDGE_EPILOGUE_ROW(edge_epilogue_v4, , edge_v4, 4)
#if defined(__x86_64__)
EDGE_EPILOGUE_ROW(edge_epilogue_avx2, __attribute__((target("avx2,fma"))), edge_v8, 8)
EDGE_EPILOGUE_ROW(edge_epilogue_avx512, __attribute__((target("avx512f,avx2,fma"))), edge_v16, 16)
#endif

typedef void (*edge_epilogue_fn)(float *, long, float, const float *, const edge_activation *);

/// The widest form this CPU runs for `width` (0: the widest of all), or NULL.
static edge_epilogue_fn edge_epilogue_for(long width) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    const int avx512 = __builtin_cpu_supports("avx512f");
    const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if ((width == 0 || width == 16) && avx512) return edge_epilogue_avx512;
    if ((width == 0 || width == 8) && avx2) return edge_epilogue_avx2;
    if (width == 16 || width == 8) return NULL;
#endif
    if (width == 0 || width == 4) return edge_epilogue_v4;
    return NULL;
}

static edge_epilogue_fn edge_epilogue_best;

void edge_epilogue_apply(float *p, long n, float bias, const float *residual, const edge_activation *act) {
    if (act->kind == EDGE_ACT_NONE && bias == 0 && !residual) return;
    edge_epilogue_fn f = __atomic_load_n(&edge_epilogue_best, __ATOMIC_ACQUIRE);
    if (!f) {
        f = edge_epilogue_for(0);
        __atomic_store_n(&edge_epilogue_best, f, __ATOMIC_RELEASE);
    }
    f(p, n, bias, residual, act);
}

int edge_epilogue_apply_width(long width, float *p, long n, float bias, const float *residual,
                              const edge_activation *act) {
    if (width == 0) return 0;
    const edge_epilogue_fn f = edge_epilogue_for(width);
    if (!f) return 0;
    f(p, n, bias, residual, act);
    return 1;
}

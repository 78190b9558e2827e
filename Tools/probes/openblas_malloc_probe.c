// Counts heap allocations made inside cblas_sgemm / cblas_sgemv after a warm-up call, over
// a grid of shapes, transposes and beta (the question behind issue 7: can OpenBLAS
// allocate inside Interpreter.run?). malloc/calloc/realloc are interposed in this
// executable and forwarded to glibc.
//
//   Tools/probes/openblas_malloc_probe.sh      builds it for the host and for aarch64 (qemu)
//
// PROBE_THREADS=N pins OpenBLAS to N threads (default: OpenBLAS's own choice).
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static volatile int counting;
static long count;

void *malloc(size_t n) { if (counting) count++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { if (counting) count++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { if (counting) count++; return __libc_realloc(p, n); }

static void sgemm(int m, int n, int k, int transA, int transB, float beta, float *a, float *b, float *c) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                m, n, k, 1, a, transA ? m : k, b, transB ? k : n, beta, c, n);
}

int main(void) {
    if (getenv("PROBE_THREADS")) openblas_set_num_threads(atoi(getenv("PROBE_THREADS")));
    printf("OpenBLAS core %s, %d thread(s)\n", openblas_get_corename(), openblas_get_num_threads());
    const int ms[] = {1, 3, 8, 16, 24, 33, 64, 96, 128};
    const int ns[] = {1, 7, 17, 49, 196, 300};
    const int ks[] = {1, 3, 8, 16, 27, 32, 64, 144, 288};
    float *a = calloc(1 << 20, 4), *b = calloc(1 << 20, 4), *c = calloc(1 << 20, 4);
    int allocating = 0, total = 0;
    for (int i = 0; i < 9; i++)
        for (int j = 0; j < 6; j++)
            for (int q = 0; q < 9; q++)
                for (int t = 0; t < 4; t++) {
                    const int m = ms[i], n = ns[j], k = ks[q], transA = t & 1, transB = t >> 1;
                    const float beta = (q & 1) ? 1.0f : 0.0f;
                    sgemm(m, n, k, transA, transB, beta, a, b, c);   // warm-up
                    count = 0;
                    counting = 1;
                    sgemm(m, n, k, transA, transB, beta, a, b, c);
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1, b, k, a, 1, beta, c, 1);
                    counting = 0;
                    total++;
                    if (count) {
                        if (allocating < 10)
                            printf("M=%d N=%d K=%d transA=%d transB=%d: %ld allocation(s)\n", m, n, k, transA, transB, count);
                        allocating++;
                    }
                }
    printf("%d of %d cases allocate\n", allocating, total);
    return 0;
}

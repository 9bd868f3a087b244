// The GEMM libraries Kino can use (Debian: libopenblas-dev, libdnnl-dev). `kino bench kernels` measures both;
// Kino uses the faster one (oneDNN on the development machine) and keeps OpenBLAS as the fallback.
#include <cblas.h>
#include <dnnl.h>

// OpenBLAS's thread control.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

// OpenMP (oneDNN's threading runtime on Debian): Kino's pool calls oneDNN from each worker single-threaded.
void omp_set_num_threads(int num_threads);

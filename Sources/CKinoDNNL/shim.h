// oneDNN's C API (Debian: libdnnl-dev), used by `kino bench kernels` to compare its sgemm with OpenBLAS's.
#include <dnnl.h>

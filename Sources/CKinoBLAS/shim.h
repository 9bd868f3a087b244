// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). Kino's GEMMs go through here.
#include <cblas.h>
// Thread control exported by OpenBLAS.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

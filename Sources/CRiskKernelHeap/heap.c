#include "CRiskKernelHeap.h"

// Any C library header defines __GLIBC__ for glibc (through <features.h>).
#include <stdlib.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

int rk_heap_set_thresholds(int mmap_threshold, int trim_threshold) {
#if defined(__GLIBC__)
    int ok = 1;
    if (mmap_threshold > 0 && mallopt(M_MMAP_THRESHOLD, mmap_threshold) != 1) ok = 0;
    if (trim_threshold > 0 && mallopt(M_TRIM_THRESHOLD, trim_threshold) != 1) ok = 0;
    return ok;
#else
    (void)mmap_threshold;
    (void)trim_threshold;
    return 0;
#endif
}

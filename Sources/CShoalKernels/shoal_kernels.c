#include "shoal_kernels.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

void shoal_stream_copy_floats(float *dst, const float *src, size_t count) {
    size_t i = 0;
    // Plain stores up to dst's first 16-byte boundary: _mm_stream_ps needs it aligned.
    while (i < count && ((uintptr_t)(dst + i) & 15) != 0) {
        dst[i] = src[i];
        i++;
    }
    for (; i + 4 <= count; i += 4) _mm_stream_ps(dst + i, _mm_loadu_ps(src + i));
    for (; i < count; i++) dst[i] = src[i];
    // Streaming stores are weakly ordered: make them visible before whoever publishes the data goes on.
    _mm_sfence();
}
#else
void shoal_stream_copy_floats(float *dst, const float *src, size_t count) {
    memcpy(dst, src, count * sizeof(float));
}
#endif

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include "CBSONShims.h"

bson_iter_t *threepay_bson_iter_new(void) {
    // The alignment sits on the typedef, so sizeof is not rounded up to it; aligned_alloc wants a multiple.
    size_t alignment = alignof(bson_iter_t);
    size_t size = (sizeof(bson_iter_t) + alignment - 1) / alignment * alignment;
    bson_iter_t *iter = aligned_alloc(alignment, size);
    if (iter) {
        memset(iter, 0, size);
    }
    return iter;
}

void threepay_bson_iter_free(bson_iter_t *iter) {
    free(iter);
}

uint32_t threepay_bson_iter_error_offset(const bson_iter_t *iter) {
    return iter->err_off;
}

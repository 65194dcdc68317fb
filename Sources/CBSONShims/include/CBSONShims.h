// What Swift needs to use libbson's iterator but cannot import: bson_iter_t is declared with 128-byte
// alignment, so Swift sees `bson_iter_t *` only as an opaque pointer and can neither allocate one nor read
// its fields. These functions allocate it and expose the one field with no accessor of its own.
#pragma once
#include <bson/bson.h>

/// A zeroed iterator on the heap, aligned as libbson declares it; NULL when memory runs out.
/// Release it with threepay_bson_iter_free.
bson_iter_t *threepay_bson_iter_new(void);

void threepay_bson_iter_free(bson_iter_t *iter);

/// After bson_iter_next returned false: the offset of the defect that stopped it (a truncated or
/// overrunning element, an unknown type code, a premature end), or 0 when it reached the document's end.
uint32_t threepay_bson_iter_error_offset(const bson_iter_t *iter);

#ifndef C_RISKKERNEL_SCAN_H
#define C_RISKKERNEL_SCAN_H

#include <stddef.h>
#include <stdint.h>

/// A filter for a set of byte pairs: eight buckets of pairs, and for each of the four nibbles of a
/// pair (the first byte's low and high, the second byte's low and high) the buckets that have a
/// pair with that nibble value. A position whose two bytes give a common bucket for all four
/// nibbles may start a pair ("Teddy", the SIMD literal search of Hyperscan and Rust's
/// aho-corasick): every position that starts a pair passes, and some others may.
typedef struct {
    uint8_t first_low[16];
    uint8_t first_high[16];
    uint8_t second_low[16];
    uint8_t second_high[16];
} rk_pair_filter;

/// The filter for the `count` pairs `(firsts[k], seconds[k])`; pairs with the same first byte
/// share a bucket.
rk_pair_filter rk_pair_filter_make(const uint8_t *firsts, const uint8_t *seconds, size_t count);

/// The first position `i` at or after `from` (and below `length - 1`) whose bytes `bytes[i]`,
/// `bytes[i + 1]` pass `filter`, or `length` when there is none. Thirty-two positions at a time
/// with AVX2, sixteen with SSSE3, one at a time on processors with neither.
size_t rk_next_pair(const uint8_t *bytes, size_t length, size_t from, const rk_pair_filter *filter);

/// The widest block this processor searches in: 32 (AVX2), 16 (SSSE3) or 1.
size_t rk_pair_block(void);

/// `rk_next_pair` in blocks of `block` positions (32 or 16, which the processor must support; any
/// other value searches one position at a time), so that tests can compare the three searches.
size_t rk_next_pair_in_blocks(const uint8_t *bytes, size_t length, size_t from, const rk_pair_filter *filter, size_t block);

/// The index of the first quote, backslash or control byte (below 0x20) of `bytes` at or after
/// `from`: the bytes that end a run of a JSON string copied as is (RFC 8259 §7). `length` when
/// there is none. Thirty-two bytes at a time with AVX2, sixteen with SSE2 (every x86-64 processor).
size_t rk_first_json_special(const uint8_t *bytes, size_t length, size_t from);

/// `rk_first_json_special` in blocks of `block` bytes (32 or 16, which the processor must support;
/// any other value one byte at a time), so that tests can compare the searches.
size_t rk_first_json_special_in_blocks(const uint8_t *bytes, size_t length, size_t from, size_t block);

/// The index of the first byte at or above 0x80 of `bytes` at or after `from` (`length` when there
/// is none): where a run of ASCII ends. Thirty-two bytes at a time with AVX2, sixteen with SSE2.
size_t rk_first_non_ascii(const uint8_t *bytes, size_t length, size_t from);
/// `rk_first_non_ascii` in blocks of `block` bytes (32 or 16, which the processor must support; any
/// other value one byte at a time), so that tests can compare the searches.
size_t rk_first_non_ascii_in_blocks(const uint8_t *bytes, size_t length, size_t from, size_t block);
#endif

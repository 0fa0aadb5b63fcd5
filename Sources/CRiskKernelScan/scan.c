#include "CRiskKernelScan.h"

rk_pair_filter rk_pair_filter_make(const uint8_t *firsts, const uint8_t *seconds, size_t count) {
    rk_pair_filter filter = {{0}, {0}, {0}, {0}};
    uint8_t bucketFirsts[8];
    size_t buckets = 0;
    for (size_t pair = 0; pair < count; pair++) {
        // The bucket of the pair's first byte: its own while there are buckets left, then shared.
        size_t bucket = 0;
        while (bucket < buckets && bucketFirsts[bucket] != firsts[pair]) bucket++;
        if (bucket == buckets) {
            if (buckets < 8) {
                bucketFirsts[buckets++] = firsts[pair];
            } else {
                bucket = firsts[pair] % 8;
            }
        }
        uint8_t bit = (uint8_t)(1u << bucket);
        filter.first_low[firsts[pair] & 0x0F] |= bit;
        filter.first_high[firsts[pair] >> 4] |= bit;
        filter.second_low[seconds[pair] & 0x0F] |= bit;
        filter.second_high[seconds[pair] >> 4] |= bit;
    }
    return filter;
}

static inline int rk_passes(const uint8_t *bytes, size_t index, const rk_pair_filter *filter) {
    uint8_t first = bytes[index], second = bytes[index + 1];
    return (filter->first_low[first & 0x0F] & filter->first_high[first >> 4] & filter->second_low[second & 0x0F]
            & filter->second_high[second >> 4]) != 0;
}

#if defined(__x86_64__)
#include <immintrin.h>

// The two searches are written once for both vector widths: `V` is the vector type, `W` its width
// in bytes, the other arguments its intrinsics (AVX2's `_mm256_…` or SSE's `_mm_…`).

// Positions whose bytes pass the filter, W at a time; stops at a block's first passing position,
// or where fewer than W + 1 bytes are left (position i reads bytes i and i + 1).
#define RK_NEXT_PAIR(name, isa, V, W, table, loadu, and, shuffle, srli16, cmpeq, set1, zero, movemask, full) \
    __attribute__((target(isa)))                                                                              \
    static size_t name(const uint8_t *bytes, size_t length, size_t index, const rk_pair_filter *filter) {     \
        const V firstLow = table(filter->first_low), firstHigh = table(filter->first_high);                    \
        const V secondLow = table(filter->second_low), secondHigh = table(filter->second_high);                \
        const V nibble = set1(0x0F);                                                                          \
        while (index + W + 1 <= length) {                                                                     \
            V here = loadu((const V *)(bytes + index)), next = loadu((const V *)(bytes + index + 1));          \
            V first = and(shuffle(firstLow, and(here, nibble)), shuffle(firstHigh, and(srli16(here, 4), nibble)));   \
            V second = and(shuffle(secondLow, and(next, nibble)), shuffle(secondHigh, and(srli16(next, 4), nibble))); \
            uint32_t empty = (uint32_t)movemask(cmpeq(and(first, second), zero()));                            \
            if (empty != full) return index + (size_t)__builtin_ctz(~empty);                                  \
            index += W;                                                                                       \
        }                                                                                                     \
        return index;                                                                                         \
    }

// The first quote, backslash or control byte, W bytes at a time; stops at the block that holds
// one, or where fewer than W bytes are left. A byte is at most 0x1F exactly when the larger of it
// and 0x1F is 0x1F.
#define RK_FIRST_SPECIAL(name, isa, V, W, loadu, or, cmpeq, max, set1, movemask)                          \
    __attribute__((target(isa)))                                                                              \
    static size_t name(const uint8_t *bytes, size_t length, size_t index) {                                   \
        const V quote = set1('"'), backslash = set1('\\'), control = set1(0x1F);                              \
        while (index + W <= length) {                                                                         \
            V block = loadu((const V *)(bytes + index));                                                      \
            V special = or(or(cmpeq(block, quote), cmpeq(block, backslash)), cmpeq(max(block, control), control)); \
            uint32_t lanes = (uint32_t)movemask(special);                                                     \
            if (lanes != 0) return index + (size_t)__builtin_ctz(lanes);                                      \
            index += W;                                                                                       \
        }                                                                                                     \
        return index;                                                                                         \
    }

#define RK_TABLE_256(bytes) _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(bytes)))
#define RK_TABLE_128(bytes) _mm_loadu_si128((const __m128i *)(bytes))

RK_NEXT_PAIR(rk_next_pair_avx2, "avx2", __m256i, 32, RK_TABLE_256, _mm256_loadu_si256, _mm256_and_si256, _mm256_shuffle_epi8,
             _mm256_srli_epi16, _mm256_cmpeq_epi8, _mm256_set1_epi8, _mm256_setzero_si256, _mm256_movemask_epi8, UINT32_MAX)
RK_NEXT_PAIR(rk_next_pair_ssse3, "ssse3", __m128i, 16, RK_TABLE_128, _mm_loadu_si128, _mm_and_si128, _mm_shuffle_epi8,
             _mm_srli_epi16, _mm_cmpeq_epi8, _mm_set1_epi8, _mm_setzero_si128, _mm_movemask_epi8, 0xFFFFu)
RK_FIRST_SPECIAL(rk_first_json_special_avx2, "avx2", __m256i, 32, _mm256_loadu_si256, _mm256_or_si256, _mm256_cmpeq_epi8,
                 _mm256_max_epu8, _mm256_set1_epi8, _mm256_movemask_epi8)
RK_FIRST_SPECIAL(rk_first_json_special_sse2, "sse2", __m128i, 16, _mm_loadu_si128, _mm_or_si128, _mm_cmpeq_epi8,
                 _mm_max_epu8, _mm_set1_epi8, _mm_movemask_epi8)

// The first byte at or above 0x80, W bytes at a time (its top bit, as the byte mask gives it);
// stops at the block that holds one, or where fewer than W bytes are left.
#define RK_FIRST_NON_ASCII(name, isa, V, W, loadu, movemask)                                                   \
    __attribute__((target(isa)))                                                                              \
    static size_t name(const uint8_t *bytes, size_t length, size_t index) {                                   \
        while (index + W <= length) {                                                                         \
            uint32_t high = (uint32_t)movemask(loadu((const V *)(bytes + index)));                             \
            if (high != 0) return index + (size_t)__builtin_ctz(high);                                        \
            index += W;                                                                                       \
        }                                                                                                     \
        return index;                                                                                         \
    }

RK_FIRST_NON_ASCII(rk_first_non_ascii_avx2, "avx2", __m256i, 32, _mm256_loadu_si256, _mm256_movemask_epi8)
RK_FIRST_NON_ASCII(rk_first_non_ascii_sse2, "sse2", __m128i, 16, _mm_loadu_si128, _mm_movemask_epi8)
#endif

size_t rk_next_pair_in_blocks(const uint8_t *bytes, size_t length, size_t from, const rk_pair_filter *filter, size_t block) {
    size_t index = from;
#if defined(__x86_64__)
    // The vector search stops at a block's first passing position (confirmed below at once), or
    // where too few bytes are left for a block (searched below one position at a time).
    if (block == 32) {
        index = rk_next_pair_avx2(bytes, length, index, filter);
    } else if (block == 16) {
        index = rk_next_pair_ssse3(bytes, length, index, filter);
    }
#endif
    for (; index + 1 < length; index++) {
        if (rk_passes(bytes, index, filter)) return index;
    }
    return length;
}

size_t rk_next_pair(const uint8_t *bytes, size_t length, size_t from, const rk_pair_filter *filter) {
    return rk_next_pair_in_blocks(bytes, length, from, filter, rk_pair_block());
}

size_t rk_pair_block(void) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) return 32;
    if (__builtin_cpu_supports("ssse3")) return 16;
#endif
    return 1;
}

// A byte search's two entries: `NAME_in_blocks` runs the vector kernel for a block of 32
// (`NAME_avx2`) or 16 (`NAME_sse2`) bytes, then tests the bytes left one at a time with `found`;
// `NAME` searches in the widest block this processor has (every x86-64 processor has SSE2).
#if defined(__x86_64__)
#define RK_VECTOR_KERNEL(name, block, bytes, length, index)                                                    \
    if (block == 32) {                                                                                        \
        index = name##_avx2(bytes, length, index);                                                            \
    } else if (block == 16) {                                                                                 \
        index = name##_sse2(bytes, length, index);                                                            \
    }
#define RK_WIDEST_BLOCK (__builtin_cpu_supports("avx2") ? 32 : 16)
#else
#define RK_VECTOR_KERNEL(name, block, bytes, length, index) (void)block;
#define RK_WIDEST_BLOCK 1
#endif

#define RK_BYTE_SEARCH(name, found)                                                                           \
    size_t name##_in_blocks(const uint8_t *bytes, size_t length, size_t from, size_t block) {                 \
        size_t index = from;                                                                                  \
        RK_VECTOR_KERNEL(name, block, bytes, length, index)                                                   \
        for (; index < length; index++) {                                                                     \
            uint8_t byte = bytes[index];                                                                      \
            if (found) return index;                                                                          \
        }                                                                                                     \
        return length;                                                                                        \
    }                                                                                                         \
    size_t name(const uint8_t *bytes, size_t length, size_t from) {                                           \
        return name##_in_blocks(bytes, length, from, RK_WIDEST_BLOCK);                                        \
    }

RK_BYTE_SEARCH(rk_first_json_special, byte == '"' || byte == '\\' || byte < 0x20)
RK_BYTE_SEARCH(rk_first_non_ascii, byte >= 0x80)

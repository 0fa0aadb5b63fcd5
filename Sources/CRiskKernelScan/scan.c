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

__attribute__((target("avx2")))
static size_t rk_next_pair_avx2(const uint8_t *bytes, size_t length, size_t index, const rk_pair_filter *filter) {
    const __m256i firstLow = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)filter->first_low));
    const __m256i firstHigh = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)filter->first_high));
    const __m256i secondLow = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)filter->second_low));
    const __m256i secondHigh = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)filter->second_high));
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    // Position i needs bytes i and i + 1: a block of 32 positions reads 33 bytes.
    while (index + 33 <= length) {
        __m256i here = _mm256_loadu_si256((const __m256i *)(bytes + index));
        __m256i next = _mm256_loadu_si256((const __m256i *)(bytes + index + 1));
        __m256i first = _mm256_and_si256(
            _mm256_shuffle_epi8(firstLow, _mm256_and_si256(here, nibble)),
            _mm256_shuffle_epi8(firstHigh, _mm256_and_si256(_mm256_srli_epi16(here, 4), nibble)));
        __m256i second = _mm256_and_si256(
            _mm256_shuffle_epi8(secondLow, _mm256_and_si256(next, nibble)),
            _mm256_shuffle_epi8(secondHigh, _mm256_and_si256(_mm256_srli_epi16(next, 4), nibble)));
        uint32_t empty = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(first, second), _mm256_setzero_si256()));
        if (empty != UINT32_MAX) return index + (size_t)__builtin_ctz(~empty);
        index += 32;
    }
    return index;
}

__attribute__((target("ssse3")))
static size_t rk_next_pair_ssse3(const uint8_t *bytes, size_t length, size_t index, const rk_pair_filter *filter) {
    const __m128i firstLow = _mm_loadu_si128((const __m128i *)filter->first_low);
    const __m128i firstHigh = _mm_loadu_si128((const __m128i *)filter->first_high);
    const __m128i secondLow = _mm_loadu_si128((const __m128i *)filter->second_low);
    const __m128i secondHigh = _mm_loadu_si128((const __m128i *)filter->second_high);
    const __m128i nibble = _mm_set1_epi8(0x0F);
    while (index + 17 <= length) {
        __m128i here = _mm_loadu_si128((const __m128i *)(bytes + index));
        __m128i next = _mm_loadu_si128((const __m128i *)(bytes + index + 1));
        __m128i first = _mm_and_si128(
            _mm_shuffle_epi8(firstLow, _mm_and_si128(here, nibble)), _mm_shuffle_epi8(firstHigh, _mm_and_si128(_mm_srli_epi16(here, 4), nibble)));
        __m128i second = _mm_and_si128(
            _mm_shuffle_epi8(secondLow, _mm_and_si128(next, nibble)), _mm_shuffle_epi8(secondHigh, _mm_and_si128(_mm_srli_epi16(next, 4), nibble)));
        uint32_t empty = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(first, second), _mm_setzero_si128()));
        if (empty != 0xFFFF) return index + (size_t)__builtin_ctz(~empty);
        index += 16;
    }
    return index;
}
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

#if defined(__x86_64__)
__attribute__((target("avx2")))
static size_t rk_first_json_special_avx2(const uint8_t *bytes, size_t length, size_t index) {
    const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\'), control = _mm256_set1_epi8(0x1F);
    while (index + 32 <= length) {
        __m256i block = _mm256_loadu_si256((const __m256i *)(bytes + index));
        // A byte is at most 0x1F exactly when the larger of it and 0x1F is 0x1F.
        __m256i special = _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi8(block, quote), _mm256_cmpeq_epi8(block, backslash)),
            _mm256_cmpeq_epi8(_mm256_max_epu8(block, control), control));
        uint32_t lanes = (uint32_t)_mm256_movemask_epi8(special);
        if (lanes != 0) return index + (size_t)__builtin_ctz(lanes);
        index += 32;
    }
    return index;
}

static size_t rk_first_json_special_sse2(const uint8_t *bytes, size_t length, size_t index) {
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), control = _mm_set1_epi8(0x1F);
    while (index + 16 <= length) {
        __m128i block = _mm_loadu_si128((const __m128i *)(bytes + index));
        __m128i special = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(block, quote), _mm_cmpeq_epi8(block, backslash)),
            _mm_cmpeq_epi8(_mm_max_epu8(block, control), control));
        uint32_t lanes = (uint32_t)_mm_movemask_epi8(special);
        if (lanes != 0) return index + (size_t)__builtin_ctz(lanes);
        index += 16;
    }
    return index;
}
#endif

size_t rk_first_json_special_in_blocks(const uint8_t *bytes, size_t length, size_t from, size_t block) {
    size_t index = from;
#if defined(__x86_64__)
    if (block == 32) {
        index = rk_first_json_special_avx2(bytes, length, index);
    } else if (block == 16) {
        index = rk_first_json_special_sse2(bytes, length, index);
    }
#endif
    for (; index < length; index++) {
        uint8_t byte = bytes[index];
        if (byte == '"' || byte == '\\' || byte < 0x20) return index;
    }
    return length;
}

size_t rk_first_json_special(const uint8_t *bytes, size_t length, size_t from) {
#if defined(__x86_64__)
    return rk_first_json_special_in_blocks(bytes, length, from, __builtin_cpu_supports("avx2") ? 32 : 16);
#else
    return rk_first_json_special_in_blocks(bytes, length, from, 1);
#endif
}

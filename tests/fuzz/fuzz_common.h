/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the libFuzzer harnesses: a byte reader over the fuzz input, the
 * invariant check, the EAL and mempool set-up, and frames built as chains of
 * external buffers from malloc, so that AddressSanitizer sees every byte
 * read past a segment (mempool memory is invisible to it) and every read of
 * a frame after its mbuf was freed.
 */
#ifndef COLO_FUZZ_COMMON_H
#define COLO_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

/** Keep a checking function out of the coverage the fuzzer is guided by. */
#define FUZZ_NO_COVERAGE __attribute__((no_sanitize("coverage")))

/** Abort (a libFuzzer crash, with the input saved) when @p cond is false. */
#define FUZZ_CHECK(cond)                                                                     \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
					#cond);                                              \
			abort();                                                             \
		}                                                                            \
	} while (0)

/** The unread part of a fuzz input; reads past its end return zeros. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t
fuzz_u8(struct fuzz_in *in)
{
	uint8_t v;

	if (in->n == 0)
		return 0;
	v = *in->p++;
	in->n--;
	return v;
}

static inline uint16_t
fuzz_u16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);

	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

static inline uint32_t
fuzz_u32(struct fuzz_in *in)
{
	uint32_t hi = fuzz_u16(in);

	return hi << 16 | fuzz_u16(in);
}

/** Up to @p want bytes of the input; their count in @p got. */
static inline const uint8_t *
fuzz_bytes(struct fuzz_in *in, size_t want, size_t *got)
{
	const uint8_t *p = in->p;

	*got = want < in->n ? want : in->n;
	in->p += *got;
	in->n -= *got;
	return p;
}

/**
 * EAL for a harness: --no-huge --no-pci --no-shconf --no-telemetry -m 512
 * --file-prefix=fuzz_<name>, one lcore, EAL logs at error; libcolo logs at
 * debug into /dev/null so that their formatting runs too. Exits on failure.
 */
void fuzz_eal_init(const char *name);

/** Pool of @p n mbufs with COLO_PKT_PRIV_SIZE private bytes and no cache. */
struct rte_mempool *fuzz_pool(const char *name, unsigned int n);

/**
 * A frame of @p len bytes as a chain of external-buffer segments cut at
 * @p cuts (ascending, each <= len; equal cuts make empty segments), then
 * @p zero_tail zero bytes in segments of at most 60000 bytes. Each segment's
 * buffer is a malloc of exactly its length, freed with its mbuf.
 *
 * @return the chain, or NULL if the pool is empty.
 */
struct rte_mbuf *fuzz_chain(struct rte_mempool *mp, const uint8_t *data, size_t len,
		const uint32_t *cuts, unsigned int nb_cuts, size_t zero_tail);

#endif /* COLO_FUZZ_COMMON_H */

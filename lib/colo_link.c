/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Link control frames (colo_link.h, docs/security.md). The header after
 * the outer Ethernet header:
 *
 *   magic 'C' 'L' | version 2 | type 1 | flags | stream | 2 reserved
 *   counter (64-bit, big endian) | tag (32 bytes: HMAC-SHA-256, or zeros)
 *
 * The tag covers everything from the outer ethertype to the end of the
 * frame, with the tag field zeroed; the outer MACs are not covered (the
 * source MAC has its own check). A receiver with a key takes only tagged
 * frames whose counter is above the last it took on that stream, so a
 * recorded frame cannot be played again. Without a key the link is trusted
 * by configuration: nothing can tell a forgery, so there is no replay
 * check either (a forged counter would only lock out the real sender).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "colo_link.h"

#define MAGIC0 'C'
#define MAGIC1 'L'
#define VERSION 2
#define TYPE_PVM_FRAME 1
#define FLAG_TAG 0x01

/* Offsets in the frame. */
#define OFF_ETHERTYPE 12
#define OFF_MAGIC 14
#define OFF_VERSION 16
#define OFF_TYPE 17
#define OFF_FLAGS 18
#define OFF_STREAM 19
#define OFF_COUNTER 22
#define OFF_TAG 30

_Static_assert(OFF_TAG + COLO_LINK_TAG_LEN == COLO_LINK_HDR_LEN, "header layout");

/*
 * HMAC contexts keyed once: EVP_MAC_init() with no key restarts from the
 * keyed state, so a frame costs the hashing alone, with no allocation.
 */
static struct evp_mac_ctx_st *
mac_new(EVP_MAC *alg, const uint8_t *key)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(alg);

	if (ctx != NULL && EVP_MAC_init(ctx, key, COLO_LINK_KEY_LEN, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

int
colo_link_auth_init(struct colo_link_auth *a, const uint8_t *key, uint64_t boot)
{
	EVP_MAC *alg;
	unsigned int i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < COLO_LINK_TX_STREAMS; i++)
		a->tx_next[i] = boot;
	if (key == NULL)
		return 0;
	a->keyed = true;
	alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (alg == NULL)
		return -ENOTSUP;
	for (i = 0; i < RTE_DIM(a->mac); i++) {
		a->mac[i] = mac_new(alg, key);
		if (a->mac[i] == NULL) {
			EVP_MAC_free(alg);
			colo_link_auth_fini(a);
			return -ENOMEM;
		}
	}
	EVP_MAC_free(alg);
	return 0;
}

void
colo_link_auth_fini(struct colo_link_auth *a)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(a->mac); i++) {
		EVP_MAC_CTX_free(a->mac[i]);
		a->mac[i] = NULL;
	}
	OPENSSL_cleanse(a, sizeof(*a));
}

static int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
colo_link_key_load(const char *path, uint8_t key[COLO_LINK_KEY_LEN], char *err, size_t err_len)
{
	char buf[2 * COLO_LINK_KEY_LEN + 64];
	struct stat sb;
	ssize_t n;
	int fd, i, hi, lo;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, err_len, "cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, err_len, "%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if ((sb.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(err, err_len, "%s: mode %03o: a link key must not be readable by others "
				"(chmod 600)", path, (unsigned int)(sb.st_mode & 0777));
		close(fd);
		return -EPERM;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, err_len, "cannot read %s: %s", path, strerror(errno));
		return -EIO;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
				buf[n - 1] == '\t'))
		buf[--n] = '\0';
	if (n != 2 * COLO_LINK_KEY_LEN) {
		snprintf(err, err_len, "%s: a link key is %d hex digits (openssl rand -hex %d)",
				path, 2 * COLO_LINK_KEY_LEN, COLO_LINK_KEY_LEN);
		return -EINVAL;
	}
	for (i = 0; i < COLO_LINK_KEY_LEN; i++) {
		hi = hex_digit(buf[2 * i]);
		lo = hex_digit(buf[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			snprintf(err, err_len, "%s: a link key is %d hex digits", path,
					2 * COLO_LINK_KEY_LEN);
			memset(buf, 0, sizeof(buf));
			return -EINVAL;
		}
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	memset(buf, 0, sizeof(buf));
	return 0;
}

static bool
is_vlan(uint16_t type)
{
	return type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ ||
	       type == RTE_ETHER_TYPE_QINQ1;
}

bool
colo_link_is_control(const uint8_t *frame, uint32_t len)
{
	uint32_t off = OFF_ETHERTYPE;
	uint16_t type;

	/* Each tag moves the ethertype 4 bytes on: the frame's length bounds the walk. */
	while (off + 2 <= len) {
		type = (uint16_t)(frame[off] << 8 | frame[off + 1]);
		if (type == COLO_LINK_ETHERTYPE)
			return true;
		if (!is_vlan(type))
			return false;
		off += 4;
	}
	return false;
}

static bool
tag(struct evp_mac_ctx_st *ctx, const uint8_t *frame, uint32_t len, uint8_t out[COLO_LINK_TAG_LEN])
{
	size_t out_len = 0;

	return EVP_MAC_init(ctx, NULL, 0, NULL) == 1 &&
	       EVP_MAC_update(ctx, frame + OFF_ETHERTYPE, len - OFF_ETHERTYPE) == 1 &&
	       EVP_MAC_final(ctx, out, &out_len, COLO_LINK_TAG_LEN) == 1 &&
	       out_len == COLO_LINK_TAG_LEN;
}

void
colo_link_seal(struct colo_link_auth *a, uint8_t *frame, uint32_t len, uint8_t stream)
{
	rte_be64_t be;
	uint64_t counter;

	counter = a->tx_next[stream]++;
	be = rte_cpu_to_be_64(counter);
	memcpy(frame + RTE_ETHER_ADDR_LEN, &a->self, RTE_ETHER_ADDR_LEN);
	frame[OFF_ETHERTYPE] = COLO_LINK_ETHERTYPE >> 8;
	frame[OFF_ETHERTYPE + 1] = COLO_LINK_ETHERTYPE & 0xff;
	frame[OFF_MAGIC] = MAGIC0;
	frame[OFF_MAGIC + 1] = MAGIC1;
	frame[OFF_VERSION] = VERSION;
	frame[OFF_TYPE] = TYPE_PVM_FRAME;
	frame[OFF_FLAGS] = a->keyed ? FLAG_TAG : 0;
	frame[OFF_STREAM] = stream;
	frame[OFF_STREAM + 1] = 0;
	frame[OFF_STREAM + 2] = 0;
	memcpy(frame + OFF_COUNTER, &be, sizeof(be));
	memset(frame + OFF_TAG, 0, COLO_LINK_TAG_LEN);
	/* Should HMAC fail, the zero tag is refused at the other end. */
	if (a->keyed && !tag(a->mac[stream], frame, len, frame + OFF_TAG))
		memset(frame + OFF_TAG, 0, COLO_LINK_TAG_LEN);
}

enum colo_link_verdict
colo_link_open(struct colo_link_auth *a, uint8_t *frame, uint32_t len)
{
	uint8_t got[COLO_LINK_TAG_LEN], want[COLO_LINK_TAG_LEN];
	rte_be64_t be;
	uint64_t counter;
	uint8_t stream;

	if (len < OFF_ETHERTYPE + 2 || frame[OFF_ETHERTYPE] != COLO_LINK_ETHERTYPE >> 8 ||
			frame[OFF_ETHERTYPE + 1] != (COLO_LINK_ETHERTYPE & 0xff))
		return COLO_LINK_V_CLIENT;
	if (a->check_peer && memcmp(frame + RTE_ETHER_ADDR_LEN, &a->peer, RTE_ETHER_ADDR_LEN) != 0)
		return COLO_LINK_V_FORGED;
	if (len < COLO_LINK_HDR_LEN + RTE_ETHER_HDR_LEN || frame[OFF_MAGIC] != MAGIC0 ||
			frame[OFF_MAGIC + 1] != MAGIC1 || frame[OFF_VERSION] != VERSION ||
			frame[OFF_TYPE] != TYPE_PVM_FRAME)
		return COLO_LINK_V_BAD;
	if (!a->keyed)
		return frame[OFF_FLAGS] & FLAG_TAG ? COLO_LINK_V_FORGED : COLO_LINK_V_PVM;
	if (!(frame[OFF_FLAGS] & FLAG_TAG))
		return COLO_LINK_V_FORGED;
	memcpy(got, frame + OFF_TAG, sizeof(got));
	memset(frame + OFF_TAG, 0, COLO_LINK_TAG_LEN);
	if (!tag(a->mac[COLO_LINK_TX_STREAMS], frame, len, want) || CRYPTO_memcmp(got, want, sizeof(got)) != 0)
		return COLO_LINK_V_FORGED;
	stream = frame[OFF_STREAM];
	memcpy(&be, frame + OFF_COUNTER, sizeof(be));
	counter = rte_be_to_cpu_64(be);
	if (counter <= a->rx_last[stream])
		return COLO_LINK_V_REPLAYED;
	a->rx_last[stream] = counter;
	return COLO_LINK_V_PVM;
}

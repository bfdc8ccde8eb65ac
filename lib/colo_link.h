/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The link between the two hosts' proxies (docs/security.md): which frames
 * are link control, and how a control frame (a copy of a PVM SYN/SYN-ACK)
 * is sealed by the primary and checked by the secondary. Control frames
 * carry the link ethertype, a stream id and a per-stream counter, and,
 * with a key, an HMAC-SHA-256 tag (OpenSSL libcrypto). Byte buffers only:
 * no mbufs, no EAL.
 */
#ifndef COLO_LINK_H
#define COLO_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

/** IEEE Std 802 Local Experimental Ethertype 1: never a VM's own traffic. */
#define COLO_LINK_ETHERTYPE 0x88B5
/** Bytes of a link key (the key file holds them as 64 hex digits). */
#define COLO_LINK_KEY_LEN 32
/** Bytes of the authenticator: HMAC-SHA-256, untruncated. */
#define COLO_LINK_TAG_LEN 32
/** The link header in front of the encapsulated frame. */
#define COLO_LINK_HDR_LEN 62
/** Streams a receiver tells apart (the stream field is one byte). */
#define COLO_LINK_STREAMS 256
/** Streams a sender has: one per TX queue of the link (the RX lcore that sends). */
#define COLO_LINK_TX_STREAMS 16

struct evp_mac_ctx_st; /* OpenSSL's EVP_MAC_CTX */

/** What a frame received on the link is. */
enum colo_link_verdict {
	COLO_LINK_V_CLIENT = 0, /**< not the link ethertype: a mirrored client frame */
	COLO_LINK_V_PVM,	/**< a valid control frame: the PVM frame follows the header */
	COLO_LINK_V_BAD,	/**< link ethertype, header we do not know (newer peer, garbage) */
	COLO_LINK_V_FORGED,	/**< wrong tag, tag missing or unexpected, wrong source MAC */
	COLO_LINK_V_REPLAYED,	/**< authentic, but its counter was seen already */
};

/**
 * Link state of one proxy. The primary's RX lcores each seal with their
 * own stream; the secondary's lcore alone opens.
 */
struct colo_link_auth {
	uint8_t key[COLO_LINK_KEY_LEN];
	bool keyed;		     /**< frames carry and need a tag */
	bool check_peer;	     /**< control frames must come from @c peer */
	struct rte_ether_addr peer;  /**< the peer proxy's link port MAC */
	struct rte_ether_addr self;  /**< source MAC of the control frames we send */
	uint64_t tx_next[COLO_LINK_TX_STREAMS]; /**< next counter, per stream (sender) */
	uint64_t rx_last[COLO_LINK_STREAMS];	/**< last accepted counter, per stream (receiver) */
	/** Keyed HMAC contexts: one per sender stream, the last for the receiver. */
	struct evp_mac_ctx_st *mac[COLO_LINK_TX_STREAMS + 1];
};

/**
 * Set up @p a. @p key: COLO_LINK_KEY_LEN bytes, or NULL for an unkeyed
 * (explicitly trusted) link. @p boot: first counter of every stream; a
 * clock reading (ns since the epoch), so that a restarted sender keeps
 * counting above what the receiver has seen.
 *
 * @return 0, or -ENOMEM / -ENOTSUP (libcrypto has no HMAC-SHA-256).
 */
int colo_link_auth_init(struct colo_link_auth *a, const uint8_t *key, uint64_t boot);

/** Release what colo_link_auth_init() set up, key included. */
void colo_link_auth_fini(struct colo_link_auth *a);

/**
 * Read a key file: 64 hex digits, optional trailing white space. The file
 * must be a regular file with no group or other permission bits.
 *
 * @return 0, or -errno with a one-line reason in @p err.
 */
int colo_link_key_load(const char *path, uint8_t key[COLO_LINK_KEY_LEN], char *err,
		size_t err_len);

/**
 * Whether a frame would be taken for link control anywhere: its ethertype,
 * after any number of VLAN tags (802.1Q, 802.1ad, 0x9100), is the link's.
 */
bool colo_link_is_control(const uint8_t *frame, uint32_t len);

/**
 * Primary: make @p frame a control frame. @p frame holds COLO_LINK_HDR_LEN
 * free bytes, then the PVM frame (@p len bytes in all, one buffer). Uses
 * and advances the counter of @p stream (< COLO_LINK_TX_STREAMS), which
 * one thread at a time uses.
 */
void colo_link_seal(struct colo_link_auth *a, uint8_t *frame, uint32_t len, uint8_t stream);

/**
 * Secondary: check a frame received on the link. A COLO_LINK_V_PVM frame
 * has the PVM frame at @p frame + COLO_LINK_HDR_LEN; its counter is now
 * the stream's last. The tag field may be cleared.
 */
enum colo_link_verdict colo_link_open(struct colo_link_auth *a, uint8_t *frame, uint32_t len);

#endif /* COLO_LINK_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit suite of lib/colo_link.c: which client frames pass for link
 * control, sealing and opening control frames (tag, replay, peer MAC,
 * keyed and unkeyed ends), key files. With --bench, the per-frame cost of
 * the authenticator against the unkeyed format, in the same run.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include <rte_common.h>

#include "colo_link.h"
#include "unit.h"

/* A TCP SYN-ACK's size on the wire: 14 + 20 + 40 (options). */
#define INNER_LEN 74
#define FRAME_LEN (COLO_LINK_HDR_LEN + INNER_LEN)

static const uint8_t key1[COLO_LINK_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
static const uint8_t key2[COLO_LINK_KEY_LEN] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
static const struct rte_ether_addr primary_mac = { { 0x02, 0, 0, 0, 0xaa, 0x01 } };

static struct colo_link_auth tx, rx;

/* A control frame as the primary's encap() makes it: the PVM frame behind the header. */
static void
make(struct colo_link_auth *a, uint8_t frame[FRAME_LEN], uint8_t stream, uint8_t fill)
{
	memset(frame, 0, FRAME_LEN);
	memset(frame + COLO_LINK_HDR_LEN, fill, INNER_LEN);
	frame[COLO_LINK_HDR_LEN + 12] = 0x08; /* the PVM frame: IPv4 */
	memcpy(frame, frame + COLO_LINK_HDR_LEN, RTE_ETHER_ADDR_LEN);
	colo_link_seal(a, frame, FRAME_LEN, stream);
}

static int
reset(const uint8_t *tx_key, const uint8_t *rx_key)
{
	colo_link_auth_fini(&tx);
	colo_link_auth_fini(&rx);
	if (colo_link_auth_init(&tx, tx_key, 1000) != 0 ||
			colo_link_auth_init(&rx, rx_key, 0) != 0)
		return -1;
	tx.self = primary_mac;
	return 0;
}

static void
setup(const uint8_t *tx_key, const uint8_t *rx_key)
{
	CU_ASSERT_EQUAL_FATAL(reset(tx_key, rx_key), 0);
}

static void
test_is_control(void)
{
	uint8_t f[64] = { 0 };

	f[12] = 0x88, f[13] = 0xb5;
	CU_ASSERT_TRUE(colo_link_is_control(f, sizeof(f)));
	f[12] = 0x08, f[13] = 0x00;
	CU_ASSERT_FALSE(colo_link_is_control(f, sizeof(f)));
	/* 802.1Q, then the link ethertype. */
	f[12] = 0x81, f[13] = 0x00, f[16] = 0x88, f[17] = 0xb5;
	CU_ASSERT_TRUE(colo_link_is_control(f, sizeof(f)));
	/* 802.1ad, 802.1Q, 0x9100, then the link ethertype. */
	f[12] = 0x88, f[13] = 0xa8, f[16] = 0x81, f[17] = 0x00, f[20] = 0x91, f[21] = 0x00;
	f[24] = 0x88, f[25] = 0xb5;
	CU_ASSERT_TRUE(colo_link_is_control(f, sizeof(f)));
	f[24] = 0x08, f[25] = 0x00;
	CU_ASSERT_FALSE(colo_link_is_control(f, sizeof(f)));
	/* The link ethertype as payload of a frame that is not tagged: a client frame. */
	f[12] = 0x08, f[13] = 0x00, f[16] = 0x88, f[17] = 0xb5;
	CU_ASSERT_FALSE(colo_link_is_control(f, sizeof(f)));
	/* Runts and a tag cut by the end of the frame. */
	CU_ASSERT_FALSE(colo_link_is_control(f, 13));
	f[12] = 0x81, f[13] = 0x00;
	CU_ASSERT_FALSE(colo_link_is_control(f, 16));
	CU_ASSERT_TRUE(colo_link_is_control(f, 18));
}

static void
test_keyed_round_trip(void)
{
	uint8_t f[FRAME_LEN], copy[FRAME_LEN];

	setup(key1, key1);
	make(&tx, f, 0, 0x11);
	memcpy(copy, f, sizeof(f));
	CU_ASSERT_TRUE(colo_link_is_control(f, sizeof(f)));
	CU_ASSERT_EQUAL(colo_link_open(&rx, f, sizeof(f)), COLO_LINK_V_PVM);
	CU_ASSERT_EQUAL(memcmp(f + COLO_LINK_HDR_LEN, copy + COLO_LINK_HDR_LEN, INNER_LEN), 0);
	CU_ASSERT_EQUAL(memcmp(f + 6, &primary_mac, 6), 0);
	/* The same frame again: a replay. */
	memcpy(f, copy, sizeof(f));
	CU_ASSERT_EQUAL(colo_link_open(&rx, f, sizeof(f)), COLO_LINK_V_REPLAYED);
	/* The next one passes; the earlier one still does not. */
	make(&tx, f, 0, 0x12);
	CU_ASSERT_EQUAL(colo_link_open(&rx, f, sizeof(f)), COLO_LINK_V_PVM);
	memcpy(f, copy, sizeof(f));
	CU_ASSERT_EQUAL(colo_link_open(&rx, f, sizeof(f)), COLO_LINK_V_REPLAYED);
}

static void
test_streams(void)
{
	uint8_t a[FRAME_LEN], b[FRAME_LEN];

	/* Two RX lcores' streams arrive out of order relative to each other. */
	setup(key1, key1);
	make(&tx, a, 0, 1);
	make(&tx, a, 0, 2);
	make(&tx, b, 1, 3);
	CU_ASSERT_EQUAL(colo_link_open(&rx, a, sizeof(a)), COLO_LINK_V_PVM);
	CU_ASSERT_EQUAL(colo_link_open(&rx, b, sizeof(b)), COLO_LINK_V_PVM);
}

static void
test_forged(void)
{
	uint8_t f[FRAME_LEN];
	unsigned int i;

	setup(key1, key1);
	/* Any bit changed after the MACs: ethertype on, header, counter, frame, tag. */
	for (i = 12; i < FRAME_LEN; i += 7) {
		make(&tx, f, 0, 0x21);
		f[i] ^= 0x01;
		CU_ASSERT_NOT_EQUAL(colo_link_open(&rx, f, sizeof(f)), COLO_LINK_V_PVM);
	}
	make(&tx, f, 0, 0x21);
	f[COLO_LINK_HDR_LEN + 30] ^= 0x80; /* the PVM frame's payload */
	CU_ASSERT_EQUAL(colo_link_open(&rx, f, sizeof(f)), COLO_LINK_V_FORGED);
	make(&tx, f, 0, 0x21);
	f[22] ^= 0x01; /* the counter: no way to skip ahead without the key */
	CU_ASSERT_EQUAL(colo_link_open(&rx, f, sizeof(f)), COLO_LINK_V_FORGED);
	/* Truncated: a tag over fewer bytes. */
	make(&tx, f, 0, 0x21);
	CU_ASSERT_EQUAL(colo_link_open(&rx, f, sizeof(f) - 1), COLO_LINK_V_FORGED);
	/* Another key. */
	setup(key2, key1);
	make(&tx, f, 0, 0x21);
	CU_ASSERT_EQUAL(colo_link_open(&rx, f, sizeof(f)), COLO_LINK_V_FORGED);
	/* No tag (an unkeyed sender, or a forger) at a keyed receiver. */
	setup(NULL, key1);
	make(&tx, f, 0, 0x21);
	CU_ASSERT_EQUAL(colo_link_open(&rx, f, sizeof(f)), COLO_LINK_V_FORGED);
	/* A tag the receiver cannot check: the two ends are configured apart. */
	setup(key1, NULL);
	make(&tx, f, 0, 0x21);
	CU_ASSERT_EQUAL(colo_link_open(&rx, f, sizeof(f)), COLO_LINK_V_FORGED);
	/* Unknown version or type: not ours. */
	setup(key1, key1);
	make(&tx, f, 0, 0x21);
	f[16] = 1;
	CU_ASSERT_EQUAL(colo_link_open(&rx, f, sizeof(f)), COLO_LINK_V_BAD);
	CU_ASSERT_EQUAL(colo_link_open(&rx, f, COLO_LINK_HDR_LEN), COLO_LINK_V_BAD);
	/* Not the link ethertype: a client frame, untouched. */
	f[12] = 0x08, f[13] = 0x00;
	CU_ASSERT_EQUAL(colo_link_open(&rx, f, sizeof(f)), COLO_LINK_V_CLIENT);
}

static void
test_peer_mac(void)
{
	uint8_t f[FRAME_LEN];

	setup(NULL, NULL);
	rx.check_peer = true;
	rx.peer = primary_mac;
	make(&tx, f, 0, 0x31);
	CU_ASSERT_EQUAL(colo_link_open(&rx, f, sizeof(f)), COLO_LINK_V_PVM);
	make(&tx, f, 0, 0x31);
	f[11] ^= 1;
	CU_ASSERT_EQUAL(colo_link_open(&rx, f, sizeof(f)), COLO_LINK_V_FORGED);
	/* Unkeyed: no replay check (a forger could lock the sender out with a high counter). */
	make(&tx, f, 0, 0x31);
	CU_ASSERT_EQUAL(colo_link_open(&rx, f, sizeof(f)), COLO_LINK_V_PVM);
	CU_ASSERT_EQUAL(colo_link_open(&rx, f, sizeof(f)), COLO_LINK_V_PVM);
}

static int
write_key(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fchmod(fd, mode) != 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static void
test_key_file(void)
{
	char path[] = "/tmp/colo_link_keyXXXXXX", err[512];
	uint8_t key[COLO_LINK_KEY_LEN];
	const char *hex = "000102030405060708090a0b0c0d0e0f"
			  "101112131415161718191A1B1C1D1E1F\n";
	int fd = mkstemp(path);
	unsigned int i;

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL_FATAL(write_key(path, hex, 0600), 0);
	CU_ASSERT_EQUAL(colo_link_key_load(path, key, err, sizeof(err)), 0);
	for (i = 0; i < COLO_LINK_KEY_LEN; i++)
		CU_ASSERT_EQUAL(key[i], i);
	CU_ASSERT_EQUAL_FATAL(write_key(path, hex, 0400), 0);
	CU_ASSERT_EQUAL(colo_link_key_load(path, key, err, sizeof(err)), 0);
	/* Readable by others: refused, with a one-line reason. */
	CU_ASSERT_EQUAL_FATAL(write_key(path, hex, 0644), 0);
	CU_ASSERT_NOT_EQUAL(colo_link_key_load(path, key, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "mode 644"));
	CU_ASSERT_PTR_NULL(strchr(err, '\n'));
	CU_ASSERT_EQUAL_FATAL(write_key(path, hex, 0640), 0);
	CU_ASSERT_NOT_EQUAL(colo_link_key_load(path, key, err, sizeof(err)), 0);
	/* Too short, not hex. */
	CU_ASSERT_EQUAL_FATAL(write_key(path, "00010203\n", 0600), 0);
	CU_ASSERT_NOT_EQUAL(colo_link_key_load(path, key, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(write_key(path,
			"zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0600), 0);
	CU_ASSERT_NOT_EQUAL(colo_link_key_load(path, key, err, sizeof(err)), 0);
	unlink(path);
	CU_ASSERT_NOT_EQUAL(colo_link_key_load(path, key, err, sizeof(err)), 0);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ns per control frame sealed and opened, keyed or not. */
static double
cost(const uint8_t *key, unsigned int n)
{
	static uint8_t f[FRAME_LEN];
	unsigned int i, ok = 0;
	double t0;

	if (reset(key, key) != 0)
		return -1;
	t0 = now_s();
	for (i = 0; i < n; i++) {
		make(&tx, f, 0, (uint8_t)i);
		ok += colo_link_open(&rx, f, sizeof(f)) == COLO_LINK_V_PVM;
	}
	if (ok != n)
		return -1;
	return (now_s() - t0) * 1e9 / n;
}

static int
bench(void)
{
	unsigned int n = 200000;
	double base = cost(NULL, n), keyed = cost(key1, n);

	colo_link_auth_fini(&tx);
	colo_link_auth_fini(&rx);
	if (base < 0 || keyed < 0)
		return 1;
	printf("link control frame (%d-byte SYN-ACK), seal + open: unkeyed %.0f ns, "
	       "HMAC-SHA-256 %.0f ns (%.1fx; +%.0f ns per frame)\n",
			INNER_LEN, base, keyed, keyed / base, keyed - base);
	return 0;
}

static const struct unit_case cases[] = {
	{ "the link ethertype after any VLAN tags is link control", test_is_control },
	{ "a sealed frame opens once; a replay is refused", test_keyed_round_trip },
	{ "each sender stream counts on its own", test_streams },
	{ "changed, truncated, untagged or other-key frames are forged", test_forged },
	{ "--link-peer-mac refuses other sources", test_peer_mac },
	{ "key files: 64 hex digits, owner-only", test_key_file },
};

int
main(int argc, char **argv)
{
	unsigned int failed;

	if (argc > 1 && strcmp(argv[1], "--bench") == 0)
		return bench();
	failed = unit_run("link", cases, RTE_DIM(cases));
	colo_link_auth_fini(&tx);
	colo_link_auth_fini(&rx);
	return failed;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /colo/conns and /colo/conn: the connections with the most frames queued,
 * the oldest queued frame or the longest silence, and one connection in
 * detail. The telemetry thread never reads a connection table: it asks the
 * compare lcores for a snapshot (snapshot.c) and formats the answer here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "colo_conn.h"
#include "obs.h"
#include "snapshot.h"

#define DEFAULT_N 20
/*
 * A listed connection takes at most about 360 bytes of JSON (IPv6 key with
 * two VLAN tags, 20-digit counters): 40 of them and the totals stay below
 * telemetry's 16 KiB reply, which silently drops what does not fit.
 */
#define MAX_N 40
#define PARAMS_MAX 64


static const char *const sort_names[COLO_SNAP_SORT_MAX] = {
	[COLO_SNAP_SORT_QUEUE] = "queue",
	[COLO_SNAP_SORT_AGE] = "age",
	[COLO_SNAP_SORT_IDLE] = "idle",
};

/* What a connection is doing, most telling first. */
static const char *
state_name(uint8_t flags)
{
	if (flags & COLO_CONN_F_MISMATCH)
		return "diverged";
	if (flags & COLO_CONN_F_CLOSING)
		return "closing";
	if (flags & COLO_CONN_F_BUSY)
		return "holding";
	return "idle";
}

static uint64_t
ms_since(uint64_t now, uint64_t tsc)
{
	return tsc != 0 && now > tsc ? (now - tsc) / (rte_get_tsc_hz() / 1000) : 0;
}

/* The held time of a side: the age of its oldest queued frame, 0 when empty. */
static uint64_t
held_ms(const struct colo_snap_conn *c, uint64_t now, unsigned int side)
{
	return ms_since(now, c->oldest_tsc[side]);
}

/* "udp 10.0.0.1:1 > ..." -> "udp"; "proto 253 ..." -> "proto"; non-IP -> "ether". */
static void
proto_of(const char *key_text, char *buf, size_t len)
{
	size_t n = strcspn(key_text, " ");

	snprintf(buf, len, "%.*s", (int)RTE_MIN(n, len - 1), key_text);
}

static void
id_of(const struct colo_snap_conn *c, char *buf, size_t len)
{
	snprintf(buf, len, "%u:%u", c->shard, c->index);
}

static int
timeout_reply(struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "error", "timeout");
	rte_tel_data_add_dict_string(d, "detail",
			"a compare lcore did not answer within " RTE_STR(
					COLO_SNAP_TIMEOUT_MS) " ms: busy or stopped");
	return 0;
}

static struct rte_tel_data *
conn_dict(const struct colo_snap_conn *c, uint64_t now)
{
	struct rte_tel_data *e = rte_tel_data_alloc();
	char key[128], buf[32];

	if (e == NULL)
		return NULL;
	colo_key_format(&c->key, key, sizeof(key));
	rte_tel_data_start_dict(e);
	id_of(c, buf, sizeof(buf));
	rte_tel_data_add_dict_string(e, "id", buf);
	rte_tel_data_add_dict_string(e, "key", key);
	proto_of(key, buf, sizeof(buf));
	rte_tel_data_add_dict_string(e, "proto", buf);
	rte_tel_data_add_dict_string(e, "state", state_name(c->flags));
	rte_tel_data_add_dict_u64(e, "primary_queued", c->nb[COLO_SIDE_PRIMARY]);
	rte_tel_data_add_dict_u64(e, "secondary_queued", c->nb[COLO_SIDE_SECONDARY]);
	rte_tel_data_add_dict_u64(e, "verified_bytes", c->verified_bytes);
	rte_tel_data_add_dict_u64(e, "idle_ms", ms_since(now, c->last_tsc));
	rte_tel_data_add_dict_u64(e, "held_ms",
			RTE_MAX(held_ms(c, now, COLO_SIDE_PRIMARY),
					held_ms(c, now, COLO_SIDE_SECONDARY)));
	return e;
}

/* "[N][,queue|age|idle][,PAGE]": numbers are N then PAGE, a word is the sort. */
static int
conns_params(const char *params, unsigned long *n, enum colo_snap_sort *sort, unsigned long *page)
{
	char buf[PARAMS_MAX], *tok, *save = NULL, *end;
	unsigned int nb_num = 0, i;
	unsigned long v;

	if (params == NULL || params[0] == '\0')
		return 0;
	if (strlen(params) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, params);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (tok[0] >= '0' && tok[0] <= '9') {
			v = strtoul(tok, &end, 10);
			if (*end != '\0' || nb_num == 2)
				return -EINVAL;
			*(nb_num++ == 0 ? n : page) = v;
			continue;
		}
		for (i = 0; i < COLO_SNAP_SORT_MAX; i++)
			if (strcmp(tok, sort_names[i]) == 0)
				break;
		if (i == COLO_SNAP_SORT_MAX)
			return -EINVAL;
		*sort = i;
	}
	return 0;
}

/*
 * /colo/conns[,N][,queue|age|idle][,PAGE]: the table totals and connections
 * ranked PAGE*N+1 to PAGE*N+N. Telemetry 22.11 nests one level and no
 * arrays of dicts: each connection is a dict "conn_<rank>".
 */
static int
conns_cmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	enum colo_snap_sort sort = COLO_SNAP_SORT_QUEUE;
	unsigned long n = DEFAULT_N, page = 0;
	struct colo_snap_totals tot;
	struct colo_snap_conn *top;
	struct rte_tel_data *e;
	unsigned int i, first;
	char name[32];
	int nb;

	RTE_SET_USED(cmd);
	if (conns_params(params, &n, &sort, &page) != 0 || n == 0 || n > MAX_N ||
			page >= COLO_SNAP_WINDOW / n)
		return -EINVAL;
	first = (unsigned int)(page * n);
	top = malloc(sizeof(*top) * (first + n));
	if (top == NULL)
		return -ENOMEM;
	/* The snapshot state and the shards go at shutdown: ask inside the gate. */
	if (!colo_obs_enter()) {
		free(top);
		return -EAGAIN;
	}
	nb = colo_snapshot_top(colo_obs_app(), sort, first + n, top, &tot);
	colo_obs_leave();
	if (nb < 0) {
		free(top);
		return nb == -ETIMEDOUT ? timeout_reply(d) : nb;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "conns", tot.conns);
	rte_tel_data_add_dict_u64(d, "capacity", tot.capacity);
	rte_tel_data_add_dict_u64(d, "shards", tot.shards);
	rte_tel_data_add_dict_string(d, "sort", sort_names[sort]);
	rte_tel_data_add_dict_u64(d, "n", n);
	rte_tel_data_add_dict_u64(d, "page", page);
	rte_tel_data_add_dict_u64(d, "shown", nb > (int)first ? nb - first : 0);
	for (i = first; i < (unsigned int)nb; i++) {
		e = conn_dict(&top[i], tot.tsc);
		if (e == NULL)
			break;
		snprintf(name, sizeof(name), "conn_%u", i + 1);
		if (rte_tel_data_add_dict_container(d, name, e, 0) != 0)
			rte_tel_data_free(e);
	}
	free(top);
	return 0;
}

/* "S:I" (shard, table index), "I" (shard 0), or a key as /colo/conns shows it. */
static int
conn_target(const char *params, struct colo_snap_target *t)
{
	unsigned long a, b;
	char *end;

	memset(t, 0, sizeof(*t));
	if (params == NULL || params[0] == '\0')
		return -EINVAL;
	if (params[0] < '0' || params[0] > '9') {
		t->by_key = true;
		return colo_key_parse(params, &t->key);
	}
	a = strtoul(params, &end, 10);
	if (*end == ':') {
		b = strtoul(end + 1, &end, 10);
		if (end[0] != '\0' || a >= COLO_MAX_SHARDS || b > UINT32_MAX)
			return -EINVAL;
		t->shard = (uint16_t)a;
		t->index = (uint32_t)b;
		return 0;
	}
	if (*end != '\0' || a > UINT32_MAX)
		return -EINVAL;
	t->index = (uint32_t)a;
	return 0;
}

/* Queued frames of one side, as an array of one line each. */
static struct rte_tel_data *
frames_array(const struct colo_snap_detail *det, unsigned int side, uint64_t now, bool tcp)
{
	struct rte_tel_data *a = rte_tel_data_alloc();
	const struct colo_snap_pkt *p;
	char line[128];
	unsigned int i;
	int len;

	if (a == NULL)
		return NULL;
	rte_tel_data_start_array(a, RTE_TEL_STRING_VAL);
	for (i = 0; i < det->nb_pkts[side]; i++) {
		p = &det->pkts[side][i];
		len = snprintf(line, sizeof(line), "len %u payload %u held_ms %" PRIu64, p->len,
				p->payload_len, ms_since(now, p->arrival_tsc));
		if (tcp)
			len += snprintf(line + len, sizeof(line) - len, " seq %u", p->tcp_seq);
		if (p->flags & COLO_PKT_F_COMPARED)
			len += snprintf(line + len, sizeof(line) - len, " compared");
		if (p->flags & COLO_PKT_F_HELD_ACK)
			snprintf(line + len, sizeof(line) - len, " held_for_ack");
		rte_tel_data_add_array_string(a, line);
	}
	return a;
}

static void
flags_text(uint8_t flags, char *buf, size_t len)
{
	static const struct {
		uint8_t flag;
		const char *name;
	} names[] = {
		{ COLO_CONN_F_ANCHORED, "anchored" },
		{ COLO_CONN_F_SEC_ACK, "secondary_ack" },
		{ COLO_CONN_F_CLOSING, "closing" },
		{ COLO_CONN_F_MISMATCH, "mismatch" },
		{ COLO_CONN_F_BUSY, "busy" },
	};
	size_t off = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < RTE_DIM(names) && off < len; i++)
		if (flags & names[i].flag)
			off += snprintf(buf + off, len - off, "%s%s", off != 0 ? "," : "",
					names[i].name);
}

/* /colo/conn,<S:I | I | key>: one connection and its first queued frames. */
static int
conn_cmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct colo_snap_conn *c;
	struct colo_snap_target target;
	struct colo_snap_detail det;
	struct colo_snap_totals tot;
	struct rte_tel_data *a;
	char key[128], buf[96];
	unsigned int side;
	bool tcp;
	int ret;

	RTE_SET_USED(cmd);
	if (conn_target(params, &target) != 0)
		return -EINVAL;
	if (!colo_obs_enter())
		return -EAGAIN;
	ret = colo_snapshot_one(colo_obs_app(), &target, &det, &tot);
	colo_obs_leave();
	if (ret == -ETIMEDOUT)
		return timeout_reply(d);
	if (ret == -ENOENT) {
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_string(d, "error", "no such connection");
		return 0;
	}
	if (ret != 0)
		return ret;
	c = &det.conn;
	tcp = c->key.proto == IPPROTO_TCP && c->key.family != 0;
	colo_key_format(&c->key, key, sizeof(key));
	rte_tel_data_start_dict(d);
	id_of(c, buf, sizeof(buf));
	rte_tel_data_add_dict_string(d, "id", buf);
	rte_tel_data_add_dict_u64(d, "shard", c->shard);
	rte_tel_data_add_dict_u64(d, "index", c->index);
	rte_tel_data_add_dict_string(d, "key", key);
	proto_of(key, buf, sizeof(buf));
	rte_tel_data_add_dict_string(d, "proto", buf);
	rte_tel_data_add_dict_string(d, "state", state_name(c->flags));
	flags_text(c->flags, buf, sizeof(buf));
	rte_tel_data_add_dict_string(d, "flags", buf);
	rte_tel_data_add_dict_u64(d, "primary_queued", c->nb[COLO_SIDE_PRIMARY]);
	rte_tel_data_add_dict_u64(d, "secondary_queued", c->nb[COLO_SIDE_SECONDARY]);
	rte_tel_data_add_dict_u64(d, "primary_bytes", c->bytes[COLO_SIDE_PRIMARY]);
	rte_tel_data_add_dict_u64(d, "secondary_bytes", c->bytes[COLO_SIDE_SECONDARY]);
	rte_tel_data_add_dict_u64(d, "primary_held_ms", held_ms(c, tot.tsc, COLO_SIDE_PRIMARY));
	rte_tel_data_add_dict_u64(d, "secondary_held_ms", held_ms(c, tot.tsc, COLO_SIDE_SECONDARY));
	rte_tel_data_add_dict_u64(d, "verified_bytes", c->verified_bytes);
	rte_tel_data_add_dict_u64(d, "idle_ms", ms_since(tot.tsc, c->last_tsc));
	if (tcp && (c->flags & COLO_CONN_F_ANCHORED))
		rte_tel_data_add_dict_u64(d, "tcp_verified_seq", c->tcp_verified);
	if (tcp && (c->flags & COLO_CONN_F_SEC_ACK))
		rte_tel_data_add_dict_u64(d, "tcp_secondary_ack", c->tcp_sec_ack);
	for (side = 0; side < 2; side++) {
		a = frames_array(&det, side, tot.tsc, tcp);
		if (a == NULL)
			break;
		if (rte_tel_data_add_dict_container(d,
				    side == COLO_SIDE_PRIMARY ? "primary_frames"
							      : "secondary_frames",
				    a, 0) != 0)
			rte_tel_data_free(a);
	}
	return 0;
}

/** Create the snapshot state and register /colo/conns and /colo/conn. */
int
colo_telemetry_conns_init(void)
{
	int ret;

	ret = colo_snapshot_init(colo_obs_app());
	if (ret != 0)
		return ret;
	/* Telemetry 22.11 keeps 127 characters of help. */
	ret = rte_telemetry_register_cmd("/colo/conns", conns_cmd,
			"Top connections by queued frames. Parameters: [N][,queue|age|idle][,PAGE];"
			" N up to 40 (default 20), ranks up to 1024");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/colo/conn", conn_cmd,
				"One connection and its queued frames. Parameter: SHARD:INDEX, "
				"INDEX (shard 0) or the key as /colo/conns shows it");
	return ret;
}

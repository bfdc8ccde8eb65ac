/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * colo-explain: replays a primary and a secondary capture through the same
 * libcolo compare as colo-proxy, in monitor mode (every checkpoint request
 * is followed by a flush), with capture time as the clock, and reports each
 * request with the frames and bytes that caused it. Options, EAL set-up and
 * the replay loop are here; reading and printing are in their own files.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "colo_compare.h"
#include "colo_divergence.h"
#include "explain.h"

/* Fake TSC: one tick per nanosecond of capture time. */
#define TSC_HZ 1000000000ull
#define NS_PER_MS 1000000ull

#define DEFAULT_MBUFS 32768
#define MIN_MBUFS 1024
/* Mismatches of one replay step kept until their request is recorded. */
#define MAX_PENDING 8

enum {
	OPT_COMPARE_TIMEOUT = 1000,
	OPT_SCAN_CYCLE,
	OPT_MAX_QUEUE,
	OPT_MAX_CONNS,
	OPT_IDLE_TIMEOUT,
	OPT_CLOSING_TIMEOUT,
	OPT_COMPARE_NONIP,
	OPT_TAIL,
	OPT_MBUFS,
	OPT_JSON,
	OPT_HELP,
};

static const struct option longopts[] = {
	{ "compare-timeout", required_argument, NULL, OPT_COMPARE_TIMEOUT },
	{ "expired-scan-cycle", required_argument, NULL, OPT_SCAN_CYCLE },
	{ "max-queue", required_argument, NULL, OPT_MAX_QUEUE },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "closing-timeout", required_argument, NULL, OPT_CLOSING_TIMEOUT },
	{ "compare-nonip", required_argument, NULL, OPT_COMPARE_NONIP },
	{ "tail", required_argument, NULL, OPT_TAIL },
	{ "mbufs", required_argument, NULL, OPT_MBUFS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

struct explain_opts {
	struct colo_params params;
	uint32_t tail_ms;
	bool tail_set;
	uint32_t nb_mbufs;
	bool json;
	const char *path[2];
};

/* A mismatch seen during the current step, waiting for its request. */
struct pending {
	uint64_t ckpt_id;
	struct explain_side_view side[2];
};

/* The replay. */
struct replay {
	struct colo_ctx *ctx;
	struct rte_mempool *pool;
	struct rte_ring *out;
	struct colo_stats st;
	uint64_t t0;   /**< capture time of the first frame */
	uint64_t now;  /**< fake TSC: nanoseconds since t0 */
	uint64_t last; /**< fake TSC of the last frame */
	bool input_done;
	uint64_t scan_ns;
	uint64_t next_scan;
	uint64_t seen_requests;
	struct pending pend[MAX_PENDING];
	unsigned int nb_pend;
	size_t cap_req;
	struct explain_result res;
};

static int frame_field_off = -1;

static uint32_t *
frame_field(const struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, frame_field_off, uint32_t *);
}

static void
usage(FILE *f)
{
	static const char *const text[] = {
		"Usage: colo-explain [options] PRIMARY SECONDARY",
		"",
		"Replays two captures (pcap or pcapng, Ethernet) of the primary and",
		"the secondary VM's output through colo-proxy's compare, in capture",
		"time order, as colo-proxy in monitor mode would have seen them, and",
		"explains every checkpoint request: reason, connection, first",
		"differing byte and a side-by-side dump of both frames there. Then",
		"a summary per reason and per connection. Needs no hugepages or NIC.",
		"",
		"Options (the compare options and defaults are colo-proxy's):",
		"  --compare-timeout MS     age at which a queued frame requests a",
		"                           checkpoint (3000)",
		"  --expired-scan-cycle MS  period of the timeout scan (1000)",
		"  --max-queue N            frames queued per connection and side (1024)",
		"  --max-conns N            connection table size (16384)",
		"  --idle-timeout MS        idle connections go after this (120000)",
		"  --closing-timeout MS     finished connections linger this long (5000)",
		"  --compare-nonip BOOL     compare non-IP frames, not pass them (off)",
		"  --tail MS                keep the clock running this long after the",
		"                           last frame, so that frames left waiting time",
		"                           out as they would live (default:",
		"                           compare-timeout + expired-scan-cycle)",
		"  --mbufs N                frames that may wait at once (" RTE_STR(
				DEFAULT_MBUFS) ")",
		"  --json                   print one JSON document instead of text",
		"  -h, --help               show this help",
		"",
		"Exit status: 0 no checkpoint request, 1 at least one, 2 bad input",
		"(missing or unreadable file, not a capture, bad option) or the",
		"replay could not run.",
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(text); i++)
		fprintf(f, "%s\n", text[i]);
}

static void
fail_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "colo-explain: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see --help)\n");
	exit(EXPLAIN_EXIT_BAD_INPUT);
}

static uint32_t
parse_u32(const char *opt, const char *arg, uint32_t min)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' || v < min ||
			v > UINT32_MAX) {
		fprintf(stderr, "colo-explain: --%s: \"%s\" is not a number from %u to %u\n", opt,
				arg, min, UINT32_MAX);
		exit(EXPLAIN_EXIT_BAD_INPUT);
	}
	return (uint32_t)v;
}

static bool
parse_bool(const char *opt, const char *arg)
{
	static const char *const yes[] = { "1", "on", "true", "yes" };
	static const char *const no[] = { "0", "off", "false", "no" };
	unsigned int i;

	for (i = 0; i < RTE_DIM(yes); i++) {
		if (strcasecmp(arg, yes[i]) == 0)
			return true;
		if (strcasecmp(arg, no[i]) == 0)
			return false;
	}
	fprintf(stderr, "colo-explain: --%s: \"%s\" is not on or off\n", opt, arg);
	exit(EXPLAIN_EXIT_BAD_INPUT);
}

static void
parse_args(int argc, char **argv, struct explain_opts *o)
{
	struct colo_params *p = &o->params;
	char err[128];
	int c, idx;

	memset(o, 0, sizeof(*o));
	colo_params_init(p);
	o->nb_mbufs = DEFAULT_MBUFS;
	opterr = 0;
	for (idx = -1; (c = getopt_long(argc, argv, ":h", longopts, &idx)) != -1; idx = -1) {
		/* The value may be the next argument: name the option itself. */
		const char *opt = idx >= 0 ? longopts[idx].name : argv[optind - 1];

		switch (c) {
		case OPT_COMPARE_TIMEOUT:
			p->compare_timeout_ms = parse_u32(opt, optarg, 1);
			break;
		case OPT_SCAN_CYCLE:
			p->expired_scan_cycle_ms = parse_u32(opt, optarg, 1);
			break;
		case OPT_MAX_QUEUE:
			p->max_queue = parse_u32(opt, optarg, 1);
			break;
		case OPT_MAX_CONNS:
			p->max_conns = parse_u32(opt, optarg, 8);
			break;
		case OPT_IDLE_TIMEOUT:
			p->idle_timeout_ms = parse_u32(opt, optarg, 1);
			break;
		case OPT_CLOSING_TIMEOUT:
			p->closing_timeout_ms = parse_u32(opt, optarg, 1);
			break;
		case OPT_COMPARE_NONIP:
			p->compare_nonip = parse_bool(opt, optarg);
			break;
		case OPT_TAIL:
			o->tail_ms = parse_u32(opt, optarg, 0);
			o->tail_set = true;
			break;
		case OPT_MBUFS:
			o->nb_mbufs = parse_u32(opt, optarg, MIN_MBUFS);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			exit(EXPLAIN_EXIT_SAME);
		case ':':
			fail_usage("%s: missing value", argv[optind - 1]);
			break;
		default:
			fail_usage("%s: unknown option", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		fail_usage("%s", argc - optind < 2 ? "two captures needed: PRIMARY SECONDARY"
						   : "more than two captures given");
	o->path[COLO_SIDE_PRIMARY] = argv[optind];
	o->path[COLO_SIDE_SECONDARY] = argv[optind + 1];
	p->tsc_hz = TSC_HZ;
	if (colo_params_validate(p, err, sizeof(err)) != 0) {
		fprintf(stderr, "colo-explain: %s\n", err);
		exit(EXPLAIN_EXIT_BAD_INPUT);
	}
	if (!o->tail_set)
		o->tail_ms = p->compare_timeout_ms + p->expired_scan_cycle_ms;
}

/* The EAL as an offline tool needs it: no hugepages, devices, shared
 * config or telemetry, one lcore, quiet, a private file prefix. */
static int
eal_start(const struct explain_opts *o)
{
	char mem[32], lcore[32], prefix[64];
	char *eal_argv[] = {
		"colo-explain",
		"--no-huge",
		"--no-pci",
		"--no-shconf",
		"--no-telemetry",
		"--log-level=error",
		"-m",
		mem,
		"-l",
		lcore,
		prefix,
	};
	cpu_set_t cpus;
	int cpu = 0;
	uint64_t mb;

	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
		while (cpu < CPU_SETSIZE - 1 && !CPU_ISSET(cpu, &cpus))
			cpu++;
	/* mbufs of about 2.5 KiB, about 1 KiB per connection, and room for
	 * the EAL itself. */
	mb = 64 + (uint64_t)o->nb_mbufs * 2560 / (1 << 20) + o->params.max_conns / 1024;
	snprintf(mem, sizeof(mem), "%" PRIu64, mb);
	snprintf(lcore, sizeof(lcore), "%d", cpu);
	snprintf(prefix, sizeof(prefix), "--file-prefix=colo-explain-%d", (int)getpid());
	return rte_eal_init(RTE_DIM(eal_argv), eal_argv);
}

/* The EAL leaves its (empty, with --no-shconf) runtime directory behind. */
static void
eal_stop(void)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(dir);
}

/* Copy the bytes of @p m around @p offset, lined up with the other frame. */
static void
view_of(struct explain_side_view *v, const struct rte_mbuf *m, int32_t offset, int32_t region_start,
		uint64_t t0)
{
	const struct colo_pkt_meta *pm = colo_pkt_meta(m);
	int32_t lo, hi;
	const void *p;

	memset(v, 0, sizeof(*v));
	v->frame = *frame_field(m);
	v->ts_ns = t0 + pm->arrival_tsc;
	v->len = m->pkt_len;
	v->offset = offset;
	v->l3_off = pm->l3_off;
	v->l4_off = pm->l4_off;
	v->payload_off = pm->payload_off;
	v->region_start = region_start;
	lo = RTE_MAX(region_start, 0);
	hi = RTE_MIN(region_start + EXPLAIN_REGION, (int32_t)m->pkt_len);
	if (lo >= hi)
		return;
	p = rte_pktmbuf_read(m, lo, hi - lo, v->region + (lo - region_start));
	if (p != v->region + (lo - region_start))
		memcpy(v->region + (lo - region_start), p, hi - lo);
}

/* Divergence callback: keep both frames' bytes around the difference. */
static void
on_divergence(const struct colo_divergence *d, void *arg)
{
	struct replay *x = arg;
	const int32_t poff = d->offset[COLO_SIDE_PRIMARY];
	int32_t pstart;
	struct pending *pd;

	if (x->nb_pend == MAX_PENDING)
		return;
	pd = &x->pend[x->nb_pend++];
	pd->ckpt_id = d->ckpt_id;
	pstart = RTE_MAX(poff / EXPLAIN_ROW * EXPLAIN_ROW - EXPLAIN_ROW * EXPLAIN_ROWS_BEFORE, 0);
	view_of(&pd->side[COLO_SIDE_PRIMARY], d->pkt[COLO_SIDE_PRIMARY], poff, pstart, x->t0);
	view_of(&pd->side[COLO_SIDE_SECONDARY], d->pkt[COLO_SIDE_SECONDARY],
			d->offset[COLO_SIDE_SECONDARY],
			d->offset[COLO_SIDE_SECONDARY] - (poff - pstart), x->t0);
}

/* Released primaries would go to the outbound port: here they are done. */
static void
drain_out(struct replay *x)
{
	struct rte_mbuf *m[64];
	unsigned int n;

	while ((n = rte_ring_dequeue_burst(x->out, (void **)m, RTE_DIM(m), NULL)) != 0) {
		colo_stat_add(&x->st.ctr[COLO_RELEASED], n);
		rte_pktmbuf_free_bulk(m, n);
	}
}

/* For a timeout: which frame waited, and how long. */
static void
find_waiter(struct replay *x, struct explain_request *rq)
{
	struct colo_conn_table *t = colo_ctx_conns(x->ctx);
	const struct rte_mbuf *m, *oldest = NULL;
	struct colo_conn *conn;
	int32_t idx;

	idx = colo_conn_lookup_one(t, &rq->rec.key, colo_key_hash(&rq->rec.key));
	if (idx < 0)
		return;
	conn = colo_conn_at(t, idx);
	rq->queued[COLO_SIDE_PRIMARY] = conn->q[COLO_SIDE_PRIMARY].nb;
	rq->queued[COLO_SIDE_SECONDARY] = conn->q[COLO_SIDE_SECONDARY].nb;
	switch (rq->rec.reason) {
	case COLO_CKPT_TIMEOUT_PRIMARY:
	case COLO_CKPT_TIMEOUT_ACK:
		rq->waiter_side = COLO_SIDE_PRIMARY;
		break;
	case COLO_CKPT_TIMEOUT_SECONDARY:
		rq->waiter_side = COLO_SIDE_SECONDARY;
		break;
	default:
		return;
	}
	for (m = conn->q[rq->waiter_side].head; m != NULL; m = colo_pkt_meta(m)->next)
		if (oldest == NULL ||
				colo_pkt_meta(m)->arrival_tsc < colo_pkt_meta(oldest)->arrival_tsc)
			oldest = m;
	if (oldest == NULL)
		return;
	rq->has_waiter = true;
	rq->waiter_frame = *frame_field(oldest);
	rq->waited_ns = x->now - colo_pkt_meta(oldest)->arrival_tsc;
}

static struct explain_request *
request_add(struct replay *x)
{
	struct explain_request *rq;

	if (x->res.nb_req == x->cap_req) {
		size_t cap = x->cap_req != 0 ? x->cap_req * 2 : 64;

		rq = realloc(x->res.req, cap * sizeof(*rq));
		if (rq == NULL)
			return NULL;
		x->res.req = rq;
		x->cap_req = cap;
	}
	rq = &x->res.req[x->res.nb_req++];
	memset(rq, 0, sizeof(*rq));
	return rq;
}

/* Monitor mode, as colo-proxy without a notify peer: record each new
 * request, then flush at once. */
static void
after_step(struct replay *x)
{
	struct colo_ckpt *ck = colo_ctx_ckpt(x->ctx);
	struct colo_ckpt_record recs[COLO_CKPT_HISTORY];
	uint64_t nb = colo_ckpt_nb_requests(ck);
	unsigned int n, i, j;

	drain_out(x);
	if (nb != x->seen_requests) {
		n = colo_ckpt_history(ck, recs,
				RTE_MIN(nb - x->seen_requests, (uint64_t)COLO_CKPT_HISTORY));
		for (i = n; i-- > 0;) {
			struct explain_request *rq = request_add(x);

			if (rq == NULL)
				break;
			rq->rec = recs[i];
			rq->time_ns = x->t0 + recs[i].tsc;
			rq->after_end = x->input_done && recs[i].tsc > x->last;
			for (j = 0; j < x->nb_pend; j++) {
				if (x->pend[j].ckpt_id == recs[i].id) {
					rq->has_pair = true;
					memcpy(rq->side, x->pend[j].side, sizeof(rq->side));
					break;
				}
			}
			find_waiter(x, rq);
		}
		x->seen_requests = nb;
	}
	x->nb_pend = 0;
	if (colo_ckpt_outstanding(ck)) {
		colo_ctx_flush(x->ctx, x->now);
		drain_out(x);
	}
}

static bool
queues_empty(const struct replay *x)
{
	return colo_ctx_queued(x->ctx, COLO_SIDE_PRIMARY) == 0 &&
	       colo_ctx_queued(x->ctx, COLO_SIDE_SECONDARY) == 0;
}

/* Run the timeout scans colo-proxy would have run up to @p until. */
static void
clock_advance(struct replay *x, uint64_t until)
{
	while (x->next_scan <= until) {
		/* With nothing queued, only aging happens; skip to the last
		 * scan before @p until instead of looping through idle time. */
		if (queues_empty(x) && until - x->next_scan >= x->scan_ns)
			x->next_scan += (until - x->next_scan) / x->scan_ns * x->scan_ns;
		x->now = x->next_scan;
		colo_ctx_scan(x->ctx, x->now);
		after_step(x);
		x->next_scan += x->scan_ns;
	}
	if (until > x->now)
		x->now = until;
}

/* A frame in an mbuf chain from our pool, as a NIC would deliver it. */
static struct rte_mbuf *
frame_mbuf(struct replay *x, const struct explain_frame *f)
{
	struct rte_mbuf *head = NULL, *seg;
	uint32_t done = 0;

	do {
		uint16_t n;

		seg = rte_pktmbuf_alloc(x->pool);
		if (seg == NULL || (head != NULL && rte_pktmbuf_chain(head, seg) != 0)) {
			rte_pktmbuf_free(seg);
			rte_pktmbuf_free(head);
			return NULL;
		}
		if (head == NULL)
			head = seg;
		n = (uint16_t)RTE_MIN(f->caplen - done, (uint32_t)rte_pktmbuf_tailroom(seg));
		memcpy(rte_pktmbuf_mtod(seg, uint8_t *), f->data + done, n);
		seg->data_len = n;
		if (seg != head)
			head->pkt_len += n;
		else
			head->pkt_len = n;
		done += n;
	} while (done < f->caplen);
	return head;
}

static void
replay_frame(struct replay *x, const struct explain_frame *f)
{
	uint64_t t = f->ts_ns > x->t0 ? f->ts_ns - x->t0 : 0;
	enum colo_ctr rx = f->side == COLO_SIDE_PRIMARY ? COLO_PRIMARY_RX : COLO_SECONDARY_RX;
	struct rte_mbuf *m;

	/* Capture clocks may step back a little; the TSC never does. */
	clock_advance(x, RTE_MAX(t, x->now));
	x->last = x->now;
	m = frame_mbuf(x, f);
	if (m == NULL) {
		x->res.nb_no_mbuf++;
		return;
	}
	*frame_field(m) = f->number;
	colo_stat_add(&x->st.ctr[rx], 1);
	colo_pkt_classify(m, f->side, colo_ckpt_epoch(colo_ctx_ckpt(x->ctx)), x->now, &x->st);
	colo_compare_burst(x->ctx, &m, 1, x->now);
	after_step(x);
}

static int
replay_setup(struct replay *x, const struct explain_opts *o)
{
	static const struct rte_mbuf_dynfield frame_desc = {
		.name = "colo_explain_frame",
		.size = sizeof(uint32_t),
		.align = __alignof__(uint32_t),
	};

	frame_field_off = rte_mbuf_dynfield_register(&frame_desc);
	if (frame_field_off < 0)
		return -rte_errno;
	x->pool = rte_pktmbuf_pool_create("explain_pool", o->nb_mbufs, 256, COLO_PKT_PRIV_SIZE,
			RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (x->pool == NULL)
		return -rte_errno;
	x->out = rte_ring_create("explain_out", rte_align32pow2(o->nb_mbufs + 1), SOCKET_ID_ANY,
			RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (x->out == NULL)
		return -rte_errno;
	x->ctx = colo_ctx_create("explain_ctx", &o->params, x->out, &x->st, SOCKET_ID_ANY);
	if (x->ctx == NULL)
		return -rte_errno;
	colo_divergence_register(x->ctx, on_divergence, x);
	x->scan_ns = (uint64_t)o->params.expired_scan_cycle_ms * NS_PER_MS;
	x->next_scan = x->scan_ns;
	return 0;
}

static void
replay_teardown(struct replay *x)
{
	colo_ctx_free(x->ctx);
	if (x->out != NULL)
		drain_out(x);
	rte_ring_free(x->out);
	rte_mempool_free(x->pool);
}

int
main(int argc, char **argv)
{
	struct explain_frame f = { .data = NULL };
	struct explain_input in;
	struct explain_opts o;
	static struct replay x;
	char err[PATH_MAX + 256];
	unsigned int s;
	int ret;

	parse_args(argc, argv, &o);
	/* Bad input is reported before the EAL starts, and costs nothing. */
	if (explain_input_open(&in, o.path[0], o.path[1], err, sizeof(err)) != 0) {
		fprintf(stderr, "colo-explain: %s\n", err);
		return EXPLAIN_EXIT_BAD_INPUT;
	}
	if (eal_start(&o) < 0) {
		fprintf(stderr, "colo-explain: cannot start the DPDK EAL: %s\n",
				rte_strerror(rte_errno));
		explain_input_close(&in);
		return EXPLAIN_EXIT_BAD_INPUT;
	}
	ret = replay_setup(&x, &o);
	if (ret != 0) {
		fprintf(stderr, "colo-explain: replay set-up failed: %s (try a smaller --mbufs)\n",
				rte_strerror(-ret));
		replay_teardown(&x);
		explain_input_close(&in);
		eal_stop();
		return EXPLAIN_EXIT_BAD_INPUT;
	}
	x.t0 = in.first_ns;
	while (explain_input_next(&in, &f))
		replay_frame(&x, &f);
	/* Let the clock run out, as the live proxy's would after the last frame. */
	x.input_done = true;
	clock_advance(&x, x.last + (uint64_t)o.tail_ms * NS_PER_MS);
	colo_ctx_drain(x.ctx);
	drain_out(&x);

	x.res.params = o.params;
	x.res.first_ns = in.first_ns;
	x.res.last_ns = in.last_ns;
	for (s = 0; s < 2; s++) {
		x.res.path[s] = o.path[s];
		x.res.nb_frames[s] = in.side[s].nb_frames;
		x.res.nb_truncated[s] = in.side[s].nb_truncated;
		x.res.cut_short[s] = in.side[s].cut_short;
	}
	explain_input_close(&in);
	x.res.stats = x.st;
	if (o.json)
		explain_report_json(stdout, &x.res);
	else
		explain_report_text(stdout, &x.res);
	ret = x.res.nb_req != 0 ? EXPLAIN_EXIT_DIVERGED : EXPLAIN_EXIT_SAME;
	free(x.res.req);
	replay_teardown(&x);
	eal_stop();
	return ret;
}

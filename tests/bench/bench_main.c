/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * colo-bench: options, the memory (bench_mem.c), one run or a sweep, and
 * the report as text, one JSON object (--json) or CSV + JSON files
 * (--sweep). The exit status is non-zero when a run loses a frame
 * (conservation) or an mbuf, or the floor pairs frames of two connections.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "bench.h"

/** Everything a run is known by: its configuration, its result, where it belongs. */
struct row {
	const char *group;
	struct bench_conf c;
	struct bench_result r;
};

static struct bench_mem mem;

/* One list of reported fields behind the text, JSON and CSV outputs. */
enum field_type { F_DBL, F_U64, F_STR, F_BOOL };

struct field {
	const char *name;
	enum field_type type;
	double d;
	uint64_t u;
	const char *s;
};

#define NB_FIELDS 56

static unsigned int
fields_of(const struct row *w, struct field *f)
{
	const struct bench_conf *c = &w->c;
	const struct bench_result *r = &w->r;
	unsigned int n = 0;

	/* clang-format off */
#define DBL(nm, v) f[n++] = (struct field){ .name = nm, .type = F_DBL, .d = (v) }
#define U64(nm, v) f[n++] = (struct field){ .name = nm, .type = F_U64, .u = (v) }
#define STR(nm, v) f[n++] = (struct field){ .name = nm, .type = F_STR, .s = (v) }
#define BOOL(nm, v) f[n++] = (struct field){ .name = nm, .type = F_BOOL, .u = (v) }
	/* clang-format on */
	STR("group", w->group);
	U64("conns", c->conns);
	U64("frame_size", c->frame_size);
	U64("udp_pct", c->udp_pct);
	DBL("mismatch_rate", c->mismatch_rate);
	U64("lag", c->lag);
	STR("layout", c->split ? "split" : "rtc");
	U64("compare_lcores", c->compare_lcores);
	U64("rx_queues", r->nb_rxq);
	DBL("duration_s", c->duration_s);
	U64("repeat", c->repeat);
	DBL("pairs_per_sec", r->pairs_per_sec);
	DBL("pairs_per_sec_wall", r->pairs_per_sec_wall);
	DBL("baseline_pps", r->baseline_pps);
	DBL("baseline_pairs_per_sec", r->baseline_pps / 2);
	DBL("ratio", r->ratio);
	DBL("floor_pairs_per_sec", r->floor_pairs_per_sec);
	DBL("floor_ticks_per_pair", r->floor_ticks_per_pair);
	DBL("ratio_to_floor", r->ratio_to_floor);
	U64("floor_diffs", r->floor_diffs);
	BOOL("floor_ok", r->floor_ok);
	DBL("gbps", r->gbps);
	DBL("cycles_per_pair", r->cycles_per_pair);
	DBL("baseline_cycles_per_frame", r->baseline_cycles_per_frame);
	U64("load_pct", c->load_pct);
	DBL("hold_rate", r->hold_rate);
	DBL("hold_p50_us", r->hold_p50_us);
	DBL("hold_p99_us", r->hold_p99_us);
	DBL("hold_p999_us", r->hold_p999_us);
	DBL("sat_hold_p99_us", r->sat_hold_p99_us);
	DBL("bytes_per_conn", r->bytes_per_conn);
	DBL("bytes_per_conn_table", r->bytes_per_conn_table);
	U64("mempool_size", r->mempool_size);
	U64("mempool_max_in_use", r->mempool_max_in_use);
	U64("mempool_in_use_after", r->mempool_in_use_after);
	U64("primaries", r->primaries);
	U64("secondaries", r->secondaries);
	U64("released", r->released);
	U64("dropped", r->dropped);
	U64("checkpoints", r->checkpoints);
	U64("flushes", r->flushes);
	BOOL("conservation_ok", r->conservation_ok);
	BOOL("mempool_ok", r->mempool_ok);
	U64("tsc_hz", r->tsc_hz);
	STR("memory", mem.kind);
	U64("hugepage_kb", mem.hugepage_kb);
	U64("stalls", r->stalls);
	U64("mismatches_made", r->mismatches_made);
	U64("gen_alloc_fail", r->gen_alloc_fail);
#undef DBL
#undef U64
#undef STR
#undef BOOL
	RTE_VERIFY(n <= NB_FIELDS);
	return n;
}

static void
field_print(FILE *out, const struct field *f, bool json)
{
	switch (f->type) {
	case F_DBL:
		fprintf(out, "%.6g", f->d);
		break;
	case F_U64:
		fprintf(out, "%" PRIu64, f->u);
		break;
	case F_STR:
		fprintf(out, json ? "\"%s\"" : "%s", f->s);
		break;
	case F_BOOL:
		fprintf(out, "%s", f->u ? "true" : "false");
		break;
	}
}

/* Where and when: enough to tell two result files apart. */
static void
machine_json(FILE *out)
{
	char model[128] = "unknown", line[256], load[64] = "";
	time_t now = time(NULL);
	char date[32];
	FILE *f;

	f = fopen("/proc/cpuinfo", "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "model name", 10) == 0 && strchr(line, ':') != NULL) {
			snprintf(model, sizeof(model), "%s", strchr(line, ':') + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	}
	if (f != NULL)
		fclose(f);
	f = fopen("/proc/loadavg", "r");
	if (f != NULL && fgets(load, sizeof(load), f) != NULL)
		load[strcspn(load, "\n")] = '\0';
	if (f != NULL)
		fclose(f);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(out,
			"\"machine\": {\"cpu\": \"%s\", \"cpus\": %ld, \"tsc_hz\": %" PRIu64
			", \"loadavg\": \"%s\", \"date\": \"%s\"}",
			model, sysconf(_SC_NPROCESSORS_ONLN), rte_get_tsc_hz(), load, date);
}

/* One run as a JSON object; with @p machine, where it ran comes first. */
static void
row_json(FILE *out, const struct row *w, const char *indent, bool machine)
{
	struct field f[NB_FIELDS];
	unsigned int i, n = fields_of(w, f);

	fputc('{', out);
	if (machine) {
		fprintf(out, "\n%s  ", indent);
		machine_json(out);
	}
	for (i = 0; i < n; i++) {
		fprintf(out, "%s\n%s  \"%s\": ", i == 0 && !machine ? "" : ",", indent, f[i].name);
		field_print(out, &f[i], true);
	}
	fprintf(out, "\n%s}", indent);
}

static void
row_text(FILE *out, const struct row *w)
{
	const struct bench_conf *c = &w->c;
	const struct bench_result *r = &w->r;

	fprintf(out,
			"%s, %u compare lcore(s), %u RX queue(s): %u conns, %u B frames, %u %% "
			"UDP, "
			"mismatch %g, lag %u\n",
			c->split ? "split" : "rtc", c->compare_lcores, r->nb_rxq, c->conns,
			c->frame_size, c->udp_pct, c->mismatch_rate, c->lag);
	fprintf(out,
			"  compared pairs/s   %12.0f  (%.1f cycles/pair; %.0f/s wall, generator "
			"included)\n",
			r->pairs_per_sec, r->cycles_per_pair, r->pairs_per_sec_wall);
	fprintf(out, "  primary payload    %12.2f Gb/s\n", r->gbps);
	if (c->baseline)
		fprintf(out,
				"  io-forward         %12.0f frames/s (%.1f cycles/frame): ratio "
				"%.3f\n",
				r->baseline_pps, r->baseline_cycles_per_frame, r->ratio);
	if (c->floor)
		fprintf(out,
				"  floor              %12.0f pairs/s (%.1f ticks/pair): colo-proxy "
				"at %.3f x the floor%s\n",
				r->floor_pairs_per_sec, r->floor_ticks_per_pair, r->ratio_to_floor,
				r->floor_ok ? "" : " (floor check FAILED)");
	if (c->load_pct != 0)
		fprintf(out,
				"  hold time at %u %% (%.0f pairs/s): p50 %.2f us, p99 %.2f us, "
				"p99.9 %.2f us\n",
				c->load_pct, r->hold_rate, r->hold_p50_us, r->hold_p99_us,
				r->hold_p999_us);
	fprintf(out, "  hold time flat out: p99 %.2f us\n", r->sat_hold_p99_us);
	fprintf(out, "  connection state   %12.1f B/conn (table formula %.1f)\n", r->bytes_per_conn,
			r->bytes_per_conn_table);
	fprintf(out, "  mempool            %u mbufs, at most %u in use, %u after the run\n",
			r->mempool_size, r->mempool_max_in_use, r->mempool_in_use_after);
	fprintf(out,
			"  frames             %" PRIu64 " primaries, %" PRIu64 " released, %" PRIu64
			" dropped, %" PRIu64 " checkpoints: conservation %s, mempool %s\n",
			r->primaries, r->released, r->dropped, r->checkpoints,
			r->conservation_ok ? "ok" : "FAILED", r->mempool_ok ? "ok" : "FAILED");
	fprintf(out, "  stalls             %" PRIu64 " preempted iterations left out\n", r->stalls);
	fprintf(out, "  memory             %s\n", mem.why);
}

static int
sweep_write(const char *prefix, const struct row *rows, unsigned int nb)
{
	struct field f[NB_FIELDS];
	char path[4096];
	unsigned int i, k, n;
	FILE *out;

	snprintf(path, sizeof(path), "%s.csv", prefix);
	out = fopen(path, "w");
	if (out == NULL)
		return -errno;
	n = fields_of(&rows[0], f);
	for (k = 0; k < n; k++)
		fprintf(out, "%s%s", k == 0 ? "" : ",", f[k].name);
	fputc('\n', out);
	for (i = 0; i < nb; i++) {
		n = fields_of(&rows[i], f);
		for (k = 0; k < n; k++) {
			if (k != 0)
				fputc(',', out);
			field_print(out, &f[k], false);
		}
		fputc('\n', out);
	}
	fclose(out);

	snprintf(path, sizeof(path), "%s.json", prefix);
	out = fopen(path, "w");
	if (out == NULL)
		return -errno;
	fputs("{\n  ", out);
	machine_json(out);
	fputs(",\n  \"runs\": [", out);
	for (i = 0; i < nb; i++) {
		fprintf(out, "%s\n    ", i == 0 ? "" : ",");
		row_json(out, &rows[i], "    ", false);
	}
	fputs("\n  ]\n}\n", out);
	fclose(out);
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f, "Usage: colo-bench [EAL options] -- [options]\n"
		   "\n"
		   "Drives colo-proxy's datapath (app/: RX classify, compare shards, TX) with\n"
		   "synthetic primary and secondary traffic through net_ring ports, then an\n"
		   "io-forward baseline of the same frames through the same ports and lcores.\n"
		   "Workers: rtc uses the first N (one per compare lcore), split the first M\n"
		   "for RX and the next N for compare.\n"
		   "\n"
		   "  --conns N            connections, 1..1048576 (1000)\n"
		   "  --frame-size B       frame bytes, 64..1500 (64)\n"
		   "  --udp-pct P          share of UDP connections, the rest TCP (0)\n"
		   "  --mismatch-rate R    share of pairs whose secondary differs (0)\n"
		   "  --lag L              secondary frames trail the primary by L (0)\n"
		   "  --layout rtc|split   run to completion, or RX + compare lcores (rtc)\n"
		   "  --compare-lcores N   compare shards (1)\n"
		   "  --duration S         seconds of each timed phase (2)\n"
		   "  --repeat N           timed phases per mode, median reported (1)\n"
		   "  --load PCT           paced phase for hold times, %% of the maximum (50; 0 "
		   "off)\n"
		   "  --nb-mbufs N         packet pool (65535)\n"
		   "  --no-baseline        skip the io-forward baseline\n"
		   "  --no-floor           skip the floor (RX, parse, lookup, memcmp, TX)\n"
		   "  --json               print one JSON object\n"
		   "  --sweep PREFIX       connections and frame-size sweeps (and the lcore\n"
		   "                       layouts when there are 2 workers) into PREFIX.csv\n"
		   "                       and PREFIX.json\n"
		   "  --sweep-conns LIST   connection counts of the sweep "
		   "(1,1000,10000,100000,1000000)\n"
		   "  --sweep-frames LIST  frame sizes of the sweep (64,128,256,512,1024,1500)\n");
}

enum {
	OPT_CONNS = 256,
	OPT_FRAME,
	OPT_UDP,
	OPT_MISMATCH,
	OPT_LAG,
	OPT_LAYOUT,
	OPT_CMP,
	OPT_DURATION,
	OPT_REPEAT,
	OPT_LOAD,
	OPT_MBUFS,
	OPT_NO_BASELINE,
	OPT_NO_FLOOR,
	OPT_JSON,
	OPT_SWEEP,
	OPT_SWEEP_CONNS,
	OPT_SWEEP_FRAMES,
	OPT_HELP,
};

static const struct option longopts[] = {
	{ "conns", required_argument, NULL, OPT_CONNS },
	{ "frame-size", required_argument, NULL, OPT_FRAME },
	{ "udp-pct", required_argument, NULL, OPT_UDP },
	{ "mismatch-rate", required_argument, NULL, OPT_MISMATCH },
	{ "lag", required_argument, NULL, OPT_LAG },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "compare-lcores", required_argument, NULL, OPT_CMP },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ "load", required_argument, NULL, OPT_LOAD },
	{ "nb-mbufs", required_argument, NULL, OPT_MBUFS },
	{ "no-baseline", no_argument, NULL, OPT_NO_BASELINE },
	{ "no-floor", no_argument, NULL, OPT_NO_FLOOR },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "sweep", required_argument, NULL, OPT_SWEEP },
	{ "sweep-conns", required_argument, NULL, OPT_SWEEP_CONNS },
	{ "sweep-frames", required_argument, NULL, OPT_SWEEP_FRAMES },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int
parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int
parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || !(v >= lo && v <= hi))
		return -EINVAL;
	*out = v;
	return 0;
}

/* "1,1000,1000000" */
static int
parse_list(const char *s, uint32_t lo, uint32_t hi, uint32_t *out, unsigned int cap,
		unsigned int *nb)
{
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	*nb = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (*nb == cap || parse_u32(tok, lo, hi, &out[*nb]) != 0)
			return -EINVAL;
		(*nb)++;
	}
	return *nb == 0 ? -EINVAL : 0;
}

#define MAX_POINTS 16

struct args {
	struct bench_conf c;
	bool json;
	const char *sweep;
	uint32_t conns[MAX_POINTS], frames[MAX_POINTS];
	unsigned int nb_conns, nb_frames;
};

static int
args_parse(int argc, char **argv, struct args *a)
{
	int opt, ret = 0;

	a->c = (struct bench_conf){
		.conns = 1000,
		.frame_size = 64,
		.compare_lcores = 1,
		.duration_s = 2,
		.load_pct = 50,
		.repeat = 1,
		.baseline = true,
		.floor = true,
		.nb_mbufs = 65535,
	};
	a->nb_conns = 5;
	memcpy(a->conns, (uint32_t[]){ 1, 1000, 10000, 100000, 1000000 }, 5 * sizeof(uint32_t));
	a->nb_frames = 6;
	memcpy(a->frames, (uint32_t[]){ 64, 128, 256, 512, 1024, 1500 }, 6 * sizeof(uint32_t));
	optind = 1;
	while (ret == 0 && (opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_CONNS:
			ret = parse_u32(optarg, 1, 1u << 20, &a->c.conns);
			break;
		case OPT_FRAME:
			ret = parse_u32(optarg, 64, 1500, &a->c.frame_size);
			break;
		case OPT_UDP:
			ret = parse_u32(optarg, 0, 100, &a->c.udp_pct);
			break;
		case OPT_MISMATCH:
			ret = parse_double(optarg, 0, 1, &a->c.mismatch_rate);
			break;
		case OPT_LAG:
			ret = parse_u32(optarg, 0, 1u << 20, &a->c.lag);
			break;
		case OPT_LAYOUT:
			if (strcmp(optarg, "rtc") == 0)
				a->c.split = false;
			else if (strcmp(optarg, "split") == 0)
				a->c.split = true;
			else
				ret = -EINVAL;
			break;
		case OPT_CMP:
			ret = parse_u32(optarg, 1, 8, &a->c.compare_lcores);
			break;
		case OPT_DURATION:
			ret = parse_double(optarg, 0.01, 3600, &a->c.duration_s);
			break;
		case OPT_REPEAT:
			ret = parse_u32(optarg, 1, 15, &a->c.repeat);
			break;
		case OPT_LOAD:
			ret = parse_u32(optarg, 0, 100, &a->c.load_pct);
			break;
		case OPT_MBUFS:
			ret = parse_u32(optarg, 4095, 1u << 22, &a->c.nb_mbufs);
			break;
		case OPT_NO_BASELINE:
			a->c.baseline = false;
			break;
		case OPT_NO_FLOOR:
			a->c.floor = false;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_SWEEP:
			a->sweep = optarg;
			break;
		case OPT_SWEEP_CONNS:
			ret = parse_list(optarg, 1, 1u << 20, a->conns, MAX_POINTS, &a->nb_conns);
			break;
		case OPT_SWEEP_FRAMES:
			ret = parse_list(optarg, 64, 1500, a->frames, MAX_POINTS, &a->nb_frames);
			break;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (ret != 0)
			fprintf(stderr, "colo-bench: %s: bad value '%s'\n", argv[optind - 1],
					optarg);
	}
	if (ret == 0 && optind < argc) {
		fprintf(stderr, "colo-bench: unexpected argument '%s'\n", argv[optind]);
		ret = -EINVAL;
	}
	return ret;
}

/* Run one row and tell how it went on stderr (the sweep's progress). */
static bool
row_run(struct row *w, bool quiet)
{
	int ret = bench_run(&w->c, &w->r);

	if (ret != 0 && w->r.tsc_hz == 0)
		return false;
	if (!quiet)
		row_text(stderr, w);
	return ret == 0 && w->r.conservation_ok && w->r.mempool_ok &&
	       (!w->c.floor || w->r.floor_ok);
}

static int
sweep(const struct args *a)
{
	struct row rows[3 * MAX_POINTS];
	unsigned int i, nb = 0, nb_workers = rte_lcore_count() - 1;
	bool ok = true;

	for (i = 0; i < a->nb_conns; i++) {
		rows[nb] = (struct row){ .group = "conns", .c = a->c };
		rows[nb].c.conns = a->conns[i];
		ok &= row_run(&rows[nb++], false);
	}
	for (i = 0; i < a->nb_frames; i++) {
		rows[nb] = (struct row){ .group = "frame_size", .c = a->c };
		rows[nb].c.frame_size = a->frames[i];
		ok &= row_run(&rows[nb++], false);
	}
	/* The layouts two CPUs allow: one lcore, RX + compare, two shards to completion. */
	for (i = 0; nb_workers >= 2 && i < 3; i++) {
		rows[nb] = (struct row){ .group = "lcores", .c = a->c };
		rows[nb].c.split = i == 1;
		rows[nb].c.compare_lcores = i == 2 ? 2 : 1;
		ok &= row_run(&rows[nb++], false);
	}
	if (sweep_write(a->sweep, rows, nb) != 0) {
		fprintf(stderr, "colo-bench: cannot write %s.csv/.json\n", a->sweep);
		return EXIT_FAILURE;
	}
	return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * Megabytes the largest run of @p a allocates, with room to spare: the
 * packet and clone pools, and per connection colo-proxy's table beside the
 * floor's (323 B together, heap growth at 1M connections), with the
 * shards' slack.
 */
static uint64_t
need_mb(const struct args *a)
{
	uint64_t conns = a->c.conns, bytes;
	unsigned int i;

	for (i = 0; a->sweep != NULL && i < a->nb_conns; i++)
		conns = RTE_MAX(conns, (uint64_t)a->conns[i]);
	if (a->c.compare_lcores > 1 || a->sweep != NULL)
		conns += conns / 8;
	bytes = (uint64_t)a->c.nb_mbufs * (2176 + 2 * 128 + 64 + 192) + conns * 336;
	return bytes / (1024 * 1024) + 64;
}

int
main(int argc, char **argv)
{
	char **orig_argv = argv, **eal_argv, *app_argv[128];
	int eal_argc, app_argc = 1, dd, ret;
	struct args a;
	struct row w;

	/* The run's options first: how much memory it needs decides which memory. */
	for (dd = 1; dd < argc && strcmp(argv[dd], "--") != 0; dd++)
		;
	app_argv[0] = (char *)(uintptr_t)"colo-bench";
	for (ret = dd + 1; ret < argc && app_argc < (int)RTE_DIM(app_argv) - 1; ret++)
		app_argv[app_argc++] = argv[ret];
	app_argv[app_argc] = NULL;
	memset(&a, 0, sizeof(a));
	if (args_parse(app_argc, app_argv, &a) != 0)
		return 2;
	eal_argv = bench_mem_choose(dd, argv, need_mb(&a), &mem, &eal_argc);
	if (eal_argv == NULL)
		return EXIT_FAILURE;
	ret = rte_eal_init(eal_argc, eal_argv);
	if (ret < 0) {
		char reason[128];

		snprintf(reason, sizeof(reason), "EAL init on hugepages failed: %s",
				rte_strerror(rte_errno));
		if (strcmp(mem.kind, "hugepages") == 0)
			bench_mem_fallback(orig_argv, reason);
		fprintf(stderr, "colo-bench: EAL: %s\n", rte_strerror(rte_errno));
		return EXIT_FAILURE;
	}
	fprintf(stderr, "colo-bench: memory: %s\n", mem.why);
	if (a.sweep != NULL) {
		ret = sweep(&a);
	} else {
		w = (struct row){ .group = "single", .c = a.c };
		ret = row_run(&w, true) ? EXIT_SUCCESS : EXIT_FAILURE;
		if (a.json) {
			row_json(stdout, &w, "", true);
			fputc('\n', stdout);
		} else {
			row_text(stdout, &w);
		}
	}
	rte_eal_cleanup();
	return ret;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command line after the EAL options ("-- [options]"). The options are
 * built from the key table in config.c; --config loads an INI file first
 * so that the command line overrides it. Errors are one line naming the
 * option; main() turns them into exit code 2.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "ctl.h"

/* getopt_long values above any key index. */
enum {
	OPT_CONFIG = 1000,
	OPT_HELP,
};

/* "compare_timeout" -> "compare-timeout" */
static void
cli_name(const char *key, char *buf, size_t len)
{
	size_t i;

	for (i = 0; key[i] != '\0' && i + 1 < len; i++)
		buf[i] = key[i] == '_' ? '-' : key[i];
	buf[i] = '\0';
}

/** Whether the command line asks for --help (anywhere: EAL needs none of it). */
bool
colo_args_want_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/** Whether the command line asks for --version (anywhere, like --help). */
bool
colo_args_want_version(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--version") == 0)
			return true;
	return false;
}

void
colo_args_usage(FILE *f, const char *prog)
{
	const struct colo_config_key *k;
	char name[64];
	const char *section = "";
	unsigned int i;

	fprintf(f,
			"Usage: %s [EAL options] -- [options]\n"
			"\n"
			"COLO proxy: compares what the primary and secondary VMs send, releases\n"
			"the primary's frames on the outbound port, and requests a checkpoint\n"
			"when they differ. The main lcore does housekeeping; one worker lcore\n"
			"runs RX and compare to completion, two worker lcores split them.\n"
			"With --compare-lcores N, N workers each run to completion on their\n"
			"own RX queue and connection shard; more workers become RX lcores.\n"
			"\n"
			"Options (each is also a key of the --config INI file, in [section]):\n"
			"  --config FILE\n"
			"      read options from an INI file; the command line overrides it\n"
			"  -h, --help\n"
			"      show this help\n"
			"  --version\n"
			"      print the version and exit\n",
			prog);
	for (i = 0; i < colo_config_nb_keys; i++) {
		k = &colo_config_keys[i];
		if (strcmp(section, k->section) != 0) {
			section = k->section;
			fprintf(f, " [%s]\n", section);
		}
		cli_name(k->name, name, sizeof(name));
		fprintf(f, "  --%s %s\n      %s", name, k->arg, k->help);
		if (k->defval[0] != '\0')
			fprintf(f, " (default %s)", k->defval);
		fputc('\n', f);
	}
	fprintf(f,
			"\n"
			"Checkpoint requests go to the notify peer (QEMU notify_dev).\n"
			"With no peer, --no-peer-policy flush releases the queues at once\n"
			"(monitor mode); hold keeps them until a peer answers.\n"
			"\n"
			"The secondary host runs --role secondary --svm PORT --link PORT\n"
			"[--outbound PORT|none] beside the SVM; the primary then takes\n"
			"--link-syn-mirror on (docs/deployment.md).\n"
			"\n"
			"Example (pcap replay):\n"
			"  %s --no-pci --file-prefix t1 \\\n"
			"    --vdev net_pcap0,rx_pcap=P.pcap --vdev net_pcap1,rx_pcap=S.pcap \\\n"
			"    --vdev net_pcap2,tx_pcap=O.pcap -- \\\n"
			"    --primary 0 --secondary 1 --outbound 2 \\\n"
			"    --compare-timeout 200 --exit-on-idle 1000 --stats-json stats.json\n"
			"\n"
			"EAL options may also come from the --config file's [eal] section:\n"
			"each \"name = value\" is --name value (-n value for one letter), an\n"
			"empty value a bare flag (no-pci =), names may repeat (vdev). They go\n"
			"before the command line's EAL options, which therefore win.\n"
			"\n"
			"Telemetry: echo /colo/stats | dpdk-telemetry.py -f <file-prefix>\n"
			"  (/colo/stats, /colo/checkpoints[,N], /colo/config, /colo/conns[,N],\n"
			"  /colo/conn,ID|KEY, /colo/ports, /colo/latency, /colo/bypass[,RULES],\n"
			"  /colo/failover[,now]; /help,CMD for each)\n",
			prog);
}

/* --config is applied before every other option, wherever it appears. */
static int
load_config(int argc, char **argv, struct colo_opts *o)
{
	const char *path = NULL;
	char err[PATH_MAX + 128];
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "colo-proxy: --config: missing value\n");
				return -EINVAL;
			}
			path = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			path = argv[i] + 9;
		}
	}
	if (path == NULL)
		return 0;
	if (colo_config_load(o, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "colo-proxy: --config: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

/**
 * Parse the application options in @p argv (argv[0] is the program name)
 * into @p o, over its defaults and the --config file.
 *
 * @return 0, or -EINVAL after printing a one-line error.
 */
int
colo_args_parse(int argc, char **argv, struct colo_opts *o)
{
	struct option longopts[colo_config_nb_keys + 3];
	char names[colo_config_nb_keys][64];
	char err[256];
	unsigned int i;
	int c, ret;

	ret = load_config(argc, argv, o);
	if (ret != 0)
		return ret;

	for (i = 0; i < colo_config_nb_keys; i++) {
		cli_name(colo_config_keys[i].name, names[i], sizeof(names[i]));
		longopts[i] = (struct option){ names[i], required_argument, NULL, (int)i };
	}
	longopts[i++] = (struct option){ "config", required_argument, NULL, OPT_CONFIG };
	longopts[i++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	longopts[i] = (struct option){ NULL, 0, NULL, 0 };

	/*
	 * optind 0 makes glibc initialise afresh, here and again for EAL after
	 * us; no '+' in the option string, so that EAL's getopt does not inherit
	 * a changed argument ordering. Errors are ours to print (opterr 0).
	 */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c >= 0 && (unsigned int)c < colo_config_nb_keys) {
			if (colo_config_set(o, &colo_config_keys[c], optarg, err, sizeof(err)) !=
					0) {
				fprintf(stderr, "colo-proxy: --%s: %s\n", names[c], err);
				return -EINVAL;
			}
			continue;
		}
		switch (c) {
		case OPT_CONFIG:
			break;
		case 'h':
		case OPT_HELP:
			colo_args_usage(stdout, "colo-proxy");
			exit(EXIT_SUCCESS);
		case ':':
			fprintf(stderr, "colo-proxy: %s: missing value\n", argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(stderr, "colo-proxy: %s: unknown option (see --help)\n",
					argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "colo-proxy: %s: unexpected argument (see --help)\n", argv[optind]);
		return -EINVAL;
	}
	optind = 0;
	if (colo_config_check(o, err, sizeof(err)) != 0) {
		fprintf(stderr, "colo-proxy: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

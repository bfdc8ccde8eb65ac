/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * colo-explain input: the primary and secondary captures read through
 * libpcap (pcap or pcapng, whichever dumpcap or tcpdump wrote), with
 * nanosecond timestamps, merged into one stream ordered by capture time.
 */
#include <errno.h>
#include <string.h>

#include "explain.h"

static const char *const side_name[2] = { "primary", "secondary" };

/* Read the next frame of @p c ahead; hdr is NULL at the end. */
static void
capture_advance(struct explain_capture *c)
{
	const u_char *data;
	int ret;

	ret = c->pcap != NULL ? pcap_next_ex(c->pcap, &c->hdr, &data) : PCAP_ERROR_BREAK;
	if (ret != 1) {
		/* A file cut short ends the stream where it breaks: what was
		 * read still explains what the proxy saw, and the report says
		 * the file is incomplete. */
		c->cut_short = ret == PCAP_ERROR;
		c->hdr = NULL;
		return;
	}
	c->data = data;
}

static uint64_t
capture_ts(const struct explain_capture *c)
{
	return (uint64_t)c->hdr->ts.tv_sec * EXPLAIN_NS_PER_S + (uint64_t)c->hdr->ts.tv_usec;
}

static int
capture_open(struct explain_capture *c, enum colo_side side, const char *path, char *err,
		size_t err_len)
{
	char perr[PCAP_ERRBUF_SIZE];
	int dlt;

	memset(c, 0, sizeof(*c));
	c->path = path;
	/* tv_usec then holds nanoseconds, whatever resolution the file has. */
	c->pcap = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (c->pcap == NULL) {
		snprintf(err, err_len, "%s capture %s: %s", side_name[side], path, perr);
		return -EINVAL;
	}
	dlt = pcap_datalink(c->pcap);
	if (dlt != DLT_EN10MB) {
		snprintf(err, err_len,
				"%s capture %s: link type %s, not Ethernet (capture on the "
				"interface, not on \"any\")",
				side_name[side], path,
				pcap_datalink_val_to_name(dlt) != NULL
						? pcap_datalink_val_to_name(dlt)
						: "unknown");
		pcap_close(c->pcap);
		c->pcap = NULL;
		return -EINVAL;
	}
	capture_advance(c);
	return 0;
}

int
explain_input_open(struct explain_input *in, const char *primary, const char *secondary, char *err,
		size_t err_len)
{
	unsigned int s;

	memset(in, 0, sizeof(*in));
	if (capture_open(&in->side[COLO_SIDE_PRIMARY], COLO_SIDE_PRIMARY, primary, err, err_len) !=
			0)
		return -EINVAL;
	if (capture_open(&in->side[COLO_SIDE_SECONDARY], COLO_SIDE_SECONDARY, secondary, err,
			    err_len) != 0) {
		explain_input_close(in);
		return -EINVAL;
	}
	in->first_ns = UINT64_MAX;
	for (s = 0; s < 2; s++)
		if (in->side[s].hdr != NULL && capture_ts(&in->side[s]) < in->first_ns)
			in->first_ns = capture_ts(&in->side[s]);
	if (in->first_ns == UINT64_MAX)
		in->first_ns = 0;
	in->last_ns = in->first_ns;
	return 0;
}

bool
explain_input_next(struct explain_input *in, struct explain_frame *f)
{
	struct explain_capture *p = &in->side[COLO_SIDE_PRIMARY];
	struct explain_capture *s = &in->side[COLO_SIDE_SECONDARY];
	struct explain_capture *c;
	enum colo_side side;

	/* The frame handed out last time is consumed now, so that its data
	 * stayed valid until this call. */
	if (f->data != NULL) {
		in->side[f->side].nb_frames++;
		capture_advance(&in->side[f->side]);
		f->data = NULL;
	}
	if (p->hdr == NULL && s->hdr == NULL)
		return false;
	if (p->hdr == NULL || (s->hdr != NULL && capture_ts(s) <= capture_ts(p)))
		side = COLO_SIDE_SECONDARY;
	else
		side = COLO_SIDE_PRIMARY;
	c = &in->side[side];
	f->side = side;
	f->number = c->nb_frames + 1;
	f->ts_ns = capture_ts(c);
	f->data = c->data;
	f->caplen = c->hdr->caplen;
	if (c->hdr->caplen < c->hdr->len)
		c->nb_truncated++;
	if (f->ts_ns > in->last_ns)
		in->last_ns = f->ts_ns;
	return true;
}

void
explain_input_close(struct explain_input *in)
{
	unsigned int s;

	for (s = 0; s < 2; s++) {
		if (in->side[s].pcap != NULL)
			pcap_close(in->side[s].pcap);
		in->side[s].pcap = NULL;
		in->side[s].hdr = NULL;
	}
}

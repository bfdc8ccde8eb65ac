/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QMP client for QEMU COLO checkpoint control: a protocol engine with no I/O
 * of its own. The caller owns the socket: it passes the bytes it read to
 * colo_qmp_feed(), writes what colo_qmp_output() holds, and acts on the
 * events colo_qmp_next_event() returns. Every call takes the caller's
 * CLOCK_REALTIME in microseconds, the clock QEMU stamps its events with, so
 * the engine reads no clock and runs the same under a unit test.
 *
 * Checkpoint model (QEMU/KVM COLO has no checkpoint command): while COLO is
 * active, setting x-checkpoint-delay to its current value wakes the COLO
 * thread at once. A STOP event then marks the start of a checkpoint and the
 * following RESUME its end; MIGRATION_PASS numbers it. A held primary frame
 * may be released only by a checkpoint that began after the frame's
 * mismatch was seen. The engine proves that in two ways: QEMU's STOP
 * timestamp is later than the mismatch, or the STOP came after the reply to
 * a migrate-set-parameters that was sent after the mismatch was registered.
 * COLO_EXIT (reason error or request) ends COLO: on the primary the
 * secondary is gone, on the secondary the primary is.
 *
 * One thread owns an engine; the statistics may be read from others.
 */
#ifndef COLO_QMP_H
#define COLO_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Longest line accepted from QEMU; longer ones are dropped and counted. */
#define COLO_QMP_LINE_MAX 65536

/** Commands awaiting a reply at most (colo_qmp_execute() returns -EBUSY beyond). */
#define COLO_QMP_MAX_INFLIGHT 16

/** Room of the event queue; colo_qmp_feed() stops consuming when it is nearly full. */
#define COLO_QMP_EVENT_QUEUE 16

/** Bytes of error or reply text kept in an event, NUL included. */
#define COLO_QMP_TEXT_MAX 128

/** Which QEMU this engine talks to. */
enum colo_qmp_role {
	COLO_QMP_ROLE_PRIMARY = 0, /**< requests checkpoints; checkpoints release held frames */
	COLO_QMP_ROLE_SECONDARY,   /**< a checkpoint resets rewriter offsets; COLO_EXIT = take over */
};

/** COLO mode as query-colo-status reports it. */
enum colo_qmp_mode {
	COLO_QMP_MODE_UNKNOWN = 0, /**< not learnt yet, or a string this engine does not know */
	COLO_QMP_MODE_NONE,
	COLO_QMP_MODE_PRIMARY,
	COLO_QMP_MODE_SECONDARY,
};

/** Connection state. */
enum colo_qmp_state {
	COLO_QMP_DOWN = 0,	/**< no connection; colo_qmp_connected() starts one */
	COLO_QMP_GREETING,	/**< waiting for QEMU's greeting */
	COLO_QMP_NEGOTIATING,	/**< qmp_capabilities sent */
	COLO_QMP_QUERYING,	/**< query-colo-status and query-migrate-parameters sent */
	COLO_QMP_READY,		/**< commands and events flow */
	COLO_QMP_FAILED,	/**< COLO_QMP_EV_ERROR was reported; input is discarded */
};

/** Why COLO ended (COLO_EXIT's reason). */
enum colo_qmp_exit_reason {
	COLO_QMP_EXIT_UNKNOWN = 0,
	COLO_QMP_EXIT_REQUEST, /**< x-colo-lost-heartbeat was issued */
	COLO_QMP_EXIT_ERROR,   /**< the peer or the checkpoint stream failed */
};

/** Events reported to the caller. */
enum colo_qmp_ev_type {
	/** Handshake complete (every query answered): mode, colo_active and delay_ms are valid. */
	COLO_QMP_EV_READY = 1,
	/** Mode or x-checkpoint-delay learnt again (colo_qmp_refresh(), or MIGRATION
	 *  status "colo", after which the engine refreshes by itself). */
	COLO_QMP_EV_STATUS,
	/** STOP while COLO is active: checkpoint seq began at begin_us (QEMU's clock). */
	COLO_QMP_EV_CKPT_BEGIN,
	/** RESUME closing checkpoint seq. Primary: release held frames whose mismatch
	 *  was seen before release_before_us (0: none may go). Secondary: the VM was
	 *  reloaded, reset the rewriter's offsets. */
	COLO_QMP_EV_CKPT_DONE,
	/** COLO_EXIT: COLO is over (mode, reason). Pending requests are dropped. */
	COLO_QMP_EV_COLO_EXIT,
	/** Reply to colo_qmp_execute() number seq: ok, and text (error desc if not ok). */
	COLO_QMP_EV_REPLY,
	/** The connection is unusable (text says why): close it, then call
	 *  colo_qmp_disconnected() and reconnect. */
	COLO_QMP_EV_ERROR,
};

/** One event; fields not listed for its type are zero. */
struct colo_qmp_event {
	enum colo_qmp_ev_type type;
	enum colo_qmp_mode mode;	   /**< READY, STATUS, COLO_EXIT */
	bool colo_active;		   /**< READY, STATUS: mode is this engine's role */
	bool ok;			   /**< REPLY */
	/** CKPT_DONE: the checkpoint began after a migrate-set-parameters of this
	 *  engine was acknowledged (it answered a request). */
	bool requested;
	enum colo_qmp_exit_reason reason;  /**< COLO_EXIT */
	uint32_t delay_ms;		   /**< READY, STATUS: x-checkpoint-delay */
	uint64_t seq;			   /**< CKPT_*: checkpoint number (1, 2, ...); REPLY: id */
	int64_t begin_us;		   /**< CKPT_*: STOP timestamp, -1 if QEMU had none */
	int64_t end_us;			   /**< CKPT_DONE: RESUME timestamp, -1 if none */
	int64_t pass;			   /**< CKPT_DONE: MIGRATION_PASS number, -1 if none came */
	int64_t release_before_us;	   /**< CKPT_DONE (primary), see above */
	char text[COLO_QMP_TEXT_MAX];	   /**< REPLY, ERROR */
};

/** Counters; the owning thread writes them, any thread may read them. */
struct colo_qmp_stats {
	uint64_t connects;	   /**< colo_qmp_connected() calls */
	uint64_t disconnects;	   /**< colo_qmp_disconnected() on a live connection */
	uint64_t errors;	   /**< COLO_QMP_EV_ERROR reported */
	uint64_t bytes_in;
	uint64_t lines_in;
	uint64_t malformed;	   /**< lines that are not QMP JSON of a known shape */
	uint64_t oversized;	   /**< lines longer than COLO_QMP_LINE_MAX, dropped */
	uint64_t replies_unexpected; /**< replies to no command of ours */
	uint64_t cmd_errors;	   /**< error replies */
	uint64_t cmds_sent;
	uint64_t requests;	   /**< colo_qmp_request() calls accepted */
	uint64_t requests_coalesced; /**< ... of which joined a request in progress */
	uint64_t requests_refused;   /**< not ready, COLO not active, or secondary role */
	uint64_t ckpt_triggers;	   /**< migrate-set-parameters acknowledged */
	uint64_t ckpt_begun;
	uint64_t ckpt_done;
	uint64_t ckpt_requested;   /**< ... done that answered a request */
	uint64_t ckpt_aborted;	   /**< begun, then COLO_EXIT or loss before RESUME */
	uint64_t ckpt_timeouts;	   /**< triggers no checkpoint followed; sent again */
	uint64_t stop_outside_colo;  /**< STOP/RESUME ignored: COLO not active */
	uint64_t resume_outside_colo;
	uint64_t ts_untrusted;	   /**< STOP timestamps missing, in the future or backwards */
	uint64_t colo_exits;
	uint64_t events_other;	   /**< events this engine does not act on */
	int64_t last_pass;	   /**< last MIGRATION_PASS number, -1 before one */
	int64_t last_stop_us;	   /**< QEMU timestamp of the last STOP, in COLO or not; 0 before */
	int64_t last_resume_us;	   /**< ... of the last RESUME */
	uint64_t last_rtt_us;	   /**< last command's reply time */
	uint64_t max_rtt_us;
	uint64_t last_ckpt_us;	   /**< last checkpoint's RESUME - STOP, QEMU's clock */
	uint64_t max_ckpt_us;
	uint64_t last_req_to_done_us; /**< first request to the CKPT_DONE releasing it */
};

/** Engine settings. Zero fields take the defaults given. */
struct colo_qmp_conf {
	enum colo_qmp_role role;
	/** Greeting and every reply must come within this; 5 s by default. */
	uint64_t reply_timeout_us;
	/** A checkpoint must begin this long after a trigger was acknowledged, or
	 *  the trigger is sent again; 1 s by default. */
	uint64_t ckpt_timeout_us;
	/** A STOP stamped later than now plus this is not trusted; 1 ms by default. */
	uint64_t clock_slack_us;
};

struct colo_qmp;

/**
 * Create an engine in state COLO_QMP_DOWN.
 *
 * @return the engine, or NULL if out of memory or @p conf->role is invalid.
 */
struct colo_qmp *colo_qmp_create(const struct colo_qmp_conf *conf);

/** Free @p q (NULL is fine). */
void colo_qmp_free(struct colo_qmp *q);

/** A new connection to QEMU is up: wait for its greeting. Resets a live one first. */
void colo_qmp_connected(struct colo_qmp *q, int64_t now_us);

/**
 * The connection is gone (closed by QEMU, or by the caller after
 * COLO_QMP_EV_ERROR). A checkpoint in progress is aborted, requests in
 * progress are dropped, COLO is no longer known to be active, and queued
 * output and unread events are discarded.
 */
void colo_qmp_disconnected(struct colo_qmp *q, int64_t now_us);

/**
 * Take bytes read from the socket. Complete lines are handled as they come.
 *
 * @return the bytes used: all of @p len, unless the event queue filled up,
 *   in which case drain it and feed the rest.
 */
size_t colo_qmp_feed(struct colo_qmp *q, const uint8_t *data, size_t len, int64_t now_us);

/**
 * Handle timeouts: the greeting or a reply overdue (COLO_QMP_EV_ERROR), a
 * checkpoint that did not begin after a trigger (trigger sent again), a
 * request to retry after an error reply. Call at least every 100 ms.
 */
void colo_qmp_tick(struct colo_qmp *q, int64_t now_us);

/** Pop the oldest event into @p ev; false if there is none. */
bool colo_qmp_next_event(struct colo_qmp *q, struct colo_qmp_event *ev);

/** Bytes waiting to be written to the socket and their count in @p len (0: none). */
const uint8_t *colo_qmp_output(const struct colo_qmp *q, size_t *len);

/** @p n bytes of colo_qmp_output() were written. */
void colo_qmp_output_done(struct colo_qmp *q, size_t n);

/**
 * Ask for a checkpoint (primary role) for a mismatch seen at @p seen_us
 * (CLOCK_REALTIME). If a request is already in progress, or a checkpoint is
 * running, the request joins it: the engine keeps asking until a checkpoint
 * that began after the latest mismatch registered has completed.
 *
 * @return 1 if a new request was started (output is queued), 0 if it joined
 *   one in progress, -ENOTSUP in the secondary role, -ENOTCONN if the
 *   connection is not ready, -ENODEV if COLO is not active.
 */
int colo_qmp_request(struct colo_qmp *q, int64_t seen_us, int64_t now_us);

/**
 * Read the COLO mode and x-checkpoint-delay again; COLO_QMP_EV_STATUS follows.
 *
 * @return 0, -ENOTCONN if not ready, -EBUSY if too many commands are in flight.
 */
int colo_qmp_refresh(struct colo_qmp *q, int64_t now_us);

/**
 * Send any QMP command, e.g. "x-colo-lost-heartbeat", "stop", "cont". Its
 * reply comes as COLO_QMP_EV_REPLY with seq = the returned id.
 *
 * @param command
 *   The command name: letters, digits, '-' and '_' only.
 * @param args_json
 *   Its arguments as one JSON object, or NULL.
 * @return the command id (> 0), -ENOTCONN if not ready, -EINVAL for a bad
 *   name or arguments, -EBUSY if too many commands are in flight.
 */
int64_t colo_qmp_execute(struct colo_qmp *q, const char *command, const char *args_json,
		int64_t now_us);

/** Connection state. */
enum colo_qmp_state colo_qmp_state(const struct colo_qmp *q);

/** Whether COLO is active with this engine's role as far as QMP has told. */
bool colo_qmp_colo_active(const struct colo_qmp *q);

/** Last x-checkpoint-delay read from QEMU, in ms (0 before one was read). */
uint32_t colo_qmp_delay_ms(const struct colo_qmp *q);

/** QEMU version from the greeting as major * 10000 + minor * 100 + micro, 0 before. */
uint32_t colo_qmp_qemu_version(const struct colo_qmp *q);

/** The engine's counters. */
const struct colo_qmp_stats *colo_qmp_stats(const struct colo_qmp *q);

/** Name of @p mode as QEMU spells it ("primary"), "unknown" for UNKNOWN. */
const char *colo_qmp_mode_str(enum colo_qmp_mode mode);

/** Name of @p type, e.g. "ckpt_done", for logs. */
const char *colo_qmp_ev_str(enum colo_qmp_ev_type type);

#endif /* COLO_QMP_H */

/*
 * Every limit and default of vardata, in one place.  Each limit can be
 * changed with the command-line flag (or VARDATA_* variable) named beside
 * it; vardata(8) documents them all.
 */
#ifndef VD_DEFAULTS_H
#define VD_DEFAULTS_H

/*
 * PostgreSQL allocates at most MaxAllocSize (1 GiB less one byte) at once,
 * so no request body larger than that can ever be stored.
 */
#define VD_DEFAULT_MAX_BODY		((1024ULL * 1024 * 1024) - 1)	/* --max-body */
/*
 * The largest value: COPY builds the whole ACT_GE_BYTEARRAY row in one
 * allocation before it moves the value out of line, so the row's other
 * columns and headers (under 2 KiB with a name of 255 four-byte
 * characters) must fit beside it.  64 KiB of room; error.c's message
 * names the figure.
 */
#define VD_MAX_VALUE			((1024ULL * 1024 * 1024) - 64 * 1024)
#define VD_DEFAULT_MAX_PARTS		16		/* --max-parts */
#define VD_DEFAULT_MAX_PART_HEADER	(8 * 1024)	/* --max-part-header, bytes per part */
#define VD_DEFAULT_MAX_FILENAME		4000		/* --max-filename, characters (TEXT_ is varchar(4000)) */
#define VD_DEFAULT_MAX_FIELD		(4 * 1024)	/* --max-field, bytes of a text part (valueType, type) */
#define VD_DEFAULT_MAX_JSON		(4 * 1024 * 1024)	/* --max-json, bytes of a deprecated JSON object value */

/* Column sizes of the Camunda tables (characters). */
#define VD_ID_MAX_CHARS			64
#define VD_NAME_MAX_CHARS		255
#define VD_TYPE_NAME_MAX_CHARS		4000	/* TEXT2_ */

/* Downloads are read from PostgreSQL in slices of this many bytes. */
#define VD_SLICE_SIZE			(1024 * 1024)
/*
 * A worker has up to this many requests open at once (--pipeline): the
 * lookups of GETs and the writes of small POSTs are pipelined on its one
 * connection.  A lookup brings at most VD_PIPELINE_FIRST bytes of its
 * value; the rest is read in slices afterwards.
 */
#define VD_DEFAULT_PIPELINE		16		/* --pipeline */
#define VD_MAX_PIPELINE			256
#define VD_PIPELINE_FIRST		(64 * 1024)
/* A POST whose body is at most this is written by one pipelined statement too. */
#define VD_PIPELINE_BODY		(64 * 1024)
/*
 * How often a write is tried: again after a concurrent first write of the
 * same name won, or after the database failed it to end a deadlock.
 */
#define VD_PUT_ATTEMPTS			5
/* Buffered I/O chunk between FastCGI and the multipart parser. */
#define VD_IO_CHUNK			(64 * 1024)

#define VD_DEFAULT_BASE_PATH		"/engine-rest"
/*
 * Where workers keep their unnamed spool file, unless $TMPDIR says
 * otherwise (and not with --user: then $TMPDIR is another user's):
 * /var/tmp, which is on disk, where /tmp is often a tmpfs (the default
 * since Debian 13) and would hold each spooled value in RAM.
 */
#define VD_DEFAULT_SPOOL_DIR		"/var/tmp"
#define VD_DEFAULT_SOCKET_MODE		0660
#define VD_DEFAULT_BACKLOG		1024
#define VD_MAX_WORKERS			1024
/*
 * A worker that exits sooner than this after its start counts as a failed
 * start, and its slot waits this long before the next; every failed start
 * in a row doubles the wait, up to the maximum.
 */
#define VD_RESPAWN_BACKOFF_MS		1000
#define VD_RESPAWN_BACKOFF_MAX_MS	30000
/*
 * The followers of the lead worker (lead.h) take connections too for this
 * long after the lead last could not; the supervisor looks whether the lead
 * is stuck this often.
 */
#define VD_LEAD_HOLD_MS			1000
#define VD_LEAD_WATCH_MS		100
/* After SIGTERM, workers get this long to finish their requests. */
#define VD_DEFAULT_SHUTDOWN_TIMEOUT	30	/* --shutdown-timeout, seconds */
/* libpq connect_timeout unless the connection string sets one. */
#define VD_DEFAULT_CONNECT_TIMEOUT	"5"

#endif

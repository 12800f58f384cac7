/*
 * The store: every SQL statement of vardata, over one libpq connection per
 * worker.  Statements are parameterised and prepared once per connection
 * (or sent unnamed with --no-prepare, for PgBouncer's transaction pooling).
 * Values move in slices: reads fetch VD_SLICE_SIZE bytes at a time inside
 * one snapshot, writes stream through COPY, so no value is ever whole in a
 * worker's memory.
 */
#ifndef VD_STORE_H
#define VD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "error.h"

/* Scope kinds as the SQL spells them. */
enum scope_kind {
	SK_TASK = 't',
	SK_EXECUTION = 'e',
	SK_CASE_EXECUTION = 'c'
};

struct store;

struct store	*store_new(const struct vd_conf *conf);
/* Whether this process can create a spool file in dir (the reason is logged when not). */
bool		 store_spool_usable(const char *dir);
void		 store_free(struct store *st);
/* Connects (again) when there is no healthy connection; VD_ERR_DB_UNAVAILABLE when that fails. */
enum vd_err	 store_connect(struct store *st) VD_MUSTCHECK;

/* A variable found for a GET, with the first slice of its value. */
struct var_value {
	bool		 scope_found;	/* the addressed task/execution/case execution exists */
	bool		 found;		/* a variable of that name is visible */
	char		*type;		/* TYPE_ */
	char		*text;		/* TEXT_ (filename of a file), NULL when null */
	char		*text2;		/* TEXT2_ (mime#encoding of a file), NULL when null */
	bool		 has_bytes;	/* a byte-array row exists */
	char		*ba_id;		/* its ID_ */
	int32_t		 ba_rev;	/* its REV_ */
	uint64_t	 length;	/* octet length of BYTES_ (0 for null) */
	const char	*first;		/* its first bytes: VD_SLICE_SIZE, VD_PIPELINE_FIRST when pipelined */
	size_t		 first_len;
	bool		 compressed;	/* stored compressed: read the rest in one statement */
	void		*res_;		/* owns every pointer above */
};

/* Looks a variable up through the scope chain (local: the addressed scope only). */
enum vd_err	store_lookup(struct store *st, enum scope_kind kind, const char *scope_id,
		    bool local, const char *name, struct var_value *out) VD_MUSTCHECK;
/* Looks a variable up by its ID_ (/variable-instance/{id}/data); scope_found is always true. */
enum vd_err	store_lookup_instance(struct store *st, const char *var_id,
		    struct var_value *out) VD_MUSTCHECK;
void		var_value_clear(struct var_value *v);

/*
 * Pipelined lookups: several GETs' lookups in flight at once on the one
 * connection, their results collected in the order they were sent.  Each
 * brings at most VD_PIPELINE_FIRST bytes of its value.  Small writes go
 * the same way (store_put_send below).  No other store function may be
 * called while store_in_flight(), the answers not collected yet, is not 0.
 *
 * store_lookup_send() only queues a lookup of a scope chain (its strings
 * must stay valid until its answer is collected); store_flush() sends what
 * is queued, several lookups as one statement.  The caller flushes once it
 * has taken what arrived together, before it waits; collecting an answer
 * and sending any other statement flush too.  With alone, the lookup goes
 * out at once, by itself.
 */
enum vd_err	store_lookup_send(struct store *st, enum scope_kind kind, const char *scope_id,
		    bool local, const char *name, bool alone) VD_MUSTCHECK;
enum vd_err	store_lookup_instance_send(struct store *st, const char *var_id) VD_MUSTCHECK;
void		store_flush(struct store *st);
unsigned	store_in_flight(const struct store *st);
/*
 * The connection's socket, to wait for results on; -1 when there is none.
 * Each new connection gets a new number in *serial, so that a caller can
 * tell it from an old one that had the same descriptor.
 */
int		store_socket(const struct store *st, unsigned long *serial);
/*
 * The socket of the connection was readable with nothing in flight: when it
 * still is, the server has said goodbye, and the connection is dropped.
 */
void		store_idle_input(struct store *st);
/*
 * The result of the oldest lookup in flight: false when it has not fully
 * arrived and wait is false (call again when the socket is readable), true
 * when *out (on VD_OK) or *err is set.  *alone: the lookup went out with
 * others and their statement failed, which says nothing of this one: send
 * it again alone.
 */
bool		store_lookup_recv(struct store *st, bool wait, struct var_value *out,
		    enum vd_err *err, bool *alone);

/* Receives one slice of a value; a non-VD_OK return stops the read. */
typedef enum vd_err (*store_sink)(void *arg, const char *buf, size_t len);

/*
 * Streams bytes [off, off + len) of the value found by a lookup to sink, in
 * slices, all from one snapshot.  Returns VD_ERR_NOT_FOUND, before calling
 * sink at all, when the byte-array row changed since the lookup (the caller
 * looks up again).
 */
enum vd_err	store_read(struct store *st, const struct var_value *v, uint64_t off,
		    uint64_t len, store_sink sink, void *arg) VD_MUSTCHECK;

/*
 * Writing: store_begin() opens a transaction; each value is streamed with
 * store_blob_begin/write/end toward a new ACT_GE_BYTEARRAY row (a large one
 * waits in a spool file, a small one in memory, until store_put() sends it,
 * with COPY or along with its statement); store_put() points the variable
 * at it; store_commit() makes it all visible at once.  Any error leaves the
 * transaction to store_rollback().
 */
enum vd_err	store_begin(struct store *st) VD_MUSTCHECK;
/* Starts a byte-array row for variable name; its new id is written to id (37 bytes). */
enum vd_err	store_blob_begin(struct store *st, const char *name, char id[37]) VD_MUSTCHECK;
enum vd_err	store_blob_write(struct store *st, const char *buf, size_t len) VD_MUSTCHECK;
enum vd_err	store_blob_end(struct store *st) VD_MUSTCHECK;
/* Forgets the value of the last store_blob_end() (a data part sent twice: the last one wins). */
void		store_blob_forget(struct store *st);

struct var_write {
	enum scope_kind	 kind;
	const char	*scope_id;
	bool		 local;		/* write to the addressed scope only */
	const char	*name;
	const char	*type;		/* TYPE_ */
	const char	*text;		/* TEXT_ or NULL */
	const char	*text2;		/* TEXT2_ or NULL */
	const char	*ba_id;		/* BYTEARRAY_ID_ or NULL */
};

/*
 * Creates or updates the variable as spec section 3 says.  Returns
 * VD_ERR_PUT_FAILED when the addressed scope does not exist.
 */
enum vd_err	store_put(struct store *st, const struct var_write *w) VD_MUSTCHECK;
enum vd_err	store_commit(struct store *st) VD_MUSTCHECK;
void		store_rollback(struct store *st);

/*
 * Pipelined small writes.  When an upload's value stayed in memory
 * (store_blob_end() without COPY), store_take_inline() hands a copy of it
 * to the caller and forgets the transaction store_begin() opened, for
 * nothing was sent yet.  store_put_send() then sends the whole write as
 * one statement (as store_put() and store_commit() would do it), or, when
 * the last writes mostly found their variable and whole is false, the
 * update alone (*update_only).  store_put_recv() takes its
 * answer in turn with the lookups: VD_OK, VD_ERR_PUT_FAILED when the scope
 * does not exist, PUT_ABSENT when the update alone found no variable
 * (nothing was written: send the whole write), or PUT_LOST when a
 * concurrent writer of that variable came in between and nothing was
 * written.  store_put_inline() then does the write the way store_put()
 * and store_commit() do, in a transaction that waits for the others, with
 * nothing else in flight.  Same rules as for pipelined lookups.
 */
enum put_turn { PUT_DONE, PUT_ABSENT, PUT_LOST };

bool		store_take_inline(struct store *st, char **value, size_t *len);
enum vd_err	store_put_send(struct store *st, const struct var_write *w, const char *value,
		    size_t len, bool whole, bool *update_only) VD_MUSTCHECK;
bool		store_put_recv(struct store *st, bool update_only, bool wait, enum vd_err *err,
		    enum put_turn *turn);
enum vd_err	store_put_inline(struct store *st, const struct var_write *w, const char *value,
		    size_t len) VD_MUSTCHECK;

#endif

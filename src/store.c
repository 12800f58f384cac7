#include "config.h"

#include <arpa/inet.h>

#include <poll.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "defaults.h"
#include "log.h"
#include "store.h"
#include "text.h"
#include "uuid.h"

/*
 * Values up to this size are collected in memory and inserted with one
 * parameter.  Larger ones go to the worker's spool file as they arrive and
 * then to PostgreSQL with a binary COPY once the whole body is in: that
 * format needs a value's length before its bytes, a multipart body tells
 * the length only at its end, and a slow client must not keep a
 * transaction open while the rest of its body arrives.
 * (COPY's text format could stream, but it doubles every byte as hex and
 * so cannot carry a value over half of PostgreSQL's 1 GB limit.)  Memory
 * stays bounded by these constants whatever the size of the value.
 */
#define INLINE_MAX	(64 * 1024)
/* Bytes read back from the spool file per CopyData message. */
#define COPY_CHUNK	(256 * 1024)
/* The savepoint after a spooled value's COPY. */
#define COPIED		"vd_copied"
/* A pipelined POST's value must stay in memory. */
_Static_assert(INLINE_MAX >= VD_PIPELINE_BODY, "a pipelined POST's value must fit INLINE_MAX");

/*
 * A walk up a chain takes at most CHAIN_STEPS steps.  A longer chain (a
 * cycle of parents in damaged data) fails the statement rather than being
 * cut short, which would read past a variable or write one into the wrong
 * scope: at that depth the cast of this text to integer raises 22P02, and
 * the text reaches the log.  It depends on the row, so nothing is raised
 * when the statement is planned.
 */
#define CHAIN_STEPS	"1000"
#define CHAIN_GOES_ON(depth) \
"(" depth " < " CHAIN_STEPS \
"  OR ('scope chain longer than " CHAIN_STEPS " steps (a cycle of parents?) at depth ' || " depth ")::integer > 0)"

/*
 * The scope chain of spec section 5, from the addressed scope up to the
 * root, in one recursive query.  Each row names its parent in the column
 * of the parent's kind (nt task, ne execution, nc case execution; the
 * others null), so that each branch of the step (CHAIN_STEP, from chain
 * row c) is a plain index probe that finds nothing for a null: no branch
 * needs a filter of its own, which would cost PostgreSQL one more plan
 * node to set up per statement.  The seed row (depth -1) only names the
 * first scope, of kind k and id id (CHAIN_SEED), so the step is written
 * once.  CHAIN_GOES_ON guards against cycles in damaged data.
 * CHAIN_STEP's arguments add columns to each kind of row: a lookup needs
 * only the scopes, a write also the columns a new variable in that scope
 * takes (spec section 3).
 */
#define CHAIN_SEED(k, id) \
"CASE WHEN " k " = 't' THEN " id " END, CASE WHEN " k " = 'e' THEN " id " END," \
"      CASE WHEN " k " = 'c' THEN " id " END"
#define CHAIN_STEP(task, task_join, exec, cexec) \
"LATERAL (" \
"      SELECT 't'::text, t.id_," \
"        CASE WHEN t.execution_id_ IS NULL AND t.case_execution_id_ IS NULL THEN t.parent_task_id_ END," \
"        t.execution_id_, CASE WHEN t.execution_id_ IS NULL THEN t.case_execution_id_ END" task \
"        FROM act_ru_task t" task_join " WHERE t.id_ = c.nt" \
"      UNION ALL" \
"      SELECT 'e', e.id_, NULL, e.parent_id_, NULL" exec \
"        FROM act_ru_execution e WHERE e.id_ = c.ne" \
"      UNION ALL" \
"      SELECT 'c', ce.id_, NULL, NULL, ce.parent_id_" cexec \
"        FROM act_ru_case_execution ce WHERE ce.id_ = c.nc" \
"    ) n"

/* The chain of one scope, $1 kind, $2 id; $4 (local) stops the walk after the addressed scope. */
#define CHAIN_CTE(cols, seed, task, task_join, exec, cexec) \
"WITH RECURSIVE chain(depth, kind, id, nt, ne, nc" cols ") AS (" \
"    SELECT -1, NULL::text, NULL::varchar, " CHAIN_SEED("$1::text", "$2::varchar") seed \
"  UNION ALL" \
"    SELECT c.depth + 1, n.* FROM chain c, " CHAIN_STEP(task, task_join, exec, cexec) \
"    WHERE " CHAIN_GOES_ON("c.depth") " AND NOT ($4::boolean AND c.depth >= 0)" \
") "

/* The chain as a lookup needs it: scopes only. */
#define LOOKUP_CHAIN CHAIN_CTE("", "", "", "", "", "")

/*
 * Where a new variable in a scope would go (spec section 3): the columns a
 * write needs of each scope, from a task t (and its execution te), an
 * execution e or a case execution ce.
 */
#define WRITE_COLS \
", exec_id, proc_inst_id, proc_def_id, case_exec_id, case_inst_id, task_id, tenant_id," \
"  concurrent_local"
#define WRITE_COLS_TASK \
", t.execution_id_, te.proc_inst_id_, te.proc_def_id_, t.case_execution_id_," \
"  CASE WHEN t.case_execution_id_ IS NOT NULL THEN t.case_inst_id_ END, t.id_," \
"  COALESCE(t.tenant_id_, te.tenant_id_), false"
#define WRITE_JOIN_TASK " LEFT JOIN act_ru_execution te ON te.id_ = t.execution_id_"
#define WRITE_COLS_EXEC \
", e.id_, e.proc_inst_id_, e.proc_def_id_, NULL, NULL, NULL, e.tenant_id_," \
"  NOT COALESCE(e.is_scope_, true)"
#define WRITE_COLS_CEXEC ", NULL, NULL, NULL, ce.id_, ce.case_inst_id_, NULL, ce.tenant_id_, false"

/* The chain as a write needs it. */
#define WRITE_CHAIN CHAIN_CTE(WRITE_COLS, \
", NULL::varchar, NULL::varchar, NULL::varchar, NULL::varchar, NULL::varchar, NULL::varchar," \
"  NULL::varchar, false", \
WRITE_COLS_TASK, WRITE_JOIN_TASK, WRITE_COLS_EXEC, WRITE_COLS_CEXEC)

/*
 * CHAIN_VARIABLE: the variable named name (a parameter) of chain row c's
 * scope, where which tells a scope's variables apart (spec section 5): a
 * task's are those with its TASK_ID_ (TASK_VARIABLE); an execution's or
 * case execution's those with its id and no TASK_ID_.  The unique
 * (VAR_SCOPE_, NAME_) index finds them: LATERAL with OFFSET 0 (which keeps
 * the planner from flattening it, and costs no plan node) makes that one
 * index probe per scope, where a join lets the planner, which cannot know
 * how short a chain is, scan every variable of that name.  It names the
 * columns its users read: PostgreSQL builds the row type of every plan
 * node for each execution, and a row of all the table's columns, carried
 * up through the joins, costs a small lookup 3% of the database's time.
 */
#define TASK_VARIABLE(id)	"v.task_id_ = " id
#define EXEC_VARIABLE(id)	"v.execution_id_ = " id " AND v.task_id_ IS NULL"
#define CEXEC_VARIABLE(id)	"v.case_execution_id_ = " id " AND v.task_id_ IS NULL"
#define CHAIN_VARIABLE(name, which) \
"LATERAL (SELECT v.id_, v.type_, v.text_, v.text2_, v.bytearray_id_ FROM act_ru_variable v" \
"   WHERE v.var_scope_ = c.id AND v.name_ = " name " AND " which " OFFSET 0) v"
/* The same for a chain of every kind of scope (CHAIN_CTE's), name $3. */
#define SCOPE_VARIABLE_WHICH \
"CASE c.kind" \
"     WHEN 't' THEN " TASK_VARIABLE("c.id") \
"     WHEN 'e' THEN " EXEC_VARIABLE("c.id") \
"     ELSE " CEXEC_VARIABLE("c.id") " END"
#define SCOPE_VARIABLE CHAIN_VARIABLE("$3", SCOPE_VARIABLE_WHICH)

/* Columns of a value lookup; every lookup answers in this shape. */
enum {
	LK_DEPTH, LK_VAR_ID, LK_TYPE, LK_TEXT, LK_TEXT2, LK_BA_ID, LK_BA_REV, LK_LENGTH, LK_FIRST,
	LK_COMPRESSED
};

/*
 * A lookup's answer from the chain: the nearest row whose variable (the
 * lateral variable, of chain rows c that satisfy where) exists, else the
 * nearest row (NEAREST, as h), with that variable's byte array and its
 * first slice (slice, the parameter of its length).  LOOKUP_ANSWER reads h
 * from from, and adds tail.
 */
#define NEAREST(variable, where) \
"(SELECT c.depth, v.id_ AS vid, v.type_, v.text_, v.text2_, v.bytearray_id_" \
"   FROM chain c LEFT JOIN " variable " ON true" where \
"   ORDER BY v.id_ IS NULL, c.depth LIMIT 1) h"
#define LOOKUP_ANSWER(from, slice, tail) \
"SELECT h.depth, h.vid, h.type_, h.text_, h.text2_, b.id_, b.rev_, octet_length(b.bytes_)," \
"   substring(b.bytes_ FROM 1 FOR " slice "::integer), " COMPRESSED("b.bytes_") \
" FROM " from " LEFT JOIN act_ge_bytearray b ON b.id_ = h.bytearray_id_" tail
#define LOOKUP_NEAREST(variable, where, slice) LOOKUP_ANSWER(NEAREST(variable, where), slice, "")

/*
 * Several lookups in one statement, each through its whole chain
 * (vd_lookup_batch): $1 their kinds, $2 their scope ids, $3 their names,
 * $4 whether each is local (arrays, the lookups in order), $5 the first
 * slice's length.  The chains are walked together, each row marked with
 * its lookup's number i, and the answer has one row per lookup, in order,
 * in vd_lookup's shape; a lookup whose scope does not exist gets a row of
 * nulls.  PostgreSQL sets up a statement's plan for each execution, which
 * costs more than the index probes of a small lookup: measured under
 * pgbench, one lookup alone costs the database 47k/s this way (52k/s
 * through vd_lookup), two 72k/s, four 95k/s, eight 114k/s.
 */
#define BATCH_CHAIN \
"WITH RECURSIVE chain(i, depth, kind, id, nt, ne, nc) AS (" \
"    SELECT r.i, -1, NULL::text, NULL::varchar, " CHAIN_SEED("r.k", "r.id") \
"      FROM unnest($1::text[], $2::varchar[]) WITH ORDINALITY r(k, id, i)" \
"  UNION ALL" \
"    SELECT c.i, c.depth + 1, n.* FROM chain c, " CHAIN_STEP("", "", "", "") \
"    WHERE " CHAIN_GOES_ON("c.depth") " AND NOT (($4::boolean[])[c.i] AND c.depth >= 0)" \
") "
#define BATCH_LOOKUP BATCH_CHAIN LOOKUP_ANSWER( \
"unnest($3::varchar[]) WITH ORDINALITY q(name, i) LEFT JOIN LATERAL " \
NEAREST(CHAIN_VARIABLE("q.name", SCOPE_VARIABLE_WHICH), " WHERE c.i = q.i AND c.depth >= 0") \
" ON true", "$5", " ORDER BY q.i")

/*
 * The lookup of an execution or a case execution, whose chain has scopes
 * of its own kind only (the parents).  Each step is one index probe of one
 * table, where CHAIN_CTE's step probes all three, and PostgreSQL sets up
 * every plan node of a statement whether it runs or not: under pgbench, a
 * process instance's lookup costs the database 24 us this way against
 * 28 us through CHAIN_CTE.  (A task's chain may go on through a parent
 * task or a case execution, which only CHAIN_CTE walks in one statement.)
 * The arguments: the table of that kind, and which variable of that name
 * is chain row c's.  $1 scope id, $2 name, $3 local, $4 first slice length.
 */
#define KIND_LOOKUP(table, which) \
"WITH RECURSIVE chain(depth, id, up) AS (" \
"    SELECT 0, s.id_, s.parent_id_ FROM " table " s WHERE s.id_ = $1" \
"  UNION ALL" \
"    SELECT c.depth + 1, p.id_, p.parent_id_ FROM chain c JOIN " table " p ON p.id_ = c.up" \
"    WHERE " CHAIN_GOES_ON("c.depth") " AND NOT $3::boolean" \
") " LOOKUP_NEAREST(CHAIN_VARIABLE("$2", which), "", "$4")

/*
 * Whether a bytea is stored compressed (a Camunda engine's default STORAGE
 * EXTENDED): stored smaller than it is.  Both sizes come from the value's
 * header or TOAST pointer, without reading it, and unlike
 * pg_column_compression() this works before PostgreSQL 14.
 */
#define COMPRESSED(col) "pg_column_size(" col ") < octet_length(" col ")"

/* Columns of the write lock query. */
enum {
	LOCK_KIND, LOCK_ID, LOCK_EXEC_ID, LOCK_PROC_INST_ID, LOCK_PROC_DEF_ID, LOCK_CASE_EXEC_ID,
	LOCK_CASE_INST_ID, LOCK_TASK_ID, LOCK_TENANT_ID, LOCK_CONCURRENT_LOCAL, LOCK_VAR_ID, LOCK_OLD_BA
};

/*
 * A small value's byte-array row, inserted by the statement that writes its
 * variable (when bytes is not null and the condition also holds).
 */
#define BLOB_INSERT(id, name, bytes, also) \
" b AS (INSERT INTO act_ge_bytearray (id_, rev_, name_, bytes_, type_, create_time_)" \
"   SELECT " id "::varchar, 1, " name "::varchar, " bytes "::bytea, 2, localtimestamp" \
"   WHERE " bytes "::bytea IS NOT NULL" also ")"

/* A variable row's new value, as an update writes it (spec section 3). */
#define VARIABLE_SET(type, text, text2, bytearray) \
" SET type_ = " type ", text_ = " text ", text2_ = " text2 ", bytearray_id_ = " bytearray "," \
"   double_ = NULL, long_ = NULL, rev_ = rev_ + 1, sequence_counter_ = sequence_counter_ + 1"

/* The columns of a new variable row. */
#define VARIABLE_COLUMNS \
" (id_, rev_, type_, name_, execution_id_, proc_inst_id_, proc_def_id_, case_execution_id_," \
"   case_inst_id_, task_id_, bytearray_id_, text_, text2_, var_scope_, sequence_counter_," \
"   is_concurrent_local_, tenant_id_)"

/* What a write does to the task it lands on (spec section 3). */
#define TOUCH_TASK \
"UPDATE act_ru_task SET rev_ = rev_ + 1, last_updated_ = localtimestamp, task_state_ = 'Updated'"

/*
 * A write that lands on a task must find the task when it touches it: an
 * engine completing or deleting the task may have deleted it meanwhile (the
 * write then waited for its row lock).  Committed anyway, the variable
 * would outlive its task, where nothing ever deletes it, and its execution
 * could no longer be deleted (the foreign key).  So the statement divides
 * by the rows touched (count: a subquery over the touching CTE, so nothing
 * is folded at plan time), fails with division_by_zero (TASK_GONE) and
 * undoes all of it; st_fail() answers it as a missing scope.
 */
#define TASK_GONE	"22012"
#define TOUCHED_OR_FAIL(count)	"1 / (" count ")::integer"

/*
 * An execution or case execution has no such check to make: the
 * variable's foreign keys to it fail the insert (foreign_key_violation)
 * when an engine deleted it while the write waited for its row.  Only
 * these keys mean that; any other violation is a fault.
 */
#define FK_VIOLATION	"23503"
static const char *const scope_keys[] = {
	"act_fk_var_exe", "act_fk_var_procinst", "act_fk_var_case_exe", "act_fk_var_case_inst",
};

/*
 * A write's touch of the task it landed on (id), when cond holds, and the
 * answer's check that the touch found it (see TOUCHED_OR_FAIL).
 */
#define TASK_TOUCH(id, cond) ", tk AS (" TOUCH_TASK " WHERE id_ = " id " AND " cond " RETURNING 1)"
#define TASK_TOUCHED(cond) "CASE WHEN " cond " THEN " TOUCHED_OR_FAIL("SELECT count(*) FROM tk") " END"

/*
 * The locked variable (hit) set to its new value, unless its byte array is
 * one this statement's snapshot cannot see (see vd_write): old_ba is the
 * byte array it had, more adds columns.
 */
#define HIT_UPDATE(type, text, text2, bytearray, more) \
" u AS (UPDATE act_ru_variable v" VARIABLE_SET(type, text, text2, bytearray) \
"   FROM hit WHERE v.id_ = hit.id_ AND (hit.bytearray_id_ IS NULL OR EXISTS" \
"     (SELECT 1 FROM act_ge_bytearray ob WHERE ob.id_ = hit.bytearray_id_))" \
"   RETURNING hit.bytearray_id_ AS old_ba" more ")"

/* Whether the variable was updated (u), or updated or inserted (ins). */
#define UPDATED "EXISTS (SELECT 1 FROM u)"
#define WROTE "(" UPDATED " OR EXISTS (SELECT 1 FROM ins))"

/* The byte array the update replaced, unless it is the new one. */
#define OLD_BLOB_DELETE(bytearray) \
" d AS (DELETE FROM act_ge_bytearray WHERE id_ = (SELECT old_ba FROM u)" \
"   AND id_ IS DISTINCT FROM " bytearray ")"

/* The nearest visible variable of the chain, locked, with its scope's kind and id. */
#define CHAIN_HIT \
", hit AS MATERIALIZED (SELECT v.id_, v.bytearray_id_, vis.kind, vis.scope FROM" \
"   (SELECT v.id_, c.depth, c.kind, c.id AS scope FROM chain c CROSS JOIN " SCOPE_VARIABLE \
"    WHERE c.depth >= 0) vis" \
"   JOIN act_ru_variable v ON v.id_ = vis.id_ ORDER BY vis.depth LIMIT 1 FOR UPDATE OF v)"

/*
 * What vd_write does once the variable (hit) is locked:
 * the scope for a new variable, the update or the insert, the byte array,
 * the task touched, and the counts store_put_recv() checks.
 */
#define WRITE_REST \
" target AS MATERIALIZED (SELECT * FROM chain WHERE depth >= 0 AND NOT EXISTS (SELECT 1 FROM hit)" \
"   ORDER BY depth DESC LIMIT 1)," \
HIT_UPDATE("$5", "$6", "$7", "$8", ", hit.kind, hit.scope") "," \
" ins AS (INSERT INTO act_ru_variable" VARIABLE_COLUMNS \
"   SELECT $10, 1, $5, $3, t.exec_id, t.proc_inst_id, t.proc_def_id, t.case_exec_id," \
"     t.case_inst_id, t.task_id, $8, $6, $7, t.id, 1, t.concurrent_local, t.tenant_id FROM target t" \
"   ON CONFLICT (var_scope_, name_) DO NOTHING RETURNING task_id_, var_scope_)," \
BLOB_INSERT("$8", "$3", "$9", " AND " WROTE) "," \
OLD_BLOB_DELETE("$8") "," \
" touch AS (SELECT COALESCE((SELECT scope FROM u WHERE kind = 't')," \
"     (SELECT task_id_ FROM ins WHERE task_id_ = var_scope_)) AS task)," \
" tk AS (" TOUCH_TASK " WHERE id_ = (SELECT task FROM touch) RETURNING 1)" \
" SELECT (SELECT count(*) FROM chain WHERE depth >= 0), (SELECT count(*) FROM u)," \
"   (SELECT count(*) FROM ins), CASE WHEN (SELECT task FROM touch) IS NOT NULL" \
"     THEN " TOUCHED_OR_FAIL("SELECT count(*) FROM tk") " END"

/*
 * A local write (to the addressed scope only), one statement per kind of
 * scope, each with the plan of its own kind alone: a statement for all
 * kinds carries branches for the other kinds, an ordering of the chain and
 * a search for the task to touch, plan nodes that are set up for every
 * write and never run (measured here: 6% of a small local write's time in
 * the database, 13% under pgbench).  What it does is WRITE_REST's
 * work for a chain of one scope: $1 scope id, $2 name, $3 type, $4 text,
 * $5 text2, $6 new byte-array id, $7 its bytes (null: none), $8 new
 * variable id; the answer has vd_write's four columns.  The arguments:
 * the scope's row (id, then WRITE_COLS); which of the variables of that
 * name is the scope's (SCOPE_VARIABLE_WHICH for that kind); and what a
 * write to a task adds (touch, when WROTE), then the answer's check that
 * the touch found the task.
 */
#define LOCAL_WRITE(scope, variable, touch, touched) \
"WITH s(id" WRITE_COLS ") AS MATERIALIZED (" scope ")," \
" hit AS MATERIALIZED (SELECT v.id_, v.bytearray_id_ FROM s," \
"   LATERAL (SELECT v.id_, v.bytearray_id_ FROM act_ru_variable v" \
"   WHERE v.var_scope_ = s.id AND v.name_ = $2 AND " variable " FOR UPDATE) v)," \
HIT_UPDATE("$3", "$4", "$5", "$6", "") "," \
" ins AS (INSERT INTO act_ru_variable" VARIABLE_COLUMNS \
"   SELECT $8, 1, $3, $2, s.exec_id, s.proc_inst_id, s.proc_def_id, s.case_exec_id," \
"     s.case_inst_id, s.task_id, $6, $4, $5, s.id, 1, s.concurrent_local, s.tenant_id FROM s" \
"   WHERE NOT EXISTS (SELECT 1 FROM hit)" \
"   ON CONFLICT (var_scope_, name_) DO NOTHING RETURNING 1)," \
BLOB_INSERT("$6", "$2", "$7", " AND " WROTE) "," \
OLD_BLOB_DELETE("$6") touch \
" SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM u), (SELECT count(*) FROM ins), " touched

/*
 * What the update alone does once the variable (hit) is locked, for
 * LOCAL_UPDATE and vd_update_chain, whose parameters are numbered apart:
 * the variable's name, its new value (type, text, text2, byte-array id and
 * bytes), the columns HIT_UPDATE adds, and what a write to a task adds, as
 * for LOCAL_WRITE.
 */
#define UPDATE_REST(name, type, text, text2, bytearray, bytes, more, touch, touched) \
HIT_UPDATE(type, text, text2, bytearray, more) "," \
BLOB_INSERT(bytearray, name, bytes, " AND " UPDATED) "," \
OLD_BLOB_DELETE(bytearray) touch \
" SELECT (SELECT count(*) FROM hit), (SELECT count(*) FROM u), 0::bigint, " touched

/*
 * The update of a variable that exists, alone: vd_write or LOCAL_WRITE
 * without the scopes' write columns and the insert, whose plan nodes are
 * set up for every execution, run or not (an insert into act_ru_variable
 * opens all of its indexes).  Measured here under pgbench, for a local
 * write: 161-166 us of the database's time per update, against 186-206 us
 * for LOCAL_WRITE.  The parameters are theirs without the new variable's
 * id; the answer's first column counts the variables found (none: the
 * variable does not exist, or no longer does, and nothing was written),
 * its third is always 0.  LOCAL_UPDATE reads no scope row: a variable of
 * an execution or a case execution has its scope by foreign key, and a
 * task's touch finds its task or fails as LOCAL_WRITE's does.
 */
#define LOCAL_UPDATE(variable, touch, touched) \
"WITH hit AS MATERIALIZED (SELECT v.id_, v.bytearray_id_ FROM act_ru_variable v" \
"   WHERE v.var_scope_ = $1 AND v.name_ = $2 AND " variable " FOR UPDATE)," \
UPDATE_REST("$2", "$3", "$4", "$5", "$6", "$7", "", touch, touched)

enum stmt {
	ST_LOOKUP, ST_LOOKUP_EXEC, ST_LOOKUP_CEXEC, ST_LOOKUP_BATCH, ST_LOOKUP_INSTANCE, ST_SLICE,
	ST_SLICES, ST_LOCK, ST_UPDATE, ST_INSERT, ST_WRITE, ST_WRITE_TASK, ST_WRITE_EXEC,
	ST_WRITE_CEXEC, ST_UPDATE_CHAIN, ST_UPDATE_TASK, ST_UPDATE_EXEC, ST_UPDATE_CEXEC,
	ST_BLOB_FIXUP, ST__COUNT
};

static const struct {
	const char	*name;
	int		 nparams;
	const char	*sql;
} stmts[ST__COUNT] = {
	/*
	 * Every lookup answers with the nearest scope that has a variable of
	 * that name, else any scope of the chain (the addressed scope exists,
	 * the variable does not), else no row.
	 *
	 * vd_lookup walks the chain through every kind of scope (a task's):
	 * $1 kind, $2 scope id, $3 name, $4 local, $5 first slice length.
	 */
	[ST_LOOKUP] = { "vd_lookup", 5, LOOKUP_CHAIN
	    LOOKUP_NEAREST(SCOPE_VARIABLE, " WHERE c.depth >= 0", "$5") },
	/* The lookups of an execution and of a case execution (KIND_LOOKUP). */
	[ST_LOOKUP_EXEC] = { "vd_lookup_exec", 4,
	    KIND_LOOKUP("act_ru_execution", EXEC_VARIABLE("c.id")) },
	[ST_LOOKUP_CEXEC] = { "vd_lookup_cexec", 4,
	    KIND_LOOKUP("act_ru_case_execution", CEXEC_VARIABLE("c.id")) },
	/* Several lookups at once (BATCH_LOOKUP). */
	[ST_LOOKUP_BATCH] = { "vd_lookup_batch", 5, BATCH_LOOKUP },
	/* $1 variable id, $2 first slice length; always one row, as for a scope that exists */
	[ST_LOOKUP_INSTANCE] = { "vd_lookup_instance", 2,
	    "SELECT 0, v.id_, v.type_, v.text_, v.text2_, b.id_, b.rev_, octet_length(b.bytes_),"
	    "   substring(b.bytes_ FROM 1 FOR $2::integer), " COMPRESSED("b.bytes_")
	    " FROM (SELECT 1) one LEFT JOIN act_ru_variable v ON v.id_ = $1"
	    " LEFT JOIN act_ge_bytearray b ON b.id_ = v.bytearray_id_" },
	/* $1 byte-array id, $2 offset (1-based), $3 length, $4 revision */
	[ST_SLICE] = { "vd_slice", 4,
	    "SELECT substring(bytes_ FROM $2::integer FOR $3::integer) FROM act_ge_bytearray"
	    " WHERE id_ = $1 AND rev_ = $4::integer" },
	/*
	 * The slices [$2, $5) of a compressed value, $3 bytes each (the last
	 * shorter), one row each, from one decompression: the subquery's
	 * concatenation detoasts the value once, and the lateral series, which
	 * refers to it, makes it the outer side that every row reads from.
	 * $1 byte-array id, $2 offset (1-based), $3 slice length, $4 revision,
	 * $5 end offset (1-based, exclusive).
	 */
	[ST_SLICES] = { "vd_slices", 5,
	    "SELECT substring(x.v FROM g::integer FOR least($3::bigint, $5::bigint - g)::integer)"
	    " FROM (SELECT bytes_ || '\\x'::bytea AS v FROM act_ge_bytearray"
	    "   WHERE id_ = $1 AND rev_ = $4::integer OFFSET 0) x"
	    " CROSS JOIN LATERAL generate_series($2::bigint,"
	    "   least($5::bigint, octet_length(x.v) + 1::bigint) - 1, $3::bigint) g" },
	/*
	 * Every scope of the chain, with the nearest visible variable of that
	 * name locked: a concurrent writer of the same variable waits here, and
	 * then sees the committed row (READ COMMITTED re-reads a locked row).
	 */
	[ST_LOCK] = { "vd_lock", 4, WRITE_CHAIN
	    ", hit AS MATERIALIZED (SELECT v.id_, v.bytearray_id_, vis.depth FROM"
	    "   (SELECT v.id_, c.depth FROM chain c CROSS JOIN " SCOPE_VARIABLE " WHERE c.depth >= 0) vis"
	    "   JOIN act_ru_variable v ON v.id_ = vis.id_ ORDER BY vis.depth LIMIT 1 FOR UPDATE OF v)"
	    " SELECT c.kind, c.id, c.exec_id, c.proc_inst_id, c.proc_def_id, c.case_exec_id,"
	    "   c.case_inst_id, c.task_id, c.tenant_id, c.concurrent_local, h.id_, h.bytearray_id_"
	    " FROM chain c LEFT JOIN hit h ON h.depth = c.depth WHERE c.depth >= 0 ORDER BY c.depth" },
	/*
	 * $1 var id, $2 type, $3 text, $4 text2, $5 new byte array, $6 task to
	 * touch, $7 old byte array (deleted: nothing points at it any more), $8
	 * and $9 name and bytes of a small new value not yet inserted (else
	 * null).  One statement, so a small write costs one round trip here;
	 * the foreign keys are checked at its end, when all of it is done.
	 */
	[ST_UPDATE] = { "vd_update", 9,
	    "WITH " BLOB_INSERT("$5", "$8", "$9", "") ","
	    " u AS (UPDATE act_ru_variable" VARIABLE_SET("$2", "$3", "$4", "$5")
	    "   WHERE id_ = $1 RETURNING id_),"
	    " d AS (DELETE FROM act_ge_bytearray WHERE id_ = $7 AND id_ IS DISTINCT FROM $5),"
	    " t AS (" TOUCH_TASK " WHERE id_ = $6 RETURNING 1)"
	    " SELECT (SELECT count(*) FROM u), CASE WHEN $6::varchar IS NOT NULL"
	    "   THEN " TOUCHED_OR_FAIL("SELECT count(*) FROM t") " END" },
	/*
	 * A new variable.  ON CONFLICT: a concurrent first write of the same
	 * name got there first; no row comes back and store_put() retries as
	 * an update.
	 */
	[ST_INSERT] = { "vd_insert", 16,
	    "WITH " BLOB_INSERT("$10", "$3", "$16", "") ","
	    " ins AS (INSERT INTO act_ru_variable" VARIABLE_COLUMNS
	    " VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14::boolean,"
	    "   $15)"
	    " ON CONFLICT (var_scope_, name_) DO NOTHING RETURNING id_, task_id_),"
	    " t AS (" TOUCH_TASK " WHERE id_ = (SELECT task_id_ FROM ins) AND id_ = $13 RETURNING 1)"
	    " SELECT id_, CASE WHEN task_id_ = $13 THEN " TOUCHED_OR_FAIL("SELECT count(*) FROM t") " END"
	    " FROM ins" },
	/*
	 * A whole write of a small value in one statement, as ST_LOCK and then
	 * ST_UPDATE or ST_INSERT do it in a transaction, so that it can be
	 * pipelined: $1 kind, $2 scope id, $3 name, $4 local, $5 type, $6 text,
	 * $7 text2, $8 new byte-array id, $9 its bytes (null: none), $10 new
	 * variable id.  The byte array goes in only when the variable was
	 * updated or inserted.  A write that lost a race changes nothing, and
	 * the answer's counts (scopes in the chain, rows updated, rows inserted)
	 * tell the caller to send it again: a first write whose name a
	 * concurrent one inserted meanwhile, and an update whose row a concurrent
	 * writer changed after this statement's snapshot was taken.  FOR UPDATE
	 * hands out that newer row, but the snapshot cannot see its new byte
	 * array, which would then never be deleted; a new statement, with a new
	 * snapshot, can.
	 */
	[ST_WRITE] = { "vd_write", 10, WRITE_CHAIN CHAIN_HIT "," WRITE_REST },
	/* Local writes, one per kind of scope (LOCAL_WRITE). */
	[ST_WRITE_TASK] = { "vd_write_task", 8, LOCAL_WRITE(
	    "SELECT t.id_" WRITE_COLS_TASK " FROM act_ru_task t" WRITE_JOIN_TASK " WHERE t.id_ = $1",
	    TASK_VARIABLE("s.id"), TASK_TOUCH("(SELECT id FROM s)", WROTE), TASK_TOUCHED(WROTE)) },
	[ST_WRITE_EXEC] = { "vd_write_exec", 8, LOCAL_WRITE(
	    "SELECT e.id_" WRITE_COLS_EXEC " FROM act_ru_execution e WHERE e.id_ = $1",
	    EXEC_VARIABLE("s.id"), "", "NULL::integer") },
	[ST_WRITE_CEXEC] = { "vd_write_cexec", 8, LOCAL_WRITE(
	    "SELECT ce.id_" WRITE_COLS_CEXEC " FROM act_ru_case_execution ce WHERE ce.id_ = $1",
	    CEXEC_VARIABLE("s.id"), "", "NULL::integer") },
	/* vd_write's update of a variable that exists, alone: $1 to $9 as for vd_write. */
	[ST_UPDATE_CHAIN] = { "vd_update_chain", 9, LOOKUP_CHAIN CHAIN_HIT ","
	    UPDATE_REST("$3", "$5", "$6", "$7", "$8", "$9", ", hit.kind, hit.scope",
	    TASK_TOUCH("(SELECT scope FROM u WHERE kind = 't')", "true"),
	    TASK_TOUCHED("EXISTS (SELECT 1 FROM u WHERE kind = 't')")) },
	/* Updates of a local variable that exists, one per kind of scope (LOCAL_UPDATE). */
	[ST_UPDATE_TASK] = { "vd_update_task", 7, LOCAL_UPDATE(TASK_VARIABLE("$1"),
	    TASK_TOUCH("$1", UPDATED), TASK_TOUCHED(UPDATED)) },
	[ST_UPDATE_EXEC] = { "vd_update_exec", 7, LOCAL_UPDATE(EXEC_VARIABLE("$1"), "",
	    "NULL::integer") },
	[ST_UPDATE_CEXEC] = { "vd_update_cexec", 7, LOCAL_UPDATE(CEXEC_VARIABLE("$1"), "",
	    "NULL::integer") },
	/* COPY cannot compute the database's time: CREATE_TIME_ is set here. */
	[ST_BLOB_FIXUP] = { "vd_blob_fixup", 1,
	    "UPDATE act_ge_bytearray SET create_time_ = localtimestamp WHERE id_ = $1" },
};

/* A lookup waiting for store_flush(); its strings are the caller's, kept until it is answered. */
struct queued {
	enum scope_kind	 kind;
	const char	*scope_id;
	const char	*name;
	bool		 local;
};

/* What a statement in flight owes: n answers; batch, it is vd_lookup_batch. */
struct owing {
	unsigned	 n;
	bool		 batch;
};

struct shared_res;
static void	shared_drop(struct shared_res *sr);
static void	st_flush(struct store *st);

struct store {
	const struct vd_conf	*conf;
	PGconn			*conn;
	unsigned long		 connects;	/* connections opened, for store_socket() */
	bool			 in_txn;
	bool			 begin_pending;	/* BEGIN goes out with the transaction's first statement */
	/*
	 * Pipelined statements (see st_pipe()): how many are in flight, and
	 * the oldest one's result so far; the lookups not sent yet; what the
	 * statements in flight owe; the answers owed.
	 */
	unsigned		 in_flight;
	PGresult		*pipe_res;
	enum vd_err		 pipe_err;
	unsigned		 cap;		/* --pipeline: the most answers ever owed */
	struct queued		*queue;		/* cap of them */
	unsigned		 nqueued;
	struct owing		*owed;		/* a ring of cap, oldest first */
	unsigned		 owed_head;
	unsigned		 answers;
	/* The statement whose answers are being handed out, and how many are left. */
	struct shared_res	*ans;
	struct owing		 ans_from;
	unsigned		 ans_left;
	enum vd_err		 ans_err;
	char			*batch_buf;	/* vd_lookup_batch's parameters */
	size_t			 batch_cap;
	/* How the last writes went, 0 to 3: at 2 and up, expect an update (store_put_send()). */
	unsigned		 updates;
	/* The value being written. */
	bool			 in_blob;
	bool			 in_copy;
	bool			 spooling;	/* the value outgrew inline_buf */
	bool			 pending;	/* inline_buf waits for store_put() to insert it */
	bool			 spooled;	/* the whole value waits in the spool for store_put()'s COPY */
	int			 spool_fd;	/* an unlinked file, reused for every value */
	uint64_t		 blob_len;
	char			 blob_id[37];
	char			*blob_name;
	char			*inline_buf;	/* INLINE_MAX bytes */
	size_t			 inline_len;
	char			*copy_buf;	/* COPY_CHUNK bytes */
};

/*
 * The spool file has no name (O_TMPFILE, else unlinked at once), so nothing
 * is left behind whatever happens to the worker.  It is opened before the
 * seccomp filter is installed and reused for every upload.
 */
static int
spool_open(const char *dir)
{
	char	path[PATH_MAX];
	int	fd;

	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) != -1)
		return fd;
	snprintf(path, sizeof(path), "%s/vardata-spool-XXXXXX", dir);
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1) {
		log_error("cannot create a spool file in %s: %s", dir, strerror(errno));
		return -1;
	}
	(void)unlink(path);
	return fd;
}

bool
store_spool_usable(const char *dir)
{
	int	fd;

	if ((fd = spool_open(dir)) == -1)
		return false;
	close(fd);
	return true;
}

struct store *
store_new(const struct vd_conf *conf)
{
	struct store	*st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->conf = conf;
	st->inline_buf = malloc(INLINE_MAX);
	st->copy_buf = malloc(COPY_CHUNK);
	st->updates = 2;
	st->cap = conf->pipeline;
	st->queue = calloc(st->cap, sizeof(*st->queue));
	st->owed = calloc(st->cap, sizeof(*st->owed));
	st->spool_fd = spool_open(conf->spool_dir);
	if (st->inline_buf == NULL || st->copy_buf == NULL || st->queue == NULL ||
	    st->owed == NULL || st->spool_fd == -1) {
		store_free(st);
		return NULL;
	}
	return st;
}

void
store_free(struct store *st)
{
	if (st == NULL)
		return;
	if (st->conn != NULL)
		PQfinish(st->conn);
	PQclear(st->pipe_res);
	shared_drop(st->ans);
	free(st->queue);
	free(st->owed);
	free(st->batch_buf);
	free(st->blob_name);
	free(st->inline_buf);
	free(st->copy_buf);
	if (st->spool_fd != -1)
		close(st->spool_fd);
	free(st);
}

/*
 * A message of the server's as one line of the log: its line breaks and
 * tabs as spaces, no trailing blanks, and the rest escaped as all
 * untrusted text is (it may quote what a client sent, a variable's name
 * say).  MESSAGE_MAX: the size of buf; the first 512 bytes of the
 * message, escaped, cut with "..." where they do not fit.
 */
#define MESSAGE_MAX	1024
static const char *
one_line(char buf[MESSAGE_MAX], const char *msg)
{
	char	raw[512];
	size_t	n;

	snprintf(raw, sizeof(raw), "%s", msg != NULL ? msg : "");
	n = strlen(raw);
	while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == ' '))
		n--;
	for (size_t i = 0; i < n; i++)
		if (raw[i] == '\n' || raw[i] == '\t')
			raw[i] = ' ';
	return text_escape_log(raw, n, buf, MESSAGE_MAX);
}

/*
 * A notice the server sends the session (a trigger's RAISE WARNING, say).
 * libpq's own receiver would print it to stderr as it came, several lines
 * without the log's prefix; it goes to the log as one line instead, a
 * WARNING as a warning and anything milder as information.
 */
static void
st_notice(void *arg, const PGresult *res)
{
	const char	*severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char	*state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char	*msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char		 line[MESSAGE_MAX];

	(void)arg;
	one_line(line, msg != NULL ? msg : PQresultErrorMessage(res));
	if (severity != NULL && strcmp(severity, "WARNING") == 0)
		log_warn("database: SQLSTATE %s: %s", state != NULL ? state : "none", line);
	else
		log_info("database: SQLSTATE %s: %s", state != NULL ? state : "none", line);
}

/*
 * Failures that are not vardata's, nor the database's: a warning in the
 * log and an error of their own.
 * - 40P01, 40001: PostgreSQL failed the statement for another
 *   transaction's sake, to end a deadlock or (at isolation levels above
 *   READ COMMITTED) a conflict with a concurrent update.  Run again, it
 *   may well succeed; a write is (store_put()).
 * - 57014 query_canceled (statement_timeout, or pg_cancel_backend() by a
 *   DBA), 55P03 lock_not_available (lock_timeout): settings of the role,
 *   the database or the conninfo's options doing their job.  Nothing is
 *   retried: the timeout set how long to wait.  The client may try again.
 */
static const struct {
	const char	*state;
	enum vd_err	 err;
} expected_failures[] = {
	{ "40P01", VD_ERR_CONFLICT }, { "40001", VD_ERR_CONFLICT },
	{ "57014", VD_ERR_TIMEOUT }, { "55P03", VD_ERR_TIMEOUT },
};

/* A write's insert failed because the execution or case execution it landed on is gone. */
static bool
st_scope_gone(const PGresult *res, const char *state)
{
	const char	*key = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);

	if (strcmp(state, FK_VIOLATION) != 0 || key == NULL)
		return false;
	for (size_t i = 0; i < sizeof(scope_keys) / sizeof(scope_keys[0]); i++)
		if (strcasecmp(key, scope_keys[i]) == 0)
			return true;
	return false;
}

/* Logs a failed result: SQLSTATE and server text go to the log only, never to the client. */
static enum vd_err
st_fail(struct store *st, const PGresult *res, const char *what)
{
	const char	*state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char	*msg = res ? PQresultErrorMessage(res) : PQerrorMessage(st->conn);
	char		 line[MESSAGE_MAX];

	if (state != NULL && (strcmp(state, TASK_GONE) == 0 || st_scope_gone(res, state))) {
		log_warn("%s: the scope the write landed on was deleted meanwhile; nothing written", what);
		return VD_ERR_PUT_FAILED;
	}
	one_line(line, msg);
	for (size_t i = 0; state != NULL && i < sizeof(expected_failures) / sizeof(expected_failures[0]); i++)
		if (strcmp(state, expected_failures[i].state) == 0) {
			log_warn("%s failed: SQLSTATE %s: %s", what, state, line);
			return expected_failures[i].err;
		}
	log_error("%s failed: SQLSTATE %s: %s", what, state ? state : "none", line);
	if (PQstatus(st->conn) != CONNECTION_OK)
		return VD_ERR_DB_UNAVAILABLE;
	/* Class 08 (connection exception), 57P0x (server shutting down). */
	if (state != NULL && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0))
		return VD_ERR_DB_UNAVAILABLE;
	return VD_ERR_INTERNAL;
}

/*
 * A FATAL (or PANIC) error ends the session: the server closes the
 * connection right after it, though libpq only notices on its next read.
 */
static bool
st_fatal(const PGresult *res)
{
	const char	*severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);

	return severity != NULL && (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0);
}

/* libpq's message about the connection, first line only, for the log. */
static const char *
conn_message(const struct store *st, char *buf, size_t size)
{
	snprintf(buf, size, "%s", st->conn != NULL ? PQerrorMessage(st->conn) : "out of memory");
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/*
 * The session's planner settings, for the statements above, which are all
 * written for one plan that serves every parameter value (a scope kind that
 * does not apply probes an index for a null) and read or change a row or
 * two found by an index:
 * - plan_cache_mode (PostgreSQL 12 and later): left to choose, PostgreSQL
 *   plans the first five executions for their values and then keeps the
 *   generic plan only if its estimate is no higher than theirs plus an
 *   allowance for planning.  For the write statement the two nearly tie,
 *   so the choice flips with the tables' statistics, and on the wrong side
 *   every write is planned again: half of its time in the database.
 * - enable_bitmapscan: for a row or two by their key, the planner rates a
 *   bitmap scan and a plain index scan nearly the same and picks either as
 *   the statistics move; the bitmap scan does a little more work for the
 *   same row, and a plan that stays put is easier to reason about.
 * - enable_seqscan: on an empty or tiny table (ACT_RU_CASE_EXECUTION of a
 *   database that runs no CMMN, which is most of them; any table of a new
 *   database) the planner rates a sequential scan cheapest.  But the scope
 *   chain probes each table once per step, and every start of a sequential
 *   scan asks the kernel for the table's size (an lseek): a system call
 *   per step of every chain, for a table that has no rows.  A probe of the
 *   index makes none.
 * All three only steer the planner: no statement's result depends on them.  With
 * --no-prepare (PgBouncer's transaction pooling) nothing is set: a session
 * setting would stay on whichever server connection it reached.
 */
static enum vd_err
st_session_settings(struct store *st)
{
	PGresult	*res;
	enum vd_err	 e = VD_OK;

	res = PQexec(st->conn, "SET enable_bitmapscan = off; SET enable_seqscan = off");
	if (PQresultStatus(res) == PGRES_COMMAND_OK && PQserverVersion(st->conn) >= 120000) {
		PQclear(res);
		res = PQexec(st->conn, "SET plan_cache_mode = force_generic_plan");
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		e = st_fail(st, res, "SET");
	PQclear(res);
	return e;
}

static enum vd_err
st_prepare_all(struct store *st)
{
	PGresult	*res;
	enum vd_err	 e;
	int		 i;

	if (st->conf->no_prepare)
		return VD_OK;
	if ((e = st_session_settings(st)) != VD_OK)
		return e;
	for (i = 0; i < ST__COUNT; i++) {
		res = PQprepare(st->conn, stmts[i].name, stmts[i].sql, stmts[i].nparams, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			e = st_fail(st, res, stmts[i].name);
			PQclear(res);
			return e;
		}
		PQclear(res);
	}
	return VD_OK;
}

/*
 * An idle connection has nothing to read.  When it has, the server most
 * likely said goodbye (a restart, an idle timeout, pg_terminate_backend):
 * libpq would only notice on the next query, so the request would fail.
 * Unsolicited messages are otherwise rare enough that reconnecting on any
 * of them costs nothing.  The worker watches the socket while it waits for
 * work and asks (store_idle_input) when it turns readable, which spares
 * the poll(2) here on every request that finds the connection idle.
 */
static bool
st_healthy(struct store *st)
{
	struct pollfd	pfd = { .fd = PQsocket(st->conn), .events = POLLIN };

	return PQstatus(st->conn) == CONNECTION_OK && poll(&pfd, 1, 0) == 0;
}

enum vd_err
store_connect(struct store *st)
{
	const char	*keys[] = { "dbname", "connect_timeout", "application_name", NULL };
	const char	*vals[] = { st->conf->db, VD_DEFAULT_CONNECT_TIMEOUT, "vardata", NULL };
	char		 msg[256];
	enum vd_err	 e;

	/* With answers owed the socket has their results to read: no check, no reconnect. */
	if (st->answers != 0)
		return st->conn != NULL ? VD_OK : VD_ERR_DB_UNAVAILABLE;
	if (st->conn != NULL && PQstatus(st->conn) == CONNECTION_OK)
		return VD_OK;
	if (st->conn != NULL)
		PQfinish(st->conn);
	st->in_txn = st->begin_pending = st->in_copy = st->in_blob = false;
	/* expand_dbname: --db is a whole connection string; its own settings win over ours. */
	st->conn = PQconnectdbParams(keys, vals, 1);
	st->connects++;
	if (st->conn == NULL || PQstatus(st->conn) != CONNECTION_OK) {
		log_error("cannot connect to the database: %s", conn_message(st, msg, sizeof(msg)));
		/* Kept, its dead socket would be watched, and read as a goodbye of an idle connection. */
		PQfinish(st->conn);
		st->conn = NULL;
		return VD_ERR_DB_UNAVAILABLE;
	}
	(void)PQsetNoticeReceiver(st->conn, st_notice, NULL);
	if ((e = st_prepare_all(st)) != VD_OK) {
		PQfinish(st->conn);
		st->conn = NULL;
		return e == VD_ERR_INTERNAL ? VD_ERR_DB_UNAVAILABLE : e;
	}
	log_info("connected to the database");
	return VD_OK;
}

/* Forgets a broken connection, and the pipelined result it was collecting. */
static void
st_drop(struct store *st)
{
	PQfinish(st->conn);
	st->conn = NULL;
	PQclear(st->pipe_res);
	st->pipe_res = NULL;
	st->pipe_err = VD_OK;
}

/* Sends statement s without waiting; false when it could not be sent. */
static bool
st_send_stmt(struct store *st, enum stmt s, const char *const *values, const int *lengths,
    const int *formats, int result_format)
{
	int	n = stmts[s].nparams;

	if (st->conf->no_prepare)
		return PQsendQueryParams(st->conn, stmts[s].sql, n, NULL, values, lengths, formats,
		    result_format) == 1;
	return PQsendQueryPrepared(st->conn, stmts[s].name, n, values, lengths, formats,
	    result_format) == 1;
}

/*
 * Statement s with the BEGIN of the transaction before it and/or its
 * COMMIT after it, in one round trip (pipeline mode).  When s fails, the
 * COMMIT is skipped and the transaction is left for store_rollback().
 */
static PGresult *
st_run_piped(struct store *st, enum stmt s, const char *const *values, const int *lengths,
    const int *formats, int result_format, ExecStatusType want, bool commit, enum vd_err *err)
{
	const bool	 begin = st->begin_pending;
	const char	*what[3] = { "BEGIN", stmts[s].name, "COMMIT" };
	PGresult	*res, *out = NULL;
	enum vd_err	 e = VD_OK;
	int		 i;

	if (!PQenterPipelineMode(st->conn) ||
	    (begin && !PQsendQueryParams(st->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0)) ||
	    !st_send_stmt(st, s, values, lengths, formats, result_format) ||
	    (commit && !PQsendQueryParams(st->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0)) ||
	    !PQpipelineSync(st->conn))
		goto broken;
	st->begin_pending = false;
	for (i = begin ? 0 : 1; i <= (commit ? 2 : 1); i++) {
		while ((res = PQgetResult(st->conn)) != NULL) {
			if (i == 1 && out == NULL && PQresultStatus(res) == want)
				out = res;
			else {
				if (e == VD_OK && PQresultStatus(res) != PGRES_COMMAND_OK &&
				    PQresultStatus(res) != PGRES_PIPELINE_ABORTED)
					e = st_fail(st, res, what[i]);
				PQclear(res);
			}
		}
		if (PQstatus(st->conn) != CONNECTION_OK)
			goto broken;
	}
	res = PQgetResult(st->conn);
	if (PQresultStatus(res) != PGRES_PIPELINE_SYNC || !PQexitPipelineMode(st->conn)) {
		PQclear(res);
		goto broken;
	}
	PQclear(res);
	if (e == VD_OK && out == NULL)
		e = VD_ERR_INTERNAL;
	if (e != VD_OK) {
		PQclear(out);
		*err = e;
		return NULL;
	}
	if (commit)
		st->in_txn = false;
	return out;
broken:
	(void)st_fail(st, NULL, stmts[s].name);
	PQclear(out);
	/* The pipeline is in an unknown state: start afresh with the next request. */
	st_drop(st);
	*err = VD_ERR_DB_UNAVAILABLE;
	return NULL;
}

/*
 * Runs statement s: the prepared one, or unnamed with --no-prepare.
 * lengths and formats may be NULL (all parameters text); results come in
 * text (0) or binary (1).  With commit, the transaction is committed with
 * it.  Returns the result when its status is want, else NULL with *err
 * set.
 */
static PGresult *
st_run(struct store *st, enum stmt s, const char *const *values, const int *lengths,
    const int *formats, int result_format, ExecStatusType want, bool commit, enum vd_err *err)
{
	int		 n = stmts[s].nparams;
	PGresult	*res;

	if (st->answers != 0) {
		log_error("%s while pipelined statements are in flight", stmts[s].name);
		*err = VD_ERR_INTERNAL;
		return NULL;
	}
	if (st->begin_pending || commit)
		return st_run_piped(st, s, values, lengths, formats, result_format, want, commit, err);
	if (st->conf->no_prepare)
		res = PQexecParams(st->conn, stmts[s].sql, n, NULL, values, lengths, formats,
		    result_format);
	else
		res = PQexecPrepared(st->conn, stmts[s].name, n, values, lengths, formats,
		    result_format);
	if (PQresultStatus(res) == want)
		return res;
	*err = st_fail(st, res, stmts[s].name);
	PQclear(res);
	return NULL;
}

/* Runs a statement that returns rows; NULL with *err set otherwise. */
static PGresult *
st_query(struct store *st, enum stmt s, const char *const *values, int result_format,
    enum vd_err *err)
{
	return st_run(st, s, values, NULL, NULL, result_format, PGRES_TUPLES_OK, false, err);
}

/* Runs a statement that returns no rows. */
static enum vd_err
st_do(struct store *st, enum stmt s, const char *const *values)
{
	enum vd_err	 e = VD_OK;

	PQclear(st_run(st, s, values, NULL, NULL, 0, PGRES_COMMAND_OK, false, &e));
	return e;
}

/*
 * Runs a write statement whose last parameter is a small value still to be
 * inserted (binary), or null when there is none.
 */
static PGresult *
st_query_blob(struct store *st, enum stmt s, const char **values, bool commit, enum vd_err *err)
{
	int		 n = stmts[s].nparams, lengths[16] = { 0 }, formats[16] = { 0 };
	PGresult	*res;

	values[n - 1] = st->pending ? st->inline_buf : NULL;
	lengths[n - 1] = (int)st->inline_len;
	formats[n - 1] = 1;
	res = st_run(st, s, values, lengths, formats, 0, PGRES_TUPLES_OK, commit, err);
	/* Whatever the statement did with the variable, the byte-array row is in now. */
	if (res != NULL)
		st->pending = false;
	return res;
}

static enum vd_err
st_command(struct store *st, const char *sql)
{
	PGresult	*res = PQexec(st->conn, sql);
	enum vd_err	 e = VD_OK;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		e = st_fail(st, res, sql);
	PQclear(res);
	return e;
}

static uint64_t
bin_int(const PGresult *res, int row, int col)
{
	const unsigned char	*p = (const unsigned char *)PQgetvalue(res, row, col);
	uint64_t		 v = 0;
	int			 i, len = PQgetlength(res, row, col);

	/* Binary int4 and int8 are big-endian two's complement; ours are never negative. */
	for (i = 0; i < len && i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static char *
bin_text(const PGresult *res, int row, int col)
{
	/* libpq NUL-terminates every value, binary ones included. */
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/*
 * A lookup's result, shared by the answers it holds: vd_lookup_batch's rows go to
 * as many requests, each of which may keep its row after the others are
 * done.  It lives in the result's own memory (PQresultAlloc), so it needs
 * no allocation of its own, and the last reference clears the result.
 */
struct shared_res {
	PGresult	*res;
	unsigned	 refs;
};

static struct shared_res *
shared_new(PGresult *res)
{
	struct shared_res	*sr;

	if ((sr = PQresultAlloc(res, sizeof(*sr))) == NULL) {
		PQclear(res);
		return NULL;
	}
	sr->res = res;
	sr->refs = 1;
	return sr;
}

static void
shared_drop(struct shared_res *sr)
{
	if (sr != NULL && --sr->refs == 0)
		PQclear(sr->res);
}

/*
 * Fills out from row of a lookup's result, taking a reference to it.  The
 * addressed scope exists when the row does and has a depth: a lookup of
 * one scope answers no row when it does not, vd_lookup_batch a row of nulls.
 */
static void
lookup_fill(struct shared_res *sr, int row, struct var_value *out)
{
	const PGresult	*res = sr->res;

	memset(out, 0, sizeof(*out));
	sr->refs++;
	out->res_ = sr;
	if (row >= PQntuples(res) || PQgetisnull(res, row, LK_DEPTH))
		return;
	out->scope_found = true;
	if (PQgetisnull(res, row, LK_VAR_ID))
		return;
	out->found = true;
	out->type = bin_text(res, row, LK_TYPE);
	out->text = bin_text(res, row, LK_TEXT);
	out->text2 = bin_text(res, row, LK_TEXT2);
	if (PQgetisnull(res, row, LK_BA_ID))
		return;
	out->has_bytes = true;
	out->ba_id = bin_text(res, row, LK_BA_ID);
	out->ba_rev = (int32_t)bin_int(res, row, LK_BA_REV);
	if (PQgetisnull(res, row, LK_LENGTH))
		return;
	out->length = bin_int(res, row, LK_LENGTH);
	out->first = PQgetvalue(res, row, LK_FIRST);
	out->first_len = (size_t)PQgetlength(res, row, LK_FIRST);
	out->compressed = !PQgetisnull(res, row, LK_COMPRESSED) &&
	    bin_int(res, row, LK_COMPRESSED) != 0;
}

/* Fills out from the one row of a lookup statement's result, which it then owns. */
static enum vd_err
lookup_take(PGresult *res, struct var_value *out)
{
	struct shared_res	*sr;

	if ((sr = shared_new(res)) == NULL)
		return VD_ERR_NOMEM;
	lookup_fill(sr, 0, out);
	shared_drop(sr);
	return VD_OK;
}

/* Runs a lookup statement whose last parameter is the first slice's length. */
static enum vd_err
st_lookup(struct store *st, enum stmt s, const char **values, struct var_value *out)
{
	char		 slice[16];
	enum vd_err	 e = VD_OK;
	PGresult	*res;

	snprintf(slice, sizeof(slice), "%d", VD_SLICE_SIZE);
	values[stmts[s].nparams - 1] = slice;
	if ((res = st_query(st, s, values, 1, &e)) == NULL)
		return e;
	return lookup_take(res, out);
}

/*
 * The lookup statement of a kind of scope and its parameters, all but the
 * last (the first slice's length, left to fill): a task's is vd_lookup,
 * whose kind parameter is then always a task's, the others' KIND_LOOKUP.
 */
static enum stmt
lookup_stmt(const char **values, enum scope_kind kind, const char *scope_id, bool local,
    const char *name)
{
	static const char	task_kind[] = { SK_TASK, '\0' };
	bool			any_kind = kind == SK_TASK;

	if (any_kind)
		*values++ = task_kind;
	*values++ = scope_id;
	*values++ = name;
	*values++ = local ? "t" : "f";
	*values = NULL;
	if (any_kind)
		return ST_LOOKUP;
	return kind == SK_EXECUTION ? ST_LOOKUP_EXEC : ST_LOOKUP_CEXEC;
}

enum vd_err
store_lookup(struct store *st, enum scope_kind kind, const char *scope_id, bool local,
    const char *name, struct var_value *out)
{
	const char	*values[5];

	return st_lookup(st, lookup_stmt(values, kind, scope_id, local, name), values, out);
}

enum vd_err
store_lookup_instance(struct store *st, const char *var_id, struct var_value *out)
{
	const char	*values[2] = { var_id, NULL };

	return st_lookup(st, ST_LOOKUP_INSTANCE, values, out);
}

/*
 * Pipelined statements (lookups and small writes).  Each is sent with its
 * own Sync, so a failing one leaves the others alone; its results end with
 * PGRES_PIPELINE_SYNC.  A broken connection is dropped at once and every
 * answer still owed then fails with VD_ERR_DB_UNAVAILABLE; store_connect()
 * reconnects once none is left.
 *
 * Lookups of scope chains wait in st->queue until store_flush() sends
 * them: one alone, several in one vd_lookup_batch.  While BATCH_AHEAD
 * statements are in flight, the queue waits for one of them to come back:
 * the database always has the next statement waiting on its socket, and
 * the lookups that arrive meanwhile go together.  BATCH_MAX lookups go at
 * once, so that the database starts on them while the worker still takes
 * the rest.  Each statement in flight owes one answer, vd_lookup_batch one
 * per lookup: st->owed holds how many, oldest first, in a ring of st->cap
 * (every answer owed is a request the worker holds, so there are never
 * more than --pipeline).  st->answers counts the answers owed, queued or
 * sent.
 */
#define BATCH_AHEAD	2
#define BATCH_MAX	8

/* Sends statement s into the pipeline; false, the connection dropped, when it could not. */
static bool
st_pipe(struct store *st, enum stmt s, const char *const *values, const int *lengths,
    const int *formats)
{
	char	msg[256];

	if (st->conn == NULL)
		return false;
	if ((st->in_flight == 0 && !PQenterPipelineMode(st->conn)) ||
	    !st_send_stmt(st, s, values, lengths, formats, 1) || !PQpipelineSync(st->conn)) {
		log_error("cannot send %s: %s", stmts[s].name, conn_message(st, msg, sizeof(msg)));
		st_drop(st);
		return false;
	}
	return true;
}

/*
 * A statement went into the pipeline, or would have had the connection
 * not broken: it owes n answers, batch when it is vd_lookup_batch.
 */
static void
st_owe(struct store *st, unsigned n, bool batch)
{
	struct owing	*o = &st->owed[(st->owed_head + st->in_flight) % st->cap];

	o->n = n;
	o->batch = batch;
	st->in_flight++;
}

/* Sends statement s, which owes one answer of its own, after what is queued. */
static enum vd_err
st_send(struct store *st, enum stmt s, const char *const *values, const int *lengths,
    const int *formats)
{
	st_flush(st);
	if (st->answers == st->cap)
		return VD_ERR_INTERNAL;
	if (!st_pipe(st, s, values, lengths, formats))
		return VD_ERR_DB_UNAVAILABLE;
	st_owe(st, 1, false);
	st->answers++;
	return VD_OK;
}

/* A lookup's last parameter: how much of the value comes along. */
static void
lookup_slice(const char **values, enum stmt s, char slice[16])
{
	snprintf(slice, 16, "%d", VD_PIPELINE_FIRST);
	values[stmts[s].nparams - 1] = slice;
}

/* Sends lookup q alone, through its whole chain; it owes its answer already. */
static void
st_pipe_alone(struct store *st, const struct queued *q)
{
	const char	*values[5];
	char		 slice[16];
	enum stmt	 s = lookup_stmt(values, q->kind, q->scope_id, q->local, q->name);

	lookup_slice(values, s, slice);
	(void)st_pipe(st, s, values, NULL, NULL);
	st_owe(st, 1, false);
}

/* The bytes s takes as a quoted element of an array literal, with its comma. */
static size_t
array_room(const char *s)
{
	size_t	n = 3;

	for (; *s != '\0'; s++)
		n += *s == '"' || *s == '\\' ? 2 : 1;
	return n;
}

/* Appends s at *p as a quoted element of an array literal, after a comma unless first. */
static void
array_add(char **p, const char *s, bool first)
{
	char	*o = *p;

	if (!first)
		*o++ = ',';
	*o++ = '"';
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			*o++ = '\\';
		*o++ = *s;
	}
	*o++ = '"';
	*p = o;
}

/*
 * vd_lookup_batch's four arrays for the n queued lookups, as array
 * literals in st->batch_buf (grown as needed; false when it cannot be):
 * kinds, scope ids, names, locals.
 */
static bool
batch_params(struct store *st, unsigned n, const char *values[4])
{
	const struct queued	*q = st->queue;
	char			*p;
	size_t			 need = 4 * 3;	/* the braces and NULs */
	unsigned		 a, i;

	for (i = 0; i < n; i++)
		need += 2 * 2 + array_room(q[i].scope_id) + array_room(q[i].name);
	if (need > st->batch_cap) {
		if ((p = realloc(st->batch_buf, need)) == NULL)
			return false;
		st->batch_buf = p;
		st->batch_cap = need;
	}
	p = st->batch_buf;
	for (a = 0; a < 4; a++) {
		values[a] = p;
		*p++ = '{';
		for (i = 0; i < n; i++) {
			if (a == 1 || a == 2) {
				array_add(&p, a == 1 ? q[i].scope_id : q[i].name, i == 0);
				continue;
			}
			if (i != 0)
				*p++ = ',';
			*p++ = a == 0 ? (char)q[i].kind : q[i].local ? 't' : 'f';
		}
		*p++ = '}';
		*p++ = '\0';
	}
	return true;
}

/* Sends what is queued: one alone, several in one vd_lookup_batch (each alone without the memory for it). */
static void
st_flush(struct store *st)
{
	const char	*values[5];
	char		 slice[16];
	unsigned	 i, n = st->nqueued;

	if (n == 0)
		return;
	st->nqueued = 0;
	if (n > 1 && batch_params(st, n, values)) {
		lookup_slice(values, ST_LOOKUP_BATCH, slice);
		(void)st_pipe(st, ST_LOOKUP_BATCH, values, NULL, NULL);
		st_owe(st, n, true);
		return;
	}
	for (i = 0; i < n; i++)
		st_pipe_alone(st, &st->queue[i]);
}

void
store_flush(struct store *st)
{
	if (st->in_flight < BATCH_AHEAD)
		st_flush(st);
}

enum vd_err
store_lookup_send(struct store *st, enum scope_kind kind, const char *scope_id, bool local,
    const char *name, bool alone)
{
	const struct queued	q = { kind, scope_id, name, local };

	if (st->conn == NULL)
		return VD_ERR_DB_UNAVAILABLE;
	if (st->answers == st->cap)
		return VD_ERR_INTERNAL;
	st->answers++;
	if (alone) {
		st_flush(st);
		st_pipe_alone(st, &q);
	} else {
		st->queue[st->nqueued++] = q;
		if (st->nqueued == BATCH_MAX)
			store_flush(st);
	}
	return VD_OK;
}

enum vd_err
store_lookup_instance_send(struct store *st, const char *var_id)
{
	const char	*values[2] = { var_id, NULL };
	char		 slice[16];

	lookup_slice(values, ST_LOOKUP_INSTANCE, slice);
	return st_send(st, ST_LOOKUP_INSTANCE, values, NULL, NULL);
}

unsigned
store_in_flight(const struct store *st)
{
	return st->answers;
}

int
store_socket(const struct store *st, unsigned long *serial)
{
	if (serial != NULL)
		*serial = st->connects;
	return st->conn != NULL ? PQsocket(st->conn) : -1;
}

void
store_idle_input(struct store *st)
{
	if (st->conn != NULL && st->answers == 0 && !st_healthy(st)) {
		log_warn("the database closed the idle connection");
		st_drop(st);
	}
}

/* The oldest statement in flight is complete: hands out its result (or error); after the last, leaves pipeline mode. */
static void
st_pipe_done(struct store *st, PGresult **res, enum vd_err *err)
{
	char	msg[256];

	*err = st->pipe_err;
	if (*err == VD_OK && st->pipe_res == NULL)
		*err = VD_ERR_INTERNAL;
	if (*err == VD_OK)
		*res = st->pipe_res;
	else
		PQclear(st->pipe_res);
	st->pipe_res = NULL;
	st->pipe_err = VD_OK;
	st->in_flight--;
	if (st->in_flight == 0 && st->conn != NULL && !PQexitPipelineMode(st->conn)) {
		log_error("cannot leave pipeline mode: %s", conn_message(st, msg, sizeof(msg)));
		st_drop(st);
	}
}

/*
 * The result of the oldest statement in flight, which the caller owns:
 * false when it has not fully arrived and wait is false, true when *res
 * (on VD_OK) or *err is set.
 */
static bool
st_recv(struct store *st, bool wait, PGresult **out, enum vd_err *err)
{
	PGresult	*res;
	int		 nulls = 0;
	bool		 fatal;

	*out = NULL;
	if (st->in_flight == 0) {
		*err = VD_ERR_INTERNAL;
		return true;
	}
	if (st->conn == NULL) {
		st->in_flight--;
		*err = VD_ERR_DB_UNAVAILABLE;
		return true;
	}
	if (!wait && !PQconsumeInput(st->conn))
		goto broken;
	for (;;) {
		if (!wait && PQisBusy(st->conn))
			return false;
		if ((res = PQgetResult(st->conn)) == NULL) {
			/* One NULL ends a statement's results; a second means nothing more will come. */
			if (PQstatus(st->conn) != CONNECTION_OK || ++nulls > 1)
				goto broken;
			continue;
		}
		nulls = 0;
		switch (PQresultStatus(res)) {
		case PGRES_PIPELINE_SYNC:
			PQclear(res);
			st_pipe_done(st, out, err);
			return true;
		case PGRES_TUPLES_OK:
			PQclear(st->pipe_res);
			st->pipe_res = res;
			break;
		default:
			st->pipe_err = st_fail(st, res, "pipelined statement");
			fatal = st_fatal(res);
			PQclear(res);
			if (fatal || PQstatus(st->conn) != CONNECTION_OK)
				goto broken;
			break;
		}
	}
broken:
	log_error("database connection lost with %u statements in flight", st->in_flight);
	st_drop(st);
	st->in_flight--;
	*err = VD_ERR_DB_UNAVAILABLE;
	return true;
}

/*
 * The oldest answer owed: the next row of the vd_lookup_batch being
 * handed out, or the next statement's result.  *from is what that
 * statement owed, *row which of its answers this one is.  A batch's
 * result stays in st->ans until its last answer is taken.  false as for
 * st_recv().
 */
static bool
st_answer(struct store *st, bool wait, struct shared_res **sr, int *row, struct owing *from,
    enum vd_err *err)
{
	PGresult	*res;

	*sr = NULL;
	if (st->answers == 0) {
		*err = VD_ERR_INTERNAL;
		return true;
	}
	if (st->ans_left == 0) {
		/* Nothing sent is owed: what is queued goes out first. */
		if (st->in_flight == 0)
			st_flush(st);
		if (!st_recv(st, wait, &res, err))
			return false;
		st->ans_from = st->owed[st->owed_head];
		st->owed_head = (st->owed_head + 1) % st->cap;
		st->ans_left = st->ans_from.n;
		st->ans_err = *err;
		if (*err == VD_OK && (st->ans = shared_new(res)) == NULL)
			st->ans_err = VD_ERR_NOMEM;
		/* One statement fewer in flight: what waits may go now. */
		store_flush(st);
	}
	*from = st->ans_from;
	*row = (int)(from->n - st->ans_left);
	*err = st->ans_err;
	*sr = st->ans;
	st->answers--;
	if (--st->ans_left == 0)
		/* The caller's reference is the last unless a row keeps it. */
		st->ans = NULL;
	else if (*sr != NULL)
		(*sr)->refs++;
	return true;
}

bool
store_lookup_recv(struct store *st, bool wait, struct var_value *out, enum vd_err *err,
    bool *alone)
{
	struct shared_res	*sr;
	struct owing		 from;
	int			 row;

	*alone = false;
	if (!st_answer(st, wait, &sr, &row, &from, err))
		return false;
	if (*err == VD_OK && from.batch && PQntuples(sr->res) != (int)from.n)
		*err = VD_ERR_INTERNAL;
	if (*err == VD_OK)
		lookup_fill(sr, row, out);
	else if (from.batch && st->conn != NULL)
		/* The batch failed, which says nothing of this lookup: it goes again alone. */
		*alone = true;
	shared_drop(sr);
	return true;
}

bool
store_take_inline(struct store *st, char **value, size_t *len)
{
	if (!st->pending || st->spooling || st->in_blob)
		return false;
	if ((*value = malloc(st->inline_len ? st->inline_len : 1)) == NULL)
		return false;
	memcpy(*value, st->inline_buf, st->inline_len);
	*len = st->inline_len;
	/* Nothing was sent for this transaction: the statement of store_put_send() is all of it. */
	st->in_txn = st->begin_pending = st->pending = false;
	return true;
}

enum vd_err
store_put_inline(struct store *st, const struct var_write *w, const char *value, size_t len)
{
	enum vd_err	e;

	if (len > INLINE_MAX || st->in_txn)
		return VD_ERR_INTERNAL;
	st->in_txn = st->begin_pending = true;
	memcpy(st->inline_buf, value, len);
	st->inline_len = len;
	st->pending = w->ba_id != NULL;
	if ((e = store_put(st, w)) == VD_OK)
		e = store_commit(st);
	if (e != VD_OK)
		store_rollback(st);
	return e;
}

/* Learns from a write whether it found its variable: a two-bit saturating counter. */
static void
st_learn(struct store *st, bool updated)
{
	if (updated && st->updates < 3)
		st->updates++;
	else if (!updated && st->updates > 0)
		st->updates--;
}

enum vd_err
store_put_send(struct store *st, const struct var_write *w, const char *value, size_t len,
    bool whole, bool *update_only)
{
	char		 k[2] = { (char)w->kind, '\0' }, id[37];
	const char	*values[10] = { k, w->scope_id, w->name, w->local ? "t" : "f", w->type, w->text,
	    w->text2, w->ba_id, w->ba_id != NULL ? value : NULL, id };
	int		 lengths[10] = { 0 }, formats[10] = { 0 };
	enum stmt	 s;

	/*
	 * When the last writes mostly found their variable, the update alone
	 * goes first, and the whole write follows only if it finds none.
	 */
	*update_only = !whole && st->updates >= 2;
	if (!uuid_v4(id))
		return VD_ERR_INTERNAL;
	lengths[8] = (int)len;
	formats[8] = 1;
	if (!w->local)
		return st_send(st, *update_only ? ST_UPDATE_CHAIN : ST_WRITE, values, lengths, formats);
	/* A local write's statement knows its kind: $1 scope id, $2 name, then vd_write's from $5. */
	switch (w->kind) {
	case SK_TASK:
		s = *update_only ? ST_UPDATE_TASK : ST_WRITE_TASK;
		break;
	case SK_EXECUTION:
		s = *update_only ? ST_UPDATE_EXEC : ST_WRITE_EXEC;
		break;
	case SK_CASE_EXECUTION:
		s = *update_only ? ST_UPDATE_CEXEC : ST_WRITE_CEXEC;
		break;
	default:
		return VD_ERR_INTERNAL;
	}
	values[2] = w->scope_id;
	values[3] = w->name;
	return st_send(st, s, values + 2, lengths + 2, formats + 2);
}

bool
store_put_recv(struct store *st, bool update_only, bool wait, enum vd_err *err,
    enum put_turn *turn)
{
	struct shared_res	*sr;
	struct owing		 from;
	PGresult		*res;
	int			 row;

	*turn = PUT_DONE;
	if (!st_answer(st, wait, &sr, &row, &from, err))
		return false;
	res = sr != NULL ? sr->res : NULL;
	if (*err == VD_ERR_CONFLICT) {
		/* Failed, so nothing was written: store_put_inline() does it again. */
		*err = VD_OK;
		*turn = PUT_LOST;
	}
	if (*err != VD_OK || *turn == PUT_LOST)
		return true;
	if (from.batch || PQntuples(res) != 1 || PQnfields(res) != 4)
		*err = VD_ERR_INTERNAL;
	else if (bin_int(res, 0, 0) == 0 && !update_only)
		*err = VD_ERR_PUT_FAILED;
	else if (bin_int(res, 0, 0) == 0) {
		*turn = PUT_ABSENT;
		st_learn(st, false);
	} else if (bin_int(res, 0, 1) + bin_int(res, 0, 2) == 0)
		*turn = PUT_LOST;
	else
		st_learn(st, bin_int(res, 0, 1) != 0);
	shared_drop(sr);
	return true;
}

void
var_value_clear(struct var_value *v)
{
	shared_drop(v->res_);
	memset(v, 0, sizeof(*v));
}

/* Fetches one slice [off, off + len) of the byte array; NULL with *err on failure or no row. */
static PGresult *
st_slice(struct store *st, const struct var_value *v, uint64_t off, size_t len, enum vd_err *err)
{
	char		 o[24], l[24], r[16];
	const char	*values[4] = { v->ba_id, o, l, r };
	PGresult	*res;

	snprintf(o, sizeof(o), "%llu", (unsigned long long)off + 1);
	snprintf(l, sizeof(l), "%zu", len);
	snprintf(r, sizeof(r), "%d", (int)v->ba_rev);
	if ((res = st_query(st, ST_SLICE, values, 1, err)) == NULL)
		return NULL;
	if (PQntuples(res) != 1 || (size_t)PQgetlength(res, 0, 0) != len) {
		PQclear(res);
		*err = VD_ERR_NOT_FOUND;
		return NULL;
	}
	return res;
}

/* The length of the slice at pos of a read that ends at end. */
static size_t
slice_len(uint64_t pos, uint64_t end)
{
	return end - pos > VD_SLICE_SIZE ? VD_SLICE_SIZE : (size_t)(end - pos);
}

/*
 * The slices of a compressed value, from *pos to end, for st_read_slices()
 * (*pos: how far the sink got).  Each slice of a compressed value would
 * decompress it from its start, so a large one would take time in the
 * square of its size; vd_slices decompresses it once and sends the slices
 * as rows, which single-row mode hands over one at a time, so the worker
 * still holds one slice at most.  A result cannot be stopped half-way: when
 * the sink fails, the connection is dropped rather than drained.
 */
static enum vd_err
st_read_compressed(struct store *st, const struct var_value *v, uint64_t *pos, uint64_t end,
    store_sink sink, void *arg)
{
	char		 o[24], l[24], r[16], e_[24];
	const char	*values[5] = { v->ba_id, o, l, r, e_ };
	PGresult	*res;
	enum vd_err	 e = VD_OK;
	size_t		 n;

	snprintf(o, sizeof(o), "%llu", (unsigned long long)*pos + 1);
	snprintf(l, sizeof(l), "%d", VD_SLICE_SIZE);
	snprintf(r, sizeof(r), "%d", (int)v->ba_rev);
	snprintf(e_, sizeof(e_), "%llu", (unsigned long long)end + 1);
	if (!st_send_stmt(st, ST_SLICES, values, NULL, NULL, 1) || !PQsetSingleRowMode(st->conn)) {
		e = st_fail(st, NULL, stmts[ST_SLICES].name);
		st_drop(st);
		return e;
	}
	while ((res = PQgetResult(st->conn)) != NULL) {
		if (e == VD_OK && PQresultStatus(res) == PGRES_SINGLE_TUPLE) {
			n = *pos < end ? slice_len(*pos, end) : 0;
			if (n == 0 || (size_t)PQgetlength(res, 0, 0) != n)
				e = VD_ERR_NOT_FOUND;
			else if ((e = sink(arg, PQgetvalue(res, 0, 0), n)) == VD_OK)
				*pos += n;
			else {
				PQclear(res);
				log_info("dropping the database connection to stop a value half-sent");
				st_drop(st);
				return e;
			}
		} else if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_SINGLE_TUPLE)
			e = st_fail(st, res, stmts[ST_SLICES].name);
		PQclear(res);
	}
	/* Replaced since the lookup: no row, or a shorter value. */
	return e == VD_OK && *pos != end ? VD_ERR_NOT_FOUND : e;
}

/*
 * The rest of a large value, from a REPEATABLE READ snapshot so that every
 * slice comes from one version.  The first slice is fetched before anything
 * reaches the sink, so a value replaced since the lookup is reported as
 * VD_ERR_NOT_FOUND while the caller can still start over.
 */
static enum vd_err
st_read_slices(struct store *st, const struct var_value *v, uint64_t off, uint64_t end,
    store_sink sink, void *arg)
{
	PGresult	*res = NULL;
	enum vd_err	 e;
	uint64_t	 pos = off;
	size_t		 n;

	if ((e = st_command(st, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")) != VD_OK)
		return e;
	st->in_txn = true;
	if (v->compressed)
		e = st_read_compressed(st, v, &pos, end, sink, arg);
	else {
		for (; pos < end; pos += n) {
			n = slice_len(pos, end);
			if ((res = st_slice(st, v, pos, n, &e)) == NULL)
				break;
			e = sink(arg, PQgetvalue(res, 0, 0), n);
			PQclear(res);
			if (e != VD_OK)
				break;
		}
	}
	if (e == VD_ERR_NOT_FOUND && pos != off) {
		log_error("a value changed inside one snapshot");
		e = VD_ERR_INTERNAL;
	}
	store_rollback(st);
	return e;
}

enum vd_err
store_read(struct store *st, const struct var_value *v, uint64_t off, uint64_t len,
    store_sink sink, void *arg)
{
	if (len == 0)
		return VD_OK;
	if (off + len <= v->first_len)
		return sink(arg, v->first + off, (size_t)len);
	return st_read_slices(st, v, off, off + len, sink, arg);
}

enum vd_err
store_begin(struct store *st)
{
	/* Sent with the first statement, to save a round trip. */
	st->in_txn = st->begin_pending = true;
	return VD_OK;
}

enum vd_err
store_blob_begin(struct store *st, const char *name, char id[37])
{
	if (st->in_blob || !st->in_txn)
		return VD_ERR_INTERNAL;
	if (!uuid_v4(st->blob_id))
		return VD_ERR_INTERNAL;
	free(st->blob_name);
	if ((st->blob_name = strdup(name)) == NULL)
		return VD_ERR_NOMEM;
	memcpy(id, st->blob_id, sizeof(st->blob_id));
	st->inline_len = 0;
	st->blob_len = 0;
	st->spooling = st->pending = st->spooled = false;
	st->in_blob = true;
	return VD_OK;
}

static enum vd_err
spool_write(struct store *st, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(st->spool_fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			log_error("cannot write the spool file: %s", strerror(errno));
			return VD_ERR_INTERNAL;
		}
		buf += n;
		len -= (size_t)n;
	}
	return VD_OK;
}

/*
 * Empties the spool file once its value is sent (or given up): its pages
 * in the page cache, and its blocks on disk, are not held until the next
 * large upload.  The memory goes back just before PostgreSQL, having
 * received the value, needs as much again to store it.
 */
static void
spool_release(struct store *st)
{
	if (ftruncate(st->spool_fd, 0) == -1)
		log_warn("cannot empty the spool file: %s", strerror(errno));
}

/* The value outgrew INLINE_MAX: from now on it goes to the spool file. */
static enum vd_err
spool_start(struct store *st)
{
	if (ftruncate(st->spool_fd, 0) == -1 || lseek(st->spool_fd, 0, SEEK_SET) == -1) {
		log_error("cannot reset the spool file: %s", strerror(errno));
		return VD_ERR_INTERNAL;
	}
	st->spooling = true;
	return spool_write(st, st->inline_buf, st->inline_len);
}

enum vd_err
store_blob_write(struct store *st, const char *buf, size_t len)
{
	enum vd_err	e;

	if (!st->in_blob)
		return VD_ERR_INTERNAL;
	if (len > VD_MAX_VALUE - st->blob_len)
		return VD_ERR_VALUE_LIMIT;
	st->blob_len += len;
	if (!st->spooling && len <= INLINE_MAX - st->inline_len) {
		memcpy(st->inline_buf + st->inline_len, buf, len);
		st->inline_len += len;
		return VD_OK;
	}
	if (!st->spooling && (e = spool_start(st)) != VD_OK)
		return e;
	return spool_write(st, buf, len);
}

static void
put_be16(char *p, uint16_t v)
{
	p[0] = (char)(v >> 8);
	p[1] = (char)v;
}

static void
put_be32(char *p, uint32_t v)
{
	p[0] = (char)(v >> 24);
	p[1] = (char)(v >> 16);
	p[2] = (char)(v >> 8);
	p[3] = (char)v;
}

/*
 * The binary COPY stream up to the value's bytes: the file header, then one
 * tuple of (id_, rev_, type_, name_, bytes_) with the value's length
 * (PostgreSQL's "Binary Format" of COPY; text fields travel as raw bytes).
 */
static size_t
copy_head(struct store *st, char *out)
{
	static const char	 sig[] = "PGCOPY\n\377\r\n";
	size_t			 idlen = strlen(st->blob_id), nlen = strlen(st->blob_name), n = 0;

	memcpy(out, sig, 11);
	n = 11;
	put_be32(out + n, 0);			/* flags */
	put_be32(out + n + 4, 0);		/* header extension length */
	put_be16(out + n + 8, 5);		/* fields in the tuple */
	n += 10;
	put_be32(out + n, (uint32_t)idlen);
	memcpy(out + n + 4, st->blob_id, idlen);
	n += 4 + idlen;
	put_be32(out + n, 4);			/* rev_ = 1 */
	put_be32(out + n + 4, 1);
	put_be32(out + n + 8, 4);		/* type_ = 2 */
	put_be32(out + n + 12, 2);
	n += 16;
	put_be32(out + n, (uint32_t)nlen);
	memcpy(out + n + 4, st->blob_name, nlen);
	n += 4 + nlen;
	put_be32(out + n, (uint32_t)st->blob_len);
	return n + 4;
}

/* Sends the spooled value to the COPY in progress. */
static enum vd_err
copy_spool(struct store *st)
{
	uint64_t	off = 0;
	ssize_t		n;

	while (off < st->blob_len) {
		n = pread(st->spool_fd, st->copy_buf, COPY_CHUNK, (off_t)off);
		if (n <= 0) {
			log_error("cannot read the spool file: %s", n == 0 ? "short file" : strerror(errno));
			return VD_ERR_INTERNAL;
		}
		if (PQputCopyData(st->conn, st->copy_buf, (int)n) != 1)
			return st_fail(st, NULL, "COPY data");
		off += (uint64_t)n;
	}
	return VD_OK;
}

/* Starts the COPY and sends it the spooled value's row up to its last byte. */
static enum vd_err
copy_row(struct store *st)
{
	PGresult	*res;
	enum vd_err	 e;
	size_t		 n;

	/* The head holds an id and a name (at most 255 characters of 4 bytes). */
	if (strlen(st->blob_name) > COPY_CHUNK - 128)
		return VD_ERR_INTERNAL;
	if (st->begin_pending) {
		if ((e = st_command(st, "BEGIN")) != VD_OK)
			return e;
		st->begin_pending = false;
	}
	res = PQexec(st->conn, "COPY act_ge_bytearray (id_, rev_, type_, name_, bytes_)"
	    " FROM STDIN (FORMAT binary)");
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		e = st_fail(st, res, "COPY");
		PQclear(res);
		return e;
	}
	PQclear(res);
	st->in_copy = true;
	n = copy_head(st, st->copy_buf);
	if (PQputCopyData(st->conn, st->copy_buf, (int)n) != 1)
		return st_fail(st, NULL, "COPY data");
	return copy_spool(st);
}

static enum vd_err
st_copy(struct store *st)
{
	const char	*values[1] = { st->blob_id };
	char		 trailer[2];
	PGresult	*res;
	enum vd_err	 e;

	/* Sent or given up, the spooled value is not needed again. */
	e = copy_row(st);
	spool_release(st);
	if (e != VD_OK)
		return e;
	put_be16(trailer, 0xffff);
	st->in_copy = false;
	if (PQputCopyData(st->conn, trailer, 2) != 1 || PQputCopyEnd(st->conn, NULL) != 1)
		return st_fail(st, NULL, "COPY end");
	res = PQgetResult(st->conn);
	e = PQresultStatus(res) == PGRES_COMMAND_OK ? VD_OK : st_fail(st, res, "COPY");
	PQclear(res);
	while ((res = PQgetResult(st->conn)) != NULL)
		PQclear(res);
	if (e != VD_OK || (e = st_do(st, ST_BLOB_FIXUP, values)) != VD_OK)
		return e;
	/* What a write that PostgreSQL fails to end a deadlock goes back to (put_again()). */
	return st_command(st, "SAVEPOINT " COPIED);
}

/*
 * A value's part has ended.  A spooled one waits there for store_put():
 * the COPY opens the transaction, and the body may go on (more parts, or a
 * second data part that replaces this one) for as long as its client
 * takes.  No transaction is open until the whole body is in.
 */
enum vd_err
store_blob_end(struct store *st)
{
	if (!st->in_blob)
		return VD_ERR_INTERNAL;
	st->in_blob = false;
	if (st->spooling) {
		st->spooling = false;
		st->spooled = true;
	} else
		st->pending = true;
	return VD_OK;
}

void
store_blob_forget(struct store *st)
{
	/* Nothing of it was sent: it waits in inline_buf or in the spool for store_put(). */
	if (st->spooled)
		spool_release(st);
	st->pending = st->spooled = false;
}

/* The scope a write lands in (spec section 5): the locked variable's, else the addressed or the topmost. */
static int
put_target(const PGresult *res, bool local)
{
	int	i, n = PQntuples(res);

	for (i = 0; i < n; i++)
		if (!PQgetisnull(res, i, LOCK_VAR_ID))
			return i;
	return local ? 0 : n - 1;
}

static enum vd_err
put_update(struct store *st, const struct var_write *w, const PGresult *lk, int row)
{
	const char	*task = *PQgetvalue(lk, row, LOCK_KIND) == 't' ?
	    PQgetvalue(lk, row, LOCK_ID) : NULL;
	const char	*values[9] = { PQgetvalue(lk, row, LOCK_VAR_ID), w->type, w->text, w->text2,
	    w->ba_id, task, bin_text(lk, row, LOCK_OLD_BA), w->name, NULL };
	enum vd_err	 e = VD_OK;
	PGresult	*res;

	/* Nothing follows an update: its COMMIT goes with it. */
	if ((res = st_query_blob(st, ST_UPDATE, values, true, &e)) == NULL)
		return e;
	PQclear(res);
	return VD_OK;
}

/* Returns VD_OK and *done, or VD_OK and !*done when a concurrent insert of the name won. */
static enum vd_err
put_insert(struct store *st, const struct var_write *w, const PGresult *lk, int row, bool *done)
{
	char		 id[37];
	const char	*values[16];
	enum vd_err	 e = VD_OK;
	PGresult	*res;
	int		 i;

	if (!uuid_v4(id))
		return VD_ERR_INTERNAL;
	values[0] = id;
	values[1] = w->type;
	values[2] = w->name;
	for (i = 0; i < 6; i++)		/* exec, proc inst, proc def, case exec, case inst, task */
		values[3 + i] = bin_text(lk, row, LOCK_EXEC_ID + i);
	values[9] = w->ba_id;
	values[10] = w->text;
	values[11] = w->text2;
	values[12] = PQgetvalue(lk, row, LOCK_ID);		/* VAR_SCOPE_ */
	values[13] = PQgetvalue(lk, row, LOCK_CONCURRENT_LOCAL);
	values[14] = bin_text(lk, row, LOCK_TENANT_ID);
	if ((res = st_query_blob(st, ST_INSERT, values, false, &e)) == NULL)
		return e;
	*done = PQntuples(res) == 1;
	PQclear(res);
	return VD_OK;
}

/*
 * One try of a write, the byte array already in or pending: the variable
 * locked, then updated or inserted.  Returns VD_OK and !*done when a
 * concurrent first write of the same name won.
 */
static enum vd_err
put_try(struct store *st, const struct var_write *w, bool *done)
{
	char		 k[2] = { (char)w->kind, '\0' };
	const char	*values[4] = { k, w->scope_id, w->name, w->local ? "t" : "f" };
	enum vd_err	 e = VD_OK;
	PGresult	*lk;
	int		 row;

	*done = false;
	if ((lk = st_query(st, ST_LOCK, values, 0, &e)) == NULL)
		return e;
	if (PQntuples(lk) == 0) {
		PQclear(lk);
		return VD_ERR_PUT_FAILED;
	}
	row = put_target(lk, w->local);
	if (!PQgetisnull(lk, row, LOCK_VAR_ID)) {
		e = put_update(st, w, lk, row);
		*done = true;
	} else
		e = put_insert(st, w, lk, row, done);
	PQclear(lk);
	return e;
}

/*
 * Undoes a try that PostgreSQL failed to end a deadlock (VD_ERR_CONFLICT),
 * so that the write can run again: back to the savepoint after the COPY
 * of a spooled value (copied), whose spool is gone by now, or else the
 * whole transaction, its small value (pending) to be inserted again.
 */
static enum vd_err
put_again(struct store *st, bool copied, bool pending)
{
	PGTransactionStatusType	 ts = PQtransactionStatus(st->conn);
	enum vd_err		 e;

	if (copied)	/* unless a failed COMMIT ended the transaction, and the COPY with it */
		return ts == PQTRANS_INERROR ? st_command(st, "ROLLBACK TO SAVEPOINT " COPIED) :
		    VD_ERR_CONFLICT;
	if (ts != PQTRANS_IDLE && (e = st_command(st, "ROLLBACK")) != VD_OK)
		return e;
	st->in_txn = st->begin_pending = true;
	st->pending = pending;
	return VD_OK;
}

enum vd_err
store_put(struct store *st, const struct var_write *w)
{
	const bool	 copied = st->spooled, pending = st->pending;
	enum vd_err	 e;
	bool		 done;
	int		 attempt;

	if (st->spooled) {
		st->spooled = false;
		if ((e = st_copy(st)) != VD_OK)
			return e;
	}
	for (attempt = 1; ; attempt++) {
		e = put_try(st, w, &done);
		if ((e == VD_OK && done) || (e != VD_OK && e != VD_ERR_CONFLICT))
			return e;
		if (attempt == VD_PUT_ATTEMPTS)
			break;
		if (e == VD_ERR_CONFLICT && (e = put_again(st, copied, pending)) != VD_OK)
			return e;
	}
	if (e == VD_ERR_CONFLICT)
		log_error("the database failed a variable write %d times in a row to end deadlocks",
		    VD_PUT_ATTEMPTS);
	else
		log_error("variable write lost %d races in a row", VD_PUT_ATTEMPTS);
	return e == VD_OK ? VD_ERR_INTERNAL : e;
}

enum vd_err
store_commit(struct store *st)
{
	enum vd_err	e;

	if (!st->in_txn)
		return VD_OK;	/* committed with the last statement */
	st->in_txn = false;
	if (st->begin_pending) {
		st->begin_pending = false;
		return VD_OK;	/* nothing was sent */
	}
	e = st_command(st, "COMMIT");
	return e;
}

void
store_rollback(struct store *st)
{
	PGresult	*res;

	/* Nothing of the transaction was sent (or other statements are in flight): nothing to undo. */
	if (st->conn == NULL || PQstatus(st->conn) != CONNECTION_OK || st->answers != 0 ||
	    (st->begin_pending && !st->in_copy))
		goto out;
	if (st->in_copy) {
		(void)PQputCopyEnd(st->conn, "request aborted");
		while ((res = PQgetResult(st->conn)) != NULL)
			PQclear(res);
	}
	if ((st->in_txn && !st->begin_pending) || PQtransactionStatus(st->conn) != PQTRANS_IDLE)
		(void)st_command(st, "ROLLBACK");
out:
	if (st->spooling || st->spooled)
		spool_release(st);
	st->in_txn = st->begin_pending = st->in_copy = st->in_blob = st->spooling = st->pending =
	    st->spooled = false;
}

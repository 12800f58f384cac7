-- bench/sql/read.sql: R_sql of measurement 1, run by pgbench -M prepared.
-- The least SQL any implementation of the GET must run: one indexed lookup
-- of the variable by scope and name (the unique ACT_UNIQ_VARIABLE index),
-- joined to its byte array, returning what the response needs (the type for
-- the headers, the row's id and revision for the ETag, the bytes).  The
-- visibility walk up the task's chain is deliberately left out: it is part
-- of what vardata has to make cheap.
SELECT v.type_, b.id_, b.rev_, b.bytes_
  FROM act_ru_variable v JOIN act_ge_bytearray b ON b.id_ = v.bytearray_id_
 WHERE v.var_scope_ = :scope AND v.name_ = :name;

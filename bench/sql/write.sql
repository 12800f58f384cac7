-- bench/sql/write.sql: R_sql of measurement 2, run by pgbench -M prepared.
-- The least SQL any implementation of the POST must run for an update of a
-- task-local Bytes variable (spec section 3), in one transaction: insert the
-- new byte-array row, update the variable row (locked, its old byte array
-- remembered) together with the task row the write lands on, delete the old
-- byte-array row.  Each transaction picks one of :write_tasks tasks, as the
-- HTTP side does, so that concurrent writers rarely wait for each other.
\set k random(1, :write_tasks)
BEGIN;
INSERT INTO act_ge_bytearray (id_, rev_, name_, bytes_, type_, create_time_)
VALUES (gen_random_uuid()::text, 1, 'upload', :value, 2, localtimestamp)
RETURNING id_ AS new_id \gset
WITH old AS (
    SELECT id_, bytearray_id_ FROM act_ru_variable
     WHERE var_scope_ = 'bench-wtask-' || :k AND name_ = 'upload' FOR UPDATE),
  task AS (
    UPDATE act_ru_task SET rev_ = rev_ + 1, last_updated_ = localtimestamp, task_state_ = 'Updated'
     WHERE id_ = 'bench-wtask-' || :k)
UPDATE act_ru_variable v
   SET bytearray_id_ = :new_id, type_ = 'bytes', text_ = NULL, text2_ = NULL, double_ = NULL,
       long_ = NULL, rev_ = v.rev_ + 1, sequence_counter_ = v.sequence_counter_ + 1
  FROM old WHERE v.id_ = old.id_
RETURNING old.bytearray_id_ AS old_id \gset
DELETE FROM act_ge_bytearray WHERE id_ = :old_id;
COMMIT;

-- bench/sql/write.sql: R_sql of measurement 2, run by pgbench -M prepared.
-- The least SQL any implementation of the POST must run for an update of a
-- task-local Bytes variable (spec section 3), as one statement, which is one
-- transaction and one round trip (vardata sends a small write the same way):
-- insert the new byte-array row, update the variable row (locked, its old
-- byte array remembered) together with the task row the write lands on,
-- delete the old byte-array row.
--
-- Each client writes to tasks of its own (client c of :clients takes tasks
-- c + 1, c + 1 + :clients, ...), so no two transactions update the same
-- variable at once.  Were they to, the later one would lock the newer row
-- version, whose byte array its snapshot cannot see, and leave that byte
-- array behind; vardata detects that case and sends its write again.
\set k 1 + :client_id + :clients * random(0, (:write_tasks - 1 - :client_id) / :clients)
WITH old AS (
    SELECT id_, bytearray_id_ FROM act_ru_variable
     WHERE var_scope_ = 'bench-wtask-' || :k AND name_ = 'upload' FOR UPDATE),
  new AS (
    INSERT INTO act_ge_bytearray (id_, rev_, name_, bytes_, type_, create_time_)
    VALUES (gen_random_uuid()::text, 1, 'upload', :value, 2, localtimestamp)
    RETURNING id_),
  task AS (
    UPDATE act_ru_task SET rev_ = rev_ + 1, last_updated_ = localtimestamp, task_state_ = 'Updated'
     WHERE id_ = 'bench-wtask-' || :k),
  var AS (
    UPDATE act_ru_variable v
       SET bytearray_id_ = (SELECT id_ FROM new), type_ = 'bytes', text_ = NULL, text2_ = NULL,
           double_ = NULL, long_ = NULL, rev_ = v.rev_ + 1, sequence_counter_ = v.sequence_counter_ + 1
      FROM old WHERE v.id_ = old.id_
    RETURNING old.bytearray_id_ AS old_id)
DELETE FROM act_ge_bytearray WHERE id_ = (SELECT old_id FROM var);

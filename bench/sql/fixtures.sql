-- bench/sql/fixtures.sql: the rows the benchmark works on, as the Camunda
-- engine writes them (spec section 3), loaded by bench/run.sh into a fresh
-- database that already has sql/schema.sql.
--
-- psql variables (set with -v by run.sh):
--   small        the 1 KiB value, as a bytea literal ('\x...')
--   write_tasks  how many tasks the write benchmark spreads its updates over
--   filler       how many other process instances populate the tables
--
-- The read chain of measurement 1: task bench-task -> its execution
-- bench-exec -> the process instance bench-pi, which holds the Bytes
-- variable "small".  The writes of measurement 2 go to the task-local
-- variable "upload" of the tasks bench-wtask-1 .. bench-wtask-N; each exists
-- beforehand, so every write is an update and the tables stay the same size.
--
-- Around them, :filler other process instances, each with a child
-- execution, a user task, three string variables and a small Bytes
-- variable, so that the tables look like a live engine's rather than a
-- handful of rows: the planner then picks the indexes a real database
-- would use, for vardata and for the SQL references alike.

BEGIN;

INSERT INTO act_ru_execution (id_, rev_, root_proc_inst_id_, proc_inst_id_, business_key_, parent_id_,
    proc_def_id_, act_id_, is_active_, is_concurrent_, is_scope_, is_event_scope_, suspension_state_,
    cached_ent_state_, sequence_counter_, proc_def_key_)
VALUES
    ('bench-pi', 1, 'bench-pi', 'bench-pi', 'bench', NULL, 'bench:1:1', NULL, true, false, true, false,
     1, 0, 1, 'bench'),
    ('bench-exec', 1, 'bench-pi', 'bench-pi', NULL, 'bench-pi', 'bench:1:1', 'userTask', true, false,
     false, false, 1, 0, 2, 'bench');

INSERT INTO act_ru_task (id_, rev_, execution_id_, proc_inst_id_, proc_def_id_, name_, task_def_key_,
    priority_, create_time_, suspension_state_, task_state_)
SELECT t.id, 1, 'bench-exec', 'bench-pi', 'bench:1:1', 'Bench', 'userTask', 50, localtimestamp, 1, 'Created'
  FROM (SELECT 'bench-task' AS id
        UNION ALL
        SELECT 'bench-wtask-' || i FROM generate_series(1, :write_tasks) AS i) AS t;

INSERT INTO act_ge_bytearray (id_, rev_, name_, bytes_, type_, create_time_)
VALUES ('bench-ba-small', 1, 'small', :'small'::bytea, 2, localtimestamp);

INSERT INTO act_ru_variable (id_, rev_, type_, name_, execution_id_, proc_inst_id_, proc_def_id_,
    bytearray_id_, var_scope_, sequence_counter_, is_concurrent_local_)
VALUES ('bench-var-small', 1, 'bytes', 'small', 'bench-pi', 'bench-pi', 'bench:1:1', 'bench-ba-small',
    'bench-pi', 1, false);

INSERT INTO act_ge_bytearray (id_, rev_, name_, bytes_, type_, create_time_)
SELECT 'bench-ba-upload-' || i, 1, 'upload', :'small'::bytea, 2, localtimestamp
  FROM generate_series(1, :write_tasks) AS i;

INSERT INTO act_ru_variable (id_, rev_, type_, name_, execution_id_, proc_inst_id_, proc_def_id_,
    task_id_, bytearray_id_, var_scope_, sequence_counter_, is_concurrent_local_)
SELECT 'bench-var-upload-' || i, 1, 'bytes', 'upload', 'bench-exec', 'bench-pi', 'bench:1:1',
    'bench-wtask-' || i, 'bench-ba-upload-' || i, 'bench-wtask-' || i, 1, false
  FROM generate_series(1, :write_tasks) AS i;

INSERT INTO act_ru_execution (id_, rev_, root_proc_inst_id_, proc_inst_id_, business_key_, parent_id_,
    proc_def_id_, act_id_, is_active_, is_concurrent_, is_scope_, is_event_scope_, suspension_state_,
    cached_ent_state_, sequence_counter_, proc_def_key_)
SELECT 'fill-pi-' || i, 1, 'fill-pi-' || i, 'fill-pi-' || i, 'fill-' || i, NULL, 'fill:1:1', NULL,
    true, false, true, false, 1, 0, 1, 'fill'
  FROM generate_series(1, :filler) AS i;

INSERT INTO act_ru_execution (id_, rev_, root_proc_inst_id_, proc_inst_id_, business_key_, parent_id_,
    proc_def_id_, act_id_, is_active_, is_concurrent_, is_scope_, is_event_scope_, suspension_state_,
    cached_ent_state_, sequence_counter_, proc_def_key_)
SELECT 'fill-exec-' || i, 1, 'fill-pi-' || i, 'fill-pi-' || i, NULL, 'fill-pi-' || i, 'fill:1:1',
    'userTask', true, false, false, false, 1, 0, 2, 'fill'
  FROM generate_series(1, :filler) AS i;

INSERT INTO act_ru_task (id_, rev_, execution_id_, proc_inst_id_, proc_def_id_, name_, task_def_key_,
    priority_, create_time_, suspension_state_, task_state_)
SELECT 'fill-task-' || i, 1, 'fill-exec-' || i, 'fill-pi-' || i, 'fill:1:1', 'Fill', 'userTask', 50,
    localtimestamp, 1, 'Created'
  FROM generate_series(1, :filler) AS i;

INSERT INTO act_ru_variable (id_, rev_, type_, name_, execution_id_, proc_inst_id_, proc_def_id_,
    text_, var_scope_, sequence_counter_, is_concurrent_local_)
SELECT 'fill-var-' || i || '-' || n, 1, 'string', 'field' || n, 'fill-pi-' || i, 'fill-pi-' || i,
    'fill:1:1', md5(i || '-' || n), 'fill-pi-' || i, 1, false
  FROM generate_series(1, :filler) AS i, generate_series(1, 3) AS n;

INSERT INTO act_ge_bytearray (id_, rev_, name_, bytes_, type_, create_time_)
SELECT 'fill-ba-' || i, 1, 'small', decode(md5(i::text) || md5(i::text), 'hex'), 2, localtimestamp
  FROM generate_series(1, :filler) AS i;

INSERT INTO act_ru_variable (id_, rev_, type_, name_, execution_id_, proc_inst_id_, proc_def_id_,
    bytearray_id_, var_scope_, sequence_counter_, is_concurrent_local_)
SELECT 'fill-var-' || i || '-b', 1, 'bytes', 'small', 'fill-pi-' || i, 'fill-pi-' || i, 'fill:1:1',
    'fill-ba-' || i, 'fill-pi-' || i, 1, false
  FROM generate_series(1, :filler) AS i;

COMMIT;

VACUUM ANALYZE;

-- bench/sql/big.sql: the 256 MiB File variable "big" of measurement 3, on
-- the process instance.  Its byte array, bench-ba-big, is the row that
-- run.sh loaded with the COPY that is measurement 4's reference.

BEGIN;

UPDATE act_ge_bytearray SET create_time_ = localtimestamp WHERE id_ = 'bench-ba-big';

INSERT INTO act_ru_variable (id_, rev_, type_, name_, execution_id_, proc_inst_id_, proc_def_id_,
    bytearray_id_, text_, text2_, var_scope_, sequence_counter_, is_concurrent_local_)
VALUES ('bench-var-big', 1, 'file', 'big', 'bench-pi', 'bench-pi', 'bench:1:1', 'bench-ba-big',
    'big.bin', 'application/octet-stream#', 'bench-pi', 1, false);

COMMIT;

VACUUM ANALYZE act_ge_bytearray;
VACUUM ANALYZE act_ru_variable;

-- vardata: the Camunda 7 tables that the binary-variable endpoints read and
-- write, for a database of vardata's own.
--
-- Names, columns and types are Camunda 7's (the PostgreSQL create scripts of
-- the engine and of the case engine), unquoted so that they fold to lower
-- case exactly as Camunda's do.  This is a column-compatible subset: rows
-- written by a Java engine and rows written by vardata are interchangeable,
-- and running this file against an existing Camunda database changes nothing
-- that Camunda created (every object is created only when it is missing).
--
-- Foreign keys that would point at tables vardata does not need (process and
-- case definitions, deployments, batches) are left out.  Everything else that
-- Camunda declares on these five tables and that vardata relies on is here,
-- under Camunda's names, so that the engine's and vardata's rows obey the same
-- rules.
--
-- The file is idempotent: a second run succeeds and changes nothing.  Tables
-- and indexes use IF NOT EXISTS; constraints, which have no such clause before
-- PostgreSQL 17, are added by a DO block that first looks them up in
-- pg_constraint.  Everything runs in one transaction, so a failed run leaves
-- nothing half made.

BEGIN;

-- A second run would otherwise print a NOTICE for every object it skips.
set local client_min_messages = warning;

create table if not exists ACT_GE_BYTEARRAY (
    ID_ varchar(64),
    REV_ integer,
    NAME_ varchar(255),
    DEPLOYMENT_ID_ varchar(64),
    BYTES_ bytea,
    GENERATED_ boolean,
    TENANT_ID_ varchar(64),
    TYPE_ integer,
    CREATE_TIME_ timestamp,
    ROOT_PROC_INST_ID_ varchar(64),
    REMOVAL_TIME_ timestamp,
    primary key (ID_)
);

create table if not exists ACT_RU_EXECUTION (
    ID_ varchar(64),
    REV_ integer,
    ROOT_PROC_INST_ID_ varchar(64),
    PROC_INST_ID_ varchar(64),
    BUSINESS_KEY_ varchar(255),
    PARENT_ID_ varchar(64),
    PROC_DEF_ID_ varchar(64),
    SUPER_EXEC_ varchar(64),
    SUPER_CASE_EXEC_ varchar(64),
    CASE_INST_ID_ varchar(64),
    ACT_ID_ varchar(255),
    ACT_INST_ID_ varchar(64),
    IS_ACTIVE_ boolean,
    IS_CONCURRENT_ boolean,
    IS_SCOPE_ boolean,
    IS_EVENT_SCOPE_ boolean,
    SUSPENSION_STATE_ integer,
    CACHED_ENT_STATE_ integer,
    SEQUENCE_COUNTER_ bigint,
    TENANT_ID_ varchar(64),
    PROC_DEF_KEY_ varchar(255),
    primary key (ID_)
);

create table if not exists ACT_RU_TASK (
    ID_ varchar(64),
    REV_ integer,
    EXECUTION_ID_ varchar(64),
    PROC_INST_ID_ varchar(64),
    PROC_DEF_ID_ varchar(64),
    CASE_EXECUTION_ID_ varchar(64),
    CASE_INST_ID_ varchar(64),
    CASE_DEF_ID_ varchar(64),
    NAME_ varchar(255),
    PARENT_TASK_ID_ varchar(64),
    DESCRIPTION_ varchar(4000),
    TASK_DEF_KEY_ varchar(255),
    OWNER_ varchar(255),
    ASSIGNEE_ varchar(255),
    DELEGATION_ varchar(64),
    PRIORITY_ integer,
    CREATE_TIME_ timestamp,
    LAST_UPDATED_ timestamp,
    DUE_DATE_ timestamp,
    FOLLOW_UP_DATE_ timestamp,
    SUSPENSION_STATE_ integer,
    TENANT_ID_ varchar(64),
    TASK_STATE_ varchar(64),
    primary key (ID_)
);

create table if not exists ACT_RU_CASE_EXECUTION (
    ID_ varchar(64) not null,
    REV_ integer,
    CASE_INST_ID_ varchar(64),
    SUPER_CASE_EXEC_ varchar(64),
    SUPER_EXEC_ varchar(64),
    BUSINESS_KEY_ varchar(255),
    PARENT_ID_ varchar(64),
    CASE_DEF_ID_ varchar(64),
    ACT_ID_ varchar(255),
    PREV_STATE_ integer,
    CURRENT_STATE_ integer,
    REQUIRED_ boolean,
    TENANT_ID_ varchar(64),
    primary key (ID_)
);

create table if not exists ACT_RU_VARIABLE (
    ID_ varchar(64) not null,
    REV_ integer,
    TYPE_ varchar(255) not null,
    NAME_ varchar(255) not null,
    EXECUTION_ID_ varchar(64),
    PROC_INST_ID_ varchar(64),
    PROC_DEF_ID_ varchar(64),
    CASE_EXECUTION_ID_ varchar(64),
    CASE_INST_ID_ varchar(64),
    TASK_ID_ varchar(64),
    BATCH_ID_ varchar(64),
    BYTEARRAY_ID_ varchar(64),
    DOUBLE_ double precision,
    LONG_ bigint,
    TEXT_ varchar(4000),
    TEXT2_ varchar(4000),
    VAR_SCOPE_ varchar(64),
    SEQUENCE_COUNTER_ bigint,
    IS_CONCURRENT_LOCAL_ boolean,
    TENANT_ID_ varchar(64),
    primary key (ID_)
);

-- Binary values are read back in slices (substring of BYTES_) so that a
-- download never holds the whole value in memory.  With the default storage
-- (EXTENDED) PostgreSQL compresses large values, and every slice then has to
-- decompress the value from its start; with EXTERNAL the value is stored
-- out of line but uncompressed, and a slice reads only the TOAST chunks it
-- covers.  Uploaded files are mostly compressed already (archives, images,
-- PDFs), so little space is lost.  Only rows written after this statement are
-- affected; running it again is harmless.
alter table ACT_GE_BYTEARRAY alter column BYTES_ set storage external;

-- Indexes: Camunda's names where Camunda has the index.  The scope chains of
-- the visibility rules walk PARENT_ID_, EXECUTION_ID_, CASE_EXECUTION_ID_ and
-- PARENT_TASK_ID_, and the variable lookups go by scope id, so each of those
-- columns is indexed.
create index if not exists ACT_IDX_EXEC_ROOT_PI on ACT_RU_EXECUTION(ROOT_PROC_INST_ID_);
create index if not exists ACT_IDX_EXE_PROCINST on ACT_RU_EXECUTION(PROC_INST_ID_);
create index if not exists ACT_IDX_EXE_PARENT on ACT_RU_EXECUTION(PARENT_ID_);
create index if not exists ACT_IDX_EXE_SUPER on ACT_RU_EXECUTION(SUPER_EXEC_);

create index if not exists ACT_IDX_TASK_EXEC on ACT_RU_TASK(EXECUTION_ID_);
create index if not exists ACT_IDX_TASK_PROCINST on ACT_RU_TASK(PROC_INST_ID_);
create index if not exists ACT_IDX_TASK_CASE_EXEC on ACT_RU_TASK(CASE_EXECUTION_ID_);
-- Camunda itself has no index on PARENT_TASK_ID_; the name is vardata's.
create index if not exists ACT_IDX_TASK_PARENT_TASK_ID on ACT_RU_TASK(PARENT_TASK_ID_);

create index if not exists ACT_IDX_CASE_EXE_PARENT on ACT_RU_CASE_EXECUTION(PARENT_ID_);
create index if not exists ACT_IDX_CASE_EXE_CASE_INST on ACT_RU_CASE_EXECUTION(CASE_INST_ID_);

create index if not exists ACT_IDX_VARIABLE_TASK_ID on ACT_RU_VARIABLE(TASK_ID_);
create index if not exists ACT_IDX_VARIABLE_TASK_NAME_TYPE on ACT_RU_VARIABLE(TASK_ID_, NAME_, TYPE_);
create index if not exists ACT_IDX_VAR_EXE on ACT_RU_VARIABLE(EXECUTION_ID_);
create index if not exists ACT_IDX_VAR_PROCINST on ACT_RU_VARIABLE(PROC_INST_ID_);
create index if not exists ACT_IDX_VAR_CASE_EXE on ACT_RU_VARIABLE(CASE_EXECUTION_ID_);
create index if not exists ACT_IDX_VAR_CASE_INST_ID on ACT_RU_VARIABLE(CASE_INST_ID_);
create index if not exists ACT_IDX_VAR_BYTEARRAY on ACT_RU_VARIABLE(BYTEARRAY_ID_);

-- Constraints, under Camunda's names.  ACT_UNIQ_VARIABLE is what makes two
-- concurrent first writes of one name in one scope collide instead of both
-- inserting.  There is deliberately no foreign key on ACT_RU_VARIABLE.TASK_ID_
-- (Camunda has none either).  A process instance row references itself
-- through PROC_INST_ID_; PostgreSQL checks a foreign key after the row is in,
-- so that insert passes.
DO $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT * FROM (VALUES
        ('act_ru_variable', 'act_uniq_variable',
         'alter table ACT_RU_VARIABLE add constraint ACT_UNIQ_VARIABLE unique (VAR_SCOPE_, NAME_)'),
        ('act_ru_execution', 'act_fk_exe_procinst',
         'alter table ACT_RU_EXECUTION add constraint ACT_FK_EXE_PROCINST foreign key (PROC_INST_ID_) references ACT_RU_EXECUTION (ID_)'),
        ('act_ru_execution', 'act_fk_exe_parent',
         'alter table ACT_RU_EXECUTION add constraint ACT_FK_EXE_PARENT foreign key (PARENT_ID_) references ACT_RU_EXECUTION (ID_)'),
        ('act_ru_execution', 'act_fk_exe_super',
         'alter table ACT_RU_EXECUTION add constraint ACT_FK_EXE_SUPER foreign key (SUPER_EXEC_) references ACT_RU_EXECUTION (ID_)'),
        ('act_ru_task', 'act_fk_task_exe',
         'alter table ACT_RU_TASK add constraint ACT_FK_TASK_EXE foreign key (EXECUTION_ID_) references ACT_RU_EXECUTION (ID_)'),
        ('act_ru_task', 'act_fk_task_procinst',
         'alter table ACT_RU_TASK add constraint ACT_FK_TASK_PROCINST foreign key (PROC_INST_ID_) references ACT_RU_EXECUTION (ID_)'),
        ('act_ru_task', 'act_fk_task_case_exe',
         'alter table ACT_RU_TASK add constraint ACT_FK_TASK_CASE_EXE foreign key (CASE_EXECUTION_ID_) references ACT_RU_CASE_EXECUTION (ID_)'),
        ('act_ru_case_execution', 'act_fk_case_exe_case_inst',
         'alter table ACT_RU_CASE_EXECUTION add constraint ACT_FK_CASE_EXE_CASE_INST foreign key (CASE_INST_ID_) references ACT_RU_CASE_EXECUTION (ID_)'),
        ('act_ru_case_execution', 'act_fk_case_exe_parent',
         'alter table ACT_RU_CASE_EXECUTION add constraint ACT_FK_CASE_EXE_PARENT foreign key (PARENT_ID_) references ACT_RU_CASE_EXECUTION (ID_)'),
        ('act_ru_variable', 'act_fk_var_exe',
         'alter table ACT_RU_VARIABLE add constraint ACT_FK_VAR_EXE foreign key (EXECUTION_ID_) references ACT_RU_EXECUTION (ID_)'),
        ('act_ru_variable', 'act_fk_var_procinst',
         'alter table ACT_RU_VARIABLE add constraint ACT_FK_VAR_PROCINST foreign key (PROC_INST_ID_) references ACT_RU_EXECUTION (ID_)'),
        ('act_ru_variable', 'act_fk_var_case_exe',
         'alter table ACT_RU_VARIABLE add constraint ACT_FK_VAR_CASE_EXE foreign key (CASE_EXECUTION_ID_) references ACT_RU_CASE_EXECUTION (ID_)'),
        ('act_ru_variable', 'act_fk_var_case_inst',
         'alter table ACT_RU_VARIABLE add constraint ACT_FK_VAR_CASE_INST foreign key (CASE_INST_ID_) references ACT_RU_CASE_EXECUTION (ID_)'),
        ('act_ru_variable', 'act_fk_var_bytearray',
         'alter table ACT_RU_VARIABLE add constraint ACT_FK_VAR_BYTEARRAY foreign key (BYTEARRAY_ID_) references ACT_GE_BYTEARRAY (ID_)')
    ) AS t(tbl, name, ddl)
    LOOP
        -- Skip a constraint that exists, and also a name that is taken by
        -- an index: some Camunda versions create ACT_UNIQ_VARIABLE as a
        -- unique index rather than as a constraint.
        IF NOT EXISTS (SELECT 1 FROM pg_constraint
                       WHERE conrelid = c.tbl::regclass AND conname = c.name)
           AND to_regclass(c.name) IS NULL THEN
            EXECUTE c.ddl;
        END IF;
    END LOOP;
END
$$;

COMMIT;

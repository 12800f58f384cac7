-- vardata demo data: a process instance, a case instance and a standalone
-- task, each with binary variables stored exactly as Camunda 7 stores them
-- (see doc: the behaviour contract, sections 2 and 3).  scripts/quickstart.sh
-- loads it after sql/schema.sql and prints curl commands that use these ids.
--
--   process instance  demo-pi          (definition demo-process:1:1)
--     execution       demo-exec        child of demo-pi
--       user task     demo-task        on demo-exec
--   case instance     demo-ci          (definition demo-case:1:1)
--     case execution  demo-ce          child of demo-ci
--       case task     demo-case-task   on demo-ce
--   standalone task   demo-standalone
--
--   variable      scope            type          value
--   invoice       demo-pi          bytes         a few lines of text
--   contract      demo-pi          file          contract.pdf, application/pdf, a one-page PDF
--   status        demo-pi          string        'open' (not binary: GET .../data answers 400)
--   legacyObject  demo-exec        serializable  a Java-serialized java.lang.String "hello"
--   notes         demo-task        file          notes.txt, text/plain, encoding UTF-8
--   evidence      demo-ce          bytes         eight bytes
--   draft         demo-standalone  bytes         a line of text
--
-- Running it again is safe: the scopes are created only when missing, and
-- the variables above are put back to these values (their old byte arrays
-- go too).  Variables uploaded by hand under other names are left alone.

BEGIN;

set local client_min_messages = warning;

insert into ACT_RU_EXECUTION
    (ID_, REV_, ROOT_PROC_INST_ID_, PROC_INST_ID_, BUSINESS_KEY_, PARENT_ID_, PROC_DEF_ID_,
     ACT_ID_, IS_ACTIVE_, IS_CONCURRENT_, IS_SCOPE_, IS_EVENT_SCOPE_, SUSPENSION_STATE_,
     CACHED_ENT_STATE_, SEQUENCE_COUNTER_, PROC_DEF_KEY_)
values
    ('demo-pi', 1, 'demo-pi', 'demo-pi', 'demo-order-4711', null, 'demo-process:1:1',
     null, false, false, true, false, 1, 0, 1, 'demo-process'),
    ('demo-exec', 1, 'demo-pi', 'demo-pi', null, 'demo-pi', 'demo-process:1:1',
     'reviewInvoice', true, false, true, false, 1, 0, 1, 'demo-process')
on conflict (ID_) do nothing;

insert into ACT_RU_CASE_EXECUTION
    (ID_, REV_, CASE_INST_ID_, BUSINESS_KEY_, PARENT_ID_, CASE_DEF_ID_, ACT_ID_,
     PREV_STATE_, CURRENT_STATE_, REQUIRED_)
values
    ('demo-ci', 1, 'demo-ci', 'demo-claim-42', null, 'demo-case:1:1', 'demoCase', null, 1, false),
    ('demo-ce', 1, 'demo-ci', null, 'demo-ci', 'demo-case:1:1', 'reviewClaim', null, 1, false)
on conflict (ID_) do nothing;

insert into ACT_RU_TASK
    (ID_, REV_, EXECUTION_ID_, PROC_INST_ID_, PROC_DEF_ID_, CASE_EXECUTION_ID_, CASE_INST_ID_,
     CASE_DEF_ID_, NAME_, TASK_DEF_KEY_, ASSIGNEE_, PRIORITY_, CREATE_TIME_, LAST_UPDATED_,
     SUSPENSION_STATE_, TASK_STATE_)
values
    ('demo-task', 1, 'demo-exec', 'demo-pi', 'demo-process:1:1', null, null,
     null, 'Review invoice', 'reviewInvoice', 'demo', 50, localtimestamp, null, 1, 'Created'),
    ('demo-case-task', 1, null, null, null, 'demo-ce', 'demo-ci',
     'demo-case:1:1', 'Review claim', 'reviewClaim', 'demo', 50, localtimestamp, null, 1, 'Created'),
    ('demo-standalone', 1, null, null, null, null, null,
     null, 'Standalone task', null, 'demo', 50, localtimestamp, null, 1, 'Created')
on conflict (ID_) do nothing;

-- Put the demo variables back: drop them (by id, and by scope and name in
-- case one was made anew) together with whatever byte arrays they point at
-- now, then insert them again.  Both deletes are one statement, so the
-- foreign key from the variable to its byte array is checked only when both
-- rows are gone.
with demo(scope, name) as (values
        ('demo-pi', 'invoice'), ('demo-pi', 'contract'), ('demo-pi', 'status'),
        ('demo-exec', 'legacyObject'), ('demo-task', 'notes'), ('demo-ce', 'evidence'),
        ('demo-standalone', 'draft')),
    gone as (
        delete from ACT_RU_VARIABLE v
        where v.ID_ like 'demo-var-%'
           or (v.VAR_SCOPE_, v.NAME_) in (select scope, name from demo)
        returning v.BYTEARRAY_ID_)
delete from ACT_GE_BYTEARRAY
where ID_ in (select BYTEARRAY_ID_ from gone) or ID_ like 'demo-ba-%';

insert into ACT_GE_BYTEARRAY (ID_, REV_, NAME_, BYTES_, TYPE_, CREATE_TIME_)
values
    ('demo-ba-invoice', 1, 'invoice',
     convert_to(E'INVOICE 2024-0815\nACME Corp.\nTotal: 1234.56 EUR\n', 'UTF8'), 2, localtimestamp),
    -- A one-page PDF that says "Demo contract: served by vardata".
    ('demo-ba-contract', 1, 'contract', decode(
        '255044462d312e340a312030206f626a0a3c3c202f54797065202f436174616c6f67202f506167657320322030205220' ||
        '3e3e0a656e646f626a0a322030206f626a0a3c3c202f54797065202f5061676573202f4b696473205b33203020525d20' ||
        '2f436f756e742031203e3e0a656e646f626a0a332030206f626a0a3c3c202f54797065202f50616765202f506172656e' ||
        '74203220302052202f4d65646961426f78205b30203020353935203834325d202f436f6e74656e747320342030205220' ||
        '2f5265736f7572636573203c3c202f466f6e74203c3c202f4631203520302052203e3e203e3e203e3e0a656e646f626a' ||
        '0a342030206f626a0a3c3c202f4c656e677468203633203e3e0a73747265616d0a4254202f4631203138205466203732' ||
        '20373630205464202844656d6f20636f6e74726163743a2073657276656420627920766172646174612920546a204554' ||
        '0a656e6473747265616d0a656e646f626a0a352030206f626a0a3c3c202f54797065202f466f6e74202f537562747970' ||
        '65202f5479706531202f42617365466f6e74202f48656c766574696361203e3e0a656e646f626a0a787265660a302036' ||
        '0a303030303030303030302036353533352066200a30303030303030303039203030303030206e200a30303030303030' ||
        '303538203030303030206e200a30303030303030313135203030303030206e200a303030303030303234312030303030' ||
        '30206e200a30303030303030333534203030303030206e200a747261696c65720a3c3c202f53697a652036202f526f6f' ||
        '74203120302052203e3e0a7374617274787265660a3432340a2525454f460a'
        , 'hex'), 2, localtimestamp),
    ('demo-ba-notes', 1, 'notes',
     convert_to(E'Notes on the invoice review\n- Grüße an das Team: prices checked, €1234.56 is right.\n', 'UTF8'),
     2, localtimestamp),
    -- Java serialization of the String "hello": stream magic ACED, version
    -- 0005, TC_STRING 74, length 0005, the characters.
    ('demo-ba-legacy', 1, 'legacyObject', decode('aced000574000568656c6c6f', 'hex'), 2, localtimestamp),
    ('demo-ba-evidence', 1, 'evidence', decode('00010203fcfdfeff', 'hex'), 2, localtimestamp),
    ('demo-ba-draft', 1, 'draft', convert_to(E'first draft of a standalone note\n', 'UTF8'), 2, localtimestamp);

insert into ACT_RU_VARIABLE
    (ID_, REV_, TYPE_, NAME_, EXECUTION_ID_, PROC_INST_ID_, PROC_DEF_ID_, CASE_EXECUTION_ID_,
     CASE_INST_ID_, TASK_ID_, BYTEARRAY_ID_, TEXT_, TEXT2_, VAR_SCOPE_, SEQUENCE_COUNTER_,
     IS_CONCURRENT_LOCAL_)
values
    ('demo-var-invoice', 1, 'bytes', 'invoice', 'demo-pi', 'demo-pi', 'demo-process:1:1', null,
     null, null, 'demo-ba-invoice', null, null, 'demo-pi', 1, false),
    ('demo-var-contract', 1, 'file', 'contract', 'demo-pi', 'demo-pi', 'demo-process:1:1', null,
     null, null, 'demo-ba-contract', 'contract.pdf', 'application/pdf#', 'demo-pi', 1, false),
    ('demo-var-status', 1, 'string', 'status', 'demo-pi', 'demo-pi', 'demo-process:1:1', null,
     null, null, null, 'open', null, 'demo-pi', 1, false),
    ('demo-var-legacy', 1, 'serializable', 'legacyObject', 'demo-exec', 'demo-pi', 'demo-process:1:1', null,
     null, null, 'demo-ba-legacy', null, 'java.lang.String', 'demo-exec', 1, false),
    ('demo-var-notes', 1, 'file', 'notes', 'demo-exec', 'demo-pi', 'demo-process:1:1', null,
     null, 'demo-task', 'demo-ba-notes', 'notes.txt', 'text/plain#UTF-8', 'demo-task', 1, false),
    ('demo-var-evidence', 1, 'bytes', 'evidence', null, null, null, 'demo-ce',
     'demo-ci', null, 'demo-ba-evidence', null, null, 'demo-ce', 1, false),
    ('demo-var-draft', 1, 'bytes', 'draft', null, null, null, null,
     null, 'demo-standalone', 'demo-ba-draft', null, null, 'demo-standalone', 1, false);

COMMIT;

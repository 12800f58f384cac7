// Spec section 2, the tables sql/schema.sql creates (names, types, keys,
// indexes and foreign keys), and spec section 3 for the writes of the
// family endpoints: the rows that
// POST /execution/{id}/localVariables/{name}/data and
// POST /case-execution/{id}/(local)variables/{name}/data leave in
// ACT_RU_VARIABLE and ACT_GE_BYTEARRAY, column by column; updates; that an
// execution-local write never touches a task's variables or the task row;
// concurrent writers.

import assert from 'node:assert/strict';
import path from 'node:path';
import { SRCDIR, suite } from './harness.mjs';
import { UUID_V4, assertColumns, assertNoContent, assertValue } from './expect.mjs';

const E = '/engine-rest';
const OCTET = 'application/octet-stream';
const CONCURRENT_WRITERS = 12;

// Spec section 2: the columns of each table, as "name type", types as
// information_schema spells them (varchar lengths included).
const V = (n) => `character varying(${n})`;
const TS = 'timestamp without time zone';
const TABLES = {
	act_ge_bytearray: [
		['id_', V(64)], ['rev_', 'integer'], ['name_', V(255)], ['deployment_id_', V(64)], ['bytes_', 'bytea'],
		['generated_', 'boolean'], ['tenant_id_', V(64)], ['type_', 'integer'], ['create_time_', TS],
		['root_proc_inst_id_', V(64)], ['removal_time_', TS],
	],
	act_ru_execution: [
		['id_', V(64)], ['rev_', 'integer'], ['root_proc_inst_id_', V(64)], ['proc_inst_id_', V(64)],
		['business_key_', V(255)], ['parent_id_', V(64)], ['proc_def_id_', V(64)], ['super_exec_', V(64)],
		['super_case_exec_', V(64)], ['case_inst_id_', V(64)], ['act_id_', V(255)], ['act_inst_id_', V(64)],
		['is_active_', 'boolean'], ['is_concurrent_', 'boolean'], ['is_scope_', 'boolean'], ['is_event_scope_', 'boolean'],
		['suspension_state_', 'integer'], ['cached_ent_state_', 'integer'], ['sequence_counter_', 'bigint'],
		['tenant_id_', V(64)], ['proc_def_key_', V(255)],
	],
	act_ru_task: [
		['id_', V(64)], ['rev_', 'integer'], ['execution_id_', V(64)], ['proc_inst_id_', V(64)], ['proc_def_id_', V(64)],
		['case_execution_id_', V(64)], ['case_inst_id_', V(64)], ['case_def_id_', V(64)], ['name_', V(255)],
		['parent_task_id_', V(64)], ['description_', V(4000)], ['task_def_key_', V(255)], ['owner_', V(255)],
		['assignee_', V(255)], ['delegation_', V(64)], ['priority_', 'integer'], ['create_time_', TS],
		['last_updated_', TS], ['due_date_', TS], ['follow_up_date_', TS], ['suspension_state_', 'integer'],
		['tenant_id_', V(64)], ['task_state_', V(64)],
	],
	act_ru_case_execution: [
		['id_', V(64)], ['rev_', 'integer'], ['case_inst_id_', V(64)], ['super_case_exec_', V(64)], ['super_exec_', V(64)],
		['business_key_', V(255)], ['parent_id_', V(64)], ['case_def_id_', V(64)], ['act_id_', V(255)],
		['prev_state_', 'integer'], ['current_state_', 'integer'], ['required_', 'boolean'], ['tenant_id_', V(64)],
	],
	act_ru_variable: [
		['id_', V(64)], ['rev_', 'integer'], ['type_', V(255)], ['name_', V(255)], ['execution_id_', V(64)],
		['proc_inst_id_', V(64)], ['proc_def_id_', V(64)], ['case_execution_id_', V(64)], ['case_inst_id_', V(64)],
		['task_id_', V(64)], ['batch_id_', V(64)], ['bytearray_id_', V(64)], ['double_', 'double precision'],
		['long_', 'bigint'], ['text_', V(4000)], ['text2_', V(4000)], ['var_scope_', V(64)],
		['sequence_counter_', 'bigint'], ['is_concurrent_local_', 'boolean'], ['tenant_id_', V(64)],
	],
};

// Columns of every new variable row (spec section 3).
const NEW_ROW = { rev_: 1, sequence_counter_: 1, is_concurrent_local_: false, batch_id_: null, double_: null, long_: null };
// Process columns of a row in a case scope, and case columns of a row in a process scope.
const NO_PROCESS = { execution_id_: null, proc_inst_id_: null, proc_def_id_: null };
const NO_CASE = { case_execution_id_: null, case_inst_id_: null };

suite('storage of the family endpoints', {}, (s, test) => {
	// pi (tenant-pi) -> exe (tenant-exe), a user task on exe.
	async function processWorld() {
		const w = { pi: s.uid('pi'), exe: s.uid('exe'), task: s.uid('task') };
		await s.createProcessInstance(w.pi, { tenantId: 'tenant-pi', children: [{ id: w.exe, tenantId: 'tenant-exe' }] });
		await s.createTask(w.task, { executionId: w.exe });
		return w;
	}

	// ci (tenant-ci) -> ce (tenant-ce), a case task on ce.
	async function caseWorld() {
		const w = { ci: s.uid('ci'), ce: s.uid('ce'), ctask: s.uid('ctask') };
		await s.createCaseInstance(w.ci, { tenantId: 'tenant-ci', children: [{ id: w.ce, tenantId: 'tenant-ce' }] });
		await s.createTask(w.ctask, { caseExecutionId: w.ce });
		return w;
	}

	const execUrl = (id, n) => `${E}/execution/${id}/localVariables/${n}/data`;
	const ceUrl = (id, n) => `${E}/case-execution/${id}/variables/${n}/data`;
	const ceLocalUrl = (id, n) => `${E}/case-execution/${id}/localVariables/${n}/data`;

	// The byte-array row of a variable row: new UUID, REV_ 1, NAME_ the
	// variable name, TYPE_ 2, CREATE_TIME_ set, the rest null; the bytes.
	async function assertBytearray(row, name, bytes) {
		assert.match(row.bytearray_id_, UUID_V4, 'BYTEARRAY_ID_ is a new random UUID');
		const ba = await s.bytearray(row.bytearray_id_);
		assert.ok(ba, 'the byte-array row exists');
		assert.notEqual(ba.create_time_, null, 'CREATE_TIME_ set');
		assertColumns(ba, {
			id_: row.bytearray_id_, rev_: 1, name_: name, deployment_id_: null, generated_: null,
			tenant_id_: null, type_: 2, root_proc_inst_id_: null, removal_time_: null,
		}, 'byte-array row');
		assert.ok(ba.bytes.equals(bytes), `BYTES_: got ${ba.bytes.length} bytes ${ba.bytes.subarray(0, 32).toString('hex')}`);
	}

	async function onlyRow(name) {
		const rows = await s.variables(name);
		assert.equal(rows.length, 1, `exactly one row named ${name}`);
		return rows[0];
	}

	// ================= section 2: the tables =================

	test('sql/schema.sql: the five tables with Camunda\'s exact column names and types, names folded to lower case', async () => {
		for (const [table, columns] of Object.entries(TABLES)) {
			const got = await s.rows(`select column_name as name,
				data_type || coalesce('(' || character_maximum_length || ')', '') as type
				from information_schema.columns where table_schema = current_schema() and table_name = '${table}'
				order by column_name`);
			assert.deepEqual(got.map((c) => [c.name, c.type]), [...columns].sort((a, b) => (a[0] < b[0] ? -1 : 1)), table);
		}
		const notNull = await s.rows(`select column_name from information_schema.columns
			where table_schema = current_schema() and table_name = 'act_ru_variable' and is_nullable = 'NO' order by 1`);
		assert.deepEqual(notNull.map((r) => r.column_name), ['id_', 'name_', 'type_'], 'ACT_RU_VARIABLE: TYPE_ and NAME_ not null (and the key)');
	});

	test('sql/schema.sql: ID_ keys, unique (VAR_SCOPE_, NAME_), the ACT_RU_VARIABLE indexes and foreign keys', async () => {
		const pk = await s.rows(`select t.relname as t, a.attname as c from pg_constraint k
			join pg_class t on t.oid = k.conrelid join pg_attribute a on a.attrelid = t.oid and a.attnum = any (k.conkey)
			where k.contype = 'p' and t.relname in (${Object.keys(TABLES).map((n) => `'${n}'`).join(', ')}) order by 1, 2`);
		assert.deepEqual(pk.map((r) => [r.t, r.c]), Object.keys(TABLES).sort().map((n) => [n, 'id_']), 'primary keys');
		// Unique (VAR_SCOPE_, NAME_), as a constraint or a unique index (Camunda has had both).
		const uniq = await s.rows(`select array_to_string(array(select a.attname from unnest(i.indkey) with ordinality k(n, o)
				join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.n order by k.o), ',') as cols
			from pg_index i join pg_class t on t.oid = i.indrelid
			where t.relname = 'act_ru_variable' and i.indisunique and not i.indisprimary`);
		assert.ok(uniq.some((r) => r.cols === 'var_scope_,name_'), `unique (var_scope_, name_): ${JSON.stringify(uniq)}`);
		const firsts = await s.rows(`select distinct a.attname as c from pg_index i join pg_class t on t.oid = i.indrelid
			join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0] where t.relname = 'act_ru_variable'`);
		for (const c of ['task_id_', 'execution_id_', 'proc_inst_id_', 'case_execution_id_', 'bytearray_id_'])
			assert.ok(firsts.some((r) => r.c === c), `an index on ACT_RU_VARIABLE(${c})`);
		const fks = await s.rows(`select a.attname as c, r.relname as ref, ra.attname as refcol from pg_constraint k
			join pg_class t on t.oid = k.conrelid join pg_attribute a on a.attrelid = t.oid and a.attnum = k.conkey[1]
			join pg_class r on r.oid = k.confrelid join pg_attribute ra on ra.attrelid = r.oid and ra.attnum = k.confkey[1]
			where k.contype = 'f' and t.relname = 'act_ru_variable' order by 1`);
		assert.deepEqual(fks.map((r) => [r.c, r.ref, r.refcol]), [
			['bytearray_id_', 'act_ge_bytearray', 'id_'],
			['case_execution_id_', 'act_ru_case_execution', 'id_'],
			['case_inst_id_', 'act_ru_case_execution', 'id_'],
			['execution_id_', 'act_ru_execution', 'id_'],
			['proc_inst_id_', 'act_ru_execution', 'id_'],
		], 'foreign keys of ACT_RU_VARIABLE (none on TASK_ID_)');
	});

	test('sql/schema.sql is idempotent: loading it again changes nothing and keeps the rows', async () => {
		const w = await processWorld();
		assertNoContent(await s.putBytes(execUrl(w.exe, 'kept'), Buffer.from('kept')));
		const before = await s.rows(`select table_name, column_name, data_type from information_schema.columns
			where table_schema = current_schema() order by 1, 2`);
		await s.psql(['-f', path.join(SRCDIR, 'sql', 'schema.sql')]);
		assert.deepEqual(await s.rows(`select table_name, column_name, data_type from information_schema.columns
			where table_schema = current_schema() order by 1, 2`), before);
		assertValue(await s.get(execUrl(w.exe, 'kept')), { contentType: OCTET, body: 'kept' });
	});

	// ================= execution localVariables =================

	test('execution localVariables: new Bytes in a child execution: every column of both rows, TASK_ID_ null', async () => {
		const w = await processWorld();
		assertNoContent(await s.putBytes(execUrl(w.exe, 'eb'), Buffer.from('exec bytes')));
		const row = await onlyRow('eb');
		assert.match(row.id_, UUID_V4, 'ID_ is a new random UUID');
		assertColumns(row, {
			...NEW_ROW, ...NO_CASE, type_: 'bytes', name_: 'eb', text_: null, text2_: null,
			execution_id_: w.exe, proc_inst_id_: w.pi, proc_def_id_: `proc-def:1:${w.pi}`,
			task_id_: null, var_scope_: w.exe, tenant_id_: 'tenant-exe',
		}, 'variable row');
		await assertBytearray(row, 'eb', Buffer.from('exec bytes'));
	});

	test('execution localVariables: new Bytes in the process instance itself (the external-task client\'s URL)', async () => {
		const w = await processWorld();
		assertNoContent(await s.putBytes(execUrl(w.pi, 'pb'), Buffer.from('pi bytes')));
		const row = await onlyRow('pb');
		assertColumns(row, {
			...NEW_ROW, ...NO_CASE, type_: 'bytes', name_: 'pb', text_: null, text2_: null,
			execution_id_: w.pi, proc_inst_id_: w.pi, proc_def_id_: `proc-def:1:${w.pi}`,
			task_id_: null, var_scope_: w.pi, tenant_id_: 'tenant-pi',
		}, 'variable row');
		await assertBytearray(row, 'pb', Buffer.from('pi bytes'));
	});

	test('execution localVariables: File -> TYPE_ file, TEXT_ the filename, TEXT2_ "mime#enc" or "mime#"', async () => {
		const w = await processWorld();
		for (const [name, ct, text2] of [
			['fenc', 'text/plain; encoding=UTF-8', 'text/plain#UTF-8'],
			['fnoenc', 'Application/PDF; charset=UTF-8', 'application/pdf#'],
			['fnoct', undefined, 'application/octet-stream#'],
		]) {
			assertNoContent(await s.postMultipart(execUrl(w.exe, name), [
				{ name: 'data', filename: `${name} ü.bin`, contentType: ct, data: name },
				{ name: 'valueType', data: 'File' },
			]));
			const row = await onlyRow(name);
			assertColumns(row, {
				...NEW_ROW, ...NO_CASE, type_: 'file', name_: name, text_: `${name} ü.bin`, text2_: text2,
				execution_id_: w.exe, proc_inst_id_: w.pi, task_id_: null, var_scope_: w.exe, tenant_id_: 'tenant-exe',
			}, `variable row (${ct})`);
			await assertBytearray(row, name, Buffer.from(name));
		}
	});

	test('execution localVariables: serializable -> TYPE_ serializable, the bytes as sent', async () => {
		const w = await processWorld();
		const ser = Buffer.from('aced00057372000e6a6176612e6c616e672e4c6f6e67', 'hex');
		assertNoContent(await s.postMultipart(execUrl(w.exe, 'ser'), [
			{ name: 'data', contentType: 'application/x-java-serialized-object', data: ser },
			{ name: 'valueType', data: 'serializable' },
		]));
		const row = await onlyRow('ser');
		assertColumns(row, {
			...NEW_ROW, type_: 'serializable', text_: null, text2_: null, execution_id_: w.exe, task_id_: null, var_scope_: w.exe,
		}, 'variable row');
		await assertBytearray(row, 'ser', ser);
	});

	test('execution localVariables: deprecated type + JSON -> TYPE_ spin://application/json, TEXT2_ the type name, UTF-8 JSON bytes', async () => {
		const w = await processWorld();
		const json = '{"name":"Ünïcødé","n":[1,2]}';
		assertNoContent(await s.postMultipart(execUrl(w.exe, 'js'), [
			{ name: 'data', contentType: 'application/json', data: json },
			{ name: 'type', data: 'com.example.Order' },
		]));
		const row = await onlyRow('js');
		assertColumns(row, {
			...NEW_ROW, type_: 'spin://application/json', text_: null, text2_: 'com.example.Order',
			execution_id_: w.exe, proc_inst_id_: w.pi, task_id_: null, var_scope_: w.exe,
		}, 'variable row');
		const ba = await s.bytearray(row.bytearray_id_);
		assert.deepEqual(JSON.parse(ba.bytes.toString('utf8')), JSON.parse(json));
		assertColumns(ba, { rev_: 1, name_: 'js', type_: 2 }, 'byte-array row');
	});

	test('execution localVariables: update of an engine-written variable: same ID_, REV_ and SEQUENCE_COUNTER_ + 1, new byte array, old deleted', async () => {
		const w = await processWorld();
		const old = await s.insertVariable({ name: 'up', bytes: Buffer.from('old'), executionId: w.exe });
		assertNoContent(await s.putBytes(execUrl(w.exe, 'up'), Buffer.from('new')));
		const row = await onlyRow('up');
		assertColumns(row, {
			id_: old.id, rev_: 2, sequence_counter_: 2, type_: 'bytes', text_: null, text2_: null,
			execution_id_: w.exe, proc_inst_id_: w.pi, task_id_: null, var_scope_: w.exe, tenant_id_: 'tenant-exe',
		}, 'variable row');
		assert.notEqual(row.bytearray_id_, old.bytearrayId);
		await assertBytearray(row, 'up', Buffer.from('new'));
		assert.equal(await s.bytearray(old.bytearrayId), null, 'the old byte array is deleted');
		assertNoContent(await s.putBytes(execUrl(w.exe, 'up'), Buffer.from('newer')));
		assertColumns(await onlyRow('up'), { id_: old.id, rev_: 3, sequence_counter_: 3 }, 'second update');
		assert.deepEqual(await s.orphanBytearrays(), []);
	});

	test('execution localVariables: update of long, double, string and File variables: DOUBLE_/LONG_ nulled, TEXT_/TEXT2_ recomputed', async () => {
		const w = await processWorld();
		await s.insertVariable({ name: 'l', type: 'long', long: 42, text: '42', executionId: w.exe });
		await s.insertVariable({ name: 'd', type: 'double', double: 2.5, text: '2.5', executionId: w.exe });
		await s.insertVariable({ name: 'st', type: 'string', text: 'hello', executionId: w.exe });
		await s.insertVariable({ name: 'fi', type: 'file', text: 'a.txt', text2: 'text/plain#', bytes: Buffer.from('f'), executionId: w.exe });
		for (const n of ['l', 'd', 'st', 'fi']) {
			assertNoContent(await s.putBytes(execUrl(w.exe, n), Buffer.from(`now ${n}`)));
			const row = await onlyRow(n);
			assertColumns(row, {
				rev_: 2, sequence_counter_: 2, type_: 'bytes', long_: null, double_: null, text_: null, text2_: null, task_id_: null,
			}, `${n}: variable row`);
			await assertBytearray(row, n, Buffer.from(`now ${n}`));
		}
		assertNoContent(await s.postMultipart(execUrl(w.exe, 'l'), [
			{ name: 'data', filename: 'back.txt', contentType: 'text/html', data: '<p/>' },
			{ name: 'valueType', data: 'File' },
		]));
		assertColumns(await onlyRow('l'), { rev_: 3, type_: 'file', text_: 'back.txt', text2_: 'text/html#' }, 'Bytes -> File');
		assert.deepEqual(await s.orphanBytearrays(), []);
	});

	test('execution localVariables: a task-local variable of the same name on a task of that execution, and the task row, stay as they were', async () => {
		const w = await processWorld();
		const twin = await s.insertVariable({ name: 'twin', bytes: Buffer.from('task value'), taskId: w.task });
		const twinBefore = await s.variable(w.task, 'twin');
		const taskBefore = await s.task(w.task);
		assertNoContent(await s.putBytes(execUrl(w.exe, 'twin'), Buffer.from('exec 1')));
		assertNoContent(await s.putBytes(execUrl(w.exe, 'twin'), Buffer.from('exec 2')));
		const rows = await s.variables('twin');
		assert.equal(rows.length, 2, 'a second row, in the execution');
		const execRow = rows.find((r) => r.var_scope_ === w.exe);
		assertColumns(execRow, {
			rev_: 2, sequence_counter_: 2, execution_id_: w.exe, proc_inst_id_: w.pi, task_id_: null, var_scope_: w.exe,
		}, 'the execution\'s row');
		assert.deepEqual(await s.variable(w.task, 'twin'), twinBefore, 'the task-local row, every column unchanged');
		assert.ok((await s.bytearray(twin.bytearrayId)).bytes.equals(Buffer.from('task value')), 'the task-local value unchanged');
		assert.deepEqual(await s.task(w.task), taskBefore, 'the task row, every column unchanged');
		assertValue(await s.get(`${E}/task/${w.task}/localVariables/twin/data`), { contentType: OCTET, body: 'task value' });
	});

	test('execution localVariables: a new name on an execution with a task: TASK_ID_ null and the task row untouched', async () => {
		const w = await processWorld();
		const taskBefore = await s.task(w.task);
		assertNoContent(await s.putBytes(execUrl(w.exe, 'fresh'), Buffer.from('e')));
		assertColumns(await onlyRow('fresh'), { task_id_: null, var_scope_: w.exe, execution_id_: w.exe }, 'variable row');
		assert.deepEqual(await s.task(w.task), taskBefore, 'the task row, every column unchanged');
	});

	// ================= case-execution variables / localVariables =================

	test('case-execution variables: a new name lands in the case instance: case columns from it, no process columns', async () => {
		const w = await caseWorld();
		assertNoContent(await s.putBytes(ceUrl(w.ce, 'cb'), Buffer.from('case bytes')));
		const row = await onlyRow('cb');
		assert.match(row.id_, UUID_V4, 'ID_ is a new random UUID');
		assertColumns(row, {
			...NEW_ROW, ...NO_PROCESS, type_: 'bytes', name_: 'cb', text_: null, text2_: null,
			case_execution_id_: w.ci, case_inst_id_: w.ci, task_id_: null, var_scope_: w.ci, tenant_id_: 'tenant-ci',
		}, 'variable row');
		await assertBytearray(row, 'cb', Buffer.from('case bytes'));
	});

	test('case-execution localVariables: a new name in a child case execution: its id, the instance, its tenant', async () => {
		const w = await caseWorld();
		assertNoContent(await s.putBytes(ceLocalUrl(w.ce, 'lb'), Buffer.from('local bytes')));
		const row = await onlyRow('lb');
		assertColumns(row, {
			...NEW_ROW, ...NO_PROCESS, type_: 'bytes', name_: 'lb', text_: null, text2_: null,
			case_execution_id_: w.ce, case_inst_id_: w.ci, task_id_: null, var_scope_: w.ce, tenant_id_: 'tenant-ce',
		}, 'variable row');
		await assertBytearray(row, 'lb', Buffer.from('local bytes'));
	});

	test('case-execution: File, serializable and JSON values -> TYPE_, TEXT_, TEXT2_ as spec section 3', async () => {
		const w = await caseWorld();
		assertNoContent(await s.postMultipart(ceLocalUrl(w.ce, 'cf'), [
			{ name: 'data', filename: 'case.csv', contentType: 'text/csv; encoding=ISO-8859-1', data: 'a;b\n' },
			{ name: 'valueType', data: 'file' },
		]));
		assertNoContent(await s.postMultipart(ceUrl(w.ce, 'cs'), [
			{ name: 'data', data: Buffer.from('aced0005', 'hex') },
			{ name: 'variableType', data: 'Serializable' },
		]));
		assertNoContent(await s.postMultipart(ceLocalUrl(w.ce, 'cj'), [
			{ name: 'data', contentType: 'application/json', data: '[true]' },
			{ name: 'type', data: 'java.util.ArrayList' },
		]));
		const base = { ...NEW_ROW, ...NO_PROCESS, task_id_: null, case_inst_id_: w.ci };
		const cf = await onlyRow('cf');
		assertColumns(cf, { ...base, type_: 'file', text_: 'case.csv', text2_: 'text/csv#ISO-8859-1', case_execution_id_: w.ce, var_scope_: w.ce, tenant_id_: 'tenant-ce' }, 'File row');
		await assertBytearray(cf, 'cf', Buffer.from('a;b\n'));
		const cs = await onlyRow('cs');
		assertColumns(cs, { ...base, type_: 'serializable', text_: null, text2_: null, case_execution_id_: w.ci, var_scope_: w.ci, tenant_id_: 'tenant-ci' }, 'serializable row');
		await assertBytearray(cs, 'cs', Buffer.from('aced0005', 'hex'));
		const cj = await onlyRow('cj');
		assertColumns(cj, { ...base, type_: 'spin://application/json', text_: null, text2_: 'java.util.ArrayList', case_execution_id_: w.ce, var_scope_: w.ce }, 'JSON row');
		await assertBytearray(cj, 'cj', Buffer.from('[true]'));
	});

	test('case-execution variables: update of the case execution\'s variable: same row REV_ + 1, new byte array; a case task\'s twin and the task row untouched', async () => {
		const w = await caseWorld();
		const old = await s.insertVariable({ name: 'cu', type: 'integer', long: 7, text: '7', caseExecutionId: w.ce });
		const twin = await s.insertVariable({ name: 'cu', bytes: Buffer.from('task'), taskId: w.ctask });
		const twinBefore = await s.variable(w.ctask, 'cu');
		const taskBefore = await s.task(w.ctask);
		assertNoContent(await s.putBytes(ceUrl(w.ce, 'cu'), Buffer.from('updated')));
		const row = await s.variable(w.ce, 'cu');
		assertColumns(row, {
			id_: old.id, rev_: 2, sequence_counter_: 2, type_: 'bytes', long_: null, double_: null, text_: null, text2_: null,
			case_execution_id_: w.ce, case_inst_id_: w.ci, task_id_: null, var_scope_: w.ce,
		}, 'variable row');
		await assertBytearray(row, 'cu', Buffer.from('updated'));
		assert.deepEqual(await s.variable(w.ctask, 'cu'), twinBefore, 'the case task\'s row, every column unchanged');
		assert.ok((await s.bytearray(twin.bytearrayId)).bytes.equals(Buffer.from('task')));
		assert.deepEqual(await s.task(w.ctask), taskBefore, 'the case task row, every column unchanged');
		assert.deepEqual(await s.orphanBytearrays(), []);
	});

	// ================= concurrent writers =================

	async function assertSingleRow(scope, name, rev, values) {
		const row = await onlyRow(name);
		assertColumns(row, { var_scope_: scope, rev_: rev, sequence_counter_: rev, type_: 'bytes' }, 'variable row');
		const bas = await s.rows(`select id_ from act_ge_bytearray where name_ = '${name}'`);
		assert.deepEqual(bas.map((r) => r.id_), [row.bytearray_id_], 'exactly one byte array for it');
		const value = (await s.bytearray(row.bytearray_id_)).bytes.toString();
		assert.ok(values.includes(value), `the final value is one of the values sent: ${value}`);
	}

	test(`${CONCURRENT_WRITERS} concurrent first writes of a new name on each family endpoint: all 204, one row each`, async () => {
		const p = await processWorld();
		const c = await caseWorld();
		for (const [url, scope, name] of [
			[execUrl(p.exe, 'race1'), p.exe, 'race1'],
			[ceLocalUrl(c.ce, 'race2'), c.ce, 'race2'],
			[ceUrl(c.ce, 'race3'), c.ci, 'race3'],
		]) {
			const { results, values } = await s.parallelPosts(url, name, CONCURRENT_WRITERS);
			for (const r of results)
				assertNoContent(r);
			await assertSingleRow(scope, name, CONCURRENT_WRITERS, values);
		}
		assert.deepEqual(await s.orphanBytearrays(), []);
	});

	test(`${CONCURRENT_WRITERS} concurrent updates of one execution variable: all 204, no lost update`, async () => {
		const w = await processWorld();
		await s.insertVariable({ name: 'hot', bytes: Buffer.from('initial'), executionId: w.exe });
		const taskBefore = await s.task(w.task);
		const { results, values } = await s.parallelPosts(execUrl(w.exe, 'hot'), 'hot', CONCURRENT_WRITERS);
		for (const r of results)
			assertNoContent(r);
		await assertSingleRow(w.exe, 'hot', 1 + CONCURRENT_WRITERS, values);
		assert.deepEqual(await s.task(w.task), taskBefore, 'the task row, unchanged');
		assert.deepEqual(await s.orphanBytearrays(), []);
	});
});

// Spec section 3: the rows a write leaves behind, column by column; updates;
// the task row; byte-exact and large values; concurrent writers.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { suite } from './harness.mjs';
import { UUID_V4, allBytes, assertColumns, assertNoContent, assertValue } from './expect.mjs';

const E = '/engine-rest';
const OCTET = 'application/octet-stream';
const CONCURRENT_WRITERS = 20;

suite('storage', {}, (s, test) => {
	async function processWorld({ piTenant = null, taskTenant = null } = {}) {
		const w = { pi: s.uid('pi'), exe: s.uid('exe'), task: s.uid('task') };
		await s.createProcessInstance(w.pi, { tenantId: piTenant, children: [{ id: w.exe }] });
		await s.createTask(w.task, { executionId: w.exe, tenantId: taskTenant });
		return w;
	}

	// Checks the byte-array row of a variable row: spec section 3.
	async function assertBytearray(row, name, bytes) {
		assert.match(row.bytearray_id_, UUID_V4, 'BYTEARRAY_ID_ is a new random UUID');
		const ba = await s.bytearray(row.bytearray_id_);
		assert.ok(ba, 'the byte-array row exists');
		assert.ok(ba.create_time_ !== null, 'CREATE_TIME_ set');
		assertColumns(ba, {
			id_: row.bytearray_id_, rev_: 1, name_: name, deployment_id_: null, generated_: null,
			tenant_id_: null, type_: 2, root_proc_inst_id_: null, removal_time_: null,
		}, 'byte-array row');
		assert.ok(ba.bytes.equals(bytes), `BYTES_: got ${ba.bytes.length} bytes`);
	}

	const NEW_ROW = { rev_: 1, sequence_counter_: 1, is_concurrent_local_: false, batch_id_: null, double_: null, long_: null };

	// Issue 5: a download reads a value in slices, and substring() on a
	// TOASTed value only reads the slice when the value is stored
	// uncompressed out of line.
	test('sql/schema.sql stores BYTES_ as STORAGE EXTERNAL: a compressible 3 MiB value is stored uncompressed', async () => {
		const [[storage]] = await s.sql(`select attstorage from pg_attribute
			where attrelid = 'act_ge_bytearray'::regclass and attname = 'bytes_'`);
		assert.equal(storage, 'e', 'ACT_GE_BYTEARRAY.BYTES_ has STORAGE EXTERNAL');
		const w = await processWorld();
		const value = Buffer.alloc(3 * 1024 * 1024, 'a');
		assertNoContent(await s.putBytes(`${E}/task/${w.task}/localVariables/plain/data`, value));
		const [[compression, length]] = await s.sql(`select coalesce(pg_column_compression(b.bytes_), 'none'),
			octet_length(b.bytes_) from act_ru_variable v join act_ge_bytearray b on b.id_ = v.bytearray_id_
			where v.var_scope_ = '${w.task}' and v.name_ = 'plain'`);
		assert.equal(length, String(value.length));
		assert.equal(compression, 'none', 'the value is not compressed');
	});

	// A Camunda engine's own tables keep STORAGE EXTENDED, so values it
	// wrote are often compressed.  Every slice of such a value would
	// decompress it from its start, so vardata reads the rest of it from one
	// decompression, in one statement (vd_slices), row by row.
	test('a value stored compressed (STORAGE EXTENDED) downloads whole and in ranges, byte for byte', async () => {
		const w = await processWorld();
		const ba = `${w.pi}-ba`;
		// Made by PostgreSQL itself: far too large for a psql command line.
		await s.sql(`alter table act_ge_bytearray alter column bytes_ set storage extended;
			insert into act_ge_bytearray (id_, rev_, name_, bytes_, type_, create_time_)
			select '${ba}', 1, 'log', convert_to(string_agg(lpad((i % 7919)::text, 6) || ' a line of a log file '
				|| (i % 13)::text, E'\\n' order by i), 'UTF8'), 2, now() from generate_series(1, 200000) i;
			alter table act_ge_bytearray alter column bytes_ set storage external;
			insert into act_ru_variable (id_, rev_, type_, name_, execution_id_, proc_inst_id_, proc_def_id_,
				bytearray_id_, var_scope_, sequence_counter_, is_concurrent_local_)
			values ('${w.pi}-var', 1, 'bytes', 'log', '${w.pi}', '${w.pi}', 'proc-def:1:${w.pi}', '${ba}',
				'${w.pi}', 1, false)`);
		const md5 = (b) => crypto.createHash('md5').update(b).digest('hex');
		const [[compression, length, whole]] = await s.sql(`select pg_column_compression(bytes_),
			octet_length(bytes_), md5(bytes_) from act_ge_bytearray where id_ = '${ba}'`);
		assert.equal(compression, 'pglz', 'stored compressed, as by an engine');
		assert.ok(Number(length) > 5 * 1024 * 1024, `several slices of 1 MiB (${length} bytes)`);
		const url = `${E}/task/${w.task}/variables/log/data`;
		const r = await s.request('GET', url);
		assert.equal(r.status, 200);
		assert.equal(r.body.length, Number(length));
		assert.equal(md5(r.body), whole, 'the value, byte for byte');
		for (const [from, to] of [[1048570, 3145738], [4_000_000, Number(length) - 1]]) {
			const range = `bytes=${from}-${to}`;
			const p = await s.request('GET', url, { headers: { Range: range } });
			assert.equal(p.status, 206, range);
			const [[part]] = await s.sql(`select md5(substring(bytes_ from ${from + 1} for ${to - from + 1}))
				from act_ge_bytearray where id_ = '${ba}'`);
			assert.equal(md5(p.body), part, `${range}: those bytes`);
		}
	});

	test('new Bytes in a task with an execution: every column of both rows', async () => {
		const w = await processWorld({ piTenant: 'tenant-a' });
		const bytes = Buffer.from('task bytes');
		assertNoContent(await s.putBytes(`${E}/task/${w.task}/localVariables/tb/data`, bytes));
		const row = await s.variable(w.task, 'tb');
		assert.match(row.id_, UUID_V4, 'ID_ is a new random UUID');
		assertColumns(row, {
			...NEW_ROW, type_: 'bytes', name_: 'tb', text_: null, text2_: null,
			execution_id_: w.exe, proc_inst_id_: w.pi, proc_def_id_: `proc-def:1:${w.pi}`,
			case_execution_id_: null, case_inst_id_: null, task_id_: w.task, var_scope_: w.task,
			tenant_id_: 'tenant-a',
		}, 'variable row');
		await assertBytearray(row, 'tb', bytes);
	});

	test('TENANT_ID_ of a task variable: the task\'s tenant first, then the execution\'s', async () => {
		const w = await processWorld({ piTenant: 'exec-tenant', taskTenant: 'task-tenant' });
		assertNoContent(await s.putBytes(`${E}/task/${w.task}/localVariables/tt/data`, Buffer.from('t')));
		assert.equal((await s.variable(w.task, 'tt')).tenant_id_, 'task-tenant');
	});

	test('new Bytes in a case task: case columns from the case execution, no process columns', async () => {
		const ci = s.uid('ci');
		const ce = s.uid('ce');
		const task = s.uid('ctask');
		await s.createCaseInstance(ci, { tenantId: 'case-tenant', children: [{ id: ce }] });
		await s.createTask(task, { caseExecutionId: ce });
		assertNoContent(await s.putBytes(`${E}/task/${task}/localVariables/cb/data`, Buffer.from('case')));
		const row = await s.variable(task, 'cb');
		assertColumns(row, {
			...NEW_ROW, type_: 'bytes', name_: 'cb', text_: null, text2_: null,
			execution_id_: null, proc_inst_id_: null, proc_def_id_: null,
			case_execution_id_: ce, case_inst_id_: ci, task_id_: task, var_scope_: task, tenant_id_: null,
		}, 'variable row');
		await assertBytearray(row, 'cb', Buffer.from('case'));
	});

	test('new Bytes in a standalone task: only TASK_ID_ and VAR_SCOPE_ name a scope', async () => {
		const task = s.uid('alone');
		await s.createTask(task, { tenantId: 'solo-tenant' });
		assertNoContent(await s.putBytes(`${E}/task/${task}/variables/sb/data`, Buffer.from('solo')));
		const row = await s.variable(task, 'sb');
		assertColumns(row, {
			...NEW_ROW, type_: 'bytes', name_: 'sb', text_: null, text2_: null,
			execution_id_: null, proc_inst_id_: null, proc_def_id_: null,
			case_execution_id_: null, case_inst_id_: null, task_id_: task, var_scope_: task, tenant_id_: 'solo-tenant',
		}, 'variable row');
	});

	test('new Bytes in a process instance: execution columns from that execution', async () => {
		const w = await processWorld({ piTenant: 'pi-tenant' });
		assertNoContent(await s.putBytes(`${E}/process-instance/${w.pi}/variables/pb/data`, Buffer.from('pi')));
		const row = await s.variable(w.pi, 'pb');
		assertColumns(row, {
			...NEW_ROW, type_: 'bytes', name_: 'pb', text_: null, text2_: null,
			execution_id_: w.pi, proc_inst_id_: w.pi, proc_def_id_: `proc-def:1:${w.pi}`,
			case_execution_id_: null, case_inst_id_: null, task_id_: null, var_scope_: w.pi, tenant_id_: 'pi-tenant',
		}, 'variable row');
		await assertBytearray(row, 'pb', Buffer.from('pi'));
	});

	test('new Bytes in a case instance: case columns from that case execution', async () => {
		const ci = s.uid('ci');
		await s.createCaseInstance(ci, { tenantId: 'ci-tenant' });
		assertNoContent(await s.putBytes(`${E}/case-instance/${ci}/variables/cib/data`, Buffer.from('ci')));
		const row = await s.variable(ci, 'cib');
		assertColumns(row, {
			...NEW_ROW, type_: 'bytes', name_: 'cib', text_: null, text2_: null,
			execution_id_: null, proc_inst_id_: null, proc_def_id_: null,
			case_execution_id_: ci, case_inst_id_: ci, task_id_: null, var_scope_: ci, tenant_id_: 'ci-tenant',
		}, 'variable row');
		await assertBytearray(row, 'cib', Buffer.from('ci'));
	});

	test('new File: TYPE_ file, TEXT_ the filename, TEXT2_ mime#encoding', async () => {
		const w = await processWorld();
		const file = await s.writeFile(Buffer.from('some text\n'));
		assertNoContent(await s.postForm(`${E}/task/${w.task}/localVariables/f/data`,
			[`data=@${file};filename=notes.txt;type=text/plain;encoding=UTF-8`, 'valueType=File']));
		const row = await s.variable(w.task, 'f');
		assertColumns(row, { ...NEW_ROW, type_: 'file', text_: 'notes.txt', text2_: 'text/plain#UTF-8' }, 'variable row');
		await assertBytearray(row, 'f', Buffer.from('some text\n'));
	});

	test('update: same row, REV_ and SEQUENCE_COUNTER_ + 1, new byte array, old one deleted', async () => {
		const w = await processWorld();
		const old = await s.insertVariable({ name: 'up', bytes: Buffer.from('old'), taskId: w.task });
		assertNoContent(await s.putBytes(`${E}/task/${w.task}/localVariables/up/data`, Buffer.from('new')));
		const row = await s.variable(w.task, 'up');
		assertColumns(row, {
			id_: old.id, rev_: 2, sequence_counter_: 2, type_: 'bytes', text_: null, text2_: null,
			execution_id_: w.exe, proc_inst_id_: w.pi, task_id_: w.task, var_scope_: w.task,
		}, 'variable row');
		assert.notEqual(row.bytearray_id_, old.bytearrayId);
		await assertBytearray(row, 'up', Buffer.from('new'));
		assert.equal(await s.bytearray(old.bytearrayId), null, 'the old byte array is deleted');
		assert.deepEqual(await s.orphanBytearrays(), []);
	});

	test('update of a long variable: TYPE_ bytes, LONG_ and TEXT_ nulled', async () => {
		const w = await processWorld();
		const old = await s.insertVariable({ name: 'num', type: 'long', long: 42, text: '42', executionId: w.pi });
		assertNoContent(await s.putBytes(`${E}/process-instance/${w.pi}/variables/num/data`, Buffer.from('now bytes')));
		const row = await s.variable(w.pi, 'num');
		assertColumns(row, {
			id_: old.id, rev_: 2, sequence_counter_: 2, type_: 'bytes', long_: null, double_: null, text_: null, text2_: null,
		}, 'variable row');
		await assertBytearray(row, 'num', Buffer.from('now bytes'));
	});

	test('update of a double variable: DOUBLE_ nulled', async () => {
		const w = await processWorld();
		await s.insertVariable({ name: 'dbl', type: 'double', double: 2.5, text: '2.5', executionId: w.pi });
		assertNoContent(await s.putBytes(`${E}/process-instance/${w.pi}/variables/dbl/data`, Buffer.from('d')));
		assertColumns(await s.variable(w.pi, 'dbl'), { rev_: 2, type_: 'bytes', double_: null, long_: null, text_: null }, 'variable row');
	});

	test('update File -> Bytes clears TEXT_/TEXT2_; Bytes -> File sets them', async () => {
		const w = await processWorld();
		await s.insertVariable({ name: 'ftob', type: 'file', text: 'a.txt', text2: 'text/plain#', bytes: Buffer.from('f'), taskId: w.task });
		assertNoContent(await s.putBytes(`${E}/task/${w.task}/localVariables/ftob/data`, Buffer.from('b')));
		assertColumns(await s.variable(w.task, 'ftob'), { rev_: 2, type_: 'bytes', text_: null, text2_: null }, 'File -> Bytes');

		const file = await s.writeFile(Buffer.from('<html/>'));
		assertNoContent(await s.postForm(`${E}/task/${w.task}/localVariables/ftob/data`,
			[`data=@${file};filename=page.html;type=text/html`, 'valueType=File']));
		assertColumns(await s.variable(w.task, 'ftob'), { rev_: 3, type_: 'file', text_: 'page.html', text2_: 'text/html#' }, 'Bytes -> File');
		assert.deepEqual(await s.orphanBytearrays(), []);
	});

	test('update of a variable with a null value (no byte array): a byte array is added', async () => {
		const w = await processWorld();
		const old = await s.insertVariable({ name: 'wasnull', bytes: null, executionId: w.pi });
		assertNoContent(await s.putBytes(`${E}/process-instance/${w.pi}/variables/wasnull/data`, Buffer.from('now')));
		const row = await s.variable(w.pi, 'wasnull');
		assertColumns(row, { id_: old.id, rev_: 2, sequence_counter_: 2, type_: 'bytes' }, 'variable row');
		await assertBytearray(row, 'wasnull', Buffer.from('now'));
	});

	test('update of a string variable: TEXT_ cleared, a byte array added', async () => {
		const w = await processWorld();
		await s.insertVariable({ name: 'wasstr', type: 'string', text: 'hello', executionId: w.pi });
		assertNoContent(await s.putBytes(`${E}/process-instance/${w.pi}/variables/wasstr/data`, Buffer.from('bin')));
		const row = await s.variable(w.pi, 'wasstr');
		assertColumns(row, { rev_: 2, type_: 'bytes', text_: null, text2_: null }, 'variable row');
		await assertBytearray(row, 'wasstr', Buffer.from('bin'));
	});

	test('a write in the task\'s own scope updates the task row: LAST_UPDATED_, TASK_STATE_ Updated, REV_ + 1', async () => {
		const w = await processWorld();
		assert.equal((await s.task(w.task)).last_updated_, null);
		assertNoContent(await s.putBytes(`${E}/task/${w.task}/localVariables/own/data`, Buffer.from('1')));
		const t1 = await s.task(w.task);
		assertColumns(t1, { rev_: 2, task_state_: 'Updated' }, 'task row after the first write');
		assert.ok(t1.last_updated_ !== null, 'LAST_UPDATED_ set');
		assertNoContent(await s.putBytes(`${E}/task/${w.task}/localVariables/own/data`, Buffer.from('2')));
		assertColumns(await s.task(w.task), { rev_: 3, task_state_: 'Updated' }, 'task row after the second write');
	});

	test('a non-local task write that updates the task\'s own variable updates the task row', async () => {
		const w = await processWorld();
		await s.insertVariable({ name: 'mine', bytes: Buffer.from('x'), taskId: w.task });
		assertNoContent(await s.putBytes(`${E}/task/${w.task}/variables/mine/data`, Buffer.from('y')));
		const t = await s.task(w.task);
		assertColumns(t, { rev_: 2, task_state_: 'Updated' }, 'task row');
		assert.ok(t.last_updated_ !== null);
	});

	test('a non-local task write that lands in the process instance leaves the task row alone', async () => {
		const w = await processWorld();
		assertNoContent(await s.putBytes(`${E}/task/${w.task}/variables/upThere/data`, Buffer.from('pi')));
		assert.equal((await s.variable(w.pi, 'upThere')).task_id_, null);
		assertColumns(await s.task(w.task), { rev_: 1, task_state_: 'Created', last_updated_: null }, 'task row');
	});

	test('a subtask write that lands in the parent task updates the parent task row, not the subtask', async () => {
		const parent = s.uid('parent');
		const child = s.uid('child');
		await s.createTask(parent);
		await s.createTask(child, { parentTaskId: parent });
		assertNoContent(await s.putBytes(`${E}/task/${child}/variables/inParent/data`, Buffer.from('p')));
		assert.equal((await s.variable(parent, 'inParent')).task_id_, parent);
		const p = await s.task(parent);
		assertColumns(p, { rev_: 2, task_state_: 'Updated' }, 'parent task row');
		assert.ok(p.last_updated_ !== null);
		assertColumns(await s.task(child), { rev_: 1, task_state_: 'Created', last_updated_: null }, 'subtask row');
	});

	test('all 256 byte values (and CRLF / "--" sequences) round-trip byte-exactly', async () => {
		const w = await processWorld();
		const bytes = allBytes();
		for (const p of [`${E}/task/${w.task}/localVariables/all/data`, `${E}/process-instance/${w.pi}/variables/all/data`]) {
			assertNoContent(await s.putBytes(p, bytes));
			assertValue(await s.get(p), { contentType: OCTET, body: bytes });
		}
		await assertBytearray(await s.variable(w.task, 'all'), 'all', bytes);
		await assertBytearray(await s.variable(w.pi, 'all'), 'all', bytes);
	});

	test('an empty upload stores an empty (not null) value', async () => {
		const w = await processWorld();
		assertNoContent(await s.putBytes(`${E}/task/${w.task}/localVariables/zero/data`, Buffer.alloc(0)));
		const row = await s.variable(w.task, 'zero');
		await assertBytearray(row, 'zero', Buffer.alloc(0));
		assertValue(await s.get(`${E}/task/${w.task}/localVariables/zero/data`), { contentType: OCTET, body: Buffer.alloc(0) });
	});

	test('a 50 MiB file round-trips (sha256 of upload, stored value and download)', async () => {
		const w = await processWorld();
		const size = 50 * 1024 * 1024;
		const src = await s.writeFile(crypto.randomBytes(size), 'big.in');
		const want = crypto.createHash('sha256').update(fs.readFileSync(src)).digest('hex');
		assertNoContent(await s.postForm(`${E}/task/${w.task}/localVariables/big/data`,
			[`data=@${src};filename=big.bin;type=application/x-big`, 'valueType=File']));
		const [[len, stored]] = await s.sql(`select length(b.bytes_), encode(sha256(b.bytes_), 'hex')
			from act_ru_variable v join act_ge_bytearray b on b.id_ = v.bytearray_id_
			where v.var_scope_ = '${w.task}' and v.name_ = 'big'`);
		assert.equal(Number(len), size);
		assert.equal(stored, want);
		const res = await s.get(`${E}/task/${w.task}/localVariables/big/data`);
		assert.equal(res.status, 200);
		assert.equal(res.headers['content-type'], 'application/x-big');
		assert.equal(res.headers['content-disposition'], `attachment; filename="big.bin"; filename*=UTF-8''big.bin`);
		if (res.headers['content-length'] !== undefined)
			assert.equal(Number(res.headers['content-length']), size);
		assert.equal(res.headers['x-content-type-options'], 'nosniff');
		assert.equal(res.body.length, size);
		assert.equal(crypto.createHash('sha256').update(res.body).digest('hex'), want);
		fs.rmSync(src);
	});

	async function assertSingleRow(scope, name, { rev, values }) {
		const rows = await s.variables(name);
		assert.equal(rows.length, 1, 'exactly one variable row');
		assertColumns(rows[0], { var_scope_: scope, rev_: rev, sequence_counter_: rev, type_: 'bytes' }, 'variable row');
		const bas = await s.rows(`select id_ from act_ge_bytearray where name_ = '${name}'`);
		assert.deepEqual(bas.map((r) => r.id_), [rows[0].bytearray_id_], 'exactly one byte array for it');
		const ba = await s.bytearray(rows[0].bytearray_id_);
		assert.ok(values.includes(ba.bytes.toString()), `the final value is one of the values sent: ${ba.bytes.toString()}`);
		assert.deepEqual(await s.orphanBytearrays(), [], 'no orphan byte arrays');
	}

	test(`${CONCURRENT_WRITERS} concurrent updates of one variable: all 204, no lost update`, async () => {
		const w = await processWorld();
		await s.insertVariable({ name: 'hot', bytes: Buffer.from('initial'), taskId: w.task });
		const { results, values } = await s.parallelPosts(`${E}/task/${w.task}/localVariables/hot/data`, 'hot', CONCURRENT_WRITERS);
		for (const r of results)
			assertNoContent(r);
		await assertSingleRow(w.task, 'hot', { rev: 1 + CONCURRENT_WRITERS, values });
		assertColumns(await s.task(w.task), { rev_: 1 + CONCURRENT_WRITERS, task_state_: 'Updated' }, 'task row: one REV_ per write');
	});

	test(`${CONCURRENT_WRITERS} concurrent first writes of a new name (task local): all 204, one row`, async () => {
		const w = await processWorld();
		const { results, values } = await s.parallelPosts(`${E}/task/${w.task}/localVariables/race/data`, 'race', CONCURRENT_WRITERS);
		for (const r of results)
			assertNoContent(r);
		await assertSingleRow(w.task, 'race', { rev: CONCURRENT_WRITERS, values });
		assertColumns(await s.task(w.task), { rev_: 1 + CONCURRENT_WRITERS, task_state_: 'Updated' }, 'task row: one REV_ per write');
	});

	test(`${CONCURRENT_WRITERS} concurrent first writes of a new name through the task chain: all 204, one row in the instance`, async () => {
		const w = await processWorld();
		const { results, values } = await s.parallelPosts(`${E}/task/${w.task}/variables/chainrace/data`, 'chain', CONCURRENT_WRITERS);
		for (const r of results)
			assertNoContent(r);
		await assertSingleRow(w.pi, 'chainrace', { rev: CONCURRENT_WRITERS, values });
	});

	test(`${CONCURRENT_WRITERS} concurrent first writes in a process instance and a case instance: all 204`, async () => {
		const w = await processWorld();
		const ci = s.uid('ci');
		await s.createCaseInstance(ci);
		const a = await s.parallelPosts(`${E}/process-instance/${w.pi}/variables/pirace/data`, 'pi', CONCURRENT_WRITERS);
		const b = await s.parallelPosts(`${E}/case-instance/${ci}/variables/cirace/data`, 'ci', CONCURRENT_WRITERS);
		for (const r of [...a.results, ...b.results])
			assertNoContent(r);
		await assertSingleRow(w.pi, 'pirace', { rev: CONCURRENT_WRITERS, values: a.values });
		await assertSingleRow(ci, 'cirace', { rev: CONCURRENT_WRITERS, values: b.values });
	});
});

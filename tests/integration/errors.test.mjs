// Spec section 8, the POST rows: every error of a write, with its exact
// status, exception type, message and code, and the raw body text.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { suite } from './harness.mjs';
import { assertError, assertNoContent } from './expect.mjs';

const E = '/engine-rest';
const MALFORMED = 'multipart/form-data cannot be processed';

suite('POST errors', {}, (s, test) => {
	const target = () => s.taskTarget();

	const nothingStored = (t, name) => s.assertNothingStored(t, name);

	const dataPart = { name: 'data', filename: 'a.bin', contentType: 'application/octet-stream', data: 'x' };

	// ---- addressed scope does not exist ----

	for (const [label, p, message] of [
		['task localVariables', `${E}/task/nope/localVariables/v/data`,
			"Cannot put task variable v: task nope doesn't exist: task is null"],
		['task variables', `${E}/task/nope/variables/v/data`,
			"Cannot put task variable v: task nope doesn't exist: task is null"],
		['process-instance', `${E}/process-instance/nope/variables/v/data`,
			"Cannot put process instance variable v: execution nope doesn't exist: execution is null"],
		['case-instance', `${E}/case-instance/nope/variables/v/data`,
			"Cannot put case execution variable v: There does not exist any case execution with id: 'nope': caseExecution is null"],
	]) {
		test(`${label}: addressed scope does not exist -> 500 RestException "Cannot put ...", code 0`, async () => {
			assertError(await s.postMultipart(p, [dataPart]), 500, 'RestException', message, 0);
			const [[n]] = await s.sql("select count(*) from act_ru_variable where name_ = 'v'");
			assert.equal(n, '0');
		});
	}

	// A write to a task that an engine deletes (completing it) while the
	// write waits for the task's row: the variable must not outlive the
	// task, where nothing would ever delete it and its execution could no
	// longer be deleted (the foreign key).  The write fails as for a task
	// that does not exist, and undoes all it did.
	for (const [label, size, kind] of [
		['a small value (one pipelined statement), localVariables', 100, 'localVariables'],
		['a value over 64 KiB (COPY, then the variable), localVariables', 200_000, 'localVariables'],
		['a small value, variables', 100, 'variables'],
	]) {
		test(`${label}: the task deleted while the write waits for it -> 500 "Cannot put ...", nothing stored`, async () => {
			const task = s.uid('task');
			await s.createTask(task);
			const answer = s.answerAfterLockWait(`DELETE FROM act_ru_task WHERE id_ = '${task}';`,
				() => s.postMultipart(`${E}/task/${task}/${kind}/gone/data`, [{ ...dataPart, data: crypto.randomBytes(size) }]),
				'the task row the delete holds');
			assertError(await answer, 500, 'RestException', `Cannot put task variable gone: task ${task} doesn't exist: task is null`, 0);
			await nothingStored({ task }, 'gone');
		});
	}

	// The same for an execution or a case execution that an engine deletes
	// while the write waits for its row: the variable's foreign key to it
	// fails the insert, which is answered as for a scope that does not
	// exist, with nothing left behind.
	// Each makes its scope and says where to write, what the delete removes,
	// and Camunda's answer for that scope missing.
	for (const [label, size, scope] of [
		['process-instance variables, a small value (one pipelined statement)', 100, async (root) => {
			await s.createProcessInstance(root);
			return { id: root, table: 'act_ru_execution', path: `${E}/process-instance/${root}/variables/gone/data`,
				message: `Cannot put process instance variable gone: execution ${root} doesn't exist: execution is null` };
		}],
		['execution localVariables, a value over 64 KiB (COPY, then the variable)', 200_000, async (root) => {
			const id = `${root}-child`;
			await s.createProcessInstance(root, { children: [{ id }] });
			return { id, table: 'act_ru_execution', path: `${E}/execution/${id}/localVariables/gone/data`,
				message: `Cannot put execution variable gone: execution ${id} doesn't exist: execution is null` };
		}],
		['case-instance variables, a small value', 100, async (root) => {
			await s.createCaseInstance(root);
			return { id: root, table: 'act_ru_case_execution', path: `${E}/case-instance/${root}/variables/gone/data`,
				message: `Cannot put case execution variable gone: There does not exist any case execution with id: '${root}': caseExecution is null` };
		}],
	]) {
		test(`${label}: the scope deleted while the write waits for it -> 500 "Cannot put ...", nothing stored`, async () => {
			const { id, table, path, message } = await scope(s.uid('scope'));
			const log = await s.logMark();
			const answer = s.answerAfterLockWait(`DELETE FROM ${table} WHERE id_ = '${id}';`,
				() => s.postMultipart(path, [{ ...dataPart, data: crypto.randomBytes(size) }]),
				`the ${table} row the delete holds`);
			assertError(await answer, 500, 'RestException', message, 0);
			const [[n]] = await s.sql(`select count(*) from act_ru_variable where var_scope_ = '${id}'`);
			assert.equal(n, '0', 'no variable');
			assert.deepEqual(await s.orphanBytearrays(), [], 'no stray byte array');
			const text = await log.since();
			assert.match(text, /WARNING.*deleted meanwhile; nothing written/);
			assert.doesNotMatch(text, /ERROR/, 'an engine deleting a scope is no fault of vardata');
		});
	}

	// A write that deadlocks with another transaction (an engine's, say,
	// that touched the task first and then wants the variable the write
	// holds): PostgreSQL fails one of the two to end it, here the write,
	// which is then done again and waits for the other to commit.  Nothing
	// of the failed try stays behind.
	for (const [label, size, kind] of [
		['a small value (one pipelined statement), localVariables', 100, 'localVariables'],
		['a value over 64 KiB (COPY, then the variable), localVariables', 200_000, 'localVariables'],
		['a small value, variables', 100, 'variables'],
	]) {
		test(`${label}: failed by the database to end a deadlock -> done again, 204`, async () => {
			const task = s.uid('task');
			await s.createTask(task);
			const url = `${E}/task/${task}/${kind}/locked/data`;
			assertNoContent(await s.postMultipart(url, [{ ...dataPart, data: 'first' }]));
			const ours = crypto.randomBytes(size);
			const log = await s.logMark();
			const answer = s.answerAfterDeadlock(`UPDATE act_ru_task SET rev_ = rev_ + 1 WHERE id_ = '${task}';`,
				`UPDATE act_ru_variable SET rev_ = rev_ + 1 WHERE var_scope_ = '${task}' AND name_ = 'locked';`,
				() => s.postMultipart(url, [{ ...dataPart, data: ours }]));
			assertNoContent(await answer);
			const v = await s.variable(task, 'locked');
			assert.equal(v.rev_, 3, 'the first write, the other transaction\'s update, ours');
			assert.ok((await s.bytearray(v.bytearray_id_)).bytes.equals(ours), 'our value is stored');
			assert.deepEqual(await s.orphanBytearrays(), [], 'no stray byte array');
			assert.match(await log.since(), /SQLSTATE 40P01: .*deadlock detected/, 'the database failed a statement of the write');
		});
	}

	// ---- not multipart ----

	for (const [label, ct] of [
		['application/json', 'application/json'],
		['text/plain', 'text/plain'],
		['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
		['multipart/mixed', 'multipart/mixed; boundary=abc'],
	]) {
		test(`request Content-Type ${label} -> 415 RestException`, async () => {
			const t = await target();
			assertError(await s.postRaw(t.url('m'), Buffer.from('--abc\r\n\r\n'), ct), 415, 'RestException', /\S/);
			await nothingStored(t, 'm');
		});
	}

	test('no request Content-Type -> 415 RestException', async () => {
		const t = await target();
		assertError(await s.postRaw(t.url('m'), Buffer.from('data'), null, ['-H', 'Content-Type:']), 415, 'RestException', /\S/);
	});

	// ---- malformed multipart ----

	test('multipart/form-data without a boundary -> 400 "multipart/form-data cannot be processed"', async () => {
		const t = await target();
		const body = Buffer.from('--abc\r\nContent-Disposition: form-data; name="data"\r\n\r\nx\r\n--abc--\r\n');
		assertError(await s.postRaw(t.url('m'), body, 'multipart/form-data'), 400, 'RestException', MALFORMED);
		await nothingStored(t, 'm');
	});

	// The type is multipart/form-data, so the request is multipart; only
	// its parameters are broken, which leaves no usable boundary.
	for (const ct of ['multipart/form-data; boundary=', 'multipart/form-data; boundary', 'multipart/form-data; boundary="abc',
		'Multipart/Form-Data ; boundary="a"b'])
		test(`request Content-Type "${ct}" -> 400 "multipart/form-data cannot be processed", not 415`, async () => {
			const t = await target();
			const body = Buffer.from('--abc\r\nContent-Disposition: form-data; name="data"\r\n\r\nx\r\n--abc--\r\n');
			assertError(await s.postRaw(t.url('m'), body, ct), 400, 'RestException', MALFORMED);
			await nothingStored(t, 'm');
		});

	test('a truncated body (no close delimiter) -> 400 "multipart/form-data cannot be processed"', async () => {
		const t = await target();
		const body = Buffer.from('--abc\r\nContent-Disposition: form-data; name="data"\r\n\r\nhalf a val');
		assertError(await s.postRaw(t.url('m'), body, 'multipart/form-data; boundary=abc'), 400, 'RestException', MALFORMED);
		await nothingStored(t, 'm');
	});

	test('a truncated body after a complete data part -> 400, nothing stored', async () => {
		const t = await target();
		const body = Buffer.from('--abc\r\nContent-Disposition: form-data; name="data"\r\n\r\nwhole\r\n--abc\r\nContent-Disposition: form-da');
		assertError(await s.postRaw(t.url('m'), body, 'multipart/form-data; boundary=abc'), 400, 'RestException', MALFORMED);
		await nothingStored(t, 'm');
	});

	test('an empty body -> 400 "multipart/form-data cannot be processed"', async () => {
		const t = await target();
		assertError(await s.postRaw(t.url('m'), Buffer.alloc(0), 'multipart/form-data; boundary=abc'), 400, 'RestException', MALFORMED);
	});

	test('a bad part header (a line without a colon) -> 400 "multipart/form-data cannot be processed"', async () => {
		const t = await target();
		const body = Buffer.from('--abc\r\nContent-Disposition: form-data; name="data"\r\nthis is no header\r\n\r\nx\r\n--abc--\r\n');
		assertError(await s.postRaw(t.url('m'), body, 'multipart/form-data; boundary=abc'), 400, 'RestException', MALFORMED);
		await nothingStored(t, 'm');
	});

	test('a part without a name -> 400 "multipart/form-data cannot be processed"', async () => {
		const t = await target();
		const body = Buffer.from('--abc\r\nContent-Disposition: form-data; filename="a.txt"\r\n\r\nx\r\n--abc--\r\n');
		assertError(await s.postRaw(t.url('m'), body, 'multipart/form-data; boundary=abc'), 400, 'RestException', MALFORMED);
	});

	// ---- the parts ----

	test('no data part -> 400 InvalidRequestException naming the part', async () => {
		const t = await target();
		assertError(await s.postMultipart(t.url('m'), [{ name: 'valueType', data: 'Bytes' }]), 400,
			'InvalidRequestException', /data/);
		await nothingStored(t, 'm');
	});

	// Camunda's FormPart takes a part as text when its Content-Type contains
	// "text/plain" as written (String.contains): TEXT/PLAIN is not text.
	for (const ct of ['application/json', 'text/html', 'application/octet-stream', 'TEXT/PLAIN', 'Text/Plain; charset=UTF-8']) {
		test(`valueType part with Content-Type ${ct} -> 400 "Form part with name 'valueType' must have a text/plain value"`, async () => {
			const t = await target();
			assertError(await s.postMultipart(t.url('m'), [dataPart, { name: 'valueType', contentType: ct, data: 'Bytes' }]),
				400, 'InvalidRequestException', "Form part with name 'valueType' must have a text/plain value");
			await nothingStored(t, 'm');
		});
	}

	test('valueType sent by curl -F with ;type=application/json -> the same 400', async () => {
		const t = await target();
		const f = await s.writeFile(Buffer.from('x'));
		assertError(await s.postForm(t.url('m'), [`data=@${f}`, 'valueType=File;type=application/json']),
			400, 'InvalidRequestException', "Form part with name 'valueType' must have a text/plain value");
	});

	for (const vt of ['FILE', '', 'Foo', 'BYTES', 'octet-stream']) {
		test(`valueType '${vt}' -> 400 RestException "Unsupported value type '${vt}'"`, async () => {
			const t = await target();
			assertError(await s.postMultipart(t.url('m'), [dataPart, { name: 'valueType', data: vt }]),
				400, 'RestException', `Unsupported value type '${vt}'`);
			await nothingStored(t, 'm');
		});
	}

	test("variableType 'FILE' -> 400 Unsupported value type as well", async () => {
		const t = await target();
		assertError(await s.postMultipart(t.url('m'), [dataPart, { name: 'variableType', data: 'FILE' }]),
			400, 'RestException', "Unsupported value type 'FILE'");
	});

	for (const vt of ['Object', 'object', 'Json', 'json', 'Xml', 'xml']) {
		test(`valueType ${vt} with binary data -> 400 "Must provide 'null' or String value ..."`, async () => {
			const t = await target();
			assertError(await s.postMultipart(t.url('m'), [dataPart, { name: 'valueType', data: vt }]),
				400, 'InvalidRequestException', `Must provide 'null' or String value for value of SerializableValue type '${vt}'.`);
			await nothingStored(t, 'm');
		});
	}

	for (const vt of ['String', 'string', 'Integer', 'Long', 'Double', 'Boolean', 'Short', 'Date']) {
		test(`valueType ${vt} (known, not binary) -> 400 InvalidRequestException`, async () => {
			const t = await target();
			assertError(await s.postMultipart(t.url('m'), [dataPart, { name: 'valueType', data: vt }]),
				400, 'InvalidRequestException', /\S/);
			await nothingStored(t, 'm');
		});
	}

	// Camunda parses the data part's mime type before it builds the File
	// value, which is where a missing filename is found.
	test('File without a filename and with an invalid data Content-Type -> 400 "Invalid mime type given"', async () => {
		const t = await target();
		assertError(await s.postMultipart(t.url('m'), [
			{ name: 'data', contentType: 'bad', data: 'no name' },
			{ name: 'valueType', data: 'File' },
		]), 400, 'RestException', 'Invalid mime type given');
		await nothingStored(t, 'm');
	});

	test('File without a filename -> 400 "Cannot create file without filename! ..."', async () => {
		const t = await target();
		const msg = 'Cannot create file without filename! Please set a name into ValueInfo with key filename';
		assertError(await s.postMultipart(t.url('m'), [
			{ name: 'data', contentType: 'text/plain', data: 'no name' },
			{ name: 'valueType', data: 'File' },
		]), 400, 'InvalidRequestException', msg);
		// curl -F 'data=<file' sends the content without a filename.
		const f = await s.writeFile(Buffer.from('no name'));
		assertError(await s.postForm(t.url('m'), [`data=<${f}`, 'valueType=file']), 400, 'InvalidRequestException', msg);
		await nothingStored(t, 'm');
	});

	// Spec section 7: filenames come from uploaders and are validated when
	// stored.  A control byte in the filename is refused (the status is 400;
	// the spec names no message for it).
	test('File whose filename holds a control byte -> 400, nothing stored', async () => {
		const t = await target();
		for (const name of ['a\x01b.txt', 'del\x7f.txt']) {
			const res = await s.postMultipart(t.url('m'), [
				{ name: 'data', filename: name, contentType: 'text/plain', data: 'x' },
				{ name: 'valueType', data: 'File' },
			]);
			assert.equal(res.status, 400, `${JSON.stringify(name)}: ${res.body.toString()}`);
			assert.ok(['RestException', 'InvalidRequestException'].includes(JSON.parse(res.body.toString()).type));
		}
		await nothingStored(t, 'm');
	});

	for (const ct of ['garbage', 'text', 'text/', '/plain', 'text/pl ain', 'text/plain; =x']) {
		test(`File with data Content-Type "${ct}" -> 400 "Invalid mime type given"`, async () => {
			const t = await target();
			assertError(await s.postMultipart(t.url('m'), [
				{ name: 'data', filename: 'a.txt', contentType: ct, data: 'x' },
				{ name: 'valueType', data: 'File' },
			]), 400, 'RestException', 'Invalid mime type given');
			await nothingStored(t, 'm');
		});
	}

	// ---- limits at their defaults (tests/integration/limits.test.mjs lowers them) ----

	test('16 parts are accepted; 17 parts -> 400 RestException', async () => {
		const t = await target();
		const filler = (n) => Array.from({ length: n }, (_, i) => ({ name: `extra${i}`, data: 'f' }));
		assertNoContent(await s.postMultipart(t.url('p16'), [dataPart, ...filler(15)]));
		assertError(await s.postMultipart(t.url('p17'), [dataPart, ...filler(16)]), 400, 'RestException', /\S/);
		await nothingStored(t, 'p17');
	});

	test('a part header block over 8 KiB -> 400 RestException; just under is fine', async () => {
		const t = await target();
		// The header block: Content-Disposition line (44 bytes with CRLF) plus this one.
		const pad = (n) => `X-Pad: ${'p'.repeat(n)}`;
		assertNoContent(await s.postMultipart(t.url('h'), [{ ...dataPart, headers: [pad(7000)] }]));
		assertError(await s.postMultipart(t.url('h2'), [{ ...dataPart, headers: [pad(9000)] }]), 400, 'RestException', /\S/);
		await nothingStored(t, 'h2');
	});
});

// Spec section 6: the multipart request of POST .../data: value types, File
// details, the deprecated type + JSON form, and how parts are read.

import assert from 'node:assert/strict';
import { suite } from './harness.mjs';
import { assertColumns, assertError, assertNoContent, assertValue } from './expect.mjs';

const E = '/engine-rest';
const OCTET = 'application/octet-stream';

suite('POST multipart', {}, (s, test) => {
	// A standalone task per test: its localVariables URL is the target.
	const target = () => s.taskTarget();

	async function stored(task, name) {
		const row = await s.variable(task, name);
		assert.ok(row, `variable ${name} exists`);
		const ba = await s.bytearray(row.bytearray_id_);
		return { row, bytes: ba === null ? null : ba.bytes };
	}

	// ---- value types ----

	test('no valueType part: Bytes', async () => {
		const t = await target();
		assertNoContent(await s.postMultipart(t.url('v'), [{ name: 'data', filename: 'ignored.txt', contentType: 'text/plain', data: 'abc' }]));
		const { row, bytes } = await stored(t.task, 'v');
		assertColumns(row, { type_: 'bytes', text_: null, text2_: null }, 'variable row');
		assert.equal(bytes.toString(), 'abc');
		assertValue(await s.get(t.url('v')), { contentType: OCTET, body: 'abc' });
	});

	for (const vt of ['Bytes', 'bytes']) {
		test(`valueType ${vt}: Bytes`, async () => {
			const t = await target();
			assertNoContent(await s.postMultipart(t.url('v'), [
				{ name: 'data', data: Buffer.from([0, 1, 2]) },
				{ name: 'valueType', data: vt },
			]));
			const { row, bytes } = await stored(t.task, 'v');
			assert.equal(row.type_, 'bytes');
			assert.ok(bytes.equals(Buffer.from([0, 1, 2])));
		});
	}

	for (const [part, vt] of [['valueType', 'File'], ['valueType', 'file'], ['variableType', 'File'], ['variableType', 'file']]) {
		test(`${part} ${vt}: File`, async () => {
			const t = await target();
			assertNoContent(await s.postMultipart(t.url('f'), [
				{ name: 'data', filename: 'a.txt', contentType: 'text/plain', data: 'file text' },
				{ name: part, data: vt },
			]));
			const { row, bytes } = await stored(t.task, 'f');
			assertColumns(row, { type_: 'file', text_: 'a.txt', text2_: 'text/plain#' }, 'variable row');
			assert.equal(bytes.toString(), 'file text');
		});
	}

	test('variableType Bytes: a synonym of valueType', async () => {
		const t = await target();
		assertNoContent(await s.postMultipart(t.url('vb'), [
			{ name: 'data', filename: 'x.txt', contentType: 'text/plain', data: 'b' },
			{ name: 'variableType', data: 'Bytes' },
		]));
		assertColumns((await stored(t.task, 'vb')).row, { type_: 'bytes', text_: null, text2_: null }, 'variable row');
	});

	for (const vt of ['serializable', 'Serializable']) {
		test(`valueType ${vt}: TYPE_ serializable, the bytes as sent, readable again`, async () => {
			const t = await target();
			const ser = Buffer.from('aced00057400057465737421', 'hex');
			assertNoContent(await s.postMultipart(t.url('ser'), [
				{ name: 'data', filename: 'obj.ser', contentType: 'application/x-java-serialized-object', data: ser },
				{ name: 'valueType', data: vt },
			]));
			const { row, bytes } = await stored(t.task, 'ser');
			assertColumns(row, { type_: 'serializable', text_: null, text2_: null }, 'variable row');
			assert.ok(bytes.equals(ser));
			assertValue(await s.get(t.url('ser')), { contentType: OCTET, body: ser });
		});
	}

	test('valueType FILE: only the first letter is case-insensitive -> 400 Unsupported value type', async () => {
		const t = await target();
		assertError(await s.postMultipart(t.url('x'), [
			{ name: 'data', filename: 'a.txt', data: 'x' },
			{ name: 'valueType', data: 'FILE' },
		]), 400, 'RestException', "Unsupported value type 'FILE'");
		assert.equal(await s.variable(t.task, 'x'), null, 'nothing stored');
	});

	// ---- File details ----

	test('File: mime type lower-cased, encoding parameter kept, charset ignored', async () => {
		const t = await target();
		for (const [name, ct, text2] of [
			['lower', 'Text/HTML', 'text/html#'],
			['enc', 'text/plain; encoding=UTF-8', 'text/plain#UTF-8'],
			['encq', 'text/plain; encoding="ISO-8859-1"', 'text/plain#ISO-8859-1'],
			['charset', 'text/plain; charset=UTF-8', 'text/plain#'],
			['both', 'text/plain; charset=UTF-16; encoding=UTF-8', 'text/plain#UTF-8'],
		]) {
			assertNoContent(await s.postMultipart(t.url(name), [
				{ name: 'data', filename: `${name}.txt`, contentType: ct, data: name },
				{ name: 'valueType', data: 'File' },
			]));
			assertColumns((await stored(t.task, name)).row, { type_: 'file', text_: `${name}.txt`, text2_: text2 }, ct);
		}
		assertValue(await s.get(t.url('enc')), {
			contentType: 'text/plain; charset=UTF-8', body: 'enc',
			disposition: `attachment; filename="enc.txt"; filename*=UTF-8''enc.txt`,
		});
	});

	test('File: a data part without Content-Type is application/octet-stream', async () => {
		const t = await target();
		assertNoContent(await s.postMultipart(t.url('noct'), [
			{ name: 'data', filename: 'raw.bin', data: Buffer.from([9, 8, 7]) },
			{ name: 'valueType', data: 'File' },
		]));
		assertColumns((await stored(t.task, 'noct')).row, { type_: 'file', text_: 'raw.bin', text2_: 'application/octet-stream#' }, 'row');
		assertValue(await s.get(t.url('noct')), {
			contentType: OCTET, body: Buffer.from([9, 8, 7]),
			disposition: `attachment; filename="raw.bin"; filename*=UTF-8''raw.bin`,
		});
	});

	test('File: RFC 2231 filename*=UTF-8\'\'... is accepted', async () => {
		const t = await target();
		assertNoContent(await s.postMultipart(t.url('star'), [
			{ name: 'data', disposition: `form-data; name="data"; filename*=UTF-8''%C3%9Cber%20%E2%82%AC.txt`, contentType: 'text/plain', data: 'u' },
			{ name: 'valueType', data: 'File' },
		]));
		assertColumns((await stored(t.task, 'star')).row, { type_: 'file', text_: 'Über €.txt' }, 'row');
	});

	// RFC 7578 section 4.2: clients send a filename's backslashes raw (and '"' as %22);
	// commons-fileupload, Camunda's parser, keeps every backslash of a quoted filename.
	test('File: backslashes in a quoted filename are kept, as Camunda keeps them', async () => {
		const t = await target();
		for (const [name, sent, want] of [['win', 'C:\\dir\\a%22b.txt', 'C:\\dir\\a%22b.txt'],
			['trailing', 'report\\', 'report\\'], ['oldcurl', 'say \\"hi\\".txt', 'say \\"hi\\".txt']]) {
			assertNoContent(await s.postMultipart(t.url(name), [
				{ name: 'data', disposition: `form-data; name="data"; filename="${sent}"`, contentType: 'text/plain', data: 'q' },
				{ name: 'valueType', data: 'File' },
			]));
			assertColumns((await stored(t.task, name)).row, { type_: 'file', text_: want }, name);
		}
		assertValue(await s.get(t.url('win')), {
			contentType: 'text/plain', body: 'q',
			disposition: `attachment; filename="C:\\\\dir\\\\a%22b.txt"; filename*=UTF-8''C%3A%5Cdir%5Ca%2522b.txt`,
		});
	});

	test('File: a raw UTF-8 filename is stored as sent', async () => {
		const t = await target();
		assertNoContent(await s.postMultipart(t.url('utf'), [
			{ name: 'data', filename: 'Ünïcødé €.txt', contentType: 'text/plain', data: 'u' },
			{ name: 'valueType', data: 'File' },
		]));
		assertColumns((await stored(t.task, 'utf')).row, { type_: 'file', text_: 'Ünïcødé €.txt' }, 'row');
	});

	test('File: a filename of 4000 characters is stored; 4001 is refused with 400', async () => {
		const t = await target();
		const name = 'ü'.repeat(3996) + '.txt';
		assertNoContent(await s.postMultipart(t.url('long'), [
			{ name: 'data', filename: name, contentType: 'text/plain', data: 'l' },
			{ name: 'valueType', data: 'File' },
		]));
		assert.equal((await stored(t.task, 'long')).row.text_, name);
		// Its download header is about 32 KiB: nginx must pass it whole.
		const got = await s.get(t.url('long'));
		assert.equal(got.status, 200);
		assert.equal(got.headers['content-disposition'],
		    `attachment; filename="${'__'.repeat(3996)}.txt"; filename*=UTF-8''${'%C3%BC'.repeat(3996)}.txt`);
		assertError(await s.postMultipart(t.url('toolong'), [
			{ name: 'data', filename: `x${name}`, contentType: 'text/plain', data: 'l' },
			{ name: 'valueType', data: 'File' },
		]), 400, 'RestException', /\S/);
		assert.equal(await s.variable(t.task, 'toolong'), null, 'nothing stored');
	});

	// ---- deprecated type + JSON ----

	test('type part + application/json data: stored as a Spin JSON object, GET .../data answers 400', async () => {
		const t = await target();
		const json = '{"amount":42,"items":["a","b"],"name":"Ünïcødé"}';
		assertNoContent(await s.postMultipart(t.url('obj'), [
			{ name: 'data', contentType: 'application/json', data: json },
			{ name: 'type', data: 'java.util.HashMap' },
		]));
		const { row, bytes } = await stored(t.task, 'obj');
		assertColumns(row, { type_: 'spin://application/json', text_: null, text2_: 'java.util.HashMap', rev_: 1 }, 'variable row');
		assert.deepEqual(JSON.parse(bytes.toString('utf8')), JSON.parse(json), 'the JSON text, UTF-8');
		assertError(await s.get(t.url('obj')), 400, 'InvalidRequestException', `Value of variable with id ${t.task} is not a binary value.`);
	});

	test('type part: application/json with a charset parameter is accepted', async () => {
		const t = await target();
		assertNoContent(await s.postMultipart(t.url('objcs'), [
			{ name: 'data', contentType: 'application/json; charset=UTF-8', data: '[1,2,3]' },
			{ name: 'type', data: 'java.util.ArrayList' },
		]));
		const { row, bytes } = await stored(t.task, 'objcs');
		assertColumns(row, { type_: 'spin://application/json', text2_: 'java.util.ArrayList' }, 'row');
		assert.deepEqual(JSON.parse(bytes.toString()), [1, 2, 3]);
	});

	test('type part wins over valueType', async () => {
		const t = await target();
		assertNoContent(await s.postMultipart(t.url('wins'), [
			{ name: 'data', filename: 'x.json', contentType: 'application/json', data: '{"k":"v"}' },
			{ name: 'valueType', data: 'File' },
			{ name: 'type', data: 'com.example.Thing' },
		]));
		assertColumns((await stored(t.task, 'wins')).row, { type_: 'spin://application/json', text_: null, text2_: 'com.example.Thing' }, 'row');
	});

	test('type part + JSON null: 204 and nothing stored', async () => {
		const t = await target();
		const before = await s.sql('select count(*) from act_ge_bytearray');
		assertNoContent(await s.postMultipart(t.url('nul'), [
			{ name: 'data', contentType: 'application/json', data: 'null' },
			{ name: 'type', data: 'java.lang.Object' },
		]));
		assert.equal(await s.variable(t.task, 'nul'), null, 'no variable row');
		assert.deepEqual(await s.sql('select count(*) from act_ge_bytearray'), before, 'no byte array');
	});

	test('type part + invalid JSON -> 400 "Could not deserialize JSON object: ..."', async () => {
		const t = await target();
		for (const bad of ['{"a":', 'not json', '{"a":1} trailing', '']) {
			assertError(await s.postMultipart(t.url('bad'), [
				{ name: 'data', contentType: 'application/json', data: bad },
				{ name: 'type', data: 'java.util.HashMap' },
			]), 400, 'InvalidRequestException', /^Could not deserialize JSON object: \S/);
		}
		assert.equal(await s.variable(t.task, 'bad'), null, 'nothing stored');
	});

	test('type part + data not application/json -> 400 "Unrecognized content type for serialized java type: <ct>"', async () => {
		const t = await target();
		assertError(await s.postMultipart(t.url('ct'), [
			{ name: 'data', contentType: 'text/plain', data: '{"a":1}' },
			{ name: 'type', data: 'java.util.HashMap' },
		]), 400, 'InvalidRequestException', 'Unrecognized content type for serialized java type: text/plain');
	});

	// ---- how parts are read ----

	test('part names are case-sensitive: a part named "Data" is not the data part', async () => {
		const t = await target();
		assertError(await s.postMultipart(t.url('cs'), [{ name: 'Data', data: 'x' }]),
			400, 'InvalidRequestException', /data/);
		assert.equal(await s.variable(t.task, 'cs'), null);
	});

	test('a part name that occurs twice: the last one wins', async () => {
		const t = await target();
		assertNoContent(await s.postMultipart(t.url('twice'), [
			{ name: 'data', data: 'first' },
			{ name: 'valueType', data: 'Bytes' },
			{ name: 'data', filename: 'second.txt', contentType: 'text/plain', data: 'second' },
			{ name: 'valueType', data: 'File' },
		]));
		const { row, bytes } = await stored(t.task, 'twice');
		assertColumns(row, { type_: 'file', text_: 'second.txt' }, 'row');
		assert.equal(bytes.toString(), 'second');
	});

	test('unknown parts are ignored', async () => {
		const t = await target();
		assertNoContent(await s.postMultipart(t.url('unk'), [
			{ name: 'comment', data: 'ignore me' },
			{ name: 'data', data: 'value' },
			{ name: 'extra', filename: 'e.bin', contentType: 'application/zip', data: Buffer.from([0x50, 0x4b]) },
		]));
		const { row, bytes } = await stored(t.task, 'unk');
		assert.equal(row.type_, 'bytes');
		assert.equal(bytes.toString(), 'value');
	});

	test('Content-Transfer-Encoding and other part headers never decode the body', async () => {
		const t = await target();
		assertNoContent(await s.postMultipart(t.url('cte'), [
			{ name: 'data', contentType: 'application/octet-stream', headers: ['Content-Transfer-Encoding: base64', 'X-Other: 1'], data: 'aGVsbG8=' },
		]));
		assert.equal((await stored(t.task, 'cte')).bytes.toString(), 'aGVsbG8=');
	});

	test('request Content-Type is compared case-insensitively', async () => {
		const t = await target();
		const boundary = 'CaseBoundary42';
		const body = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="data"\r\n\r\ncase\r\n--${boundary}--\r\n`);
		assertNoContent(await s.postRaw(t.url('mixed'), body, `Multipart/Form-Data; boundary=${boundary}`));
		assert.equal((await stored(t.task, 'mixed')).bytes.toString(), 'case');
	});

	test('valueType part: no Content-Type is text; text/plain with a charset is text', async () => {
		const t = await target();
		assertNoContent(await s.postMultipart(t.url('vt1'), [
			{ name: 'data', filename: 'a.txt', contentType: 'text/plain', data: 'a' },
			{ name: 'valueType', contentType: 'text/plain; charset=UTF-8', data: 'File' },
		]));
		assert.equal((await stored(t.task, 'vt1')).row.type_, 'file');
	});

	// RFC 2046 section 5.1.1: CRLF "--" boundary may not occur in a value at
	// all, but everything short of it may.
	test('near-delimiters inside a value (a boundary prefix, one dash, no CRLF before it) are content', async () => {
		const t = await target();
		const mp = { boundary: 'XyZ' };
		const value = Buffer.from('line\r\n--Xy\r\n-XyZ\r\nmid--XyZ--\r\n\r\n--X\r\n--\r\nend\r\n-');
		const body = Buffer.concat([
			Buffer.from(`--${mp.boundary}\r\nContent-Disposition: form-data; name="data"\r\n\r\n`),
			value,
			Buffer.from(`\r\n--${mp.boundary}--\r\n`),
		]);
		assertNoContent(await s.postRaw(t.url('bl'), body, `multipart/form-data; boundary=${mp.boundary}`));
		assert.ok((await stored(t.task, 'bl')).bytes.equals(value));
	});

	test('a quoted boundary parameter and a preamble/epilogue are accepted', async () => {
		const t = await target();
		const b = 'quoted:boundary';
		const body = Buffer.from(`preamble text\r\n--${b}\r\nContent-Disposition: form-data; name="data"\r\n\r\nq\r\n--${b}--\r\nepilogue`);
		assertNoContent(await s.postRaw(t.url('qb'), body, `multipart/form-data; boundary="${b}"`));
		assert.equal((await stored(t.task, 'qb')).bytes.toString(), 'q');
	});

	test('the four seed POST endpoints answer 204 with no body', async () => {
		const pi = s.uid('pi');
		const ci = s.uid('ci');
		const task = s.uid('task');
		await s.createProcessInstance(pi);
		await s.createCaseInstance(ci);
		await s.createTask(task, { executionId: pi });
		for (const p of [
			`${E}/task/${task}/localVariables/seed/data`,
			`${E}/task/${task}/variables/seed2/data`,
			`${E}/process-instance/${pi}/variables/seed3/data`,
			`${E}/case-instance/${ci}/variables/seed4/data`,
		]) {
			assertNoContent(await s.postMultipart(p, [{ name: 'data', data: p }]));
		}
	});
});

// The rest of the binary-variable family (spec section 4, issue 3):
// POST and GET /execution/{id}/localVariables/{name}/data,
// /case-execution/{id}/variables/{name}/data and
// /case-execution/{id}/localVariables/{name}/data, GET
// /variable-instance/{id}/data, their /engine/default aliases, another
// engine name, HEAD, other methods and unknown paths, with every applicable
// row of spec sections 5, 7 and 8.  (The rows they leave in the tables are
// checked column by column in family-storage.test.mjs.)

import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { multipart, suite } from './harness.mjs';
import { allBytes, assertColumns, assertError, assertFraming, assertNoContent, assertValue } from './expect.mjs';

const E = '/engine-rest';
const D = '/engine-rest/engine/default';
const OCTET = 'application/octet-stream';
const MALFORMED = 'multipart/form-data cannot be processed';
const NO_ENGINE = '{"type":"RestException","message":"No process engine available","code":null}';

// The three scoped endpoints of the family: their path, the scope a test
// addresses (at), where a new name written there lands (lands: spec section
// 5), how to put a variable there, the <scope> word of their
// messages (spec section 8) and their engine texts.
const SCOPED = [
	{
		label: 'execution localVariables',
		seg: (id, n) => `execution/${id}/localVariables/${n}/data`,
		at: (w) => w.exe,
		lands: (w) => w.exe,
		scopeOf: (id) => ({ executionId: id }),
		word: 'execution',
		cannotGet: (id, n) => `Cannot get execution variable ${n}: execution ${id} doesn't exist: execution is null`,
		cannotPut: (id, n) => `Cannot put execution variable ${n}: execution ${id} doesn't exist: execution is null`,
	},
	{
		label: 'case-execution variables',
		seg: (id, n) => `case-execution/${id}/variables/${n}/data`,
		at: (w) => w.ce,
		lands: (w) => w.ci,
		scopeOf: (id) => ({ caseExecutionId: id }),
		word: 'case execution',
		cannotGet: (id, n) => `Cannot get case execution variable ${n}: case execution ${id} doesn't exist: caseExecution is null`,
		cannotPut: (id, n) => `Cannot put case execution variable ${n}: There does not exist any case execution with id: '${id}': caseExecution is null`,
	},
	{
		label: 'case-execution localVariables',
		seg: (id, n) => `case-execution/${id}/localVariables/${n}/data`,
		at: (w) => w.ce,
		lands: (w) => w.ce,
		scopeOf: (id) => ({ caseExecutionId: id }),
		word: 'case execution',
		cannotGet: (id, n) => `Cannot get case execution variable ${n}: case execution ${id} doesn't exist: caseExecution is null`,
		cannotPut: (id, n) => `Cannot put case execution variable ${n}: There does not exist any case execution with id: '${id}': caseExecution is null`,
	},
];

const url = (ep, id, name, base = E) => `${base}/${ep.seg(id, name)}`;

// The response headers as a list, without Date (which may tick between two
// requests): HEAD must answer exactly these of the GET (spec section 4).
const headersSansDate = (res) => {
	const out = [];
	for (let i = 0; i < res.rawHeaders.length; i += 2) {
		if (res.rawHeaders[i].toLowerCase() !== 'date')
			out.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
	}
	return out;
};

suite('the family: execution, case-execution, variable-instance', {}, (s, test) => {
	// pi -> exe -> sub, a user task on exe; ci -> ce -> ce2, a case task on
	// ce.  Fresh ids for every test.
	async function world() {
		const w = {
			pi: s.uid('pi'), exe: s.uid('exe'), sub: s.uid('sub'), task: s.uid('task'),
			ci: s.uid('ci'), ce: s.uid('ce'), ce2: s.uid('ce2'), ctask: s.uid('ctask'),
		};
		await s.createProcessInstance(w.pi, { children: [{ id: w.exe, children: [{ id: w.sub }] }] });
		await s.createTask(w.task, { executionId: w.exe });
		await s.createCaseInstance(w.ci, { children: [{ id: w.ce, children: [{ id: w.ce2 }] }] });
		await s.createTask(w.ctask, { caseExecutionId: w.ce });
		return w;
	}

	const put = (scope, name, value) => s.insertVariable({ name, bytes: Buffer.from(value), ...scope });
	const readsAs = async (p, value) => assertValue(await s.get(p), { contentType: OCTET, body: value });
	const post = async (p, value) => assertNoContent(await s.putBytes(p, Buffer.from(value)));

	// No row of that name anywhere, and no byte array left behind.
	async function nothingStored(name) {
		assert.deepEqual(await s.variables(name), [], `no variable ${name}`);
		assert.deepEqual(await s.orphanBytearrays(), [], 'no stray byte array');
	}

	// ================= section 7: GET, per scoped endpoint =================

	for (const ep of SCOPED) {
		test(`${ep.label}: Bytes (all 256 byte values) -> 200 application/octet-stream, no Content-Disposition`, async () => {
			const w = await world();
			const bytes = allBytes();
			await s.insertVariable({ name: 'blob', bytes, ...ep.scopeOf(ep.at(w)) });
			const res = await s.get(url(ep, ep.at(w), 'blob'));
			assertValue(res, { contentType: OCTET, body: bytes });
			assert.equal(res.headers['content-length'], String(bytes.length));
		});

		test(`${ep.label}: Bytes with a null value -> 200, empty body`, async () => {
			const w = await world();
			await s.insertVariable({ name: 'nothing', bytes: null, ...ep.scopeOf(ep.at(w)) });
			const res = await s.get(url(ep, ep.at(w), 'nothing'));
			assertValue(res, { contentType: OCTET, body: Buffer.alloc(0) });
			assert.equal(res.headers['content-length'], '0');
		});

		test(`${ep.label}: File -> 200 with mime type, charset and Content-Disposition`, async () => {
			const w = await world();
			await s.insertVariable({ name: 'doc', type: 'file', text: 'Grüße €.txt', text2: 'text/plain#UTF-8',
				bytes: Buffer.from('hello file\n'), ...ep.scopeOf(ep.at(w)) });
			await s.insertVariable({ name: 'pdf', type: 'file', text: 'scan.pdf', text2: 'application/pdf#',
				bytes: Buffer.from('%PDF-1.4\n'), ...ep.scopeOf(ep.at(w)) });
			await s.insertVariable({ name: 'enc', type: 'file', text: 'latin.txt', text2: '#ISO-8859-1',
				bytes: Buffer.from([0xe9]), ...ep.scopeOf(ep.at(w)) });
			assertValue(await s.get(url(ep, ep.at(w), 'doc')), {
				contentType: 'text/plain; charset=UTF-8',
				body: 'hello file\n',
				disposition: `attachment; filename="Gr____e ___.txt"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%E2%82%AC.txt`,
			});
			assertValue(await s.get(url(ep, ep.at(w), 'pdf')), {
				contentType: 'application/pdf',
				body: '%PDF-1.4\n',
				disposition: `attachment; filename="scan.pdf"; filename*=UTF-8''scan.pdf`,
			});
			assertValue(await s.get(url(ep, ep.at(w), 'enc')), {
				contentType: 'application/octet-stream; charset=ISO-8859-1',
				body: Buffer.from([0xe9]),
				disposition: `attachment; filename="latin.txt"; filename*=UTF-8''latin.txt`,
			});
		});

		test(`${ep.label}: File with a null value -> 200, empty body, with Content-Disposition`, async () => {
			const w = await world();
			await s.insertVariable({ name: 'nofile', type: 'file', text: 'none.txt', text2: 'text/plain#', bytes: null,
				...ep.scopeOf(ep.at(w)) });
			assertValue(await s.get(url(ep, ep.at(w), 'nofile')), {
				contentType: 'text/plain',
				body: Buffer.alloc(0),
				disposition: `attachment; filename="none.txt"; filename*=UTF-8''none.txt`,
			});
		});

		test(`${ep.label}: serializable -> 200 application/octet-stream, the serialized bytes`, async () => {
			const w = await world();
			const bytes = Buffer.from('aced0005737200136a6176612e7574696c2e41727261794c697374', 'hex');
			await s.insertVariable({ name: 'ser', type: 'serializable', text2: 'java.util.ArrayList', bytes, ...ep.scopeOf(ep.at(w)) });
			assertValue(await s.get(url(ep, ep.at(w), 'ser')), { contentType: OCTET, body: bytes });
		});

		test(`${ep.label}: non-binary variables -> 400 "Value of variable with id <id from the URL> is not a binary value."`, async () => {
			const w = await world();
			const id = ep.at(w);
			for (const v of [
				{ name: 'str', type: 'string', text: 'just text' },
				{ name: 'int', type: 'integer', long: 42, text: '42' },
				{ name: 'json', type: 'spin://application/json', bytes: Buffer.from('{"a":1}'), text2: 'java.util.HashMap' },
				{ name: 'xml', type: 'spin://application/xml', bytes: Buffer.from('<a/>'), text2: 'java.lang.Object' },
			]) {
				await s.insertVariable({ ...v, ...ep.scopeOf(id) });
				assertError(await s.get(url(ep, id, v.name)), 400, 'InvalidRequestException',
					`Value of variable with id ${id} is not a binary value.`);
			}
		});

		test(`${ep.label}: unknown variable -> 404 "${ep.word} variable with name <name> does not exist"`, async () => {
			const w = await world();
			assertError(await s.get(url(ep, ep.at(w), 'absent')), 404, 'InvalidRequestException',
				`${ep.word} variable with name absent does not exist`);
		});

		test(`${ep.label}: addressed scope does not exist -> 404 "Cannot get ${ep.word} variable ..."`, async () => {
			assertError(await s.get(url(ep, 'nope', 'anyName')), 404, 'InvalidRequestException', ep.cannotGet('nope', 'anyName'));
			// A process execution id is no case execution, and the other way round.
			const w = await world();
			const other = ep.word === 'execution' ? w.ce : w.exe;
			assertError(await s.get(url(ep, other, 'anyName')), 404, 'InvalidRequestException', ep.cannotGet(other, 'anyName'));
		});

		test(`${ep.label}: id and name are percent-decoded segments; %2F stays inside the name`, async () => {
			const w = await world();
			const id = `${ep.at(w)}/x y`;
			if (ep.word === 'execution')
				await s.createProcessInstance(id);
			else
				await s.createCaseInstance(id);
			await s.insertVariable({ name: 'a/b c ü', bytes: Buffer.from('slash'), ...ep.scopeOf(id) });
			assertValue(await s.get(url(ep, encodeURIComponent(id), 'a%2Fb%20c%20%C3%BC')), { contentType: OCTET, body: 'slash' });
			assertError(await s.get(url(ep, encodeURIComponent(id), 'a%2Fb')), 404, 'InvalidRequestException',
				`${ep.word} variable with name a/b does not exist`);
			assertNoContent(await s.putBytes(url(ep, encodeURIComponent(id), 'new%2Fname'), Buffer.from('p')));
			assert.equal((await s.variable(id, 'new/name')).name_, 'new/name');
		});
	}

	// ================= section 7: GET /variable-instance/{id}/data =================

	test('variable-instance: Bytes, File, serializable and null values of rows in every kind of scope', async () => {
		const w = await world();
		const bytes = allBytes();
		const vb = await s.insertVariable({ name: 'vb', bytes, taskId: w.task });
		const vf = await s.insertVariable({ name: 'vf', type: 'file', text: 'report.txt', text2: 'text/plain#UTF-8',
			bytes: Buffer.from('file'), executionId: w.exe });
		const vs = await s.insertVariable({ name: 'vs', type: 'serializable', text2: 'java.util.ArrayList',
			bytes: Buffer.from('aced0005', 'hex'), caseExecutionId: w.ce });
		const vn = await s.insertVariable({ name: 'vn', bytes: null, caseExecutionId: w.ci });
		const vnf = await s.insertVariable({ name: 'vnf', type: 'file', text: 'n.txt', text2: null, bytes: null, taskId: w.ctask });
		assertValue(await s.get(`${E}/variable-instance/${vb.id}/data`), { contentType: OCTET, body: bytes });
		assertValue(await s.get(`${E}/variable-instance/${vf.id}/data`), {
			contentType: 'text/plain; charset=UTF-8',
			body: 'file',
			disposition: `attachment; filename="report.txt"; filename*=UTF-8''report.txt`,
		});
		assertValue(await s.get(`${E}/variable-instance/${vs.id}/data`), { contentType: OCTET, body: Buffer.from('aced0005', 'hex') });
		assertValue(await s.get(`${E}/variable-instance/${vn.id}/data`), { contentType: OCTET, body: Buffer.alloc(0) });
		assertValue(await s.get(`${E}/variable-instance/${vnf.id}/data`), {
			contentType: OCTET,
			body: Buffer.alloc(0),
			disposition: `attachment; filename="n.txt"; filename*=UTF-8''n.txt`,
		});
	});

	test('variable-instance: a value written by vardata is found by its new (UUID) ID_', async () => {
		const w = await world();
		await post(url(SCOPED[0], w.exe, 'written'), 'by vardata');
		const row = await s.variable(w.exe, 'written');
		await readsAs(`${E}/variable-instance/${row.id_}/data`, 'by vardata');
		await readsAs(`${D}/variable-instance/${row.id_}/data`, 'by vardata');
	});

	test('variable-instance: non-binary variables -> 400 "Value of variable with id <variable id> is not a binary value."', async () => {
		const w = await world();
		for (const v of [
			{ name: 'str', type: 'string', text: 't', taskId: w.task },
			{ name: 'lng', type: 'long', long: 4200000000, text: '4200000000', executionId: w.pi },
			{ name: 'json', type: 'spin://application/json', bytes: Buffer.from('{}'), text2: 'java.util.HashMap', caseExecutionId: w.ce },
			{ name: 'nul', type: 'null', executionId: w.exe },
		]) {
			const { id } = await s.insertVariable(v);
			assertError(await s.get(`${E}/variable-instance/${id}/data`), 400, 'InvalidRequestException',
				`Value of variable with id ${id} is not a binary value.`);
		}
	});

	test("variable-instance: unknown id -> 404 \"Variable instance with Id '<id>' does not exist.\" (id percent-decoded)", async () => {
		assertError(await s.get(`${E}/variable-instance/nope/data`), 404, 'InvalidRequestException',
			"Variable instance with Id 'nope' does not exist.");
		assertError(await s.get(`${E}/variable-instance/a%2Fb%20c/data`), 404, 'InvalidRequestException',
			"Variable instance with Id 'a/b c' does not exist.");
		const w = await world();
		const { id } = await s.insertVariable({ name: 'slashid', bytes: Buffer.from('found'), executionId: w.pi, id: 'var/1 x' });
		await readsAs(`${E}/variable-instance/${encodeURIComponent(id)}/data`, 'found');
	});

	// One exact byte comparison of the header line as it comes off the wire
	// (spec section 7: byte-identical to Camunda's for an ASCII name).
	test('Content-Disposition for an ASCII filename is byte-identical to Camunda\'s on every new GET endpoint', async () => {
		const w = await world();
		const fd = [{ name: 'data', filename: 'test.txt', contentType: 'text/plain', data: 'camunda' }, { name: 'valueType', data: 'File' }];
		assertNoContent(await s.postMultipart(url(SCOPED[0], w.exe, 'cd'), fd));
		assertNoContent(await s.postMultipart(url(SCOPED[2], w.ce, 'cd'), fd));
		const row = await s.variable(w.exe, 'cd');
		const want = Buffer.from("Content-Disposition: attachment; filename=\"test.txt\"; filename*=UTF-8''test.txt\r\n", 'latin1');
		for (const p of [
			url(SCOPED[0], w.exe, 'cd'), url(SCOPED[1], w.ce, 'cd'), url(SCOPED[2], w.ce, 'cd'),
			`${E}/variable-instance/${row.id_}/data`, url(SCOPED[0], w.exe, 'cd', D),
		]) {
			const raw = await rawGet(p);
			const head = raw.subarray(0, raw.indexOf('\r\n\r\n') + 2);
			assert.match(head.toString('latin1'), /^HTTP\/1\.1 200 /, p);
			const lines = head.toString('latin1').split('\r\n').filter((l) => /^content-disposition:/i.test(l));
			assert.equal(lines.length, 1, `one Content-Disposition line (${p})`);
			const at = head.indexOf(Buffer.from('\r\nContent-Disposition:', 'latin1'));
			assert.ok(at >= 0, `header spelled Content-Disposition (${p})`);
			assert.ok(head.subarray(at + 2, at + 2 + want.length).equals(want),
				`${p}: got ${JSON.stringify(head.subarray(at + 2, at + 2 + want.length).toString('latin1'))}`);
			assert.ok(raw.subarray(raw.indexOf('\r\n\r\n') + 4).equals(Buffer.from('camunda')), 'body');
		}
	});

	// A GET over a plain socket: the response exactly as sent.
	function rawGet(p) {
		return new Promise((resolve, reject) => {
			const chunks = [];
			const sock = net.connect(s.port, '127.0.0.1', () => {
				// write, not end: nginx takes a half-closed client for one that went away.
				sock.write(`GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
			});
			sock.setTimeout(60_000, () => sock.destroy(new Error(`GET ${p}: timed out`)));
			sock.on('data', (c) => chunks.push(c));
			sock.on('end', () => resolve(Buffer.concat(chunks)));
			sock.on('error', reject);
		});
	}

	// ================= section 6 through the new POST endpoints =================

	for (const ep of SCOPED) {
		test(`${ep.label} POST: Bytes (no valueType) -> 204; read back byte-exact here and by variable-instance`, async () => {
			const w = await world();
			const bytes = allBytes();
			const p = url(ep, ep.at(w), 'up');
			const res = await s.postMultipart(p, [{ name: 'data', filename: 'ignored.bin', contentType: 'text/plain', data: bytes }]);
			assertNoContent(res);
			assert.equal(res.headers['content-type'], undefined, 'no Content-Type on a 204');
			assertValue(await s.get(p), { contentType: OCTET, body: bytes });
			const row = await s.variable(ep.lands(w), 'up');
			assertColumns(row, { type_: 'bytes', text_: null, text2_: null }, 'variable row');
			assertValue(await s.get(`${E}/variable-instance/${row.id_}/data`), { contentType: OCTET, body: bytes });
		});

		test(`${ep.label} POST: File with filename, mime type and encoding -> GET answers them`, async () => {
			const w = await world();
			const p = url(ep, ep.at(w), 'file');
			assertNoContent(await s.postMultipart(p, [
				{ name: 'data', filename: 'Ünïcødé €.txt', contentType: 'Text/Plain; encoding=UTF-8', data: 'grüße\n' },
				{ name: 'valueType', data: 'File' },
			]));
			assertColumns(await s.variable(ep.lands(w), 'file'), { type_: 'file', text_: 'Ünïcødé €.txt', text2_: 'text/plain#UTF-8' }, 'variable row');
			assertValue(await s.get(p), {
				contentType: 'text/plain; charset=UTF-8',
				body: 'grüße\n',
				disposition: `attachment; filename="__n__c__d__ ___.txt"; filename*=UTF-8''%C3%9Cn%C3%AFc%C3%B8d%C3%A9%20%E2%82%AC.txt`,
			});
		});

		test(`${ep.label} POST: variableType file and serializable -> stored, readable`, async () => {
			const w = await world();
			assertNoContent(await s.postMultipart(url(ep, ep.at(w), 'vf'), [
				{ name: 'data', filename: 'raw.bin', data: Buffer.from([9, 8, 7]) },
				{ name: 'variableType', data: 'file' },
			]));
			assertColumns(await s.variable(ep.lands(w), 'vf'), { type_: 'file', text_: 'raw.bin', text2_: 'application/octet-stream#' }, 'file row');
			const ser = Buffer.from('aced00057400057465737421', 'hex');
			assertNoContent(await s.postMultipart(url(ep, ep.at(w), 'ser'), [
				{ name: 'data', contentType: 'application/x-java-serialized-object', data: ser },
				{ name: 'valueType', data: 'Serializable' },
			]));
			assertColumns(await s.variable(ep.lands(w), 'ser'), { type_: 'serializable', text_: null, text2_: null }, 'serializable row');
			assertValue(await s.get(url(ep, ep.at(w), 'ser')), { contentType: OCTET, body: ser });
		});

		test(`${ep.label} POST: deprecated type + JSON -> Spin JSON object (GET answers 400); JSON null stores nothing`, async () => {
			const w = await world();
			const id = ep.at(w);
			assertNoContent(await s.postMultipart(url(ep, id, 'obj'), [
				{ name: 'data', contentType: 'application/json', data: '{"amount":42}' },
				{ name: 'type', data: 'java.util.HashMap' },
			]));
			assertColumns(await s.variable(ep.lands(w), 'obj'), { type_: 'spin://application/json', text_: null, text2_: 'java.util.HashMap' }, 'row');
			assertError(await s.get(url(ep, id, 'obj')), 400, 'InvalidRequestException', `Value of variable with id ${id} is not a binary value.`);
			assertNoContent(await s.postMultipart(url(ep, id, 'jnull'), [
				{ name: 'data', contentType: 'application/json', data: 'null' },
				{ name: 'type', data: 'java.lang.Object' },
			]));
			await nothingStored('jnull');
		});

		test(`${ep.label} POST: addressed scope does not exist -> 500 RestException "Cannot put ${ep.word} variable ...", code 0`, async () => {
			const name = s.uid('v');
			assertError(await s.postMultipart(url(ep, 'nope', name), [{ name: 'data', data: 'x' }]), 500, 'RestException',
				ep.cannotPut('nope', name), 0);
			await nothingStored(name);
		});
	}

	// ================= section 8: the POST error rows, on every new POST endpoint =================

	// Runs one error case against each scoped endpoint; nothing may be stored.
	async function eachEndpoint(check) {
		const w = await world();
		for (const ep of SCOPED) {
			const name = s.uid('m');
			await check(url(ep, ep.at(w), name), ep);
			await nothingStored(name);
		}
	}

	const dataPart = { name: 'data', filename: 'a.bin', contentType: OCTET, data: 'x' };

	test('request not multipart/form-data (JSON, text, urlencoded, none) -> 415 RestException', async () => {
		await eachEndpoint(async (p) => {
			for (const ct of ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/mixed; boundary=abc'])
				assertError(await s.postRaw(p, Buffer.from('--abc\r\n\r\n'), ct), 415, 'RestException', /\S/);
			assertError(await s.postRaw(p, Buffer.from('data'), null, ['-H', 'Content-Type:']), 415, 'RestException', /\S/);
		});
	});

	test('malformed multipart (no boundary, truncated, bad part header, nameless part) -> 400 "multipart/form-data cannot be processed"', async () => {
		await eachEndpoint(async (p) => {
			const part = '--abc\r\nContent-Disposition: form-data; name="data"\r\n\r\nx\r\n--abc--\r\n';
			assertError(await s.postRaw(p, Buffer.from(part), 'multipart/form-data'), 400, 'RestException', MALFORMED);
			assertError(await s.postRaw(p, Buffer.from('--abc\r\nContent-Disposition: form-data; name="data"\r\n\r\nhalf'),
				'multipart/form-data; boundary=abc'), 400, 'RestException', MALFORMED);
			assertError(await s.postRaw(p, Buffer.from('--abc\r\nContent-Disposition: form-data; name="data"\r\nno header line\r\n\r\nx\r\n--abc--\r\n'),
				'multipart/form-data; boundary=abc'), 400, 'RestException', MALFORMED);
			assertError(await s.postRaw(p, Buffer.from('--abc\r\nContent-Disposition: form-data; filename="a"\r\n\r\nx\r\n--abc--\r\n'),
				'multipart/form-data; boundary=abc'), 400, 'RestException', MALFORMED);
		});
	});

	test('no data part -> 400 InvalidRequestException naming the part', async () => {
		await eachEndpoint(async (p) => {
			assertError(await s.postMultipart(p, [{ name: 'valueType', data: 'Bytes' }, { name: 'Data', data: 'x' }]),
				400, 'InvalidRequestException', /\bdata\b/);
		});
	});

	test("valueType part not text/plain -> 400 \"Form part with name 'valueType' must have a text/plain value\"", async () => {
		await eachEndpoint(async (p) => {
			assertError(await s.postMultipart(p, [dataPart, { name: 'valueType', contentType: 'application/json', data: 'Bytes' }]),
				400, 'InvalidRequestException', "Form part with name 'valueType' must have a text/plain value");
		});
	});

	test("unknown value type (FILE, empty) -> 400 RestException \"Unsupported value type '<as sent>'\"", async () => {
		await eachEndpoint(async (p) => {
			for (const vt of ['FILE', ''])
				assertError(await s.postMultipart(p, [dataPart, { name: 'valueType', data: vt }]), 400, 'RestException', `Unsupported value type '${vt}'`);
			assertError(await s.postMultipart(p, [dataPart, { name: 'variableType', data: 'Foo' }]), 400, 'RestException', "Unsupported value type 'Foo'");
		});
	});

	test("Object / Json / Xml with binary data -> 400 \"Must provide 'null' or String value for value of SerializableValue type '<as sent>'.\"", async () => {
		await eachEndpoint(async (p) => {
			for (const vt of ['Object', 'json', 'Xml']) {
				assertError(await s.postMultipart(p, [dataPart, { name: 'valueType', data: vt }]), 400, 'InvalidRequestException',
					`Must provide 'null' or String value for value of SerializableValue type '${vt}'.`);
			}
		});
	});

	test('other known non-binary types (String, Integer, Boolean) -> 400 InvalidRequestException', async () => {
		await eachEndpoint(async (p) => {
			for (const vt of ['String', 'integer', 'Boolean'])
				assertError(await s.postMultipart(p, [dataPart, { name: 'valueType', data: vt }]), 400, 'InvalidRequestException', /\S/);
		});
	});

	test('File without filename -> 400 "Cannot create file without filename! ..."', async () => {
		await eachEndpoint(async (p) => {
			assertError(await s.postMultipart(p, [{ name: 'data', contentType: 'text/plain', data: 'no name' }, { name: 'valueType', data: 'File' }]),
				400, 'InvalidRequestException', 'Cannot create file without filename! Please set a name into ValueInfo with key filename');
		});
	});

	test('File with an invalid data Content-Type -> 400 RestException "Invalid mime type given"', async () => {
		await eachEndpoint(async (p) => {
			for (const ct of ['text/', 'garbage'])
				assertError(await s.postMultipart(p, [{ name: 'data', filename: 'a.txt', contentType: ct, data: 'x' }, { name: 'valueType', data: 'File' }]),
					400, 'RestException', 'Invalid mime type given');
		});
	});

	test('type part with data not application/json -> 400 "Unrecognized content type for serialized java type: <ct>"', async () => {
		await eachEndpoint(async (p) => {
			assertError(await s.postMultipart(p, [{ name: 'data', contentType: 'text/plain', data: '{}' }, { name: 'type', data: 'java.util.HashMap' }]),
				400, 'InvalidRequestException', 'Unrecognized content type for serialized java type: text/plain');
		});
	});

	test('type part with invalid JSON -> 400 "Could not deserialize JSON object: <reason>"', async () => {
		await eachEndpoint(async (p) => {
			assertError(await s.postMultipart(p, [{ name: 'data', contentType: 'application/json', data: '{"a":' }, { name: 'type', data: 'java.util.HashMap' }]),
				400, 'InvalidRequestException', /^Could not deserialize JSON object: \S/);
		});
	});

	test('over a limit: 17 parts or an 8 KiB part header -> 400 RestException; a 2 GiB body -> 413 RestException', async () => {
		await eachEndpoint(async (p) => {
			const filler = Array.from({ length: 16 }, (_, i) => ({ name: `extra${i}`, data: 'f' }));
			// Spec section 8: the message names the limit.
			assertError(await s.postMultipart(p, [dataPart, ...filler]), 400, 'RestException', /\b16 parts\b.*--max-parts/);
			assertError(await s.postMultipart(p, [{ ...dataPart, headers: [`X-Pad: ${'p'.repeat(9000)}`] }]), 400, 'RestException',
				/\b8192 bytes\b.*--max-part-header/);
			// nginx answers this one from the declared length (client_max_body_size), before vardata sees it.
			assertError(await declaredBody(p, 2 * 1024 * 1024 * 1024), 413, 'RestException', /size limit \(client_max_body_size 1024m\)/);
		});
	});

	// A POST that declares a body of the given length and sends none of it:
	// the answer must come from the declared length alone.
	function declaredBody(p, length) {
		return new Promise((resolve, reject) => {
			const req = http.request(s.url(p), {
				method: 'POST',
				agent: false,
				headers: { 'content-type': 'multipart/form-data; boundary=abc', 'content-length': String(length) },
			});
			req.setTimeout(60_000, () => req.destroy(new Error(`POST ${p}: no answer to the declared length`)));
			req.on('response', (res) => {
				const chunks = [];
				res.on('data', (c) => chunks.push(c));
				res.on('end', () => {
					req.destroy();
					resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) });
				});
			});
			req.on('error', reject);
			req.flushHeaders();
		});
	}

	// ================= section 5: visibility and where writes land =================

	test('execution localVariables GET: that execution only (not its parent, child, or a task on it)', async () => {
		const w = await world();
		await put({ executionId: w.exe }, 'own', 'exe');
		await put({ executionId: w.pi }, 'parentOnly', 'pi');
		await put({ executionId: w.sub }, 'childOnly', 'sub');
		await put({ taskId: w.task }, 'taskOnly', 'task');
		await readsAs(`${E}/execution/${w.exe}/localVariables/own/data`, 'exe');
		for (const n of ['parentOnly', 'childOnly', 'taskOnly']) {
			assertError(await s.get(`${E}/execution/${w.exe}/localVariables/${n}/data`), 404, 'InvalidRequestException',
				`execution variable with name ${n} does not exist`);
		}
		// The same names through the non-local process-instance endpoint: the parent's is visible.
		await readsAs(`${E}/process-instance/${w.exe}/variables/parentOnly/data`, 'pi');
	});

	test('execution localVariables GET: the task-local twin of a name on that execution is not the execution\'s', async () => {
		const w = await world();
		await put({ taskId: w.task }, 'twin', 'task');
		await put({ executionId: w.exe }, 'twin', 'exe');
		await readsAs(`${E}/execution/${w.exe}/localVariables/twin/data`, 'exe');
		await readsAs(`${E}/task/${w.task}/localVariables/twin/data`, 'task');
	});

	test('execution localVariables GET with the process instance id: the instance\'s own variables', async () => {
		const w = await world();
		await put({ executionId: w.pi }, 'piVar', 'pi');
		await put({ executionId: w.exe }, 'exeVar', 'exe');
		await readsAs(`${E}/execution/${w.pi}/localVariables/piVar/data`, 'pi');
		assertError(await s.get(`${E}/execution/${w.pi}/localVariables/exeVar/data`), 404, 'InvalidRequestException',
			'execution variable with name exeVar does not exist');
	});

	test('execution localVariables POST: lands in that execution even when its parent and a task on it have the name', async () => {
		const w = await world();
		const atPi = await put({ executionId: w.pi }, 'shared', 'pi');
		const atTask = await put({ taskId: w.task }, 'shared', 'task');
		await post(`${E}/execution/${w.exe}/localVariables/shared/data`, 'exe 1');
		await post(`${E}/execution/${w.exe}/localVariables/shared/data`, 'exe 2');
		const byScope = Object.fromEntries((await s.variables('shared')).map((r) => [r.var_scope_, r]));
		assert.deepEqual(Object.keys(byScope).sort(), [w.pi, w.exe, w.task].sort());
		assertColumns(byScope[w.exe], { execution_id_: w.exe, task_id_: null, rev_: 2 }, 'the execution\'s row');
		assertColumns(byScope[w.pi], { id_: atPi.id, rev_: 1, bytearray_id_: atPi.bytearrayId }, 'the parent\'s row, untouched');
		assertColumns(byScope[w.task], { id_: atTask.id, rev_: 1, bytearray_id_: atTask.bytearrayId }, 'the task\'s row, untouched');
		await readsAs(`${E}/execution/${w.exe}/localVariables/shared/data`, 'exe 2');
		await readsAs(`${E}/task/${w.task}/variables/shared/data`, 'task');
		await readsAs(`${E}/process-instance/${w.pi}/variables/shared/data`, 'pi');
		assertColumns(await s.task(w.task), { rev_: 1, task_state_: 'Created', last_updated_: null }, 'task row');
	});

	test('case-execution variables GET: the case execution, then its parents; nearest wins; not children or case tasks', async () => {
		const w = await world();
		await put({ caseExecutionId: w.ci }, 'atCi', 'ci');
		await put({ caseExecutionId: w.ce }, 'atCe', 'ce');
		await put({ caseExecutionId: w.ci }, 'both', 'ci');
		await put({ caseExecutionId: w.ce }, 'both', 'ce');
		await put({ caseExecutionId: w.ce2 }, 'childOnly', 'ce2');
		await put({ taskId: w.ctask }, 'taskOnly', 'task');
		await readsAs(`${E}/case-execution/${w.ce}/variables/atCi/data`, 'ci');
		await readsAs(`${E}/case-execution/${w.ce}/variables/atCe/data`, 'ce');
		await readsAs(`${E}/case-execution/${w.ce}/variables/both/data`, 'ce');
		await readsAs(`${E}/case-execution/${w.ce2}/variables/both/data`, 'ce');
		await readsAs(`${E}/case-execution/${w.ci}/variables/both/data`, 'ci');
		for (const n of ['childOnly', 'taskOnly']) {
			assertError(await s.get(`${E}/case-execution/${w.ce}/variables/${n}/data`), 404, 'InvalidRequestException',
				`case execution variable with name ${n} does not exist`);
		}
	});

	test('case-execution localVariables GET: that case execution only', async () => {
		const w = await world();
		await put({ caseExecutionId: w.ci }, 'atCi', 'ci');
		await put({ caseExecutionId: w.ce }, 'atCe', 'ce');
		await put({ caseExecutionId: w.ce2 }, 'atCe2', 'ce2');
		await put({ taskId: w.ctask }, 'atTask', 'task');
		await readsAs(`${E}/case-execution/${w.ce}/localVariables/atCe/data`, 'ce');
		for (const n of ['atCi', 'atCe2', 'atTask']) {
			assertError(await s.get(`${E}/case-execution/${w.ce}/localVariables/${n}/data`), 404, 'InvalidRequestException',
				`case execution variable with name ${n} does not exist`);
		}
	});

	test('case-execution variables POST: updates the nearest scope that has the name, else creates in the case instance', async () => {
		const w = await world();
		await put({ caseExecutionId: w.ce }, 'near', 'ce old');
		await put({ caseExecutionId: w.ci }, 'near', 'ci old');
		await put({ caseExecutionId: w.ci }, 'far', 'ci old');
		const taskTwin = await put({ taskId: w.ctask }, 'far', 'task');
		await post(`${E}/case-execution/${w.ce2}/variables/near/data`, 'ce new');
		await post(`${E}/case-execution/${w.ce2}/variables/far/data`, 'ci new');
		await post(`${E}/case-execution/${w.ce2}/variables/fresh/data`, 'root');
		const near = Object.fromEntries((await s.variables('near')).map((r) => [r.var_scope_, r]));
		assert.deepEqual(Object.keys(near).sort(), [w.ce, w.ci].sort(), 'no new row for "near"');
		assert.equal(near[w.ce].rev_, 2);
		assert.equal(near[w.ci].rev_, 1);
		await readsAs(`${E}/case-execution/${w.ce}/localVariables/near/data`, 'ce new');
		await readsAs(`${E}/case-execution/${w.ci}/localVariables/near/data`, 'ci old');
		const far = Object.fromEntries((await s.variables('far')).map((r) => [r.var_scope_, r]));
		assert.deepEqual(Object.keys(far).sort(), [w.ci, w.ctask].sort(), 'no new row for "far"');
		assertColumns(far[w.ctask], { id_: taskTwin.id, rev_: 1, bytearray_id_: taskTwin.bytearrayId }, 'the case task\'s row, untouched');
		await readsAs(`${E}/case-instance/${w.ci}/variables/far/data`, 'ci new');
		const fresh = await s.variables('fresh');
		assert.equal(fresh.length, 1);
		assertColumns(fresh[0], { var_scope_: w.ci, case_execution_id_: w.ci, task_id_: null }, 'a new name lands in the case instance');
		assertColumns(await s.task(w.ctask), { rev_: 1, task_state_: 'Created', last_updated_: null }, 'case task row');
	});

	test('case-execution localVariables POST: lands in that case execution even when its parent has the name', async () => {
		const w = await world();
		const atCi = await put({ caseExecutionId: w.ci }, 'loc', 'ci');
		await post(`${E}/case-execution/${w.ce}/localVariables/loc/data`, 'ce');
		const byScope = Object.fromEntries((await s.variables('loc')).map((r) => [r.var_scope_, r]));
		assert.deepEqual(Object.keys(byScope).sort(), [w.ce, w.ci].sort());
		assertColumns(byScope[w.ci], { id_: atCi.id, rev_: 1, bytearray_id_: atCi.bytearrayId }, 'the parent\'s row, untouched');
		await readsAs(`${E}/case-execution/${w.ce}/variables/loc/data`, 'ce');
		await readsAs(`${E}/case-execution/${w.ci}/variables/loc/data`, 'ci');
	});

	// ================= section 1: the engine prefix =================

	test('/engine-rest/engine/default/... serves GET and POST of every new endpoint like /engine-rest/...', async () => {
		const w = await world();
		for (const ep of SCOPED) {
			await post(url(ep, ep.at(w), 'viaDefault', D), `default ${ep.label}`);
			await readsAs(url(ep, ep.at(w), 'viaDefault'), `default ${ep.label}`);
			await readsAs(url(ep, ep.at(w), 'viaDefault', D), `default ${ep.label}`);
			assertError(await s.get(url(ep, ep.at(w), 'absent', D)), 404, 'InvalidRequestException',
				`${ep.word} variable with name absent does not exist`);
			assertError(await s.get(url(ep, 'nope', 'x', D)), 404, 'InvalidRequestException', ep.cannotGet('nope', 'x'));
			assertError(await s.postMultipart(url(ep, 'nope', 'x', D), [dataPart]), 500, 'RestException', ep.cannotPut('nope', 'x'), 0);
		}
		const row = await s.variable(w.exe, 'viaDefault');
		await readsAs(`${D}/variable-instance/${row.id_}/data`, 'default execution localVariables');
		assertError(await s.get(`${D}/variable-instance/nope/data`), 404, 'InvalidRequestException',
			"Variable instance with Id 'nope' does not exist.");
	});

	test('another engine name -> 404 {"type":"RestException","message":"No process engine available","code":null} for GET, HEAD and POST', async () => {
		const w = await world();
		await put({ executionId: w.exe }, 'there', 'x');
		const row = await s.variable(w.exe, 'there');
		const paths = [
			...SCOPED.map((ep) => url(ep, ep.at(w), 'there', `${E}/engine/other`)),
			...SCOPED.map((ep) => url(ep, 'nope', 'there', `${E}/engine/Default`)),
			`${E}/engine/other/variable-instance/${row.id_}/data`,
			`${E}/engine/camunda%2Fdefault/variable-instance/${row.id_}/data`,
		];
		for (const p of paths) {
			const res = await s.get(p);
			assertError(res, 404, 'RestException', 'No process engine available');
			assert.equal(res.body.toString(), NO_ENGINE, p);
			const head = await s.request('HEAD', p);
			assert.equal(head.status, 404, `HEAD ${p}`);
			assert.equal(head.body.length, 0);
			assert.equal(head.headers['content-length'], String(NO_ENGINE.length));
			assert.equal(head.headers['content-type'], 'application/json');
		}
		for (const p of paths.slice(0, 6)) {
			const res = await s.postMultipart(p, [dataPart]);
			assertError(res, 404, 'RestException', 'No process engine available');
			assert.equal(res.body.toString(), NO_ENGINE, p);
		}
		const rows = await s.variables('there');
		assert.equal(rows.length, 1, 'nothing written');
		assert.equal(rows[0].rev_, 1, 'the variable is untouched');
	});

	// ================= section 4: HEAD, other methods, unknown paths =================

	test('HEAD on every new GET endpoint: the same status and headers as GET, no body (values and errors)', async () => {
		const w = await world();
		for (const scope of [{ executionId: w.exe }, { caseExecutionId: w.ce }]) {
			await s.insertVariable({ name: 'hb', bytes: Buffer.from('0123456789'), ...scope });
			await s.insertVariable({ name: 'hf', type: 'file', text: 'h.txt', text2: 'text/plain#UTF-8', bytes: Buffer.from('abc'), ...scope });
			await s.insertVariable({ name: 'hs', type: 'string', text: 's', ...scope });
		}
		const hb = await s.variable(w.exe, 'hb');
		const hf = await s.variable(w.ce, 'hf');
		const hs = await s.variable(w.ce, 'hs');
		const paths = [];
		for (const ep of SCOPED) {
			for (const n of ['hb', 'hf', 'hs', 'absent'])
				paths.push(url(ep, ep.at(w), n), url(ep, ep.at(w), n, D));
			paths.push(url(ep, 'nope', 'hb'));
		}
		for (const id of [hb.id_, hf.id_, hs.id_, 'nope'])
			paths.push(`${E}/variable-instance/${id}/data`, `${D}/variable-instance/${id}/data`);
		const seen = new Set();
		for (const p of paths) {
			const get = await s.request('GET', p);
			const head = await s.request('HEAD', p);
			assert.equal(head.status, get.status, `HEAD ${p}`);
			assert.deepEqual(headersSansDate(head), headersSansDate(get), `HEAD ${p}: the GET's headers`);
			assert.equal(head.body.length, 0, `HEAD ${p}: no body`);
			assert.equal(get.headers['x-content-type-options'], 'nosniff');
			seen.add(get.status);
		}
		assert.deepEqual([...seen].sort(), [200, 400, 404], 'values and errors were compared');
	});

	test('other methods on every new path -> 405 with Allow (GET, HEAD, POST; variable-instance: GET, HEAD)', async () => {
		const w = await world();
		const paths = [];
		for (const ep of SCOPED)
			paths.push([url(ep, ep.at(w), 'x'), 'GET, HEAD, POST'], [url(ep, 'nope', 'x', D), 'GET, HEAD, POST']);
		paths.push([`${E}/variable-instance/1/data`, 'GET, HEAD'], [`${D}/variable-instance/1/data`, 'GET, HEAD']);
		for (const [p, allow] of paths) {
			const methods = ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND'];
			if (!allow.includes('POST'))
				methods.push('POST');
			for (const method of methods) {
				const res = await s.request(method, p, method === 'POST' ? { headers: { 'content-type': 'multipart/form-data; boundary=abc' }, body: '--abc--\r\n' } : {});
				assert.equal(res.status, 405, `${method} ${p}`);
				assert.equal(res.headers.allow, allow, `${method} ${p}: Allow`);
				assertError(res, 405, 'RestException', /\S/);
			}
		}
		await nothingStored('x');
	});

	// nginx itself refuses TRACE before any location is chosen; the spec's
	// "any other method: 405 with an Allow header" holds for it too.
	test('TRACE on a new path -> 405 with an Allow header', async () => {
		const w = await world();
		const res = await s.request('TRACE', url(SCOPED[0], w.exe, 'x'));
		assert.equal(res.status, 405);
		assert.equal(res.headers.allow, 'GET, HEAD, POST', `Allow (headers: ${JSON.stringify(res.headers)})`);
	});

	test('unknown paths near the new endpoints -> 404 RestException JSON', async () => {
		for (const p of [
			`${E}/execution/e/variables/x/data`,
			`${E}/case-instance/c/localVariables/x/data`,
			`${E}/process-instance/p/localVariables/x/data`,
			`${E}/execution/e/localVariables/x`,
			`${E}/execution/e/localVariables/x/data/more`,
			`${E}/case-execution/c/data`,
			`${E}/case-execution/c/variables/x/Data`,
			`${E}/Case-Execution/c/variables/x/data`,
			`${E}/variable-instance/v`,
			`${E}/variable-instance/v/data/more`,
			`${E}/variable-instance/data`,
			`${E}/variable-instance//data`,
			`${E}/variable-instance/./data`,
			`${E}/engine/default/variable-instance/v/datas`,
			`${E}/engine/default/execution/e/localVariables//data`,
			`${E}/engine/execution/e/localVariables/x/data`,
			`/engine-rest-x/execution/e/localVariables/x/data`,
			`/execution/e/localVariables/x/data`,
		]) {
			// Node's http sends the path as written (curl would remove dot-segments).
			const mp = multipart([dataPart]);
			for (const res of [
				await s.request('GET', p),
				await s.request('POST', p, { headers: { 'content-type': mp.contentType }, body: mp.body }),
			]) {
				assertError(res, 404, 'RestException', /\S/);
				assertFraming(res);
			}
		}
	});
});

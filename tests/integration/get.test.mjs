// GET .../data: every response type of spec section 7 and the GET rows of
// section 8, on the four seed GET endpoints.  The variables are inserted the
// way the Camunda engine writes them, so these tests do not depend on POST.

import assert from 'node:assert/strict';
import { suite } from './harness.mjs';
import { assertError, assertValue, assertFraming, assertNoContent } from './expect.mjs';

const E = '/engine-rest';

suite('GET binary data', {}, (s, test) => {
	// A process instance pi with a child execution exe, a task on exe, a case
	// instance ci and a standalone task: fresh ids for every test.
	async function world() {
		const w = { pi: s.uid('pi'), exe: s.uid('exe'), task: s.uid('task'), ci: s.uid('ci'), ce: s.uid('ce') };
		await s.createProcessInstance(w.pi, { children: [{ id: w.exe }] });
		await s.createTask(w.task, { executionId: w.exe });
		await s.createCaseInstance(w.ci, { children: [{ id: w.ce }] });
		return w;
	}

	// The four seed GET endpoints: where a value is put so that the endpoint
	// finds it, the <scope> of its messages, and its "Cannot get" engine text.
	const endpoints = [
		{
			label: 'task localVariables',
			path: (w, n) => `${E}/task/${w.task}/localVariables/${n}/data`,
			missingPath: (n) => `${E}/task/nope/localVariables/${n}/data`,
			scope: (w) => ({ taskId: w.task }),
			idOf: (w) => w.task,
			scopeName: 'task',
			cannotGet: (n) => `Cannot get task variable ${n}: task nope doesn't exist: task is null`,
		},
		{
			label: 'task variables',
			path: (w, n) => `${E}/task/${w.task}/variables/${n}/data`,
			missingPath: (n) => `${E}/task/nope/variables/${n}/data`,
			scope: (w) => ({ taskId: w.task }),
			idOf: (w) => w.task,
			scopeName: 'task',
			cannotGet: (n) => `Cannot get task variable ${n}: task nope doesn't exist: task is null`,
		},
		{
			label: 'process-instance variables',
			path: (w, n) => `${E}/process-instance/${w.pi}/variables/${n}/data`,
			missingPath: (n) => `${E}/process-instance/nope/variables/${n}/data`,
			scope: (w) => ({ executionId: w.pi }),
			idOf: (w) => w.pi,
			scopeName: 'process instance',
			cannotGet: (n) => `Cannot get process instance variable ${n}: execution nope doesn't exist: execution is null`,
		},
		{
			label: 'case-instance variables',
			path: (w, n) => `${E}/case-instance/${w.ci}/variables/${n}/data`,
			missingPath: (n) => `${E}/case-instance/nope/variables/${n}/data`,
			scope: (w) => ({ caseExecutionId: w.ci }),
			idOf: (w) => w.ci,
			scopeName: 'case execution',
			cannotGet: (n) => `Cannot get case execution variable ${n}: case execution nope doesn't exist: caseExecution is null`,
		},
	];

	for (const ep of endpoints) {
		test(`${ep.label}: Bytes -> 200 application/octet-stream, the bytes, no Content-Disposition`, async () => {
			const w = await world();
			const bytes = Buffer.from('binary \x00\x01\xff value', 'latin1');
			await s.insertVariable({ name: 'blob', bytes, ...ep.scope(w) });
			assertValue(await s.get(ep.path(w, 'blob')), { contentType: 'application/octet-stream', body: bytes });
		});

		test(`${ep.label}: File -> 200 with mime type, charset and Content-Disposition`, async () => {
			const w = await world();
			await s.insertVariable({ name: 'doc', type: 'file', text: 'report.txt', text2: 'text/plain#UTF-8',
				bytes: Buffer.from('hello file\n'), ...ep.scope(w) });
			assertValue(await s.get(ep.path(w, 'doc')), {
				contentType: 'text/plain; charset=UTF-8',
				body: 'hello file\n',
				disposition: `attachment; filename="report.txt"; filename*=UTF-8''report.txt`,
			});
		});

		test(`${ep.label}: serializable -> 200 application/octet-stream, the serialized bytes`, async () => {
			const w = await world();
			const bytes = Buffer.from('aced0005737200136a6176612e7574696c2e41727261794c697374', 'hex');
			await s.insertVariable({ name: 'ser', type: 'serializable', text2: 'java.util.ArrayList', bytes, ...ep.scope(w) });
			assertValue(await s.get(ep.path(w, 'ser')), { contentType: 'application/octet-stream', body: bytes });
		});

		// "<id from the URL>" is the id of the addressed scope, as in Camunda
		// (VariableResponseProvider is given the resource id).
		test(`${ep.label}: a string variable -> 400 "Value of variable with id <scope id> is not a binary value."`, async () => {
			const w = await world();
			await s.insertVariable({ name: 'str', type: 'string', text: 'just text', ...ep.scope(w) });
			assertError(await s.get(ep.path(w, 'str')), 400, 'InvalidRequestException',
				`Value of variable with id ${ep.idOf(w)} is not a binary value.`);
		});

		test(`${ep.label}: unknown variable -> 404 "${ep.scopeName} variable with name ... does not exist"`, async () => {
			const w = await world();
			assertError(await s.get(ep.path(w, 'absent')), 404, 'InvalidRequestException',
				`${ep.scopeName} variable with name absent does not exist`);
		});

		test(`${ep.label}: addressed scope does not exist -> 404 "Cannot get ..."`, async () => {
			assertError(await s.get(ep.missingPath('anyName')), 404, 'InvalidRequestException', ep.cannotGet('anyName'));
		});
	}

	test('Bytes with a null value (no byte array) -> 200, empty body', async () => {
		const w = await world();
		await s.insertVariable({ name: 'nothing', bytes: null, taskId: w.task });
		const res = await s.get(`${E}/task/${w.task}/localVariables/nothing/data`);
		assertValue(res, { contentType: 'application/octet-stream', body: Buffer.alloc(0) });
		assert.equal(res.headers['content-length'], '0');
	});

	test('Bytes with an empty value -> 200, empty body', async () => {
		const w = await world();
		await s.insertVariable({ name: 'empty', bytes: Buffer.alloc(0), executionId: w.pi });
		assertValue(await s.get(`${E}/process-instance/${w.pi}/variables/empty/data`),
			{ contentType: 'application/octet-stream', body: Buffer.alloc(0) });
	});

	test('File with a mime type and no encoding ("mime#") -> Content-Type without charset', async () => {
		const w = await world();
		await s.insertVariable({ name: 'pdf', type: 'file', text: 'scan.pdf', text2: 'application/pdf#',
			bytes: Buffer.from('%PDF-1.4\n'), taskId: w.task });
		assertValue(await s.get(`${E}/task/${w.task}/localVariables/pdf/data`), {
			contentType: 'application/pdf',
			body: '%PDF-1.4\n',
			disposition: `attachment; filename="scan.pdf"; filename*=UTF-8''scan.pdf`,
		});
	});

	test('File with a long mime type and encoding (TEXT2_ holds 4000 characters) -> the whole of both in Content-Type', async () => {
		const w = await world();
		const mime = `application/x-${'a'.repeat(3000)}`;
		const enc = 'e'.repeat(4000 - mime.length - 1);
		await s.insertVariable({ name: 'long', type: 'file', text: 'long.bin', text2: `${mime}#${enc}`,
			bytes: Buffer.from('x'), taskId: w.task });
		assertValue(await s.get(`${E}/task/${w.task}/localVariables/long/data`), {
			contentType: `${mime}; charset=${enc}`,
			body: 'x',
			disposition: `attachment; filename="long.bin"; filename*=UTF-8''long.bin`,
		});
	});

	test('File with an encoding and no mime type ("#enc") -> application/octet-stream; charset=enc', async () => {
		const w = await world();
		await s.insertVariable({ name: 'latin', type: 'file', text: 'latin.txt', text2: '#ISO-8859-1',
			bytes: Buffer.from([0xe9, 0x74, 0xe9]), taskId: w.task });
		assertValue(await s.get(`${E}/task/${w.task}/variables/latin/data`), {
			contentType: 'application/octet-stream; charset=ISO-8859-1',
			body: Buffer.from([0xe9, 0x74, 0xe9]),
			disposition: `attachment; filename="latin.txt"; filename*=UTF-8''latin.txt`,
		});
	});

	test('File with neither mime type nor encoding (TEXT2_ null) -> application/octet-stream', async () => {
		const w = await world();
		await s.insertVariable({ name: 'bare', type: 'file', text: 'bare.bin', text2: null,
			bytes: Buffer.from([1, 2, 3]), caseExecutionId: w.ci });
		assertValue(await s.get(`${E}/case-instance/${w.ci}/variables/bare/data`), {
			contentType: 'application/octet-stream',
			body: Buffer.from([1, 2, 3]),
			disposition: `attachment; filename="bare.bin"; filename*=UTF-8''bare.bin`,
		});
	});

	test('File with a null value -> 200, empty body, still with Content-Disposition', async () => {
		const w = await world();
		await s.insertVariable({ name: 'nofile', type: 'file', text: 'none.txt', text2: 'text/plain#', bytes: null, executionId: w.pi });
		assertValue(await s.get(`${E}/process-instance/${w.pi}/variables/nofile/data`), {
			contentType: 'text/plain',
			body: Buffer.alloc(0),
			disposition: `attachment; filename="none.txt"; filename*=UTF-8''none.txt`,
		});
	});

	test('File with a non-ASCII name: fallback with "_" per non-ASCII byte, filename* percent-encoded UTF-8', async () => {
		const w = await world();
		await s.insertVariable({ name: 'uni', type: 'file', text: 'Ünïcødé €.txt', text2: 'text/plain#UTF-8',
			bytes: Buffer.from('x'), taskId: w.task });
		const res = await s.get(`${E}/task/${w.task}/localVariables/uni/data`);
		assertValue(res, {
			contentType: 'text/plain; charset=UTF-8',
			body: 'x',
			disposition: `attachment; filename="__n__c__d__ ___.txt"; filename*=UTF-8''%C3%9Cn%C3%AFc%C3%B8d%C3%A9%20%E2%82%AC.txt`,
		});
	});

	test('File name with " and \\: backslash-escaped in the fallback, %22 and %5C in filename*', async () => {
		const w = await world();
		await s.insertVariable({ name: 'quoted', type: 'file', text: 'a"b\\c.txt', text2: 'text/plain#',
			bytes: Buffer.from('q'), taskId: w.task });
		assertValue(await s.get(`${E}/task/${w.task}/localVariables/quoted/data`), {
			contentType: 'text/plain',
			body: 'q',
			disposition: `attachment; filename="a\\"b\\\\c.txt"; filename*=UTF-8''a%22b%5Cc.txt`,
		});
	});

	test('File name encoded as Java URLEncoder does (+ as %20): only A-Z a-z 0-9 . - * _ stay', async () => {
		const w = await world();
		const name = "a b+c~!'()*,;=&@#$%^.-_Z9.txt";
		await s.insertVariable({ name: 'java', type: 'file', text: name, text2: 'text/plain#', bytes: Buffer.from('j'), taskId: w.task });
		assertValue(await s.get(`${E}/task/${w.task}/localVariables/java/data`), {
			contentType: 'text/plain',
			body: 'j',
			disposition: `attachment; filename="${name}"; filename*=UTF-8''a%20b%2Bc%7E%21%27%28%29*%2C%3B%3D%26%40%23%24%25%5E.-_Z9.txt`,
		});
	});

	test('File name with CR, LF and TAB (written by some other client): never a raw control byte in a header', async () => {
		const w = await world();
		await s.insertVariable({ name: 'evilname', type: 'file', text: 'evil\r\nX-Injected: 1\t.txt', text2: 'text/plain#',
			bytes: Buffer.from('e'), taskId: w.task });
		const res = await s.get(`${E}/task/${w.task}/localVariables/evilname/data`);
		assert.equal(res.headers['x-injected'], undefined, 'no injected header');
		assertValue(res, {
			contentType: 'text/plain',
			body: 'e',
			disposition: `attachment; filename="evil__X-Injected: 1_.txt"; filename*=UTF-8''evil%0D%0AX-Injected%3A%201%09.txt`,
		});
	});

	test('stored mime type with CR LF (written by some other client): validated again on the way out', async () => {
		const w = await world();
		await s.insertVariable({ name: 'evilmime', type: 'file', text: 'm.txt', text2: 'text/plain\r\nX-Injected: 1#',
			bytes: Buffer.from('m'), taskId: w.task });
		const res = await s.get(`${E}/task/${w.task}/localVariables/evilmime/data`);
		assert.equal(res.status, 200);
		assert.equal(res.headers['x-injected'], undefined, 'no injected header');
		assert.doesNotMatch(res.rawHeaders, /X-Injected/i);
		assert.ok(!/[\x00-\x08\x0a-\x1f\x7f]/.test(res.headers['content-type']), 'no control byte in Content-Type');
		assert.equal(res.body.toString(), 'm');
	});

	test('stored encoding with CR LF: validated again on the way out', async () => {
		const w = await world();
		await s.insertVariable({ name: 'evilenc', type: 'file', text: 'e.txt', text2: 'text/plain#UTF-8\r\nX-Injected: 1',
			bytes: Buffer.from('n'), taskId: w.task });
		const res = await s.get(`${E}/task/${w.task}/localVariables/evilenc/data`);
		assert.equal(res.status, 200);
		assert.equal(res.headers['x-injected'], undefined, 'no injected header');
		assert.doesNotMatch(res.rawHeaders, /X-Injected/i);
		assert.equal(res.body.toString(), 'n');
	});

	for (const v of [
		{ type: 'integer', long: 42, text: '42' },
		{ type: 'long', long: 4200000000, text: '4200000000' },
		{ type: 'double', double: 1.5, text: '1.5' },
		{ type: 'boolean', long: 1 },
		{ type: 'short', long: 7, text: '7' },
		{ type: 'date', long: 1700000000000 },
		{ type: 'null' },
		{ type: 'spin://application/json', bytes: Buffer.from('{"a":1}'), text2: 'java.util.HashMap' },
		{ type: 'xml', bytes: Buffer.from('<a/>'), text2: 'java.lang.Object' },
	]) {
		test(`${/^[aeiou]/.test(v.type) ? 'an' : 'a'} ${v.type} variable -> 400 "Value of variable with id <task id> is not a binary value."`, async () => {
			const w = await world();
			await s.insertVariable({ name: 'nb', ...v, taskId: w.task });
			assertError(await s.get(`${E}/task/${w.task}/variables/nb/data`), 400, 'InvalidRequestException',
				`Value of variable with id ${w.task} is not a binary value.`);
		});
	}

	test('HEAD answers like GET without a body (Bytes and File)', async () => {
		const w = await world();
		await s.insertVariable({ name: 'hb', bytes: Buffer.from('0123456789'), taskId: w.task });
		await s.insertVariable({ name: 'hf', type: 'file', text: 'h.txt', text2: 'text/plain#UTF-8', bytes: Buffer.from('abc'), taskId: w.task });
		for (const [name, type, len, disp] of [
			['hb', 'application/octet-stream', '10', undefined],
			['hf', 'text/plain; charset=UTF-8', '3', `attachment; filename="h.txt"; filename*=UTF-8''h.txt`],
		]) {
			const res = await s.request('HEAD', `${E}/task/${w.task}/variables/${name}/data`);
			assert.equal(res.status, 200);
			assert.equal(res.headers['content-type'], type);
			assert.equal(res.headers['content-length'], len);
			assert.equal(res.headers['content-disposition'], disp);
			assert.equal(res.headers['x-content-type-options'], 'nosniff');
			assert.equal(res.body.length, 0);
		}
	});

	test('HEAD of an unknown variable -> 404 without a body', async () => {
		const w = await world();
		const res = await s.request('HEAD', `${E}/task/${w.task}/variables/absent/data`);
		assert.equal(res.status, 404);
		assert.equal(res.body.length, 0);
		assert.equal(res.headers['x-content-type-options'], 'nosniff');
	});

	test('names and ids are percent-decoded path segments; %2F stays inside the name', async () => {
		const w = await world();
		await s.insertVariable({ name: 'a/b c ü', bytes: Buffer.from('slash'), taskId: w.task });
		assertValue(await s.get(`${E}/task/${w.task}/localVariables/a%2Fb%20c%20%C3%BC/data`),
			{ contentType: 'application/octet-stream', body: 'slash' });
		assertError(await s.get(`${E}/task/${w.task}/localVariables/a%2Fb/data`), 404, 'InvalidRequestException',
			'task variable with name a/b does not exist');
	});

	test('/engine-rest/engine/default/... is the same API; another engine name -> 404', async () => {
		const w = await world();
		await s.insertVariable({ name: 'eng', bytes: Buffer.from('default engine'), executionId: w.pi });
		assertValue(await s.get(`${E}/engine/default/process-instance/${w.pi}/variables/eng/data`),
			{ contentType: 'application/octet-stream', body: 'default engine' });
		assertError(await s.get(`${E}/engine/other/process-instance/${w.pi}/variables/eng/data`), 404,
			'RestException', 'No process engine available');
	});

	test('GET /variable-instance/{id}/data: the row with that ID_', async () => {
		const w = await world();
		const v = await s.insertVariable({ name: 'vi', bytes: Buffer.from('by id'), taskId: w.task });
		assertValue(await s.get(`${E}/variable-instance/${v.id}/data`), { contentType: 'application/octet-stream', body: 'by id' });
		const str = await s.insertVariable({ name: 'vistr', type: 'string', text: 't', taskId: w.task });
		assertError(await s.get(`${E}/variable-instance/${str.id}/data`), 400, 'InvalidRequestException',
			`Value of variable with id ${str.id} is not a binary value.`);
		assertError(await s.get(`${E}/variable-instance/nope/data`), 404, 'InvalidRequestException',
			"Variable instance with Id 'nope' does not exist.");
	});

	test('methods other than GET, HEAD, POST -> 405 with an Allow header', async () => {
		const w = await world();
		for (const method of ['PUT', 'DELETE', 'PATCH']) {
			const res = await s.request(method, `${E}/task/${w.task}/variables/x/data`);
			assert.equal(res.status, 405, method);
			assert.deepEqual(res.headers.allow.split(/\s*,\s*/).sort(), ['GET', 'HEAD', 'POST'], `${method} Allow`);
			assert.equal(res.headers['x-content-type-options'], 'nosniff');
		}
		const res = await s.request('POST', `${E}/variable-instance/1/data`);
		assert.equal(res.status, 405);
		assert.deepEqual(res.headers.allow.split(/\s*,\s*/).sort(), ['GET', 'HEAD']);
	});

	// Camunda's JAX-RS runtimes (RESTEasy, Jersey) match a path with one
	// trailing slash as if it had none; a second one is an empty segment.
	test('one trailing slash after data is the same resource (GET, HEAD, POST, 405, TRACE); two -> 404', async () => {
		const w = await world();
		const bytes = { contentType: 'application/octet-stream', body: 'slashed' };
		assertNoContent(await s.putBytes(`${E}/task/${w.task}/localVariables/ts/data/`, Buffer.from('slashed')));
		assertValue(await s.get(`${E}/task/${w.task}/localVariables/ts/data`), bytes);
		assertValue(await s.get(`${E}/task/${w.task}/variables/ts/data/?deserializeValue=false`), bytes);
		assertValue(await s.get(`${E}/engine/default/task/${w.task}/variables/ts/data/`), bytes);
		const head = await s.request('HEAD', `${E}/task/${w.task}/variables/ts/data/`);
		assert.equal(head.status, 200);
		assert.equal(head.headers['content-length'], '7');
		const v = await s.variable(w.task, 'ts');
		assertValue(await s.get(`${E}/variable-instance/${v.id_}/data/`), bytes);
		for (const method of ['POST', 'TRACE']) {
			const res = await s.request(method, `${E}/variable-instance/${v.id_}/data/`);
			assert.equal(res.status, 405, method);
			assert.equal(res.headers.allow, 'GET, HEAD', `${method} Allow`);
		}
		for (const p of [`${E}/task/${w.task}/localVariables/ts/data//`, `${E}/variable-instance/${v.id_}/data//`]) {
			assertError(await s.get(p), 404, 'RestException', /\S/);
		}
		assertError(await s.get(`${E}/engine/other/task/${w.task}/variables/ts/data/`), 404,
			'RestException', 'No process engine available');
	});

	test('unknown paths -> 404 RestException', async () => {
		for (const p of [`${E}/task/t/variables/x/dat`, `${E}/task/t/variables/x`, `${E}/nothing-here`, `${E}/task/t/data`]) {
			const res = await s.get(p);
			assertError(res, 404, 'RestException', /\S/);
			assertFraming(res);
		}
	});
});

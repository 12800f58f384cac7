// nginx/camunda-dropin.conf: only the binary-data URLs go to vardata, all
// else under /engine-rest/ goes to the Camunda engine (here a small HTTP
// server standing in for it), and the choice is made on the raw URI, so an
// escaped slash ("%2F") in an id or a name cannot move a request across.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { after } from 'node:test';
import { freePort, suite } from './harness.mjs';
import { assertError, assertNoContent, assertValue } from './expect.mjs';
import { rawExchange, rawPost } from './lib/raw.mjs';

const E = '/engine-rest';

// The stand-in engine answers every request with what it received.
const camundaPort = await freePort();
const seen = [];
const camunda = http.createServer((req, res) => {
	const hash = crypto.createHash('sha256');
	let length = 0;
	req.on('data', (c) => { hash.update(c); length += c.length; });
	req.on('end', () => {
		const info = { engine: 'stand-in', method: req.method, url: req.url, length, sha256: hash.digest('hex') };
		seen.push(info);
		const body = JSON.stringify(info);
		res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
		res.end(body);
	});
});
await new Promise((resolve) => camunda.listen(camundaPort, '127.0.0.1', resolve));

suite('nginx drop-in next to Camunda', { nginxConf: 'camunda-dropin.conf', camundaPort }, (s, test) => {
	after(() => new Promise((resolve) => camunda.close(resolve)));

	async function toEngine(method, p, body) {
		const res = body === undefined ? await s.request(method, p) : await s.request(method, p, { body, headers: { 'content-type': 'application/json' } });
		assert.equal(res.status, 200, `${method} ${p} reaches the engine`);
		const info = JSON.parse(res.body.toString());
		assert.equal(info.engine, 'stand-in');
		assert.equal(info.method, method);
		assert.equal(info.url, p, 'the engine gets the raw URI');
		return info;
	}

	test('binary-data URLs of every scope go to vardata', async () => {
		const pi = s.uid('pi');
		const task = s.uid('task');
		const ci = s.uid('ci');
		await s.createProcessInstance(pi);
		await s.createTask(task, { executionId: pi });
		await s.createCaseInstance(ci);
		const before = seen.length;
		for (const p of [
			`${E}/task/${task}/localVariables/a/data`,
			`${E}/task/${task}/variables/b/data`,
			`${E}/process-instance/${pi}/variables/c/data`,
			`${E}/execution/${pi}/localVariables/d/data`,
			`${E}/case-instance/${ci}/variables/e/data`,
			`${E}/case-execution/${ci}/variables/f/data`,
			`${E}/case-execution/${ci}/localVariables/g/data`,
			`${E}/engine/default/task/${task}/localVariables/h/data`,
			`${E}/task/${task}/localVariables/i/data/`,
		]) {
			assertNoContent(await s.putBytes(p, Buffer.from(p)));
			assertValue(await s.get(p), { contentType: 'application/octet-stream', body: p });
			assertValue(await s.get(`${p}?cache=no`), { contentType: 'application/octet-stream', body: p });
		}
		const row = await s.variable(task, 'a');
		for (const p of [`${E}/variable-instance/${row.id_}/data`, `${E}/variable-instance/${row.id_}/data/`])
			assertValue(await s.get(p), { contentType: 'application/octet-stream', body: `${E}/task/${task}/localVariables/a/data` });
		assert.equal(seen.length, before, 'nothing reached the engine');
	});

	test('an escaped slash in a name or an id stays with vardata', async () => {
		const task = s.uid('task');
		await s.createTask(task);
		const before = seen.length;
		assertNoContent(await s.putBytes(`${E}/task/${task}/localVariables/dir%2Ffile/data`, Buffer.from('slashed')));
		assert.equal((await s.variable(task, 'dir/file')).name_, 'dir/file');
		assertValue(await s.get(`${E}/task/${task}/variables/dir%2Ffile/data`), { contentType: 'application/octet-stream', body: 'slashed' });
		assertError(await s.get(`${E}/task/a%2Fb/variables/x/data`), 404, 'InvalidRequestException',
			"Cannot get task variable x: task a/b doesn't exist: task is null");
		assert.equal(seen.length, before, 'nothing reached the engine');
	});

	test('everything else under /engine-rest/ goes to the engine, raw URI and body intact', async () => {
		await toEngine('GET', `${E}/task`);
		await toEngine('GET', `${E}/task/t1/variables/x`);
		await toEngine('GET', `${E}/task/t1/variables/x/data/extra`);
		await toEngine('GET', `${E}/task/t1/variables/x/data//`);
		await toEngine('GET', `${E}/process-definition/key/invoice/xml`);
		await toEngine('DELETE', `${E}/task/t1/localVariables/x`);
		// Decoded, these would look like data URLs; raw, they are not.
		await toEngine('GET', `${E}/task/t1/variables/x%2Fdata`);
		await toEngine('GET', `${E}/task/a%2Fvariables%2Fx/data`);
		await toEngine('GET', `${E}/engine/other%2Ftask/t/variables/x`);
		const body = Buffer.from(JSON.stringify({ variables: { amount: { value: 42, type: 'Integer' } } }));
		const info = await toEngine('POST', `${E}/process-definition/key/invoice/start`, body);
		assert.equal(info.length, body.length);
		assert.equal(info.sha256, crypto.createHash('sha256').update(body).digest('hex'));
	});

	// nginx refuses a body over client_max_body_size itself.  The vardata
	// location has error pages of its own, and a location with any inherits
	// none from the server: its 413 was once nginx's HTML page.
	test('a declared body over 1 GiB -> 413 JSON from nginx, for vardata and for the engine', async () => {
		for (const p of [`${E}/task/t1/localVariables/x/data`, `${E}/process-definition/key/invoice/start`]) {
			const res = await rawExchange(s.port, rawPost(p, Buffer.alloc(0), 'multipart/form-data; boundary=x',
				{ contentLength: 2_000_000_000 }), { halfClose: true });
			assertError(res, 413, 'RestException', 'request body exceeds the size limit (client_max_body_size 1024m)');
		}
	});

	test('the internal vardata location cannot be requested directly', async () => {
		const res = await s.request('GET', '/.vardata-binary-data');
		assert.equal(res.status, 404);
	});
});

// Real npm clients against vardata (issue 3): the Camunda external-task
// client for Node (camunda-external-task-client-js) downloads a File
// variable of a process instance through its own code path, and the
// "form-data" package builds multipart uploads sent with a chunked body.
//
// The packages are pinned to exact versions in tests/integration/npm/
// package.json and package-lock.json and installed with "npm ci" into a
// directory the tests own: $VARDATA_BUILDDIR/tests/integration/npm (make
// check sets VARDATA_BUILDDIR; the source tree is read-only under make
// distcheck), or a fresh temporary directory without it.  An install that
// fails fails the tests, with npm's output.  An install whose lock file is
// unchanged is reused.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { pathToFileURL } from 'node:url';
import { SRCDIR, suite } from './harness.mjs';
import { allBytes, assertColumns, assertNoContent, assertValue } from './expect.mjs';

const E = '/engine-rest';
const NPM_SOURCE = path.join(SRCDIR, 'tests', 'integration', 'npm');
const NPM_TIMEOUT_MS = 300_000;
const PINNED = { 'camunda-external-task-client-js': '3.1.0', 'form-data': '4.0.6' };
const MALFORMED_BODY = '{"type":"RestException","message":"multipart/form-data cannot be processed","code":null}';

// Where the packages go, and whether that directory is ours to remove.
function installDir() {
	if (process.env.VARDATA_BUILDDIR)
		return { dir: path.resolve(process.env.VARDATA_BUILDDIR, 'tests', 'integration', 'npm'), temporary: false };
	return { dir: fs.mkdtempSync(path.join(os.tmpdir(), 'vardata-npm-')), temporary: true };
}

// Copies package.json and the lock file into dir and runs npm ci there,
// unless node_modules was installed from this very lock file.  Resolves to
// the loaded modules; rejects with npm's output.
async function install(dir) {
	const lock = await fsp.readFile(path.join(NPM_SOURCE, 'package-lock.json'));
	const digest = crypto.createHash('sha256').update(lock).update(await fsp.readFile(path.join(NPM_SOURCE, 'package.json'))).digest('hex');
	const stamp = path.join(dir, 'node_modules', '.vardata-installed-from');
	await fsp.mkdir(dir, { recursive: true });
	for (const f of ['package.json', 'package-lock.json']) {
		if (path.resolve(NPM_SOURCE, f) !== path.resolve(dir, f))
			await fsp.copyFile(path.join(NPM_SOURCE, f), path.join(dir, f));
	}
	const have = await fsp.readFile(stamp, 'utf8').catch(() => '');
	if (have !== digest) {
		await npmCi(dir);
		await fsp.writeFile(stamp, digest);
	}
	const require = createRequire(path.join(dir, 'package.json'));
	const versions = {};
	for (const name of Object.keys(PINNED))
		versions[name] = JSON.parse(await fsp.readFile(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
	const camunda = await import(pathToFileURL(require.resolve('camunda-external-task-client-js')).href);
	return { versions, camunda, FormData: require('form-data') };
}

// npm ci in dir; rejects with everything npm printed.
function npmCi(dir) {
	const args = ['ci', '--ignore-scripts', '--no-audit', '--no-fund'];
	return new Promise((resolve, reject) => {
		execFile('npm', args, { cwd: dir, timeout: NPM_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
			(err, stdout, stderr) => {
				if (err) {
					const why = err.killed ? `timed out after ${NPM_TIMEOUT_MS} ms` : `exit ${err.code ?? err.signal}`;
					reject(new Error(`npm ${args.join(' ')} in ${dir}: ${why}\n--- npm stdout\n${stdout}\n--- npm stderr\n${stderr}`));
					return;
				}
				resolve();
			});
	});
}

const target = installDir();
let installing = null;
const clients = () => {
	installing ??= install(target.dir);
	return installing;
};

suite('real npm clients', {}, (s, test) => {
	after(async () => {
		if (target.temporary && process.env.VARDATA_KEEP !== '1')
			await fsp.rm(target.dir, { recursive: true, force: true });
	});

	test(`npm ci installs the pinned clients (${Object.entries(PINNED).map(([n, v]) => `${n} ${v}`).join(', ')})`, async () => {
		const { versions } = await clients();
		assert.deepEqual(versions, PINNED);
	});

	// ---- camunda-external-task-client-js ----

	// The variables of a fetched external task as the engine's fetchAndLock
	// answers them; a File's valueInfo comes from TEXT_ and TEXT2_
	// ("mime#encoding") of its row, as the engine's file serializer reads them.
	async function fetchedVariables(processInstanceId, names) {
		const variables = {};
		for (const name of names) {
			const row = await s.variable(processInstanceId, name);
			const [mimeType, encoding] = (row.text2_ ?? '#').split('#');
			const valueInfo = { filename: row.text_ };
			if (mimeType)
				valueInfo.mimeType = mimeType;
			if (encoding)
				valueInfo.encoding = encoding;
			variables[name] = { type: 'File', value: null, valueInfo };
		}
		return variables;
	}

	test('external-task client: File.load() of a process instance\'s File variables goes to vardata and gets the bytes', async () => {
		const { camunda } = await clients();
		const pi = s.uid('pi');
		await s.createProcessInstance(pi, { children: [{ id: s.uid('exe') }] });
		const text = Buffer.from('Grüße aus vardata\n');
		const binary = allBytes();
		await s.insertVariable({ name: 'invoice', type: 'file', text: 'Rechnung März.txt', text2: 'text/plain#UTF-8', bytes: text, executionId: pi });
		// Uploaded through vardata itself (curl -F): no encoding, so "mime#".
		const src = await s.writeFile(binary, 'scan.bin');
		assertNoContent(await s.postForm(`${E}/process-instance/${pi}/variables/scan/data`,
			[`data=@${src};type=application/x-scan`, 'valueType=File']));

		// Every answer the library's HTTP client receives, through the
		// library's own request interceptor option.
		const seen = [];
		const recorder = (config) => ({
			...config,
			hooks: { afterResponse: [(response) => { seen.push({ url: response.url, status: response.statusCode, headers: response.headers }); return response; }] },
		});
		const client = new camunda.Client({ baseUrl: s.url(`${E}/`), autoPoll: false, interceptors: recorder });
		try {
			// What Client.executeTask() builds for a fetched task.
			const variables = new camunda.Variables(await fetchedVariables(pi, ['invoice', 'scan']), {
				readOnly: true, processInstanceId: pi, engineService: client.engineService,
			});
			const invoice = variables.get('invoice');
			assert.ok(invoice instanceof camunda.File, 'a File variable becomes a File');
			assert.equal(invoice.remotePath, `/execution/${pi}/localVariables/invoice/data`, 'the library\'s own URL');
			assert.equal(await invoice.load(), invoice);
			assert.ok(Buffer.isBuffer(invoice.content) && invoice.content.equals(text), `bytes: ${invoice.content.toString('hex')}`);
			assert.equal(invoice.filename, 'Rechnung März.txt');
			assert.equal(invoice.mimeType, 'text/plain');
			assert.equal(invoice.encoding, 'UTF-8');

			const scan = variables.getTyped('scan');
			assert.equal(scan.type, 'file');
			await scan.value.load();
			assert.ok(scan.value.content.equals(binary), 'all byte values');
			assert.equal(scan.value.filename, 'scan.bin');
			assert.equal(scan.value.mimeType, 'application/x-scan');
			assert.equal(scan.value.encoding, undefined);
		} finally {
			client.stop();
		}
		assert.deepEqual(seen.map((r) => [r.url, r.status]), [
			[s.url(`${E}/execution/${pi}/localVariables/invoice/data`), 200],
			[s.url(`${E}/execution/${pi}/localVariables/scan/data`), 200],
		], 'two GETs, both answered by vardata');
		assert.equal(seen[0].headers['content-type'], 'text/plain; charset=UTF-8', 'mime type and encoding on the wire');
		assert.equal(seen[0].headers['content-disposition'], `attachment; filename="Rechnung M__rz.txt"; filename*=UTF-8''Rechnung%20M%C3%A4rz.txt`);
		assert.equal(seen[1].headers['content-type'], 'application/x-scan');
		assert.equal(seen[1].headers['content-disposition'], `attachment; filename="scan.bin"; filename*=UTF-8''scan.bin`);
		assert.equal(seen[0].headers['x-content-type-options'], 'nosniff');
	});

	test('external-task client: a variable that is not there -> the library\'s EngineError carries vardata\'s 404', async () => {
		const { camunda } = await clients();
		const pi = s.uid('pi');
		await s.createProcessInstance(pi);
		const client = new camunda.Client({ baseUrl: s.url(E), autoPoll: false });
		try {
			const variables = new camunda.Variables({ gone: { type: 'File', value: null, valueInfo: { filename: 'gone.txt' } } }, {
				readOnly: true, processInstanceId: pi, engineService: client.engineService,
			});
			await assert.rejects(variables.get('gone').load(), (e) => {
				assert.equal(e.name, 'EngineError');
				assert.equal(e.httpStatusCode, 404);
				assert.equal(e.type, 'InvalidRequestException');
				assert.equal(e.engineMsg, 'execution variable with name gone does not exist');
				return true;
			});
		} finally {
			client.stop();
		}
	});

	// ---- form-data ----

	// Pipes a form-data form into a POST with Transfer-Encoding: chunked
	// (no Content-Length), with the given Content-Type.
	function sendChunked(p, form, contentType) {
		return new Promise((resolve, reject) => {
			const req = http.request(s.url(p), {
				method: 'POST',
				agent: false,
				headers: { 'content-type': contentType, 'transfer-encoding': 'chunked' },
			}, (res) => {
				const chunks = [];
				res.on('data', (c) => chunks.push(c));
				res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), sent: req.getHeaders() }));
				res.on('error', reject);
			});
			req.setTimeout(120_000, () => req.destroy(new Error(`POST ${p}: timed out`)));
			req.on('error', reject);
			form.on('error', reject);
			form.pipe(req);
		});
	}

	test('form-data: a File streamed from disk, sent chunked without Content-Length, is stored byte-exact', async () => {
		const { FormData } = await clients();
		const pi = s.uid('pi');
		await s.createProcessInstance(pi);
		const bytes = Buffer.concat([crypto.randomBytes(1024 * 1024 + 7), allBytes()]);
		const file = await s.writeFile(bytes, 'upload.bin');
		const form = new FormData();
		form.append('data', fs.createReadStream(file), { filename: 'Ünïcødé €.bin', contentType: 'application/x-vardata-test' });
		form.append('valueType', 'File');
		const p = `${E}/execution/${pi}/localVariables/streamed/data`;
		const res = await sendChunked(p, form, form.getHeaders()['content-type']);
		assert.equal(res.sent['content-length'], undefined, 'no Content-Length was sent');
		assert.equal(res.sent['transfer-encoding'], 'chunked');
		assertNoContent(res);
		const row = await s.variable(pi, 'streamed');
		assertColumns(row, { type_: 'file', text_: 'Ünïcødé €.bin', text2_: 'application/x-vardata-test#', task_id_: null }, 'variable row');
		const ba = await s.bytearray(row.bytearray_id_);
		assert.equal(ba.bytes.length, bytes.length);
		assert.ok(ba.bytes.equals(bytes), 'stored byte-exact');
		const got = await s.get(p);
		assertValue(got, {
			contentType: 'application/x-vardata-test',
			body: bytes,
			disposition: `attachment; filename="__n__c__d__ ___.bin"; filename*=UTF-8''%C3%9Cn%C3%AFc%C3%B8d%C3%A9%20%E2%82%AC.bin`,
		});
	});

	test('form-data: Bytes from a Buffer, sent chunked, to the case-execution endpoint', async () => {
		const { FormData } = await clients();
		const ci = s.uid('ci');
		await s.createCaseInstance(ci);
		const bytes = allBytes();
		const form = new FormData();
		form.append('data', bytes, { filename: 'b.bin' });
		const res = await sendChunked(`${E}/case-execution/${ci}/localVariables/buf/data`, form, form.getHeaders()['content-type']);
		assertNoContent(res);
		const row = await s.variable(ci, 'buf');
		assertColumns(row, { type_: 'bytes', text_: null, text2_: null }, 'variable row');
		assert.ok((await s.bytearray(row.bytearray_id_)).bytes.equals(bytes));
	});

	test('form-data: Content-Type multipart/form-data without a boundary -> 400 "multipart/form-data cannot be processed", nothing stored', async () => {
		const { FormData } = await clients();
		const pi = s.uid('pi');
		await s.createProcessInstance(pi);
		const form = new FormData();
		form.append('data', Buffer.from('never stored'), { filename: 'n.txt', contentType: 'text/plain' });
		form.append('valueType', 'File');
		assert.match(form.getHeaders()['content-type'], /^multipart\/form-data; boundary=/, 'form-data names its boundary');
		const res = await sendChunked(`${E}/execution/${pi}/localVariables/nobound/data`, form, 'multipart/form-data');
		assert.equal(res.status, 400);
		assert.equal(res.headers['content-type'], 'application/json');
		assert.equal(res.body.toString(), MALFORMED_BODY);
		assert.equal(await s.variable(pi, 'nobound'), null, 'nothing stored');
		assert.deepEqual(await s.orphanBytearrays(), []);
	});
});

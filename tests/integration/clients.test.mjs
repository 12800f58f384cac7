// Uploads and downloads the way real clients do them: curl -F, Node's
// built-in fetch with FormData and Blob, and chunked request bodies (a fetch
// with a streamed body, curl with Transfer-Encoding: chunked).

import assert from 'node:assert/strict';
import path from 'node:path';
import { suite, multipart } from './harness.mjs';
import { allBytes, assertColumns, assertNoContent, assertValue } from './expect.mjs';

const E = '/engine-rest';

suite('real clients', {}, (s, test) => {
	async function target() {
		const pi = s.uid('pi');
		const task = s.uid('task');
		await s.createProcessInstance(pi);
		await s.createTask(task, { executionId: pi });
		return { pi, task, url: (n) => `${E}/task/${task}/localVariables/${n}/data` };
	}

	async function storedBytes(row) {
		return (await s.bytearray(row.bytearray_id_)).bytes;
	}

	// fetch's response as {status, headers, body} like the curl helper's.
	async function fetchResult(res) {
		const headers = {};
		res.headers.forEach((v, k) => { headers[k] = v; });
		return { status: res.status, headers, body: Buffer.from(await res.arrayBuffer()) };
	}

	// ---- curl ----

	test('curl -F "data=@file;type=text/plain;encoding=UTF-8" -F valueType=File', async () => {
		const t = await target();
		const file = await s.writeFile(Buffer.from('grüße\n'), 'greeting.txt');
		assertNoContent(await s.postForm(t.url('greet'), [`data=@${file};type=text/plain;encoding=UTF-8`, 'valueType=File']));
		const row = await s.variable(t.task, 'greet');
		assertColumns(row, { type_: 'file', text_: 'greeting.txt', text2_: 'text/plain#UTF-8' }, 'variable row');
		assert.equal((await storedBytes(row)).toString(), 'grüße\n');
		assertValue(await s.get(t.url('greet')), {
			contentType: 'text/plain; charset=UTF-8',
			body: 'grüße\n',
			disposition: `attachment; filename="greeting.txt"; filename*=UTF-8''greeting.txt`,
		});
	});

	test('curl -F "data=@file;filename=..." sets the stored filename, also a non-ASCII one', async () => {
		const t = await target();
		const file = await s.writeFile(Buffer.from('%PDF-1.7\n'));
		for (const [name, fname, disp] of [
			['named', 'Quarterly report.pdf', `attachment; filename="Quarterly report.pdf"; filename*=UTF-8''Quarterly%20report.pdf`],
			['unicode', 'Ünïcødé €.pdf', `attachment; filename="__n__c__d__ ___.pdf"; filename*=UTF-8''%C3%9Cn%C3%AFc%C3%B8d%C3%A9%20%E2%82%AC.pdf`],
		]) {
			assertNoContent(await s.postForm(t.url(name), [`data=@${file};filename=${fname};type=application/pdf`, 'valueType=File']));
			assertColumns(await s.variable(t.task, name), { type_: 'file', text_: fname, text2_: 'application/pdf#' }, name);
			assertValue(await s.get(t.url(name)), { contentType: 'application/pdf', body: '%PDF-1.7\n', disposition: disp });
		}
	});

	test('curl -F "data=@file" without valueType: Bytes', async () => {
		const t = await target();
		const bytes = allBytes();
		const file = await s.writeFile(bytes);
		assertNoContent(await s.postForm(t.url('plain'), [`data=@${file}`]));
		const row = await s.variable(t.task, 'plain');
		assertColumns(row, { type_: 'bytes', text_: null, text2_: null }, 'variable row');
		assertValue(await s.get(t.url('plain')), { contentType: 'application/octet-stream', body: bytes });
	});

	test('curl -H "Transfer-Encoding: chunked" -F ...: a chunked upload is stored whole', async () => {
		const t = await target();
		const bytes = Buffer.concat(Array.from({ length: 64 }, () => allBytes()));
		const file = await s.writeFile(bytes);
		assertNoContent(await s.postForm(t.url('chunked'), [`data=@${file};type=application/octet-stream`],
			['-H', 'Transfer-Encoding: chunked']));
		assert.ok((await storedBytes(await s.variable(t.task, 'chunked'))).equals(bytes));
	});

	// ---- Node's fetch ----

	test('fetch + FormData + Blob with a non-ASCII filename: stored as sent, downloaded with fetch', async () => {
		const t = await target();
		const fd = new FormData();
		fd.append('data', new Blob(['héllo wörld'], { type: 'text/plain' }), 'Ünïcødé €.txt');
		fd.append('valueType', 'File');
		const res = await fetchResult(await fetch(s.url(t.url('fetched')), { method: 'POST', body: fd }));
		assertNoContent(res);
		assertColumns(await s.variable(t.task, 'fetched'), { type_: 'file', text_: 'Ünïcødé €.txt', text2_: 'text/plain#' }, 'variable row');

		const got = await fetchResult(await fetch(s.url(t.url('fetched'))));
		assertValue(got, {
			contentType: 'text/plain',
			body: 'héllo wörld',
			disposition: `attachment; filename="__n__c__d__ ___.txt"; filename*=UTF-8''%C3%9Cn%C3%AFc%C3%B8d%C3%A9%20%E2%82%AC.txt`,
		});
	});

	test('fetch + FormData with a double quote in the filename (sent as %22, stored as sent, like Camunda)', async () => {
		const t = await target();
		const fd = new FormData();
		fd.append('data', new Blob(['q'], { type: 'text/plain' }), 'say "hi".txt');
		fd.append('valueType', 'File');
		assertNoContent(await fetchResult(await fetch(s.url(t.url('quote')), { method: 'POST', body: fd })));
		// The HTML form encoding (which fetch and curl follow) escapes '"' as
		// "%22"; the server cannot tell that from a literal "%22", so it keeps
		// what it received.
		assertColumns(await s.variable(t.task, 'quote'), { type_: 'file', text_: 'say %22hi%22.txt' }, 'variable row');
		assertValue(await s.get(t.url('quote')), {
			contentType: 'text/plain',
			body: 'q',
			disposition: `attachment; filename="say %22hi%22.txt"; filename*=UTF-8''say%20%2522hi%2522.txt`,
		});
	});

	test('fetch + FormData + Blob of all byte values: Bytes round trip', async () => {
		const t = await target();
		const bytes = allBytes();
		const fd = new FormData();
		fd.append('data', new Blob([bytes]), 'blob');
		assertNoContent(await fetchResult(await fetch(s.url(t.url('allbytes')), { method: 'POST', body: fd })));
		assertValue(await fetchResult(await fetch(s.url(t.url('allbytes')))), { contentType: 'application/octet-stream', body: bytes });
	});

	test('fetch with a streamed (chunked) body, duplex: "half"', async () => {
		const t = await target();
		const value = Buffer.concat(Array.from({ length: 16 }, () => allBytes()));
		const mp = multipart([
			{ name: 'data', filename: 'stream.bin', contentType: 'application/x-stream', data: value },
			{ name: 'valueType', data: 'File' },
		]);
		// Uneven pieces, so that chunk edges fall inside the boundary and headers.
		const pieces = [];
		for (let i = 0, n = 1; i < mp.body.length; i += n, n = (n * 7) % 97 + 1)
			pieces.push(mp.body.subarray(i, i + n));
		const body = new ReadableStream({
			pull(controller) {
				if (pieces.length)
					controller.enqueue(new Uint8Array(pieces.shift()));
				else
					controller.close();
			},
		});
		const res = await fetchResult(await fetch(s.url(t.url('streamed')), {
			method: 'POST', body, duplex: 'half', headers: { 'content-type': mp.contentType },
		}));
		assertNoContent(res);
		const row = await s.variable(t.task, 'streamed');
		assertColumns(row, { type_: 'file', text_: 'stream.bin', text2_: 'application/x-stream#' }, 'variable row');
		assert.ok((await storedBytes(row)).equals(value));
	});

	test('Node http with a chunked body of tiny chunks', async () => {
		const t = await target();
		const mp = multipart([{ name: 'data', data: 'tiny chunks' }]);
		const chunks = [];
		for (let i = 0; i < mp.body.length; i += 3)
			chunks.push(mp.body.subarray(i, i + 3));
		const res = await s.request('POST', t.url('tiny'), { headers: { 'content-type': mp.contentType }, body: chunks });
		assertNoContent(res);
		assert.equal((await storedBytes(await s.variable(t.task, 'tiny'))).toString(), 'tiny chunks');
	});

	test('curl -F to the process-instance and case-instance endpoints, read back through the task', async () => {
		const t = await target();
		const file = await s.writeFile(Buffer.from('shared'), 'shared.txt');
		assertNoContent(await s.postForm(`${E}/process-instance/${t.pi}/variables/viaPi/data`, [`data=@${file}`]));
		assertValue(await s.get(`${E}/task/${t.task}/variables/viaPi/data`), { contentType: 'application/octet-stream', body: 'shared' });
		const ci = s.uid('ci');
		await s.createCaseInstance(ci);
		assertNoContent(await s.postForm(`${E}/case-instance/${ci}/variables/viaCi/data`, [`data=@${file};type=text/plain`, 'valueType=File']));
		assertValue(await s.get(`${E}/case-instance/${ci}/variables/viaCi/data`), {
			contentType: 'text/plain', body: 'shared',
			disposition: `attachment; filename="${path.basename(file)}"; filename*=UTF-8''${path.basename(file)}`,
		});
	});
});

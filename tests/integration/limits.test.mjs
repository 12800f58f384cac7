// Spec section 6 "Limits" and the section 8 row "body or part over a
// limit": every limit is overridable by a flag; this stack runs vardata with
// small limits so that each can be crossed cheaply.  (errors.test.mjs and
// post.test.mjs test the part count, part header and filename limits at
// their defaults.)

import assert from 'node:assert/strict';
import { suite } from './harness.mjs';
import { assertError, assertNoContent } from './expect.mjs';

const E = '/engine-rest';
const MAX_BODY = 65536;
const LIMITS = [
	'--max-body', String(MAX_BODY),
	'--max-parts', '4',
	'--max-part-header', '512',
	'--max-filename', '50',
	'--max-field', '64',
	'--max-json', '1024',
];

suite('limits (lowered by flags)', { vardataArgs: LIMITS }, (s, test) => {
	const target = () => s.taskTarget();

	const nothingStored = (t, name) => s.assertNothingStored(t, name);

	test('--max-body: a body over the limit -> 413 RestException; a body under it is stored', async () => {
		const t = await target();
		assertNoContent(await s.postMultipart(t.url('small'), [{ name: 'data', data: Buffer.alloc(MAX_BODY - 1024, 1) }]));
		assertError(await s.postMultipart(t.url('big'), [{ name: 'data', data: Buffer.alloc(MAX_BODY, 1) }]),
			413, 'RestException', /\S/);
		await nothingStored(t, 'big');
	});

	test('--max-body: a chunked body over the limit -> 413 as well', async () => {
		const t = await target();
		const file = await s.writeFile(Buffer.alloc(MAX_BODY * 2, 2));
		assertError(await s.postForm(t.url('chunked'), [`data=@${file}`], ['-H', 'Transfer-Encoding: chunked']),
			413, 'RestException', /\S/);
		await nothingStored(t, 'chunked');
	});

	test('--max-parts: 4 parts are accepted, 5 -> 400 RestException', async () => {
		const t = await target();
		const parts = (n) => [{ name: 'data', data: 'd' }, ...Array.from({ length: n - 1 }, (_, i) => ({ name: `p${i}`, data: 'x' }))];
		assertNoContent(await s.postMultipart(t.url('four'), parts(4)));
		assertError(await s.postMultipart(t.url('five'), parts(5)), 400, 'RestException', /\S/);
		await nothingStored(t, 'five');
	});

	test('--max-part-header: a header block over 512 bytes -> 400 RestException', async () => {
		const t = await target();
		assertNoContent(await s.postMultipart(t.url('hok'), [{ name: 'data', headers: [`X-Pad: ${'p'.repeat(300)}`], data: 'd' }]));
		assertError(await s.postMultipart(t.url('hbig'), [{ name: 'data', headers: [`X-Pad: ${'p'.repeat(600)}`], data: 'd' }]),
			400, 'RestException', /\S/);
		await nothingStored(t, 'hbig');
	});

	test('--max-filename counts characters: 50 are accepted (even as 100 UTF-8 bytes), 51 -> 400 RestException', async () => {
		const t = await target();
		const file = (name) => [{ name: 'data', filename: name, contentType: 'text/plain', data: 'f' }, { name: 'valueType', data: 'File' }];
		assertNoContent(await s.postMultipart(t.url('f50'), file('ü'.repeat(50))));
		assert.equal((await s.variable(t.task, 'f50')).text_, 'ü'.repeat(50));
		assertError(await s.postMultipart(t.url('f51'), file('a'.repeat(51))), 400, 'RestException', /\S/);
		await nothingStored(t, 'f51');
	});

	test('--max-field: a valueType or type part over 64 bytes -> 400 RestException', async () => {
		const t = await target();
		assertError(await s.postMultipart(t.url('vt'), [{ name: 'data', data: 'd' }, { name: 'valueType', data: `File${' '.repeat(100)}` }]),
			400, 'RestException', /^(?!Unsupported value type)\S/);
		assertError(await s.postMultipart(t.url('ty'), [
			{ name: 'data', contentType: 'application/json', data: '{}' },
			{ name: 'type', data: `java.util.${'X'.repeat(100)}` },
		]), 400, 'RestException', /\S/);
		await nothingStored(t, 'vt');
		await nothingStored(t, 'ty');
	});

	test('--max-json: a deprecated JSON object value over 1024 bytes -> 400 RestException', async () => {
		const t = await target();
		const json = JSON.stringify({ pad: 'j'.repeat(2000) });
		assertError(await s.postMultipart(t.url('js'), [
			{ name: 'data', contentType: 'application/json', data: json },
			{ name: 'type', data: 'java.util.HashMap' },
		]), 400, 'RestException', /\S/);
		await nothingStored(t, 'js');
	});
});

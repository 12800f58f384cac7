// Resumable downloads (issue 5): ETag, If-None-Match, Range and If-Range on
// GET .../data (RFC 9110 sections 13 and 14).  The value is larger than one
// read slice (1 MiB), so ranges that cross a slice boundary are covered.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { lit, run, suite } from './harness.mjs';
import { assertError } from './expect.mjs';

const E = '/engine-rest';
const SIZE = 3 * 1024 * 1024 + 17;
const SLICE = 1024 * 1024;

suite('ranges and validators', {}, (s, test) => {
	let value;
	let url;
	let pi;

	async function etagInDb(name) {
		const [[ba, rev]] = await s.sql(`select b.id_, b.rev_ from act_ru_variable v
			join act_ge_bytearray b on b.id_ = v.bytearray_id_ where v.var_scope_ = '${pi}' and v.name_ = '${name}'`);
		return `"${ba}-${rev}"`;
	}

	test('a full GET carries a strong ETag (byte-array id and revision) and Accept-Ranges', async () => {
		pi = s.uid('pi');
		await s.createProcessInstance(pi);
		value = crypto.randomBytes(SIZE);
		url = `${E}/process-instance/${pi}/variables/big/data`;
		assert.equal((await s.putBytes(url, value)).status, 204);
		const r = await s.get(url);
		assert.equal(r.status, 200);
		assert.equal(r.headers['etag'], await etagInDb('big'));
		assert.equal(r.headers['accept-ranges'], 'bytes');
		assert.equal(r.headers['content-length'], String(SIZE));
		assert.ok(r.body.equals(value), 'the whole value');
	});

	const ranges = [
		['bytes=0-99', 0, 100],
		[`bytes=${SLICE - 6}-${SLICE + 9}`, SLICE - 6, 16],
		[`bytes=${2 * SLICE - 1}-${2 * SLICE}`, 2 * SLICE - 1, 2],
		['bytes=-10', SIZE - 10, 10],
		[`bytes=${SIZE - 28}-`, SIZE - 28, 28],
		[`bytes=5-${SIZE + 1000}`, 5, SIZE - 5],
		['bytes=0-', 0, SIZE],
	];
	for (const [range, off, len] of ranges) {
		test(`Range: ${range} -> 206 with Content-Range and exactly those bytes`, async () => {
			const r = await s.get(url, ['-H', `Range: ${range}`]);
			assert.equal(r.status, 206);
			assert.equal(r.headers['content-range'], `bytes ${off}-${off + len - 1}/${SIZE}`);
			assert.equal(r.headers['content-length'], String(len));
			assert.ok(r.body.equals(value.subarray(off, off + len)), 'the bytes of the range');
		});
	}

	test('Range past the end -> 416 JSON with Content-Range bytes */length', async () => {
		for (const range of [`bytes=${SIZE}-`, `bytes=${SIZE + 5}-${SIZE + 9}`, 'bytes=-0']) {
			const r = await s.get(url, ['-H', `Range: ${range}`]);
			assertError(r, 416, 'RestException', 'requested range not satisfiable');
			assert.equal(r.headers['content-range'], `bytes */${SIZE}`, range);
		}
	});

	test('a 416 carries the ETag and Accept-Ranges, but no Content-Disposition to name the JSON', async () => {
		const fileUrl = `${E}/process-instance/${pi}/variables/doc/data`;
		const r0 = await s.postMultipart(fileUrl, [{ name: 'data', filename: 'report.txt', contentType: 'text/plain',
			data: Buffer.from('eleven byte') }, { name: 'valueType', data: 'File' }]);
		assert.equal(r0.status, 204);
		assert.equal((await s.get(fileUrl)).headers['content-disposition'],
			'attachment; filename="report.txt"; filename*=UTF-8\'\'report.txt');
		const r = await s.get(fileUrl, ['-H', 'Range: bytes=50-']);
		assertError(r, 416, 'RestException', 'requested range not satisfiable');
		assert.equal(r.headers['content-range'], 'bytes */11');
		assert.equal(r.headers['content-disposition'], undefined);
		assert.equal(r.headers['etag'], (await s.get(fileUrl)).headers['etag']);
		assert.equal(r.headers['accept-ranges'], 'bytes');
	});

	test('an empty value: a suffix range gets the whole (empty) value, bytes=-0 and bytes=0- get 416', async () => {
		const emptyUrl = `${E}/process-instance/${pi}/variables/empty/data`;
		assert.equal((await s.putBytes(emptyUrl, Buffer.alloc(0))).status, 204);
		const r = await s.get(emptyUrl, ['-H', 'Range: bytes=-5']);
		assert.equal(r.status, 200);
		assert.equal(r.headers['content-length'], '0');
		assert.equal(r.headers['content-range'], undefined);
		for (const range of ['bytes=-0', 'bytes=0-']) {
			const bad = await s.get(emptyUrl, ['-H', `Range: ${range}`]);
			assertError(bad, 416, 'RestException', 'requested range not satisfiable');
			assert.equal(bad.headers['content-range'], 'bytes */0', range);
		}
	});

	test('several ranges, other units and junk are ignored: 200 with the whole value', async () => {
		for (const range of ['bytes=0-1,5-6', 'items=0-1', 'bytes=a-b', 'bytes=9-3']) {
			const r = await s.get(url, ['-H', `Range: ${range}`]);
			assert.equal(r.status, 200, range);
			assert.equal(r.headers['content-range'], undefined, range);
			assert.ok(r.body.equals(value), range);
		}
	});

	test('If-None-Match with the current ETag -> 304 without a body; another ETag -> 200', async () => {
		const tag = await etagInDb('big');
		for (const inm of [tag, `"other", ${tag}`, `W/${tag}`, '*']) {
			const r = await s.get(url, ['-H', `If-None-Match: ${inm}`]);
			assert.equal(r.status, 304, inm);
			assert.equal(r.body.length, 0, inm);
			assert.equal(r.headers['etag'], tag, inm);
		}
		const r = await s.get(url, ['-H', 'If-None-Match: "stale-1"']);
		assert.equal(r.status, 200);
		assert.ok(r.body.equals(value));
	});

	test('a null value (no byte array): no ETag; If-None-Match "*" -> 304, a list of tags -> 200', async () => {
		await s.insertVariable({ name: 'nothing', bytes: null, executionId: pi });
		const nullUrl = `${E}/process-instance/${pi}/variables/nothing/data`;
		const star = await s.get(nullUrl, ['-H', 'If-None-Match: *']);
		assert.equal(star.status, 304);
		assert.equal(star.headers.etag, undefined);
		const tags = await s.get(nullUrl, ['-H', 'If-None-Match: "x-1", W/"y-1"']);
		assert.equal(tags.status, 200);
		assert.equal(tags.body.length, 0);
		assert.equal(tags.headers.etag, undefined);
	});

	test('If-Range: the current ETag honours Range, a stale one sends the whole value', async () => {
		const tag = await etagInDb('big');
		const hit = await s.get(url, ['-H', 'Range: bytes=10-19', '-H', `If-Range: ${tag}`]);
		assert.equal(hit.status, 206);
		assert.ok(hit.body.equals(value.subarray(10, 20)));
		const miss = await s.get(url, ['-H', 'Range: bytes=10-19', '-H', 'If-Range: "stale-1"']);
		assert.equal(miss.status, 200);
		assert.ok(miss.body.equals(value));
	});

	test('HEAD with Range answers the 206 headers without a body', async () => {
		const r = await s.request('HEAD', url, { headers: { range: 'bytes=100-199' } });
		assert.equal(r.status, 206);
		assert.equal(r.headers['content-range'], `bytes 100-199/${SIZE}`);
		assert.equal(r.headers['content-length'], '100');
		assert.equal(r.body.length, 0);
	});

	test('curl -C - resumes an interrupted download to the exact value', async () => {
		const file = path.join(s.dir, 'resume.part');
		const cut = SLICE + 12345;
		await fsp.writeFile(file, value.subarray(0, cut));
		const { stdout } = await run('curl', ['-sS', '-C', '-', '-o', file, '-w', '%{http_code} %{size_download}',
			s.url(url)]);
		assert.equal(stdout.toString(), `206 ${SIZE - cut}`, 'curl asked for the rest and got only the rest');
		const got = await fsp.readFile(file);
		assert.equal(crypto.createHash('sha256').update(got).digest('hex'),
			crypto.createHash('sha256').update(value).digest('hex'), 'the resumed file is the value');
	});

	test('a new value gets a new ETag, and a stale If-Range no longer matches', async () => {
		const before = await etagInDb('big');
		const next = crypto.randomBytes(1000);
		assert.equal((await s.putBytes(url, next)).status, 204);
		const after = await etagInDb('big');
		assert.notEqual(after, before);
		const r = await s.get(url, ['-H', 'Range: bytes=0-9', '-H', `If-Range: ${before}`]);
		assert.equal(r.status, 200);
		assert.equal(r.headers['etag'], after);
		assert.ok(r.body.equals(next));
		value = next;
	});

	// The byte array's id comes from the database, where anything may have
	// written it; a header must never carry a raw CR or LF (spec section 7).
	for (const [what, badId] of [['CR LF', 'ba\r\nX-Evil: 1'], ['a quote', 'ba"q']]) {
		test(`a byte-array id with ${what}: the value is served without an ETag, and no header is forged`, async () => {
			const bytes = crypto.randomBytes(100);
			const v = await s.insertVariable({ name: `odd-${badId.length}`, bytes, executionId: pi });
			await s.sql(`insert into act_ge_bytearray (id_, rev_, name_, bytes_, type_, create_time_)
				select ${lit(badId)}, rev_, name_, bytes_, type_, create_time_ from act_ge_bytearray where id_ = ${lit(v.bytearrayId)};
				update act_ru_variable set bytearray_id_ = ${lit(badId)} where id_ = ${lit(v.id)};
				delete from act_ge_bytearray where id_ = ${lit(v.bytearrayId)}`);
			const odd = `${E}/process-instance/${pi}/variables/odd-${badId.length}/data`;
			const r = await s.get(odd);
			assert.equal(r.status, 200);
			assert.ok(r.body.equals(bytes), 'the value');
			assert.equal(r.headers['etag'], undefined, 'no ETag');
			assert.equal(r.headers['x-evil'], undefined, 'no forged header');
			assert.equal((await s.get(odd, ['-H', 'If-None-Match: *'])).status, 304, '"*" matches the value still');
			const part = await s.get(odd, ['-H', 'Range: bytes=0-9']);
			assert.equal(part.status, 206, 'Range without If-Range');
			assert.ok(part.body.equals(bytes.subarray(0, 10)));
			const cond = await s.get(odd, ['-H', 'Range: bytes=0-9', '-H', 'If-Range: ""']);
			assert.equal(cond.status, 200, 'no If-Range can match a value without an ETag');
		});
	}
});

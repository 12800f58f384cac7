// The largest value (spec section 6: PostgreSQL's bytea limit, answered
// with a clear JSON error): COPY builds the whole ACT_GE_BYTEARRAY row in
// one allocation of at most MaxAllocSize, so the value's limit leaves room
// for the rest of the row.  The largest value is stored under the longest
// name (255 characters of four bytes, the byte-array row's NAME_); one
// byte more is refused with 413 before anything is stored.  The value is a
// sparse file of zeros, so the test itself holds none of it.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { suite } from './harness.mjs';
import { assertError } from './expect.mjs';

// src/defaults.h, VD_MAX_VALUE: 1 GiB less 64 KiB.
const MAX = 1024 ** 3 - 64 * 1024;

suite('value limit', { workers: 1 }, (s, test) => {
	test('the largest value under the longest name is stored; one byte more -> 413, nothing stored', async () => {
		const pi = s.uid('pi');
		await s.createProcessInstance(pi);
		const name = '\u{1F600}'.repeat(255);
		const url = `/engine-rest/process-instance/${pi}/variables/${encodeURIComponent(name)}/data`;
		const file = `${s.dir}/largest.bin`;
		const form = [`data=@${file};type=application/octet-stream`, 'valueType=Bytes'];
		const stored = async () => s.sql(`select octet_length(b.bytes_) from act_ru_variable v
			join act_ge_bytearray b on b.id_ = v.bytearray_id_ where v.var_scope_ = '${pi}'`);
		try {
			fs.writeFileSync(file, '');
			fs.truncateSync(file, MAX + 1);
			const over = await s.postForm(url, form);
			assertError(over, 413, 'RestException',
				'the value exceeds the limit of 1073676288 bytes (1 GiB less 64 KiB) for one bytea');
			assert.deepEqual(await stored(), [], 'nothing stored');
			fs.truncateSync(file, MAX);
			const up = await s.postForm(url, form);
			assert.equal(up.status, 204, up.body.toString());
		} finally {
			fs.rmSync(file, { force: true });
		}
		assert.deepEqual(await stored(), [[String(MAX)]], 'the whole value, in one row');
		assert.deepEqual(await s.orphanBytearrays(), [], 'no stray byte array');
	});
});

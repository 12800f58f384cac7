// Bounded memory (issue 5, spec section 9): a worker streams a value far
// larger than the memory it may use, both ways, and its peak resident set
// (VmHWM) stays under 32 MiB.  One worker, so the one that served is known.
// A sanitizer build keeps freed memory in quarantine by design, so there the
// figure means nothing and the test is skipped; CI's -Werror build runs it.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { BIN, suite } from './harness.mjs';
import { childrenOf, openFiles } from './lib/procs.mjs';

const E = '/engine-rest';
const SIZE = 96 * 1024 * 1024;
const LIMIT_KIB = 32 * 1024;
const sanitized = fs.readFileSync(BIN).includes('__asan_');

function peakKiB(pid) {
	const m = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
	assert.ok(m, `VmHWM of ${pid}`);
	return Number(m[1]);
}

// Sizes of the deleted regular files a process holds open: its spool file.
async function spoolSizes(pid) {
	const sizes = [];
	for (const { link, target } of await openFiles(pid)) {
		const st = target.endsWith(' (deleted)') ? fs.statSync(link) : null;
		if (st !== null && st.isFile())
			sizes.push(st.size);
	}
	return sizes;
}

suite('bounded memory', { workers: 1 }, (s, test) => {
	test(`a ${SIZE >> 20} MiB upload and download keep the worker under ${LIMIT_KIB >> 10} MiB`, async () => {
		const pi = s.uid('pi');
		await s.createProcessInstance(pi);
		const [worker] = await childrenOf(s.proc.pid);
		assert.ok(worker, 'the worker');
		const value = crypto.randomBytes(SIZE);
		const url = `${E}/process-instance/${pi}/variables/huge/data`;
		assert.equal((await s.putBytes(url, value)).status, 204);
		const afterUpload = peakKiB(worker);
		// The spool file (unlinked, so only its descriptor names it) gives
		// its pages and disk blocks back once the value is in the database.
		const spools = await spoolSizes(worker);
		assert.equal(spools.length, 1, 'the worker has one spool file');
		assert.equal(spools[0], 0, 'the spool file is empty after the upload');
		const r = await s.get(url);
		assert.equal(r.status, 200);
		assert.ok(r.body.equals(value), 'the value, byte for byte');
		const afterDownload = peakKiB(worker);
		assert.deepEqual(await childrenOf(s.proc.pid), [worker], 'the same worker served both');
		assert.ok(afterUpload < LIMIT_KIB, `peak RSS after the upload: ${afterUpload} KiB`);
		assert.ok(afterDownload < LIMIT_KIB, `peak RSS after the download: ${afterDownload} KiB`);
	}, { skip: sanitized && 'sanitizer build: its allocator quarantine keeps freed memory' });
});

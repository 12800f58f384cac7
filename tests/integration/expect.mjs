// Assertions shared by the integration tests.  Each compares exact values:
// status, header values, the raw JSON text of error bodies, bytes.

import assert from 'node:assert/strict';

// New ids are random (version 4) UUIDs: spec section 3.
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// Every response: X-Content-Type-Options: nosniff, and a body framed by a
// Content-Length that matches it (or chunked, for a streamed body): spec 7.
export function assertFraming(res) {
	assert.equal(res.headers['x-content-type-options'], 'nosniff', 'X-Content-Type-Options');
	if (res.headers['content-length'] !== undefined)
		assert.equal(Number(res.headers['content-length']), res.body.length, 'Content-Length matches the body');
	else
		assert.equal(res.headers['transfer-encoding'], 'chunked', 'no Content-Length, so the body must be chunked');
}

// An error answer: spec section 8.  message is the exact text, or a RegExp
// for rows whose text is "any clear text"; the body must be exactly
// {"type":..,"message":..,"code":..} in that order, without spaces.
export function assertError(res, status, type, message, code = null) {
	const text = res.body.toString('utf8');
	const ctx = `${res.status} ${text}`;
	assert.equal(res.status, status, `status (${ctx})`);
	assert.equal(res.headers['content-type'], 'application/json', `Content-Type (${ctx})`);
	assert.equal(res.headers['x-content-type-options'], 'nosniff', 'X-Content-Type-Options');
	assert.equal(res.headers['content-length'], String(res.body.length), 'Content-Length of an error body');
	if (typeof message === 'string') {
		assert.equal(text, JSON.stringify({ type, message, code }));
		return;
	}
	const parsed = JSON.parse(text);
	assert.deepEqual(Object.keys(parsed), ['type', 'message', 'code'], `key order (${text})`);
	assert.equal(text, JSON.stringify(parsed), 'compact JSON');
	assert.equal(parsed.type, type, `type (${text})`);
	assert.equal(parsed.code, code, `code (${text})`);
	assert.equal(typeof parsed.message, 'string');
	assert.ok(parsed.message.length > 0, 'a message');
	assert.match(parsed.message, message);
	assert.doesNotMatch(parsed.message, INTERNALS, 'no internal detail in a client message (spec section 8)');
}

// What must stay in the log: SQLSTATEs, server error texts, file paths,
// source locations, libpq names.
const INTERNALS = /SQLSTATE|ERROR: |FATAL: |\/tmp\/|\/run\/|\.c:\d|\bPQ[a-z]|\bselect\b.*\bfrom\b|\binsert into\b/i;

// A successful POST: 204, no body, nosniff.
export function assertNoContent(res) {
	assert.equal(res.status, 204, `status (${res.status} ${res.body.toString('utf8').slice(0, 300)})`);
	assert.equal(res.body.length, 0, 'no body');
	assert.equal(res.headers['x-content-type-options'], 'nosniff', 'X-Content-Type-Options');
}

// A successful GET of a value: spec section 7.  disposition undefined means
// the response must carry no Content-Disposition at all.
export function assertValue(res, { contentType, body, disposition }) {
	assert.equal(res.status, 200, `status (${res.status} ${res.body.toString('utf8').slice(0, 300)})`);
	assert.equal(res.headers['content-type'], contentType, 'Content-Type');
	assert.equal(res.headers['content-disposition'], disposition, 'Content-Disposition');
	assertFraming(res);
	assert.ok(res.body.equals(Buffer.isBuffer(body) ? body : Buffer.from(body)),
		`body: got ${res.body.length} bytes ${res.body.subarray(0, 40).toString('hex')}`);
}

// The listed columns of a row, compared in one deepEqual for a readable diff.
export function assertColumns(row, expected, what = 'row') {
	assert.ok(row, `${what} exists`);
	const actual = {};
	for (const k of Object.keys(expected))
		actual[k] = row[k];
	assert.deepEqual(actual, expected, what);
}

// Every byte value once, then the sequences a multipart parser is most
// likely to trip over: CRLF, a delimiter-like "--" after CRLF, lone CR/LF.
export function allBytes() {
	const seq = Buffer.alloc(256);
	for (let i = 0; i < 256; i++)
		seq[i] = i;
	return Buffer.concat([seq, Buffer.from('\r\n--\r\n\r\n--x--\r\n\r\r\n\n-\r\n'), Buffer.from(seq).reverse()]);
}

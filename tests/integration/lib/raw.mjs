// Raw HTTP/1.1 over a TCP socket, for the requests no HTTP client will send:
// a Content-Length that lies, bytes that are not allowed in a request line or
// header, a chunked body with a broken chunk size.  The request is written
// exactly as given; the answer is read until the server closes the
// connection (every request here carries "Connection: close") and parsed by
// hand, so a malformed answer is seen as it is.

import net from 'node:net';

// Bound on one exchange: a deadline for something that should take
// milliseconds, not a measurement.
const RAW_TIMEOUT_MS = 30_000;

// Header lines ("Name: value") as an object keyed by lower-case name
// (repeated names joined with ", ") and as the list of [name, value] pairs.
export function headerFields(lines) {
	const headers = {};
	const headerList = [];
	for (const line of lines) {
		const i = line.indexOf(':');
		if (i <= 0)
			continue;
		const name = line.slice(0, i).trim().toLowerCase();
		const value = line.slice(i + 1).trim();
		headerList.push([name, value]);
		headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
	}
	return { headers, headerList };
}

// Splits an HTTP/1.x response into status, headers and body.  The body is
// de-chunked when the response says it is chunked.
export function parseResponse(bytes) {
	const end = bytes.indexOf('\r\n\r\n');
	if (end < 0)
		return { status: 0, statusLine: '', headers: {}, rawHeaders: bytes.toString('latin1'), body: Buffer.alloc(0), raw: bytes };
	const head = bytes.subarray(0, end).toString('latin1');
	const lines = head.split('\r\n');
	const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
	const { headers } = headerFields(lines.slice(1));
	let body = bytes.subarray(end + 4);
	if (/chunked/i.test(headers['transfer-encoding'] || ''))
		body = dechunk(body);
	return { status: m ? Number(m[1]) : 0, statusLine: lines[0], headers, rawHeaders: head, body, raw: bytes };
}

function dechunk(buf) {
	const out = [];
	let pos = 0;
	for (;;) {
		const eol = buf.indexOf('\r\n', pos);
		if (eol < 0)
			break;
		const size = parseInt(buf.subarray(pos, eol).toString('latin1').split(';')[0], 16);
		if (!Number.isFinite(size) || size === 0)
			break;
		out.push(buf.subarray(eol + 2, eol + 2 + size));
		pos = eol + 2 + size + 2;
	}
	return Buffer.concat(out);
}

// Sends bytes (a Buffer, or an array of Buffers written one after the
// other) to host:port and resolves to the parsed answer plus {closedEarly:
// true} when the server closed without answering.  halfClose ends our side
// after the last byte, so a server waiting for more body sees end of input.
export function rawExchange(port, bytes, { host = '127.0.0.1', halfClose = false, timeout = RAW_TIMEOUT_MS } = {}) {
	return new Promise((resolve, reject) => {
		const sock = net.connect({ host, port });
		const chunks = [];
		let settled = false;
		const finish = (err) => {
			if (settled)
				return;
			settled = true;
			clearTimeout(timer);
			sock.destroy();
			const all = Buffer.concat(chunks);
			// A reset after a complete answer is still that answer.
			if (err && all.length === 0) {
				if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
					resolve({ ...parseResponse(all), closedEarly: true, error: err.code });
					return;
				}
				reject(err);
				return;
			}
			const res = parseResponse(all);
			resolve(all.length === 0 ? { ...res, closedEarly: true } : res);
		};
		const timer = setTimeout(() => finish(new Error(`no end of the answer within ${timeout} ms`)), timeout);
		sock.on('connect', () => {
			for (const b of Array.isArray(bytes) ? bytes : [bytes])
				sock.write(b);
			if (halfClose)
				sock.end();
		});
		sock.on('data', (c) => chunks.push(c));
		sock.on('end', () => finish());
		sock.on('close', () => finish());
		sock.on('error', (e) => finish(e));
	});
}

// Builds a request: the request line, the headers (an array of [name,
// value] pairs or raw lines, written as given), a blank line, the body.
// "Host" and "Connection: close" are added unless given.
export function rawRequest({ method = 'GET', target, version = 'HTTP/1.1', headers = [], body, host = 'localhost' }) {
	const lines = [Buffer.from(`${method} `, 'latin1'), Buffer.isBuffer(target) ? target : Buffer.from(target, 'latin1'),
		Buffer.from(` ${version}\r\n`, 'latin1')];
	const names = headers.map((h) => (Array.isArray(h) ? h[0].toLowerCase() : ''));
	if (!names.includes('host'))
		lines.push(Buffer.from(`Host: ${host}\r\n`));
	if (!names.includes('connection'))
		lines.push(Buffer.from('Connection: close\r\n'));
	for (const h of headers) {
		if (Buffer.isBuffer(h))
			lines.push(h, Buffer.from('\r\n'));
		else if (Array.isArray(h))
			lines.push(Buffer.isBuffer(h[1]) ? Buffer.concat([Buffer.from(`${h[0]}: `), h[1], Buffer.from('\r\n')])
				: Buffer.from(`${h[0]}: ${h[1]}\r\n`, 'latin1'));
		else
			lines.push(Buffer.from(`${h}\r\n`, 'latin1'));
	}
	lines.push(Buffer.from('\r\n'));
	if (body !== undefined)
		lines.push(Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'));
	return Buffer.concat(lines);
}

// The usual shape: a POST whose Content-Length is the body's length unless
// contentLength says otherwise (null: no Content-Length at all).
export function rawPost(target, body, contentType, { contentLength, headers = [] } = {}) {
	const h = [];
	if (contentType !== null && contentType !== undefined)
		h.push(['Content-Type', contentType]);
	const cl = contentLength === undefined ? body.length : contentLength;
	if (cl !== null)
		h.push(['Content-Length', String(cl)]);
	return rawRequest({ method: 'POST', target, headers: [...h, ...headers], body });
}

// A body in chunked transfer coding, cut into pieces of the given size.
export function chunked(body, size = 4096) {
	const parts = [];
	for (let i = 0; i < body.length; i += size) {
		const piece = body.subarray(i, i + size);
		parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
	}
	parts.push(Buffer.from('0\r\n\r\n'));
	return Buffer.concat(parts);
}

// Sends the request's first `head` bytes to 127.0.0.1:port and holds the
// rest until release(), or cut() closes the connection; answer resolves to
// the parsed response.  release() writes the rest without a FIN: nginx
// takes a client's half-close while the upstream works as an abort (499)
// and drops the answer.  The request says Connection: close, so nginx ends
// the connection once it has answered.
export function heldRequest(port, request, head) {
	const sock = net.connect({ host: '127.0.0.1', port });
	const chunks = [];
	const answer = new Promise((resolve, reject) => {
		sock.on('data', (c) => chunks.push(c));
		sock.on('end', () => resolve(parseResponse(Buffer.concat(chunks))));
		sock.on('error', reject);
	});
	sock.on('connect', () => sock.write(request.subarray(0, head)));
	return {
		answer,
		release: () => sock.write(request.subarray(head)),
		cut: () => sock.destroy(),
	};
}

// FastCGI 1.0 records, both ways: apache.test.mjs plays the responder
// behind Apache, and security.test.mjs plays the web server in front of
// vardata, to send what nginx and Apache would never pass on.

import net from 'node:net';

export const FCGI_BEGIN_REQUEST = 1;
export const FCGI_END_REQUEST = 3;
export const FCGI_PARAMS = 4;
export const FCGI_STDIN = 5;
export const FCGI_STDOUT = 6;
const FCGI_RESPONDER = 1;

export function fcgiRecord(type, id, content) {
	const h = Buffer.alloc(8);
	h[0] = 1;
	h[1] = type;
	h.writeUInt16BE(id, 2);
	h.writeUInt16BE(content.length, 4);
	return Buffer.concat([h, content]);
}

// Name-value pairs (FastCGI 1.0, section 3.4): lengths of one byte, or of
// four with the high bit set.
export function fcgiParams(buf) {
	const out = {};
	let i = 0;
	const len = () => {
		if (buf[i] & 0x80) {
			i += 4;
			return buf.readUInt32BE(i - 4) & 0x7fffffff;
		}
		return buf[i++];
	};
	while (i < buf.length) {
		const nl = len();
		const vl = len();
		const name = buf.subarray(i, i + nl).toString('latin1');
		out[name] = buf.subarray(i + nl, i + nl + vl).toString('latin1');
		i += nl + vl;
	}
	return out;
}

function encodeParams(params) {
	const len = (n) => {
		if (n < 128)
			return Buffer.from([n]);
		const b = Buffer.alloc(4);
		b.writeUInt32BE((n | 0x80000000) >>> 0);
		return b;
	};
	return Buffer.concat(Object.entries(params).flatMap(([k, v]) => {
		const [name, value] = [Buffer.from(k, 'latin1'), Buffer.from(v, 'latin1')];
		return [len(name.length), len(value.length), name, value];
	}));
}

// One request to a FastCGI responder on a unix socket, as a web server
// sends it (params and body each short enough for one record): resolves
// with the responder's whole stdout once it ends the request.
export function fcgiRequest(sock, params, body = Buffer.alloc(0)) {
	return new Promise((resolve, reject) => {
		const c = net.connect(sock);
		const chunks = [];
		let buf = Buffer.alloc(0);
		c.on('error', reject);
		c.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			while (buf.length >= 8 && buf.length >= 8 + buf.readUInt16BE(4) + buf[6]) {
				const type = buf[1];
				const content = buf.subarray(8, 8 + buf.readUInt16BE(4));
				buf = buf.subarray(8 + content.length + buf[6]);
				if (type === FCGI_STDOUT)
					chunks.push(content);
				else if (type === FCGI_END_REQUEST) {
					c.destroy();
					resolve(Buffer.concat(chunks).toString('latin1'));
					return;
				}
			}
		});
		c.on('close', () => reject(new Error('the responder closed the connection without FCGI_END_REQUEST')));
		const begin = Buffer.alloc(8);
		begin.writeUInt16BE(FCGI_RESPONDER, 0);
		const p = encodeParams(params);
		c.write(Buffer.concat([fcgiRecord(FCGI_BEGIN_REQUEST, 1, begin),
			fcgiRecord(FCGI_PARAMS, 1, p), fcgiRecord(FCGI_PARAMS, 1, Buffer.alloc(0)),
			...(body.length > 0 ? [fcgiRecord(FCGI_STDIN, 1, body)] : []), fcgiRecord(FCGI_STDIN, 1, Buffer.alloc(0))]));
	});
}

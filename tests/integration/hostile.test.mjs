// Hostile and malformed requests (issue 4, "Bad input"): a table of requests
// sent as raw bytes to the real nginx in front of the real pool.  Each row
// says who answers and what:
//
//   vardata   the JSON error of spec section 8: exact status and type, and
//             the exact message where the spec fixes one;
//   nginx     nginx refuses the request itself before vardata sees it: its
//             own HTML error page (400 for a malformed request line,
//             header or chunked body; 405 for TRACE; 414 for a request
//             line over large_client_header_buffers; 501 for a transfer
//             coding it does not know), or one of the JSON pages of
//             nginx/vardata.conf (413 over client_max_body_size, 404
//             outside the API prefix);
//   closed    nginx closes the connection without an answer: a body
//             shorter than its Content-Length, ended by the client, never
//             reaches vardata when nginx buffers it (under a megabyte);
//             a larger one is streamed to vardata as it arrives, and
//             vardata must store nothing of it;
//   stored    the request is hostile-looking but valid, and its value must
//             be stored exactly (these are the writes the database may hold
//             afterwards).
//
// After every row: the worker pids are those the pool started with (no
// worker died), and the database holds exactly what the stored rows wrote
// (row counts of ACT_RU_VARIABLE and ACT_GE_BYTEARRAY and the task
// revisions).  Hostile bodies go to scopes that exist, so that each answer
// is the intended 4xx and not the 500 of a missing scope (spec section 8).

import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { before } from 'node:test';
import { lit, suite } from './harness.mjs';
import { assertError, assertNoContent } from './expect.mjs';
import { childrenOf, waitWorkers } from './lib/procs.mjs';
import { chunked, rawExchange, rawPost, rawRequest } from './lib/raw.mjs';

const E = '/engine-rest';
const WORKERS = 2;
const MALFORMED = 'multipart/form-data cannot be processed';
const B = 'hostile-boundary';
const CT = `multipart/form-data; boundary=${B}`;
const TASK = 'hostile-task';
// A task id full of SQL metacharacters (it fits ID_ varchar(64)).
const SQL_TASK = "t'; DROP TABLE act_ru_variable; --\\";
const SQL_TASK_PCT = encodeURIComponent(SQL_TASK).replace(/'/g, '%27');

// ---- building bodies byte by byte ----

const bytes = (s) => (Buffer.isBuffer(s) ? s : Buffer.from(s, 'latin1'));
// One part: its header lines joined as given (latin1, so any byte can go in).
const part = (headers, data, boundary = B) => Buffer.concat([
	bytes(`--${boundary}\r\n`), bytes(headers), bytes('\r\n\r\n'), bytes(data), bytes('\r\n')]);
const close = (boundary = B) => bytes(`--${boundary}--\r\n`);
const body = (...parts) => Buffer.concat([...parts, close()]);
const disp = (name, extra = '') => `Content-Disposition: form-data; name="${name}"${extra}`;
const dataPart = (data = 'x', extra = '') => part(disp('data', extra), data);
const field = (name, value, ct) => part(disp(name) + (ct ? `\r\nContent-Type: ${ct}` : ''), value);
const filePart = (filenameParam, data = 'x', ct = 'text/plain') =>
	part(`Content-Disposition: form-data; name="data"; ${filenameParam}${ct ? `\r\nContent-Type: ${ct}` : ''}`, data);
const asFile = (p) => body(p, field('valueType', 'File'));

// ---- what a row expects ----

const err = (status, type, message, code = null) => ({ by: 'vardata', status, type, message, code });
const malformed = () => err(400, 'RestException', MALFORMED);
const nginxPage = (status) => ({ by: 'nginx', status });
const nginxJson = (status, message) => ({ by: 'nginx-json', status, message });
const closed = () => ({ by: 'closed' });
// name: the variable name the request writes; value: the bytes it must hold.
const stored = (name, value, { task = TASK, type = 'bytes' } = {}) => ({ by: 'stored', name, value: bytes(value), task, type });

const url = (name, task = TASK) => `${E}/task/${task}/localVariables/${name}/data`;
// The variables of the two streamed bodies that end early.
const STREAMED_SHORT = 'streamed-short';
const STREAMED_CUT = 'streamed-cut';

function rows() {
	const r = [];
	let n = 0;
	// A fresh variable name per row, so a stray write could not hide behind an earlier one.
	const next = () => `h${++n}`;
	const add = (label, request, expect, opts = {}) => r.push({ label, request, expect, opts });
	const post = (label, b, expect, ct = CT, o = {}) => {
		const name = expect.by === 'stored' ? expect.name : next();
		add(label, rawPost(url(name), b, ct, o), expect, o);
	};
	const get = (label, target, expect, method = 'GET') => add(label, rawRequest({ method, target }), expect);

	// -- the request's Content-Type and boundary (spec sections 6 and 8) --
	const valid = body(dataPart('v'));
	const notMultipart = err(415, 'RestException', /multipart\/form-data/);
	post('no Content-Type', valid, notMultipart, null);
	post('Content-Type text/plain', valid, notMultipart, 'text/plain');
	post('Content-Type application/json', valid, notMultipart, 'application/json');
	post('Content-Type application/x-www-form-urlencoded', valid, notMultipart, 'application/x-www-form-urlencoded');
	post('Content-Type multipart/mixed with the right boundary', valid, notMultipart, `multipart/mixed; boundary=${B}`);
	post('Content-Type "multipart/form-data" and junk after it', valid, notMultipart, `multipart/form-data-x; boundary=${B}`);
	post('Content-Type that is not a media type', valid, notMultipart, '; boundary=x');
	// An unquoted boundary with a character outside the token set, or an
	// empty one, is no token and no quoted-string (RFC 9110 section 5.6.6):
	// the type is multipart/form-data, but there is no usable boundary.
	post('boundary with a character outside the token set', valid, malformed(), 'multipart/form-data; boundary=a{b');
	post('multipart/form-data without a boundary', valid, malformed(), 'multipart/form-data');
	post('empty boundary', valid, malformed(), 'multipart/form-data; boundary=');
	post('empty quoted boundary', valid, malformed(), 'multipart/form-data; boundary=""');
	const b71 = 'b'.repeat(71);
	post('boundary of 71 characters (RFC 2046 allows 70)', Buffer.concat([part(disp('data'), 'v', b71), close(b71)]),
		malformed(), `multipart/form-data; boundary=${b71}`);
	post('boundary parameter given twice', valid, malformed(), `${CT}; boundary=other`);
	post('wrong boundary: the body uses another one', body(dataPart('v')), malformed(), 'multipart/form-data; boundary=other-boundary');
	post('boundary differing only in case', valid, malformed(), `multipart/form-data; boundary=${B.toUpperCase()}`);
	post('boundary a prefix of the one in the body', valid, malformed(), `multipart/form-data; boundary=${B.slice(0, 5)}`);
	post('type, subtype and parameter name in upper case are fine', valid, stored('upper-ct', 'v'), `MULTIPART/FORM-DATA; BOUNDARY=${B}`);
	post('quoted boundary is fine', valid, stored('quoted-boundary', 'v'), `multipart/form-data; boundary="${B}"`);

	// -- truncated bodies: every prefix of a valid two-part body that ends before its close delimiter --
	const whole = asFile(filePart('filename="trunc.txt"', 'the file content\r\n--not-a-boundary'));
	const closeAt = whole.lastIndexOf(bytes(`--${B}--`)) + `--${B}--`.length;
	const marks = new Set([0, 1, 2, B.length + 2, B.length + 3, B.length + 4]);
	for (const needle of ['Content-Disposition', 'name="data"', 'filename=', 'Content-Type', '\r\n\r\nthe', 'content',
		'\r\n--not', `\r\n--${B}\r\n`, 'valueType', 'File', `--${B}--`]) {
		const i = whole.indexOf(bytes(needle));
		assert.ok(i >= 0, needle);
		marks.add(i);
		marks.add(i + 1);
		marks.add(i + Math.max(1, needle.length - 1));
	}
	marks.add(closeAt - 1);
	for (const cut of [...marks].filter((c) => c < closeAt).sort((a, b) => a - b))
		post(`body truncated after ${cut} of ${whole.length} bytes`, whole.subarray(0, cut), malformed());

	// -- the boundary inside the data --
	post('boundary text inside the data, not after CRLF', body(dataPart(`a--${B}b\r\n-${B}\r\n--${B.slice(0, -1)}\r\n--`)),
		stored('boundary-in-data', `a--${B}b\r\n-${B}\r\n--${B.slice(0, -1)}\r\n--`));
	post('a delimiter with junk after it inside the data', body(dataPart(`before\r\n--${B}junk after`)), malformed());
	post('a delimiter followed by a header line without a colon', body(dataPart(`before\r\n--${B}\r\nno colon here`)), malformed());
	post('the close delimiter inside the data ends the body (RFC 2046: the rest is epilogue)',
		Buffer.concat([bytes(`--${B}\r\n${disp('data')}\r\n\r\nkept\r\n--${B}--\r\nepilogue, ignored\r\n--${B}--\r\n`)]),
		stored('epilogue', 'kept'));
	post('only a close delimiter', close(), err(400, 'InvalidRequestException', /data/));

	// -- limits: part count, part header, field, filename, name (spec section 6) --
	const many = (n) => body(dataPart('d'), ...Array.from({ length: n - 1 }, (_, i) => field(`p${i}`, 'x')));
	post('10,000 parts', many(10_000), err(400, 'RestException', /--max-parts/));
	post('17 parts', many(17), err(400, 'RestException', /--max-parts/));
	post('1 MiB part header (one header line)', body(part(`${disp('data')}\r\nX-Pad: ${'p'.repeat(1 << 20)}`, 'd')),
		err(400, 'RestException', /--max-part-header/));
	post('1 MiB part header (a 1 MiB part name)', body(part(disp('n'.repeat(1 << 20)), 'd')),
		err(400, 'RestException', /--max-part-header/));
	post('part header without its blank line, 1 MiB of header lines', Buffer.concat([bytes(`--${B}\r\n`),
		bytes(`X-A: b\r\n`.repeat(150_000))]), err(400, 'RestException', /--max-part-header/));
	post('1 MiB valueType', body(dataPart('d'), field('valueType', 'F'.repeat(1 << 20))), err(400, 'RestException', /--max-field/));
	post('filename of 4001 characters', asFile(filePart(`filename="${'f'.repeat(4001)}"`)), err(400, 'RestException', /--max-filename/));
	for (const n of [256, 5000])
		add(`variable name of ${n} characters`, rawPost(url('n'.repeat(n)), valid, CT), err(400, 'InvalidRequestException', /255/));
	post('Content-Length over client_max_body_size', Buffer.alloc(0), nginxJson(413,
		'request body exceeds the size limit (client_max_body_size 1024m)'), CT, { contentLength: 2_000_000_000 });

	// -- part headers: NUL, CR, LF, other control bytes, invalid UTF-8 --
	for (const [what, b] of [['NUL', '\0'], ['CR', '\r'], ['LF', '\n'], ['TAB', '\t'], ['DEL', '\x7f'], ['ESC', '\x1b'],
		['0xFF (invalid UTF-8)', '\xff'], ['an overlong "/" (C0 AF)', '\xc0\xaf'], ['a lone continuation byte', '\x80']]) {
		post(`${what} in the part name`, body(part(`Content-Disposition: form-data; name="da${b}ta"`, 'x')), malformed());
		post(`${what} in a quoted filename`, asFile(filePart(`filename="a${b}b.txt"`)), malformed());
	}
	for (const [what, enc] of [['%0D%0A', 'a%0D%0AX-Injected:%201.txt'], ['%00', 'a%00b'], ['%0A', 'a%0Ab'], ['%7F', 'a%7Fb'],
		['%FF', '%FF.txt'], ['an overlong %C0%AF', '%C0%AF'], ['a surrogate %ED%A0%80', '%ED%A0%80'],
		['a code point over U+10FFFF', '%F4%90%80%80'], ['a truncated sequence %C3', 'a%C3'], ['bad escape %G1', '%G1'],
		['a cut escape %4', 'a%4']])
		post(`filename* with ${what}`, asFile(filePart(`filename*=UTF-8''${enc}`)), malformed());
	post('filename* in a charset other than UTF-8 or ISO-8859-1', asFile(filePart("filename*=KOI8-R''abc")), malformed());
	// Only a File value stores its filename: a Bytes value is stored whatever the filename (as Camunda does).
	for (const [what, param] of [['0xFF in a quoted filename', 'filename="a\xffb.bin"'],
		['a filename of 4001 characters', `filename="${'f'.repeat(4001)}"`], ['filename* with %FF', "filename*=UTF-8''%FF.bin"],
		['filename* in KOI8-R', "filename*=KOI8-R''abc"]])
		post(`Bytes value, ${what}: stored`, body(filePart(param, `bytes, ${what}`)), stored(next(), `bytes, ${what}`));
	post('filename* without the two quotes', asFile(filePart('filename*=UTF-8abc')), malformed());
	post('CRLF inside a quoted filename splits the header line', asFile(filePart('filename="a\r\nX-Injected: 1"')), malformed());
	post('unterminated quoted part name', body(part('Content-Disposition: form-data; name="data', 'x')), malformed());
	post('part without a name', body(part('Content-Disposition: form-data; filename="a.txt"', 'x')), malformed());
	post('part without Content-Disposition', body(part('Content-Type: text/plain', 'x')), malformed());
	post('Content-Disposition that is not form-data', body(part('Content-Disposition: attachment; name="data"', 'x')), malformed());
	post('two Content-Disposition headers', body(part(`${disp('data')}\r\n${disp('other')}`, 'x')), malformed());
	post('two Content-Type headers', body(part(`${disp('data')}\r\nContent-Type: text/plain\r\nContent-Type: text/html`, 'x')), malformed());
	post('header line without a colon', body(part(`${disp('data')}\r\nno colon`, 'x')), malformed());
	post('space before the colon of a header name', body(part('Content-Disposition : form-data; name="data"', 'x')), malformed());
	post('obsolete line folding in a part header', body(part(`${disp('data')}\r\n X-Folded: 1`, 'x')), malformed());
	post('part headers ended by bare LF', Buffer.concat([bytes(`--${B}\n${disp('data')}\n\nx\r\n`), close()]), malformed());
	post('junk after the boundary on its line', Buffer.concat([bytes(`--${B}junk\r\n${disp('data')}\r\n\r\nx\r\n`), close()]), malformed());

	// -- mime types with CR/LF and other invalid ones (File values, spec sections 6 and 7) --
	post('data Content-Type with a bare CR', asFile(filePart('filename="a.txt"', 'x', 'text/plain\rX-Injected: 1')), malformed());
	post('data Content-Type continued on a folded line', asFile(filePart('filename="a.txt"', 'x', 'text/plain\r\n X-Injected: 1')), malformed());
	post('data Content-Type with NUL', asFile(filePart('filename="a.txt"', 'x', 'text/pl\0ain')), malformed());
	post('data Content-Type with DEL', asFile(filePart('filename="a.txt"', 'x', 'text/plain\x7f')), malformed());
	post('encoding parameter with a quote in it', asFile(filePart('filename="a.txt"', 'x', 'text/plain; encoding="x\\"y"')),
		err(400, 'RestException', 'Invalid mime type given'));
	post('encoding parameter with a space in it', asFile(filePart('filename="a.txt"', 'x', 'text/plain; encoding="a b"')),
		err(400, 'RestException', 'Invalid mime type given'));
	post('mime type longer than TEXT2_', asFile(filePart('filename="a.txt"', 'x', `text/${'a'.repeat(4100)}`)),
		err(400, 'RestException', 'Invalid mime type given'));
	for (const ct of ['text', 'text/', '/plain', 'text/pl ain', 'text/plain; =x', '"text/plain"', 'text/plain; a'])
		post(`data Content-Type "${ct}"`, asFile(filePart('filename="a.txt"', 'x', ct)), err(400, 'RestException', 'Invalid mime type given'));

	// -- the form fields --
	const unsupported = (v) => err(400, 'RestException', `Unsupported value type '${v}'`);
	post('valueType with CR/LF in it', body(dataPart(), field('valueType', 'File\r\nX-Injected: 1')), unsupported('File\r\nX-Injected: 1'));
	post('valueType with SQL in it', body(dataPart(), field('valueType', "Bytes'; DELETE FROM act_ru_variable; --")),
		unsupported("Bytes'; DELETE FROM act_ru_variable; --"));
	post('valueType "Bytes" followed by NUL and junk', body(dataPart(), field('valueType', 'Bytes\0junk')), err(400, 'RestException', /^Unsupported value type 'Bytes./));
	post('valueType with invalid UTF-8', body(dataPart(), field('valueType', 'B\xffx')), err(400, 'RestException', /^Unsupported value type '/));
	post('valueType empty', body(dataPart(), field('valueType', '')), unsupported(''));
	post('valueType FILE', body(dataPart(), field('valueType', 'FILE')), unsupported('FILE'));
	post('valueType as application/octet-stream', body(dataPart(), field('valueType', 'File', 'application/octet-stream')),
		err(400, 'InvalidRequestException', "Form part with name 'valueType' must have a text/plain value"));
	post('variableType as text/html', body(dataPart(), field('variableType', 'File', 'text/html')),
		err(400, 'InvalidRequestException', "Form part with name 'variableType' must have a text/plain value"));
	post('valueType Object with binary data', body(dataPart(), field('valueType', 'Object')),
		err(400, 'InvalidRequestException', "Must provide 'null' or String value for value of SerializableValue type 'Object'."));
	post('valueType String', body(dataPart(), field('valueType', 'String')), err(400, 'InvalidRequestException', /String/));
	const noFilename = 'Cannot create file without filename! Please set a name into ValueInfo with key filename';
	post('File without a filename', body(dataPart(), field('valueType', 'File')), err(400, 'InvalidRequestException', noFilename));
	post('File with an empty filename', asFile(filePart('filename=""')), err(400, 'InvalidRequestException', noFilename));
	post('no data part, only unknown parts', body(field('other', 'x'), field('more', 'y')), err(400, 'InvalidRequestException', /data/));
	post('part named "Data" is not "data"', body(field('Data', 'x')), err(400, 'InvalidRequestException', /data/));
	const jsonPart = (text, ct = 'application/json') => part(`${disp('data')}\r\nContent-Type: ${ct}`, text);
	const typeField = (t = 'java.util.HashMap') => field('type', t);
	post('type part with data not application/json', body(jsonPart('{}', 'text/plain'), typeField()),
		err(400, 'InvalidRequestException', 'Unrecognized content type for serialized java type: text/plain'));
	const notJson = err(400, 'InvalidRequestException', /^Could not deserialize JSON object: \S/);
	post('type part with JSON nested 100,000 deep', body(jsonPart('['.repeat(100_000)), typeField()), notJson);
	post('type part with unfinished JSON', body(jsonPart('{"a":'), typeField()), notJson);
	post('type part with junk after the JSON', body(jsonPart('{} x'), typeField()), notJson);
	post('type part with invalid UTF-8 in the JSON', body(jsonPart('"\xff"'), typeField()), notJson);
	post('type part with a NUL in the JSON', body(jsonPart('{"a":"\0"}'), typeField()), notJson);
	post('type part naming a type with CR/LF', body(jsonPart('{}'), typeField('java.util.HashMap\r\nX-Injected: 1')), notJson);
	post('type part naming a type with NUL', body(jsonPart('{}'), typeField('java.util\0.HashMap')), notJson);
	post('type part naming a type in invalid UTF-8', body(jsonPart('{}'), typeField('java.util.\xffMap')), notJson);
	post('type part with NUL bytes after the JSON', body(jsonPart('{"a":1}\0\0\0'), typeField()), notJson);
	post('type part with null and then a NUL byte', body(jsonPart('null\0'), typeField()), notJson);
	post('type part with a raw control character in a JSON string', body(jsonPart('{"a":"\x01"}'), typeField()), notJson);
	post('type part as application/octet-stream', body(jsonPart('{}'), field('type', 'java.util.HashMap', 'application/octet-stream')),
		err(400, 'InvalidRequestException', "Form part with name 'type' must have a text/plain value"));

	// -- the path: percent-encoding, UTF-8, dot and empty segments, SQL, length --
	const badPath = err(400, 'RestException', /invalid path/);
	const noRoute = err(404, 'RestException', /\S/);
	for (const [what, seg] of [['%FF', '%FF'], ['an overlong %C0%AF', '%C0%AF'], ['a surrogate %ED%A0%80', '%ED%A0%80'],
		['a code point over U+10FFFF', '%F4%90%80%80'], ['a truncated sequence', 'a%C3'], ['%80 alone', '%80']]) {
		get(`${what} in the variable name (GET)`, url(seg), badPath);
		add(`${what} in the variable name (POST)`, rawPost(url(seg), valid, CT), badPath);
		get(`${what} in the task id`, `${E}/task/${seg}/localVariables/v/data`, badPath);
	}
	get('raw byte 0xFF in the path', bytes(`${E}/task/${TASK}/localVariables/\xff/data`), badPath);
	get('raw overlong sequence in the path', bytes(`${E}/task/${TASK}/localVariables/\xc0\xaf/data`), badPath);
	get('%00 in the path', url('a%00b'), nginxJson(400, 'the request is malformed'));
	get('bad escape %G1 in the path', url('%G1'), nginxJson(400, 'the request is malformed'));
	get('cut escape % at the end of a segment', url('a%'), nginxJson(400, 'the request is malformed'));
	get('raw control byte in the path', bytes(`${E}/task/${TASK}/localVariables/a\x01b/data`), nginxJson(400, 'the request is malformed'));
	get('raw space in the path', `${E}/task/${TASK}/localVariables/a b/data`, nginxJson(400, 'the request is malformed'));
	get('".." segment inside the API path', `${E}/task/../task/${TASK}/localVariables/v/data`, noRoute);
	get('"." segment inside the API path', `${E}/task/./${TASK}/localVariables/v/data`, noRoute);
	get('%2e%2e as the task id', `${E}/task/%2e%2e/localVariables/v/data`, noRoute);
	get('%2E as the variable name', url('%2E'), noRoute);
	get('".." climbing out of the API prefix', `${E}/../etc/passwd`, nginxJson(404, 'no resource at this path'));
	get('".." climbing above the root', `${E}/../../../etc/passwd`, nginxJson(400, 'the request is malformed'));
	get('empty segment for the task id', `${E}/task//localVariables/v/data`, noRoute);
	get('empty variable name', `${E}/task/${TASK}/localVariables//data`, noRoute);
	get('one trailing slash: the same resource, as in Camunda', `${url('v')}/`,
		err(404, 'InvalidRequestException', 'task variable with name v does not exist'));
	get('two trailing slashes', `${url('v')}//`, noRoute);
	get('doubled leading slash', `/${url('v')}`, noRoute);
	get('a segment too many', `${E}/task/${TASK}/localVariables/a/b/data`, noRoute);
	get('%2F in a task id is part of the id', `${E}/task/a%2Fb/localVariables/v/data`,
		err(404, 'InvalidRequestException', "Cannot get task variable v: task a/b doesn't exist: task is null"));
	get('SQL in a task id', `${E}/task/x%27%20OR%20%271%27%3D%271/localVariables/v/data`,
		err(404, 'InvalidRequestException', "Cannot get task variable v: task x' OR '1'='1 doesn't exist: task is null"));
	get('SQL in a variable name', url('%27%3B%20DROP%20TABLE%20act_ru_variable%3B%20--'),
		err(404, 'InvalidRequestException', "task variable with name '; DROP TABLE act_ru_variable; -- does not exist"));
	get('SQL in a variable-instance id', `${E}/variable-instance/1%27%20OR%20%271%27%3D%271/data`,
		err(404, 'InvalidRequestException', "Variable instance with Id '1' OR '1'='1' does not exist."));
	get('LIKE wildcards as a variable-instance id', `${E}/variable-instance/%25_%25/data`,
		err(404, 'InvalidRequestException', "Variable instance with Id '%_%' does not exist."));
	get('SQL in the engine name', `${E}/engine/x%27--/task/${TASK}/localVariables/v/data`,
		err(404, 'RestException', 'No process engine available'));
	const long = 'a'.repeat(5000);
	get('5,000-character task id', `${E}/task/${long}/localVariables/v/data`,
		err(404, 'InvalidRequestException', `Cannot get task variable v: task ${long} doesn't exist: task is null`));
	get('5,000-character execution id', `${E}/execution/${long}/localVariables/v/data`,
		err(404, 'InvalidRequestException', `Cannot get execution variable v: execution ${long} doesn't exist: execution is null`));
	get('5,000-character variable name', url(long),
		err(404, 'InvalidRequestException', `task variable with name ${long} does not exist`));
	get('5,000-character variable-instance id', `${E}/variable-instance/${long}/data`,
		err(404, 'InvalidRequestException', `Variable instance with Id '${long}' does not exist.`));
	get('request line over large_client_header_buffers', `${E}/task/${'a'.repeat(9000)}/localVariables/v/data`, nginxJson(414, 'the request line is too long'));

	// -- valid writes with SQL metacharacters: stored verbatim --
	add('SQL metacharacters in the variable name are a name like any other',
		rawPost(url('%27%3B%20DROP%20TABLE%20act_ru_variable%3B%20--'), body(dataPart('sql name')), CT),
		stored("'; DROP TABLE act_ru_variable; --", 'sql name'));
	add('SQL metacharacters in the task id are an id like any other',
		rawPost(url('plain', SQL_TASK_PCT), body(dataPart('sql task')), CT), stored('plain', 'sql task', { task: SQL_TASK }));
	post('SQL metacharacters in the data', body(dataPart("'); DROP TABLE act_ge_bytearray; --\0\\x00")),
		stored('sql-data', "'); DROP TABLE act_ge_bytearray; --\0\\x00"));

	// -- methods --
	for (const m of ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'FOO'])
		get(`method ${m}`, url('v'), { ...err(405, 'RestException', /\S/), allow: 'GET, HEAD, POST' }, m);
	get('method TRACE (refused by nginx, in the API\'s JSON shape)', url('v'), err(405, 'RestException', 'method not allowed on this resource'), 'TRACE');

	// -- HTTP framing: Content-Length that lies, chunked bodies --
	const framed = body(dataPart('framed'));
	for (const cut of [10, Math.floor(framed.length / 2), framed.length - 3])
		post(`Content-Length ${cut} shorter than the body (${framed.length})`, framed, malformed(), CT, { contentLength: cut });
	post('Content-Length longer than the body, client ends its side', framed, closed(), CT, { contentLength: framed.length + 100, halfClose: true });
	post('Content-Length negative', framed, nginxJson(400, 'the request is malformed'), CT, { contentLength: '-1' });
	post('Content-Length not a number', framed, nginxJson(400, 'the request is malformed'), CT, { contentLength: '12abc' });
	post('Content-Length given twice', framed, nginxJson(400, 'the request is malformed'), CT, { headers: [['Content-Length', String(framed.length)]] });
	post('Content-Length and Transfer-Encoding both', chunked(framed), nginxJson(400, 'the request is malformed'), CT,
		{ headers: [['Transfer-Encoding', 'chunked']] });
	post('chunked body, truncated multipart inside', chunked(framed.subarray(0, framed.length - 10), 7), malformed(), CT,
		{ contentLength: null, headers: [['Transfer-Encoding', 'chunked']] });
	post('chunked body with 10,000 parts inside', chunked(many(10_000), 1000), err(400, 'RestException', /--max-parts/), CT,
		{ contentLength: null, headers: [['Transfer-Encoding', 'chunked']] });
	post('chunked body with a bad chunk size', bytes('zz\r\nabc\r\n0\r\n\r\n'), nginxJson(400, 'the request is malformed'), CT,
		{ contentLength: null, headers: [['Transfer-Encoding', 'chunked']] });
	post('chunked body without its last chunk, client ends its side', bytes('5\r\nhello\r\n'), closed(), CT,
		{ contentLength: null, headers: [['Transfer-Encoding', 'chunked']], halfClose: true });
	post('transfer coding nginx does not know', chunked(framed), nginxPage(501), CT,
		{ contentLength: null, headers: [['Transfer-Encoding', 'gzip, chunked']] });
	post('chunked valid body is stored', chunked(body(dataPart('chunked ok')), 5), stored('chunked', 'chunked ok'), CT,
		{ contentLength: null, headers: [['Transfer-Encoding', 'chunked']] });
	// -- bodies of a megabyte or more, which nginx streams to vardata as they
	// arrive (nginx/vardata.conf): an incomplete one reaches vardata (the
	// test after the table checks that it did), which must store nothing --
	const mega = Buffer.alloc(1_100_000, 'm');
	const megaBody = body(dataPart(mega));
	add('a megabyte streamed, client ends its side 100 bytes short of its Content-Length',
		rawPost(url(STREAMED_SHORT), megaBody, CT, { contentLength: megaBody.length + 100 }), closed(), { halfClose: true });
	add('a megabyte streamed, client ends its side inside the value',
		rawPost(url(STREAMED_CUT), megaBody.subarray(0, 600_000), CT, { contentLength: megaBody.length }), closed(),
		{ halfClose: true });
	post('a megabyte streamed, complete, is stored', megaBody, stored('streamed', mega));
	post('request Content-Type with a bare CR', framed, nginxJson(400, 'the request is malformed'), `${CT}\rX-Injected: 1`);
	post('request Content-Type with NUL', framed, nginxJson(400, 'the request is malformed'), `${CT}\0`);
	return r;
}

const ROWS = rows();

// A message that quotes 5,000 characters is compared here first, so that a
// mismatch reports lengths and ends rather than two pages of "aaaa".
function assertLongMessage(res, message) {
	if (typeof message !== 'string' || message.length < 300)
		return;
	let got;
	try {
		got = JSON.parse(res.body.toString('utf8')).message;
	} catch {
		return;
	}
	if (got !== message) {
		const end = (m) => JSON.stringify(m.slice(-40));
		assert.fail(`message of ${got.length} characters ending ${end(got)}; ` +
			`spec section 8 wants ${message.length} characters ending ${end(message)}`);
	}
}

suite('hostile requests', { workers: WORKERS }, (s, test) => {
	let pids;

	async function counts() {
		const [[vars, bas, revs]] = await s.sql(`select (select count(*) from act_ru_variable),
			(select count(*) from act_ge_bytearray), (select coalesce(sum(rev_), 0) from act_ru_task)`);
		return { vars: Number(vars), bytearrays: Number(bas), revs: Number(revs) };
	}

	before(async () => {
		await s.createTask(TASK);
		await s.createTask(SQL_TASK);
		pids = await waitWorkers(s.proc.pid, WORKERS);
		assert.equal(pids.length, WORKERS, 'the pool is up');
	});

	test(`the table holds at least 100 hostile requests (${ROWS.length} rows)`, () => {
		assert.ok(ROWS.filter((r) => r.expect.by !== 'stored').length >= 100);
		assert.equal(new Set(ROWS.map((r) => r.label)).size, ROWS.length, 'labels are unique');
	});

	for (const row of ROWS) {
		const x = row.expect;
		const who = x.by === 'stored' ? 'stored' : x.by === 'closed' ? 'nginx closes' : `${x.status} from ${x.by.replace(/-json/, '')}`;
		test(`${row.label} -> ${who}`, async () => {
			// Each row is judged against the state just before it, so that one
			// row's stray write does not fail every row after it (the last test
			// still sees it).
			let expected = await counts();
			const res = await rawExchange(s.port, row.request, { halfClose: row.opts.halfClose });
			const seen = `${res.status} ${res.body.toString('latin1').slice(0, 300)}`;
			switch (x.by) {
			case 'vardata':
				assertLongMessage(res, x.message);
				assertError(res, x.status, x.type, x.message, x.code);
				if (x.allow)
					assert.equal(res.headers.allow, x.allow, 'Allow');
				break;
			case 'nginx-json':
				assertError(res, x.status, 'RestException', x.message);
				break;
			case 'nginx':
				assert.equal(res.status, x.status, `status (${seen})`);
				assert.match(res.headers['content-type'] || '', /^text\/html/, 'nginx\'s own error page');
				assert.match(res.body.toString('latin1'), new RegExp(`<title>${x.status} `), 'nginx\'s own error page');
				break;
			case 'closed':
				assert.equal(res.closedEarly, true, `nginx closes without an answer (${seen})`);
				break;
			case 'stored': {
				assertNoContent(res);
				const v = await s.variable(x.task, x.name);
				assert.ok(v, `variable ${JSON.stringify(x.name)} stored`);
				assert.equal(v.type_, x.type);
				const ba = await s.bytearray(v.bytearray_id_);
				assert.ok(ba.bytes.equals(x.value), `stored bytes: ${ba.bytes.toString('latin1')}`);
				expected = { vars: expected.vars + 1, bytearrays: expected.bytearrays + 1, revs: expected.revs + 1 };
				break;
			}
			default:
				assert.fail(`unknown expectation ${x.by}`);
			}
			assert.deepEqual(await counts(), expected, 'the database holds only what valid requests wrote');
			assert.deepEqual(await childrenOf(s.proc.pid), pids, 'the same workers are alive');
		});
	}

	test('afterwards: the workers are the same, the rows are exactly the valid writes, the log has no crash', async () => {
		assert.deepEqual(await childrenOf(s.proc.pid), pids, 'worker pids unchanged');
		assert.equal(s.procExited, undefined, 'the supervisor is running');
		const want = ROWS.filter((r) => r.expect.by === 'stored').map((r) => [r.expect.task, r.expect.name]);
		const got = await s.rows(`select var_scope_, name_ from act_ru_variable order by var_scope_, name_`);
		assert.deepEqual(got.map((r) => [r.var_scope_, r.name_]).sort(), want.sort(), 'variables');
		assert.deepEqual(await s.orphanBytearrays(), [], 'no byte array without a variable');
		for (const t of [TASK, SQL_TASK])
			assert.equal((await s.task(t)).id_, t, `task ${lit(t)} is still there`);
		const log = await fsp.readFile(path.join(s.dir, 'vardata.log'), 'utf8');
		assert.doesNotMatch(log, /killed by signal|exited with status|AddressSanitizer|runtime error:|LeakSanitizer/,
			'no worker crashed and no sanitizer report');
		// Untrusted text is escaped in the log: no line may carry a raw control byte (STYLE.md, Logging).
		assert.doesNotMatch(log, /[\x00-\x08\x0b-\x1f\x7f]/, 'no raw control byte in the log');
		assert.doesNotMatch(log, /^X-Injected/m, 'no injected log line');
	});

	test('the large bodies that ended early reached vardata before their end, and got its 400', async () => {
		// Buffered, nginx would have dropped them without ever passing them on.
		const log = await fsp.readFile(s.vardataLog, 'utf8');
		for (const name of [STREAMED_SHORT, STREAMED_CUT])
			assert.match(log, new RegExp(` POST ${E}/task/${TASK}/localVariables/${name}/data 400 `), name);
	});
});

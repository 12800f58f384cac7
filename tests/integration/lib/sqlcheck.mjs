// A static check of C sources for SQL built from strings at run time.
// vardata keeps every statement as a compile-time constant and passes values
// as parameters ($1, $2, ...); this finds code that does otherwise:
//
//   format    a string literal that reads as SQL and holds a printf
//             conversion (%s, %d, %.*s, ...): SQL text with a hole for a value;
//   builder   a string-building call (snprintf, asprintf, strcat, memcpy,
//             ...) with SQL text among its arguments;
//   sink      a libpq call that runs SQL text (PQexec, PQexecParams,
//             PQprepare, PQsendQuery, ...) whose SQL argument is not
//             constant: constant is a string literal or a macro made of
//             string literals, a field of a "static const" table, or a
//             parameter of the enclosing function whose every caller passes
//             a constant (followed up to a few levels).
//
// It reads the code the way this project writes it (function names at the
// start of a line, the brace on the next); it is a lint, not a C parser.

const SQL_SHAPE = /\b(select\s[\s\S]*?\bfrom\s|insert\s+into\s|update\s+\S+\s+set\s|delete\s+from\s|copy\s+\S+\s*(\(|from\b|to\b)|(alter|drop|create|truncate)\s+(table|index|view|database|role|schema|function)\b|truncate\s+\S+)/i;
const CONVERSION = /%[-+ #0]*(\d+|\*)?(\.(\d+|\*))?(hh|h|ll|l|j|z|t|L)?[diouxXeEfFgGaAcsp]/;
const BUILDERS = ['snprintf', 'sprintf', 'vsnprintf', 'vsprintf', 'asprintf', 'vasprintf', 'strcat', 'strncat',
	'strcpy', 'strncpy', 'stpcpy', 'stpncpy', 'strlcpy', 'strlcat', 'memcpy', 'memmove', 'strdup', 'strndup',
	'appendPQExpBuffer', 'appendPQExpBufferStr', 'printfPQExpBuffer', 'appendBinaryPQExpBuffer'];
// libpq calls that run SQL text, and the index of that argument.
const SINKS = { PQexec: 1, PQsendQuery: 1, PQexecParams: 1, PQsendQueryParams: 1, PQprepare: 2, PQsendPrepare: 2 };
const MAX_DEPTH = 4;

// Removes comments and joins continued lines, keeping string and character
// literals intact; comments become one space.
export function stripComments(src) {
	src = src.replace(/\\\r?\n/g, ' ');
	let out = '';
	let i = 0;
	while (i < src.length) {
		const c = src[i];
		const d = src[i + 1];
		if (c === '"' || c === "'") {
			let j = i + 1;
			while (j < src.length && src[j] !== c && src[j] !== '\n')
				j += src[j] === '\\' ? 2 : 1;
			out += src.slice(i, j + 1);
			i = j + 1;
		} else if (c === '/' && d === '*') {
			const j = src.indexOf('*/', i + 2);
			const end = j < 0 ? src.length : j + 2;
			out += ' ' + src.slice(i, end).replace(/[^\n]/g, '');
			i = end;
		} else if (c === '/' && d === '/') {
			const j = src.indexOf('\n', i);
			i = j < 0 ? src.length : j;
			out += ' ';
		} else {
			out += c;
			i++;
		}
	}
	return out;
}

const LITERAL = /"(?:[^"\\\n]|\\.)*"/g;

// The text of the string literals in a piece of code, joined, with macros
// that stand for string literals expanded.
function literalText(code, macros) {
	let text = (code.match(LITERAL) || []).map((l) => l.slice(1, -1)).join('');
	for (const [name, body] of macros)
		if (new RegExp(`\\b${name}\\b`).test(code.replace(LITERAL, '""')))
			text += body;
	return text;
}

// The arguments of the call whose '(' is at open: [texts], end index.
function callArgs(code, open) {
	const args = [];
	let depth = 0;
	let start = open + 1;
	for (let i = open; i < code.length; i++) {
		const c = code[i];
		if (c === '"' || c === "'") {
			let j = i + 1;
			while (j < code.length && code[j] !== c)
				j += code[j] === '\\' ? 2 : 1;
			i = j;
		} else if (c === '(' || c === '[' || c === '{') {
			depth++;
		} else if (c === ')' || c === ']' || c === '}') {
			depth--;
			if (depth === 0) {
				args.push(code.slice(start, i).trim());
				return { args, end: i };
			}
		} else if (c === ',' && depth === 1) {
			args.push(code.slice(start, i).trim());
			start = i + 1;
		}
	}
	return { args, end: code.length };
}

// Occurrences of name( that are calls, not definitions or prototypes: the
// token before a call is an operator, a bracket, a cast's ')' or "return".
function calls(code, name) {
	const out = [];
	const re = new RegExp(`\\b${name}\\s*\\(`, 'g');
	let m;
	while ((m = re.exec(code)) !== null) {
		const before = code.slice(Math.max(0, m.index - 40), m.index);
		if (!/([-(,=!&|;{}?:+<>)]|\breturn|\belse|\bdo)\s*$/.test(before))
			continue;
		const open = m.index + m[0].length - 1;
		out.push({ index: m.index, ...callArgs(code, open) });
	}
	return out;
}

// Function definitions in the project's style: the name at the start of a
// line, the parameter list, the opening brace on a later line.
function definitions(code) {
	const defs = [];
	const re = /^([A-Za-z_]\w*)\s*\(([^;{}]*?)\)\s*\{/gm;
	let m;
	while ((m = re.exec(code)) !== null) {
		const params = m[2].trim() === 'void' ? [] : m[2].split(',').map((p) => {
			const ids = p.replace(/\[[^\]]*\]/g, '').match(/[A-Za-z_]\w*/g) || [];
			return ids[ids.length - 1];
		});
		defs.push({ name: m[1], index: m.index, params });
	}
	return defs;
}

function enclosing(defs, index) {
	let best = null;
	for (const d of defs)
		if (d.index < index && (best === null || d.index > best.index))
			best = d;
	return best;
}

function snippet(code, index) {
	return code.slice(index, index + 120).replace(/\s+/g, ' ');
}

// files: {name: C source}.  Returns {violations: [{file, rule, what}], sinks: n}.
export function checkSql(files) {
	const units = Object.entries(files).map(([file, src]) => {
		const code = stripComments(src);
		const macros = new Map();
		for (const m of code.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+((?:"(?:[^"\\\n]|\\.)*"[ \t]*)+)$/gm))
			macros.set(m[1], (m[2].match(LITERAL) || []).map((l) => l.slice(1, -1)).join(''));
		const tables = new Set([...code.matchAll(/static\s+const\s+struct\s*\w*\s*\{[^}]*\}\s*([A-Za-z_]\w*)\s*\[/g)].map((m) => m[1]));
		return { file, code, macros, tables, defs: definitions(code) };
	});
	const violations = [];
	let sinks = 0;

	for (const u of units) {
		// format: SQL text with a printf conversion, in a run of adjacent literals or a macro.
		const runs = [...u.code.matchAll(/(?:"(?:[^"\\\n]|\\.)*"\s*)+/g)];
		for (const r of runs) {
			const text = (r[0].match(LITERAL) || []).map((l) => l.slice(1, -1)).join('');
			if (SQL_SHAPE.test(text) && CONVERSION.test(text))
				violations.push({ file: u.file, rule: 'format', what: snippet(u.code, r.index) });
		}
		// builder: SQL text handed to a string-building function.
		for (const fn of BUILDERS) {
			for (const c of calls(u.code, fn)) {
				if (SQL_SHAPE.test(literalText(c.args.join(','), u.macros)))
					violations.push({ file: u.file, rule: 'builder', what: snippet(u.code, c.index) });
			}
		}
	}

	// Is expr, an argument at index in unit u, constant SQL?
	const constant = (u, expr, index, depth) => {
		const bare = expr.trim();
		const rest = bare.replace(LITERAL, ' ').trim();
		// Only string literals and macros made of them.
		if (bare !== '' && (rest === '' ? [] : rest.split(/\s+/)).every((t) => u.macros.has(t)))
			return true;
		const field = /^([A-Za-z_]\w*)\s*\[[^\]]*\]\s*\.\s*[A-Za-z_]\w*$/.exec(bare);
		if (field && u.tables.has(field[1]))
			return true;
		if (/^[A-Za-z_]\w*$/.test(bare) && depth < MAX_DEPTH) {
			const fn = enclosing(u.defs, index);
			const pos = fn ? fn.params.indexOf(bare) : -1;
			if (pos < 0)
				return false;
			let callers = 0;
			for (const v of units) {
				for (const c of calls(v.code, fn.name)) {
					callers++;
					if (c.args.length <= pos || !constant(v, c.args[pos], c.index, depth + 1))
						return false;
				}
			}
			return callers > 0;
		}
		return false;
	};

	for (const u of units) {
		for (const [fn, pos] of Object.entries(SINKS)) {
			for (const c of calls(u.code, fn)) {
				sinks++;
				if (c.args.length <= pos || !constant(u, c.args[pos], c.index, 0))
					violations.push({ file: u.file, rule: 'sink', what: snippet(u.code, c.index) });
			}
		}
	}
	return { violations, sinks };
}

// The integration harness: one whole stack per test file, in a fresh
// temporary directory: a private PostgreSQL (scripts/pgctl) with
// sql/schema.sql loaded, the real vardata worker pool, and a real nginx
// (scripts/nginxctl) in front of it with nginx/vardata.conf (or the Camunda
// drop-in example).  Tests talk HTTP to nginx with the real curl binary (and
// with Node's own fetch and http where a client's exact behaviour matters),
// and look at the rows with psql.
//
// Environment:
//   VARDATA_SRCDIR  the source tree (default: two levels above this file)
//   VARDATA_BIN     the vardata binary (default: $VARDATA_SRCDIR/src/vardata)
//   VARDATA_KEEP=1  keep each stack's directory (logs, cluster) after the run
//
// Everything waits by polling with a bounded deadline, never by sleeping a
// fixed time; when a test fails, the tails of the servers' logs are printed
// (they appear as "#" diagnostics in the TAP output).

import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, it, before, after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pollUntil } from './lib/procs.mjs';
import { headerFields } from './lib/raw.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SRCDIR = path.resolve(process.env.VARDATA_SRCDIR || path.join(here, '..', '..'));
export const BIN = path.resolve(process.env.VARDATA_BIN || path.join(SRCDIR, 'src', 'vardata'));
const PGCTL = path.join(SRCDIR, 'scripts', 'pgctl');
const NGINXCTL = path.join(SRCDIR, 'scripts', 'nginxctl');
export const KEEP = process.env.VARDATA_KEEP === '1';

// Bounds for the waits.  They are deadlines for things that should happen in
// well under a second, not measurements: a test never fails for being slow
// unless something is stuck.
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 45_000;
const COMMAND_TIMEOUT_MS = 120_000;
const POLL_INTERVAL_MS = 50;
const LOG_TAIL_LINES = 60;

// The strings the example configurations carry and the tests replace.
const CONF_LISTEN = '127.0.0.1:8080';
const CONF_CAMUNDA = '127.0.0.1:8081';
const CONF_SOCKET = '/run/vardata/vardata.sock';

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

export const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Runs a program and resolves to {stdout, stderr} (Buffers); rejects with a
// message that carries the command and its stderr when it fails.
export function run(cmd, args, { timeout = COMMAND_TIMEOUT_MS, input, env } = {}) {
	return new Promise((resolve, reject) => {
		const child = execFile(cmd, args, {
			encoding: 'buffer',
			maxBuffer: 256 * 1024 * 1024,
			timeout,
			killSignal: 'SIGKILL',
			env: env ? { ...process.env, ...env } : process.env,
		}, (err, stdout, stderr) => {
			if (err) {
				const what = err.killed ? `timed out after ${timeout} ms` : `exit ${err.code ?? err.signal}`;
				const e = new Error(`${path.basename(cmd)} ${args.join(' ').slice(0, 300)}: ${what}\n${stderr.toString()}`);
				e.stdout = stdout;
				e.stderr = stderr;
				e.code = err.code;
				reject(e);
				return;
			}
			resolve({ stdout, stderr });
		});
		if (input !== undefined)
			child.stdin.end(input);
	});
}

// A TCP port on the loopback interface that nothing listens on right now.
export function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

// The last lines of a log file, or why there are none.
export async function tail(file, lines = LOG_TAIL_LINES) {
	try {
		const text = await fsp.readFile(file, 'utf8');
		return text.split('\n').slice(-lines - 1).join('\n');
	} catch (e) {
		return `(${e.code === 'ENOENT' ? 'no such file' : e.message})`;
	}
}

// A SQL literal.  Strings are written as standard-conforming '...' strings;
// Buffers become bytea through decode(hex).
export function lit(v) {
	if (v === null || v === undefined)
		return 'null';
	if (Buffer.isBuffer(v))
		return `decode('${v.toString('hex')}', 'hex')`;
	if (typeof v === 'boolean')
		return v ? 'true' : 'false';
	if (typeof v === 'number' || typeof v === 'bigint')
		return String(v);
	if (typeof v === 'string') {
		if (v.includes('\0'))
			throw new Error('NUL in a SQL string literal');
		return `'${v.replace(/'/g, "''")}'`;
	}
	throw new Error(`no SQL literal for ${typeof v}`);
}

// Builds a multipart/form-data body by hand, for the cases where the exact
// bytes matter.  A part: {name, filename, contentType, headers: [raw lines],
// disposition: raw Content-Disposition value, data: Buffer | string}.
export function multipart(parts, boundary = `vardata-test-${crypto.randomBytes(8).toString('hex')}`) {
	const chunks = [];
	for (const p of parts) {
		chunks.push(Buffer.from(`--${boundary}\r\n`));
		let disp = p.disposition;
		if (disp === undefined) {
			disp = `form-data; name="${p.name}"`;
			if (p.filename !== undefined)
				disp += `; filename="${p.filename}"`;
		}
		if (disp !== null)
			chunks.push(Buffer.from(`Content-Disposition: ${disp}\r\n`, 'utf8'));
		if (p.contentType !== undefined)
			chunks.push(Buffer.from(`Content-Type: ${p.contentType}\r\n`, 'utf8'));
		for (const h of p.headers || [])
			chunks.push(Buffer.from(`${h}\r\n`, 'utf8'));
		chunks.push(Buffer.from('\r\n'));
		chunks.push(Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data ?? '', 'utf8'));
		chunks.push(Buffer.from('\r\n'));
	}
	chunks.push(Buffer.from(`--${boundary}--\r\n`));
	return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}`, boundary };
}

// Parses the header blocks curl wrote with -D; the last block is the final
// response (an interim "100 Continue" comes first).
function parseHeaderFile(text) {
	const blocks = text.split(/\r\n\r\n/).filter((b) => b.startsWith('HTTP/'));
	const last = blocks.length ? blocks[blocks.length - 1] : '';
	const lines = last.split('\r\n');
	const { headers, headerList } = headerFields(lines.slice(1));
	return { statusLine: lines[0] || '', headers, headerList, rawHeaders: last };
}

// The unprivileged user the clusters run as (scripts/pgctl picks it when
// root starts them); vardata runs as it too when root starts the tests.
export async function clusterUser() {
	return (await run(PGCTL, ['user'])).stdout.toString().trim();
}

export class Stack {
	// wrapper: a command (argv) that starts vardata as its last step, with
	// exec, so the supervisor keeps the pid the harness knows.
	constructor({ nginxConf = 'vardata.conf', camundaPort, vardataArgs = [], workers = 2, wrapper = [] } = {}) {
		this.nginxConf = nginxConf;
		this.wrapper = wrapper;
		this.camundaPort = camundaPort;
		this.vardataArgs = vardataArgs;
		this.workers = workers;
		this.dir = null;
		this.proc = null;
		this.counter = 0;
		this.started = { pg: false, nginx: false };
	}

	log(msg) {
		process.stderr.write(`harness: ${msg}\n`);
	}

	async start() {
		try {
			await this.startAll();
		} catch (e) {
			await this.dumpLogs('stack start failed');
			throw e;
		}
	}

	async startAll() {
		if (!fs.existsSync(BIN))
			throw new Error(`vardata binary not found: ${BIN} (build it with "make", or set VARDATA_BIN)`);
		// A short base path: PostgreSQL's socket path in it must fit sun_path.
		this.dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'vd-it-'));
		await fsp.chmod(this.dir, 0o755);
		if (KEEP)
			this.log(`stack directory: ${this.dir}`);

		const { stdout } = await run(PGCTL, ['start', this.dir]);
		this.started.pg = true;
		this.conninfo = stdout.toString().trim().split('\n').pop();
		await this.psql(['-f', path.join(SRCDIR, 'sql', 'schema.sql')]);

		await this.startVardata();
		await this.startNginx();
		await this.waitReady();
	}

	async startVardata() {
		const args = [
			'--db', this.conninfo,
			'--listen', `unix:${this.socketPath}`,
			'--socket-mode', '0666',
			'--workers', String(this.workers),
			// Every stack confines its workers with the seccomp filter: a
			// system call the filter does not allow kills the worker (SIGSYS),
			// and the tests see the failed request and the supervisor's
			// "killed by signal 31" in vardata.log.
			'--seccomp',
			// A function: arguments that need the running cluster (its conninfo).
			...(typeof this.vardataArgs === 'function' ? this.vardataArgs(this) : this.vardataArgs),
		];
		if (isRoot) {
			// vardata refuses to serve as root; run it as the cluster's
			// unprivileged user, which can also enter the stack directory.
			args.push('--user', await clusterUser());
		}
		const logfd = fs.openSync(this.vardataLog, 'a', 0o644);
		try {
			const argv = [...this.wrapper, BIN, ...args];
			this.proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', logfd, logfd] });
		} finally {
			fs.closeSync(logfd);
		}
		this.procExit = new Promise((resolve) => {
			this.proc.on('exit', (code, signal) => {
				this.procExited = { code, signal };
				resolve(this.procExited);
			});
			this.proc.on('error', (err) => {
				this.procExited = { error: err };
				resolve(this.procExited);
			});
		});
	}

	// The free port can be taken by someone else between freePort() and
	// nginx's bind; then another port is tried, a bounded number of times.
	async startNginx() {
		for (let attempt = 1; ; attempt++) {
			try {
				await this.startNginxOnce();
				return;
			} catch (e) {
				const log = await tail(path.join(this.dir, 'nginx-error.log'), 5);
				if (attempt >= 3 || !/Address already in use/.test(`${e.message}\n${log}`))
					throw e;
				this.log(`port ${this.port} was taken; trying another`);
			}
		}
	}

	async startNginxOnce() {
		this.port = await freePort();
		this.base = `http://127.0.0.1:${this.port}`;
		let conf = await fsp.readFile(path.join(SRCDIR, 'nginx', this.nginxConf), 'utf8');
		const subst = [[CONF_LISTEN, `127.0.0.1:${this.port}`], [CONF_SOCKET, this.socketPath]];
		if (this.camundaPort !== undefined)
			subst.push([CONF_CAMUNDA, `127.0.0.1:${this.camundaPort}`]);
		for (const [from, to] of subst) {
			if (!conf.includes(from))
				throw new Error(`nginx/${this.nginxConf} does not contain "${from}"`);
			conf = conf.split(from).join(to);
		}
		const block = path.join(this.dir, 'server.conf');
		await fsp.writeFile(block, conf);
		await run(NGINXCTL, ['start', this.dir, block]);
		this.started.nginx = true;
	}

	get socketPath() {
		return path.join(this.dir, 'vardata.sock');
	}

	get vardataLog() {
		return path.join(this.dir, 'vardata.log');
	}

	// Where vardata's log stands now: its since() resolves to the text
	// written after this point, so that a test reads only its own lines.
	async logMark() {
		const at = (await fsp.stat(this.vardataLog)).size;
		return { since: async () => (await fsp.readFile(this.vardataLog)).subarray(at).toString() };
	}

	// The cluster's server log (pgctl start writes it there).
	get postgresLog() {
		return path.join(this.dir, 'postgres.log');
	}

	// The cluster's log as entries: each line that starts a message with the
	// indented lines after it (a plan, a statement's text).
	async postgresLogEntries() {
		return (await fsp.readFile(this.postgresLog, 'utf8')).split(/\n(?=\S)/);
	}

	url(p) {
		return this.base + p;
	}

	// Polls until vardata answers through nginx: a JSON 404 for a variable
	// instance that cannot exist.
	async waitReady(timeoutMs = START_TIMEOUT_MS) {
		const deadline = Date.now() + timeoutMs;
		let last = 'no answer yet';
		while (Date.now() < deadline) {
			if (this.procExited)
				throw new Error(`vardata exited during start: ${JSON.stringify(this.procExited)}`);
			try {
				const res = await this.request('GET', '/engine-rest/variable-instance/none/data', { timeout: 5000 });
				if (res.status === 404 && /^application\/json/.test(res.headers['content-type'] || ''))
					return;
				last = `status ${res.status}, ${res.body.toString().slice(0, 200)}`;
			} catch (e) {
				last = e.message;
			}
			await delay(POLL_INTERVAL_MS);
		}
		throw new Error(`vardata did not become ready within ${timeoutMs} ms: ${last}`);
	}

	async stop() {
		if (this.dir === null)
			return;
		const errors = [];
		if (this.proc && !this.procExited) {
			this.proc.kill('SIGTERM');
			let timer;
			const timeout = new Promise((resolve) => {
				timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
			});
			const outcome = await Promise.race([this.procExit, timeout]);
			clearTimeout(timer);
			if (outcome === 'timeout') {
				errors.push(`vardata (pid ${this.proc.pid}) ignored SIGTERM for ${STOP_TIMEOUT_MS} ms`);
				this.proc.kill('SIGKILL');
				await this.procExit;
			}
		}
		if (this.started.nginx) {
			await run(NGINXCTL, ['stop', this.dir]).catch((e) => errors.push(e.message));
			this.started.nginx = false;
		}
		if (this.started.pg) {
			await run(PGCTL, ['stop', this.dir]).catch((e) => errors.push(e.message));
			this.started.pg = false;
		}
		if (errors.length)
			await this.dumpLogs('stack stop had problems');
		if (KEEP)
			this.log(`kept ${this.dir}`);
		else
			await fsp.rm(this.dir, { recursive: true, force: true });
		if (errors.length)
			throw new Error(errors.join('\n'));
	}

	async dumpLogs(why) {
		if (this.dir === null)
			return;
		const parts = [`==== ${why}; stack directory ${this.dir}${KEEP ? '' : ' (set VARDATA_KEEP=1 to keep it)'}`];
		for (const f of ['vardata.log', 'postgres.log', 'nginx-error.log'])
			parts.push(`---- ${f} (last ${LOG_TAIL_LINES} lines)\n${await tail(path.join(this.dir, f))}`);
		process.stderr.write(parts.join('\n') + '\n');
	}

	// ---- database helpers ----

	psql(args) {
		return run(PGCTL, ['psql', this.dir, ...args]);
	}

	// Runs SQL and returns the rows as arrays of strings, null for SQL null.
	// Use encode(..., 'hex') for bytea.
	async sql(query) {
		const NULL = '\u0001NULL\u0001';
		const { stdout } = await this.psql(['-At', '-F', '\u001f', '-R', '\u001e', '-P', `null=${NULL}`, '-c', query]);
		const text = stdout.toString('utf8').replace(/\n$/, '');
		if (text === '')
			return [];
		return text.split('\u001e').map((r) => r.split('\u001f').map((v) => (v === NULL ? null : v)));
	}

	// The backend pids of the pool's database sessions (vardata connects
	// with application_name vardata).
	async vardataSessions() {
		return (await this.sql("select pid from pg_stat_activity where application_name = 'vardata'")).map(([pid]) => pid);
	}

	// Runs a SELECT and returns its rows as objects (column names lower case,
	// values typed by row_to_json: numbers, booleans, null; bytea as "\\x...").
	async rows(query) {
		const [[json]] = await this.sql(`select coalesce(json_agg(q), '[]') from (${query}) q`);
		return JSON.parse(json);
	}

	async one(query) {
		const r = await this.rows(query);
		if (r.length !== 1)
			throw new Error(`expected one row, got ${r.length}: ${query}`);
		return r[0];
	}

	// Holds an ACCESS EXCLUSIVE lock on table in a transaction of its own, so
	// that vardata's statements on it wait; resolves once the lock is held,
	// with a function that commits and ends the session.
	holdLock(table) {
		return this.holdTransaction(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE;`);
	}

	// Runs sql in a transaction of its own and leaves it open (its row and
	// table locks held); resolves once sql has run, with a function that
	// commits and ends the session.  Its run(more) runs more SQL in the
	// transaction and resolves once that has run; runWhenVardataWaits(more)
	// first waits (inside the held session, every 10 ms) until a vardata
	// session waits for a lock, then runs more.
	async holdTransaction(sql) {
		const child = spawn(PGCTL, ['psql', this.dir, '-X', '-q', '-v', 'ON_ERROR_STOP=1'], { stdio: ['pipe', 'pipe', 'pipe'] });
		let out = '', marks = 0;
		child.stdout.on('data', (d) => { out += d; });
		child.stderr.on('data', (d) => { out += d; });
		const ended = new Promise((resolve) => child.on('close', resolve));
		const run = async (more) => {
			const mark = `ran ${++marks}`;
			child.stdin.write(`${more}\n\\echo '${mark}'\n`);
			for (let waited = 0; !out.includes(mark); waited += 20) {
				if (waited > COMMAND_TIMEOUT_MS || child.exitCode !== null)
					throw new Error(`cannot run ${more} in the held transaction: ${out}`);
				await delay(20);
			}
		};
		await run(`BEGIN;\n${sql}`);
		const release = async () => {
			child.stdin.end('COMMIT;\n');
			await ended;
		};
		release.run = run;
		release.runWhenVardataWaits = (more) => run(`DO $$
			BEGIN
				FOR i IN 1..2000 LOOP
					PERFORM pg_stat_clear_snapshot();
					IF EXISTS (SELECT 1 FROM pg_stat_activity
							WHERE application_name = 'vardata' AND wait_event_type = 'Lock') THEN
						RETURN;
					END IF;
					PERFORM pg_sleep(0.01);
				END LOOP;
				RAISE 'no vardata session waits for the lock of the held transaction';
			END $$;
			${more}`);
		return release;
	}

	// A request that meets a transaction in its way: runs sql in a
	// transaction held open, starts request() (a promise of its answer),
	// waits until a vardata session waits for a lock (what: the row it
	// waits for, for the message), then commits; resolves to the answer.
	async answerAfterLockWait(sql, request, what) {
		const release = await this.holdTransaction(sql);
		let answer;
		try {
			answer = request();
			const waiting = await pollUntil(async () => {
				const [[n]] = await this.sql(`select count(*) from pg_stat_activity
					where application_name = 'vardata' and wait_event_type = 'Lock'`);
				return n === '1' ? true : null;
			}, 20_000);
			assert.ok(waiting, `the write waits for ${what}`);
		} finally {
			await release();
		}
		return answer;
	}

	// A request that deadlocks with a transaction: first runs in a
	// transaction held open and takes a lock; request() (a promise of its
	// answer) is started, and as soon as the vardata session waits for that
	// lock, then runs in the held transaction and waits for a lock the
	// vardata session holds.  PostgreSQL looks for a deadlock once per wait,
	// deadlock_timeout (1 s) after it began: the vardata session's look
	// finds the cycle, as then waits long before it (the held session
	// watches for the wait itself, every 10 ms), and the held session's own
	// comes only after a minute.  So PostgreSQL fails vardata's statement.
	// The held transaction commits once then has run; resolves to the answer.
	async answerAfterDeadlock(first, then, request) {
		const release = await this.holdTransaction(`SET LOCAL deadlock_timeout = '1min';\n${first}`);
		let answer;
		try {
			answer = request();
			await release.runWhenVardataWaits(then);
		} finally {
			await release();
		}
		return answer;
	}

	// Stops and starts PostgreSQL under vardata's feet (pgctl keeps the port,
	// so the conninfo vardata was given stays right).
	async stopDatabase() {
		await run(PGCTL, ['stop', this.dir]);
		this.started.pg = false;
	}

	async startDatabase() {
		await run(PGCTL, ['start', this.dir]);
		this.started.pg = true;
	}

	// ---- fixtures: rows as the Camunda engine writes them ----

	uid(prefix = 'x') {
		this.counter += 1;
		return `${prefix}-${this.counter}`;
	}

	// A process instance and, optionally, a tree of child executions:
	// children: [{id, children: [...], tenantId}].  Returns the list of ids.
	async createProcessInstance(id, { tenantId = null, procDefId = `proc-def:1:${id}`, superExec = null, children = [] } = {}) {
		const rows = [];
		const add = (execId, parentId, tenant, actId) => rows.push(`(${[
			lit(execId), 1, lit(id), lit(id), lit(parentId === null ? `bk-${id}` : null), lit(parentId),
			lit(procDefId), lit(parentId === null ? superExec : null), lit(actId), true, false, true, false,
			1, 0, 1, lit(tenant), lit('proc-def'),
		].join(', ')})`);
		add(id, null, tenantId, null);
		const walk = (list, parentId) => {
			for (const c of list) {
				add(c.id, parentId, c.tenantId === undefined ? tenantId : c.tenantId, `act-${c.id}`);
				walk(c.children || [], c.id);
			}
		};
		walk(children, id);
		await this.sql(`insert into act_ru_execution (id_, rev_, root_proc_inst_id_, proc_inst_id_,
			business_key_, parent_id_, proc_def_id_, super_exec_, act_id_, is_active_, is_concurrent_,
			is_scope_, is_event_scope_, suspension_state_, cached_ent_state_, sequence_counter_,
			tenant_id_, proc_def_key_) values ${rows.join(', ')}`);
		return rows.length;
	}

	// A case instance and, optionally, a tree of child case executions.
	async createCaseInstance(id, { tenantId = null, caseDefId = `case-def:1:${id}`, children = [] } = {}) {
		const rows = [];
		const add = (ceId, parentId, tenant) => rows.push(`(${[
			lit(ceId), 1, lit(id), lit(parentId === null ? `bk-${id}` : null), lit(parentId), lit(caseDefId),
			lit(`act-${ceId}`), lit(null), 1, false, lit(tenant),
		].join(', ')})`);
		add(id, null, tenantId);
		const walk = (list, parentId) => {
			for (const c of list) {
				add(c.id, parentId, c.tenantId === undefined ? tenantId : c.tenantId);
				walk(c.children || [], c.id);
			}
		};
		walk(children, id);
		await this.sql(`insert into act_ru_case_execution (id_, rev_, case_inst_id_, business_key_,
			parent_id_, case_def_id_, act_id_, prev_state_, current_state_, required_, tenant_id_)
			values ${rows.join(', ')}`);
	}

	// A task: in a process (executionId), in a case (caseExecutionId), a
	// subtask (parentTaskId) or standalone (none of them).  Process and case
	// instance columns are taken from the execution, as the engine does.
	async createTask(id, { executionId = null, caseExecutionId = null, parentTaskId = null, tenantId = null, name = `Task ${id}` } = {}) {
		await this.sql(`insert into act_ru_task (id_, rev_, execution_id_, proc_inst_id_, proc_def_id_,
			case_execution_id_, case_inst_id_, case_def_id_, name_, parent_task_id_, task_def_key_,
			priority_, create_time_, last_updated_, suspension_state_, tenant_id_, task_state_)
			values (${lit(id)}, 1, ${lit(executionId)},
			(select proc_inst_id_ from act_ru_execution where id_ = ${lit(executionId)}),
			(select proc_def_id_ from act_ru_execution where id_ = ${lit(executionId)}),
			${lit(caseExecutionId)},
			(select case_inst_id_ from act_ru_case_execution where id_ = ${lit(caseExecutionId)}),
			(select case_def_id_ from act_ru_case_execution where id_ = ${lit(caseExecutionId)}),
			${lit(name)}, ${lit(parentTaskId)}, 'userTask', 50, now() - interval '1 hour', null, 1,
			${lit(tenantId)}, 'Created')`);
	}

	// A variable row as the engine writes it, in the scope of a task, an
	// execution or a case execution.  bytes (a Buffer) makes a byte-array row;
	// text, text2, long, double fill the other value columns.  Ids are numeric
	// strings like the engine's.  Returns {id, bytearrayId}.
	async insertVariable({ name, type = 'bytes', bytes = null, text = null, text2 = null, long = null, double = null,
		taskId = null, executionId = null, caseExecutionId = null, id } = {}) {
		this.counter += 1;
		const varId = id ?? String(100000 + this.counter);
		const baId = bytes === null ? null : String(200000 + this.counter);
		const stmts = [];
		if (baId !== null) {
			stmts.push(`insert into act_ge_bytearray (id_, rev_, name_, bytes_, type_, create_time_)
				values (${lit(baId)}, 1, ${lit(name)}, ${lit(bytes)}, 2, now())`);
		}
		let scopeCols;
		if (taskId !== null) {
			scopeCols = `select t.execution_id_, t.proc_inst_id_, t.proc_def_id_, t.case_execution_id_,
				t.case_inst_id_, t.id_, t.id_, coalesce(t.tenant_id_, e.tenant_id_)
				from act_ru_task t left join act_ru_execution e on e.id_ = t.execution_id_
				where t.id_ = ${lit(taskId)}`;
		} else if (executionId !== null) {
			scopeCols = `select e.id_, e.proc_inst_id_, e.proc_def_id_, null, null, null, e.id_, e.tenant_id_
				from act_ru_execution e where e.id_ = ${lit(executionId)}`;
		} else if (caseExecutionId !== null) {
			scopeCols = `select null, null, null, c.id_, c.case_inst_id_, null, c.id_, c.tenant_id_
				from act_ru_case_execution c where c.id_ = ${lit(caseExecutionId)}`;
		} else {
			throw new Error('insertVariable needs taskId, executionId or caseExecutionId');
		}
		stmts.push(`insert into act_ru_variable (execution_id_, proc_inst_id_, proc_def_id_,
			case_execution_id_, case_inst_id_, task_id_, var_scope_, tenant_id_,
			id_, rev_, type_, name_, bytearray_id_, double_, long_, text_, text2_, sequence_counter_,
			is_concurrent_local_)
			select s.*, ${lit(varId)}, 1, ${lit(type)}, ${lit(name)}, ${lit(baId)}, ${lit(double)},
			${lit(long)}, ${lit(text)}, ${lit(text2)}, 1, false from (${scopeCols}) s`);
		await this.sql(stmts.join(';\n'));
		const [[n]] = await this.sql(`select count(*) from act_ru_variable where id_ = ${lit(varId)}`);
		if (n !== '1')
			throw new Error(`insertVariable: scope not found for ${name}`);
		return { id: varId, bytearrayId: baId };
	}

	// The variable rows of a name (ordered by scope) and of one scope.
	variables(name) {
		return this.rows(`select * from act_ru_variable where name_ = ${lit(name)} order by var_scope_`);
	}

	async variable(scopeId, name) {
		const r = await this.rows(`select * from act_ru_variable where var_scope_ = ${lit(scopeId)} and name_ = ${lit(name)}`);
		return r.length === 1 ? r[0] : null;
	}

	// The byte-array row of a variable row (or null) with its bytes as a Buffer.
	async bytearray(id) {
		if (id === null)
			return null;
		const r = await this.rows(`select id_, rev_, name_, deployment_id_, encode(bytes_, 'hex') as hex,
			generated_, tenant_id_, type_, create_time_, root_proc_inst_id_, removal_time_
			from act_ge_bytearray where id_ = ${lit(id)}`);
		if (r.length === 0)
			return null;
		const row = r[0];
		row.bytes = row.hex === null ? null : Buffer.from(row.hex, 'hex');
		delete row.hex;
		return row;
	}

	// Byte-array rows that no variable points at (vardata must never leave any).
	async orphanBytearrays() {
		return this.rows(`select b.id_, b.name_ from act_ge_bytearray b
			where not exists (select 1 from act_ru_variable v where v.bytearray_id_ = b.id_)`);
	}

	async task(id) {
		return this.one(`select * from act_ru_task where id_ = ${lit(id)}`);
	}

	// ---- HTTP helpers ----

	// Runs the real curl: curl -sS -o BODY -D HEADERS -w '%{http_code}' ARGS.
	// Returns {status, headers (lower-case names), headerList, rawHeaders, body}.
	// A fresh standalone task and the URL of one of its local variables:
	// where most POST tests write.
	async taskTarget() {
		const task = this.uid('task');
		await this.createTask(task);
		return { task, url: (n) => `/engine-rest/task/${task}/localVariables/${n}/data` };
	}

	// Nothing of a refused write is left: no variable of that name on the
	// task, and no byte array without a variable.
	async assertNothingStored(t, name) {
		assert.equal(await this.variable(t.task, name), null, `no variable ${name}`);
		assert.deepEqual(await this.orphanBytearrays(), [], 'no stray byte array');
	}

	async curl(args, { timeout = COMMAND_TIMEOUT_MS } = {}) {
		const n = ++this.counter;
		const bodyFile = path.join(this.dir, `curl-${n}.body`);
		const headerFile = path.join(this.dir, `curl-${n}.headers`);
		try {
			const { stdout } = await run('curl', ['-sS', '--max-time', String(Math.ceil(timeout / 1000)),
				'-o', bodyFile, '-D', headerFile, '-w', '%{http_code}', ...args], { timeout: timeout + 5000 });
			const parsed = parseHeaderFile(await fsp.readFile(headerFile, 'latin1'));
			const body = await fsp.readFile(bodyFile).catch(() => Buffer.alloc(0));
			return { status: Number(stdout.toString()), ...parsed, body };
		} finally {
			await fsp.rm(bodyFile, { force: true });
			await fsp.rm(headerFile, { force: true });
		}
	}

	get(p, args = []) {
		return this.curl([...args, this.url(p)]);
	}

	// POST with curl -F: fields are curl's -F arguments ("data=@file;type=...").
	postForm(p, fields, args = []) {
		return this.curl([...args, ...fields.flatMap((f) => ['-F', f]), this.url(p)]);
	}

	// POST a body given as bytes with the given Content-Type (curl --data-binary).
	async postRaw(p, body, contentType, args = []) {
		const file = await this.writeFile(body);
		try {
			const ct = contentType === null ? [] : ['-H', `Content-Type: ${contentType}`];
			return await this.curl([...ct, ...args, '--data-binary', `@${file}`, this.url(p)]);
		} finally {
			await fsp.rm(file, { force: true });
		}
	}

	postMultipart(p, parts, args = []) {
		const mp = multipart(parts);
		return this.postRaw(p, mp.body, mp.contentType, args);
	}

	// Stores a value with a plain Bytes upload (the usual first step of a test).
	async putBytes(p, bytes) {
		const file = await this.writeFile(bytes);
		try {
			return await this.postForm(p, [`data=@${file};type=application/octet-stream`]);
		} finally {
			await fsp.rm(file, { force: true });
		}
	}

	// Writes bytes to a new file in the stack directory and returns its path.
	// n curl processes POSTing at once to one URL, each its own value
	// ("<label> writer <i>"); returns their responses and the values sent.
	async parallelPosts(p, label, n) {
		const files = [];
		for (let i = 0; i < n; i++)
			files.push(await this.writeFile(Buffer.from(`${label} writer ${i}`)));
		const results = await Promise.all(files.map((f) => this.postForm(p, [`data=@${f};type=application/octet-stream`])));
		return { results, values: files.map((_, i) => `${label} writer ${i}`) };
	}

	async writeFile(bytes, name) {
		const file = path.join(this.dir, name ?? `data-${++this.counter}.bin`);
		await fsp.writeFile(file, bytes);
		return file;
	}

	// A request with Node's http module, for methods and bodies curl makes
	// awkward (HEAD, PUT, DELETE, a body streamed in chunks).  body may be a
	// Buffer or an array of Buffers (sent chunked when no content-length).
	request(method, p, { headers = {}, body, timeout = COMMAND_TIMEOUT_MS } = {}) {
		return new Promise((resolve, reject) => {
			const req = http.request(this.url(p), { method, headers, agent: false }, (res) => {
				const chunks = [];
				res.on('data', (c) => chunks.push(c));
				res.on('end', () => resolve({
					status: res.statusCode,
					headers: res.headers,
					rawHeaders: res.rawHeaders,
					body: Buffer.concat(chunks),
				}));
				res.on('error', reject);
			});
			req.setTimeout(timeout, () => req.destroy(new Error(`${method} ${p}: timed out after ${timeout} ms`)));
			req.on('error', reject);
			if (Array.isArray(body)) {
				for (const b of body)
					req.write(b);
				req.end();
			} else {
				req.end(body);
			}
		});
	}
}

// One stack for a whole test file: suite('title', options, (stack, test) => {...}).
// The stack starts before the first test and stops after the last; a failing
// test prints the servers' logs.  options: the Stack constructor's.
export function suite(title, options, body) {
	describe(title, () => {
		const stack = new Stack(options);
		before(() => stack.start(), { timeout: START_TIMEOUT_MS + 60_000 });
		after(() => stack.stop(), { timeout: STOP_TIMEOUT_MS + 60_000 });
		const test = (name, fn, opts = {}) => it(name, { timeout: COMMAND_TIMEOUT_MS * 3, ...opts }, async (t) => {
			try {
				await fn(t);
			} catch (e) {
				await stack.dumpLogs(`test failed: ${name}`);
				throw e;
			}
		});
		body(stack, test);
	});
}

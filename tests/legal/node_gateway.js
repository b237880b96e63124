'use strict';
/**
 * A legal async inference gateway on Node's built-in `http` module only (no npm packages).
 *
 * Independent of the project's Python code: its own router, its own RFC 7240
 * Prefer parser (quoted-strings respected), its own job table.
 *
 * What it legally does differently from the reference:
 *
 * - integer `Status` (0 Initialized, 1 Queue, 2 Inference, 3 Completed), the
 *   encoding of the provider's tutorial. GW-STATUS-01 allows it; the SHOULD
 *   GW-STATUS-07 (names, which the provider's client parses) fails.
 * - a container failure (its 4xx/5xx answer) is told by the status object's
 *   `Error` text alone: the result answers `200` with the container's body
 *   and Content-Type. GW-RESULT-02 allows it; the SHOULD GW-RESULT-10
 *   (exactly the container's status code) fails. When there is no container
 *   answer at all (unreachable, broke off, timed out) the result is the
 *   gateway's own 502/504, as GW-RESULT-09 asks.
 *
 * The path after the deployment reaches the container exactly as the client
 * wrote it (Node does not decode `req.url`).
 *
 *   node tests/legal/node_gateway.js --port 8080 --deployment mock=http://127.0.0.1:8000 \
 *       [--deployment other=URL] [--container-timeout 4.5]
 *
 * The module also exports `Gateway`, `main` and the default `CHOICES`, so a
 * variant file can start the same gateway with other legal choices.
 */

const http = require('node:http');
const crypto = require('node:crypto');

const MODES = ['respond-async', 'respond-async-proxy', 'respond-async-container'];
const SYNC = 'sync';
const STATUS_NAMES = ['Initialized', 'Queue', 'Inference', 'Completed'];
const [INITIALIZED, QUEUE, INFERENCE, COMPLETED] = [0, 1, 2, 3];
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate',
  'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'host', 'content-length', 'expect']);
const NOT_RELAYED = new Set([...HOP_BY_HOP, 'date']); // Node's server writes its own Date
const MiB = 1024 * 1024;
const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// ------------------------------------------------------------------ Prefer (RFC 7240 §2)

/** Split on `delimiter` outside quoted-strings (a backslash escapes inside quotes). */
function splitOutsideQuotes(text, delimiter) {
  const parts = [];
  let current = '';
  let quoted = false;
  let escaped = false;
  for (const char of text) {
    if (escaped) {
      escaped = false;
    } else if (quoted && char === '\\') {
      escaped = true;
    } else if (char === '"') {
      quoted = !quoted;
    } else if (char === delimiter && !quoted) {
      parts.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  parts.push(current);
  return parts;
}

/** The lower-cased name of one list element, or null when it is not `token [= word] *(; param)`. */
function preferenceName(element) {
  const head = splitOutsideQuotes(element, ';')[0];
  const name = head.split('=')[0].replace(/^[ \t]+|[ \t]+$/g, '');
  return TCHAR.test(name) ? name.toLowerCase() : null;
}

function elements(lines) {
  return lines.flatMap((line) => splitOutsideQuotes(line, ','));
}

/** The mode of the first recognized preference, else synchronous. */
function selectMode(lines) {
  for (const element of elements(lines)) {
    const name = preferenceName(element);
    if (MODES.includes(name)) return name;
  }
  return SYNC;
}

/** The Prefer lines without the mode elements; `replacement` takes the place of the first one. */
function containerPrefer(lines, replacement) {
  const out = [];
  for (const line of lines) {
    const parts = splitOutsideQuotes(line, ',');
    if (!parts.some((part) => MODES.includes(preferenceName(part)))) {
      out.push(line);
      continue;
    }
    const kept = [];
    for (const part of parts) {
      if (MODES.includes(preferenceName(part))) {
        if (replacement !== null) kept.push(replacement);
        replacement = null;
      } else if (part.trim()) {
        kept.push(part.trim());
      }
    }
    if (kept.length) out.push(kept.join(', '));
  }
  return out;
}

// ------------------------------------------------------------------ the legal choices

/** What this gateway chooses where the contract allows several answers (a variant passes its own). */
const CHOICES = {
  /** Status as the tutorial's integers. */
  statusValue: (state) => state,
  /** A container 4xx/5xx is answered 200; Error tells the failure. Gateway-made 502/504 stay. */
  resultStatus: (stored) => (stored.madeByGateway ? stored.status : 200),
  selectMode,
  newId: () => crypto.randomUUID(),
  /** Where the inference routes start: `{prefix}/{deployment}/{path}`. */
  inferencePrefix: '',
  /** The status or result route a path names: {kind: 'status' | 'result', deployment}, or null. */
  statusRoute: (path) => {
    const match = /^\/(status|result)\/([^/]+)$/.exec(path);
    return match && { kind: match[1], deployment: match[2] };
  },
  /** StatusPath and ResultPath of a 202 (`req` is the submission). */
  statusPath: (deployment, req) => `/status/${deployment}`,
  resultPath: (deployment, req) => `/result/${deployment}`,
};

// ------------------------------------------------------------------ helpers

class Refused extends Error {
  constructor(status, message, headers = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

function sendJson(res, status, document, headers = {}) {
  const body = Buffer.from(JSON.stringify(document));
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
}

function rawPairs(rawHeaders) {
  const pairs = [];
  for (let i = 0; i < rawHeaders.length; i += 2) pairs.push([rawHeaders[i], rawHeaders[i + 1]]);
  return pairs;
}

/** Names a Connection header lists (they are hop-by-hop too). */
function connectionNamed(pairs) {
  return new Set(pairs.filter(([name]) => name.toLowerCase() === 'connection')
    .flatMap(([, value]) => value.split(',').map((v) => v.trim().toLowerCase())));
}

function endToEnd(pairs, drop) {
  const named = connectionNamed(pairs);
  return pairs.filter(([name]) => !drop.has(name.toLowerCase()) && !named.has(name.toLowerCase()));
}

function headerValues(req, wanted) {
  return rawPairs(req.rawHeaders).filter(([name]) => name.toLowerCase() === wanted).map(([, value]) => value);
}

function validId(values) {
  if (values.length !== 1) throw new Refused(400, `X-Inference-Id is given ${values.length} times; send it once`);
  const value = values[0].trim();
  if (value.length < 1 || value.length > 128 || !/^[!-~]+$/.test(value)) {
    throw new Refused(400, 'X-Inference-Id must be 1-128 visible ASCII characters');
  }
  return value;
}

/** A result the gateway made itself because the container gave no answer. */
function gatewayMade(status, message) {
  const body = Buffer.from(JSON.stringify({ error: message }));
  return { status, madeByGateway: true, message, headers: [['Content-Type', 'application/json']], body };
}

function readBody(req, limit) {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(new Refused(413, `Content-Length ${declared} is over the limit of ${limit} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Refused(413, `the body is over the limit of ${limit} bytes`));
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => reject(new Refused(400, 'the client went away before sending the whole body')));
    req.on('aborted', () => reject(new Refused(400, 'the client went away before sending the whole body')));
  });
}

// ------------------------------------------------------------------ the gateway

class Gateway {
  /**
   * @param settings {deployments: Map name -> URL, containerTimeout: seconds, ...}
   * @param choices  the legal choices (CHOICES, or a variant's)
   */
  constructor(settings, choices = CHOICES) {
    this.settings = {
      syncTimeout: 300,
      maxBody: 32 * MiB,
      maxResult: 32 * MiB,
      maxRecords: 10000,
      maxStoredBytes: 256 * MiB, // of results; past it the oldest completed requests are forgotten
      maxBackground: 1024, // calls accepted but not finished (each holds its body); past it 503
      ...settings,
    };
    this.choices = choices;
    this.jobs = new Map(); // `${deployment}\n${id}` -> job, oldest first
    this.storedBytes = 0;
    this.background = 0;
  }

  /** A request listener serving the inference routes and/or the status and result routes. */
  listener({ inference = true, status = true } = {}) {
    return (req, res) => {
      this.route(req, res, inference, status).catch((err) => this.fail(res, err));
    };
  }

  fail(res, err) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof Refused) {
      sendJson(res, err.status, { error: err.message }, err.headers);
    } else {
      console.error(err);
      sendJson(res, 500, { error: 'internal error' });
    }
  }

  async route(req, res, inference, status) {
    const [path] = req.url.split('?', 1);
    const route = status && req.method === 'GET' && this.choices.statusRoute(path);
    if (route) {
      const job = this.find(req, route.deployment);
      if (route.kind === 'status') this.status(res, job);
      else this.result(res, job);
      return;
    }
    if (!inference) throw new Refused(404, `no route ${req.method} ${path}`);
    await this.inference(req, res);
  }

  // ----- inference route

  /** The deployment and the target after its segment, exactly as the client wrote it. */
  target(req) {
    const prefix = this.choices.inferencePrefix;
    const below = req.url.startsWith(`${prefix}/`) ? req.url.slice(prefix.length) : '';
    const match = /^\/([^/?]+)(.*)$/s.exec(below);
    const deployment = match && match[1];
    const base = match && this.settings.deployments.get(deployment);
    if (!base) throw new Refused(404, `unknown deployment ${JSON.stringify(deployment || '')}`);
    const rest = match[2];
    return { deployment, base, target: rest.startsWith('/') ? rest : `/${rest}` };
  }

  async inference(req, res) {
    const { deployment, base, target } = this.target(req);
    const lines = headerValues(req, 'prefer');
    const mode = this.choices.selectMode(lines);
    if ((mode === 'respond-async' || mode === 'respond-async-proxy') && this.background >= this.settings.maxBackground) {
      throw new Refused(503, `${this.background} background requests are in progress; try again later`, { 'Retry-After': '1' });
    }
    const body = await readBody(req, this.settings.maxBody);
    const forward = (preferLines) => ({ method: req.method, base, target, body, headers: this.forwardHeaders(req, preferLines) });
    if (mode === SYNC) return this.relay(res, forward(lines));
    if (mode === 'respond-async-container') return this.relay(res, forward(containerPrefer(lines, 'respond-async')));
    if (mode === 'respond-async-proxy') {
      this.background += 1; // one delivery, never retried (the container may have it already)
      this.fetch(forward(containerPrefer(lines, 'respond-async'))).finally(() => { this.background -= 1; });
      res.writeHead(202, { 'Content-Length': 0 });
      res.end();
      return undefined;
    }
    return this.accept(req, res, deployment, forward(containerPrefer(lines, null)));
  }

  forwardHeaders(req, preferLines) {
    const pairs = endToEnd(rawPairs(req.rawHeaders), NOT_FORWARDED);
    return [...pairs.filter(([name]) => name.toLowerCase() !== 'prefer'), ...preferLines.map((line) => ['Prefer', line])];
  }

  /** Send once; calls back with the container's response (body unread). */
  open(forward, onResponse, onError) {
    const url = new URL(forward.base);
    const prefix = url.pathname.replace(/\/+$/, '');
    const headers = forward.headers.flatMap(([name, value]) => [name, value]);
    headers.push('Host', url.host);
    if (forward.body.length || ['POST', 'PUT', 'PATCH'].includes(forward.method)) {
      headers.push('Content-Length', String(forward.body.length));
    }
    let upstream;
    try {
      upstream = http.request({
        host: url.hostname, port: url.port || 80, method: forward.method, path: prefix + forward.target,
        headers, agent: false, // a fresh connection per call: no keep-alive race with the container's server
      }, onResponse);
    } catch (err) {
      throw new Refused(400, `the request cannot be forwarded: ${err.message}`);
    }
    upstream.on('error', onError);
    upstream.end(forward.body);
    return upstream;
  }

  relay(res, forward) {
    return new Promise((resolve) => {
      const upstream = this.open(forward, (answer) => {
        res.writeHead(answer.statusCode, endToEnd(rawPairs(answer.rawHeaders), NOT_RELAYED).flat());
        answer.pipe(res); // each chunk is written as it arrives: streams stay streams
        answer.on('error', () => res.destroy());
        answer.on('end', resolve);
        res.on('close', () => { answer.destroy(); resolve(); });
      }, (err) => {
        if (!res.headersSent) {
          const timedOut = err.message === 'timeout';
          sendJson(res, timedOut ? 504 : 502, { error: `the container ${timedOut ? 'did not answer in time' : `could not be reached: ${err.message}`}` });
        } else {
          res.destroy();
        }
        resolve();
      });
      // an idle limit: it restarts with every byte, so a slow stream is not cut
      upstream.setTimeout(this.settings.syncTimeout * 1000, () => upstream.destroy(new Error('timeout')));
    });
  }

  /** Send once and read the whole answer within the container timeout; a 502/504 of our own when there is none. */
  fetch(forward) {
    const limit = this.settings.containerTimeout;
    return new Promise((resolve) => {
      let upstream = null;
      const timer = setTimeout(() => {
        if (upstream) upstream.destroy();
        resolve(gatewayMade(504, `the container did not answer within ${limit} s`));
      }, limit * 1000);
      const finish = (stored) => { clearTimeout(timer); resolve(stored); };
      const failed = (err) => finish(gatewayMade(502, `the container could not be reached or broke off: ${err.message}`));
      try {
        upstream = this.open(forward, (answer) => this.collect(answer, upstream, finish), failed);
      } catch (err) {
        failed(err);
      }
    });
  }

  /** The whole answer, at most maxResult bytes, as a stored result. */
  collect(answer, upstream, finish) {
    const chunks = [];
    let size = 0;
    answer.on('data', (chunk) => {
      size += chunk.length;
      if (size > this.settings.maxResult) {
        upstream.destroy();
        finish(gatewayMade(502, `the container answered more than ${this.settings.maxResult} bytes`));
      } else {
        chunks.push(chunk);
      }
    });
    answer.on('end', () => finish({
      status: answer.statusCode,
      headers: endToEnd(rawPairs(answer.rawHeaders), new Set([...NOT_RELAYED, 'content-length'])),
      body: Buffer.concat(chunks),
    }));
    answer.on('error', (err) => finish(gatewayMade(502, `the container broke off its answer: ${err.message}`)));
  }

  // ----- respond-async

  addJob(deployment, id) {
    const key = `${deployment}\n${id}`;
    if (this.jobs.has(key)) throw new Refused(409, `X-Inference-Id ${JSON.stringify(id)} is already in use for deployment ${JSON.stringify(deployment)}`);
    this.forgetOldest(() => this.jobs.size >= this.settings.maxRecords);
    if (this.jobs.size >= this.settings.maxRecords) {
      throw new Refused(503, `${this.settings.maxRecords} requests are in progress; try again later`, { 'Retry-After': '1' });
    }
    const job = { id, deployment, state: INITIALIZED, error: null, result: null };
    this.jobs.set(key, job);
    return job;
  }

  accept(req, res, deployment, forward) {
    const wanted = headerValues(req, 'x-inference-id');
    const job = this.addJob(deployment, wanted.length ? validId(wanted) : this.choices.newId());
    forward.headers = forward.headers.filter(([name]) => name.toLowerCase() !== 'x-inference-id');
    job.state = QUEUE;
    this.background += 1;
    setImmediate(() => this.run(job, forward)
      .catch((err) => this.complete(job, gatewayMade(502, `the gateway failed to call the container: ${err.message}`)))
      .finally(() => { this.background -= 1; }));
    const document = { Id: job.id, StatusPath: this.choices.statusPath(deployment, req), ResultPath: this.choices.resultPath(deployment, req) };
    sendJson(res, 202, document, { 'X-Inference-Id': job.id, Location: document.ResultPath });
  }

  async run(job, forward) {
    job.state = INFERENCE;
    this.complete(job, await this.fetch(forward));
  }

  complete(job, stored) {
    if (stored.madeByGateway) job.error = stored.message;
    else if (stored.status >= 400) job.error = `the container answered ${stored.status}`;
    job.result = stored;
    job.state = COMPLETED;
    this.storedBytes += stored.body.length;
    this.forgetOldest(() => this.storedBytes > this.settings.maxStoredBytes, job);
  }

  /** Forget completed requests, oldest first (never `keep`), while `needed()` says so. */
  forgetOldest(needed, keep = null) {
    for (const [key, job] of this.jobs) {
      if (!needed()) return;
      if (job.state === COMPLETED && job !== keep) {
        this.jobs.delete(key);
        this.storedBytes -= job.result.body.length;
      }
    }
  }

  // ----- status and result

  find(req, deployment) {
    if (!this.settings.deployments.has(deployment)) throw new Refused(404, `unknown deployment ${JSON.stringify(deployment)}`);
    const values = headerValues(req, 'x-inference-id');
    if (!values.length) throw new Refused(400, 'missing header X-Inference-Id: send the Id the 202 gave you');
    const job = this.jobs.get(`${deployment}\n${validId(values)}`);
    if (!job) throw new Refused(404, `no request ${JSON.stringify(values[0].trim())} for deployment ${JSON.stringify(deployment)}`);
    return job;
  }

  statusDocument(job) {
    return { Id: job.id, Status: this.choices.statusValue(job.state), Error: job.error };
  }

  status(res, job) {
    sendJson(res, 200, this.statusDocument(job));
  }

  result(res, job) {
    if (job.state !== COMPLETED) {
      sendJson(res, 202, this.statusDocument(job));
      return;
    }
    const stored = job.result;
    res.writeHead(this.choices.resultStatus(stored), [...stored.headers.flat(), 'Content-Length', String(stored.body.length)]);
    res.end(stored.body);
  }
}

// ------------------------------------------------------------------ CLI

function usage(message) {
  process.stderr.write(`error: ${message}\nusage: node ${process.argv[1]} --port P --deployment NAME=URL [--deployment NAME=URL ...] [--container-timeout SECONDS] [--host 127.0.0.1]\n`);
  process.exit(2);
}

/** `--flag value` pairs; `repeatable` flags collect into arrays. */
function parseArgs(argv, known) {
  const args = { host: '127.0.0.1', deployment: [], 'container-timeout': '30' };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--') || !known.includes(flag)) usage(`unknown argument ${argv[i]}`);
    if (i + 1 >= argv.length) usage(`${argv[i]} needs a value`);
    if (Array.isArray(args[flag])) args[flag].push(argv[i + 1]);
    else args[flag] = argv[i + 1];
  }
  return args;
}

function port(text, flag) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65535) usage(`${flag} must be a port number, not ${JSON.stringify(text)}`);
  return value;
}

function settingsFrom(args) {
  const deployments = new Map();
  for (const text of args.deployment) {
    const at = text.indexOf('=');
    const [name, url] = [text.slice(0, at), text.slice(at + 1)];
    if (at < 1 || name.includes('/') || !/^http:\/\/[^/]+/.test(url)) usage(`--deployment ${JSON.stringify(text)}: expected NAME=http://host:port`);
    deployments.set(name, url);
  }
  if (!deployments.size) usage('at least one --deployment NAME=URL is needed');
  const containerTimeout = Number(args['container-timeout']);
  if (!(containerTimeout > 0)) usage('--container-timeout must be a positive number of seconds');
  return { deployments, containerTimeout };
}

function listen(listener, host, portNumber) {
  const server = http.createServer({ keepAliveTimeout: 65000, headersTimeout: 66000 }, listener);
  server.on('clientError', (err, socket) => socket.destroy());
  server.listen(portNumber, host);
  return server;
}

/** Parse the command line and serve; `extraFlags` and `serve` let a variant add its own listeners. */
function main(choices = CHOICES, { extraFlags = [], serve } = {}) {
  const args = parseArgs(process.argv.slice(2), ['port', 'host', 'deployment', 'container-timeout', ...extraFlags]);
  if (args.port === undefined) usage('--port is required');
  const gateway = new Gateway(settingsFrom(args), choices);
  const servers = serve ? serve(gateway, args) : [listen(gateway.listener(), args.host, port(args.port, '--port'))];
  const stop = () => { servers.forEach((server) => server.close()); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

module.exports = { Gateway, CHOICES, STATUS_NAMES, MODES, SYNC, main, listen, port, usage };

if (require.main === module) main();

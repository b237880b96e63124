'use strict';
/**
 * A legal gateway in another layout, with its status and result routes on
 * another origin.
 *
 * The Node gateway of node_gateway.js with these choices:
 *
 * - inference under a prefix: `{base}/v2/{deployment}/{path}` (the suite is
 *   given `http://127.0.0.1:PORT/v2/mock` as the inference base);
 * - the status and result routes on a second listener (`--status-port`), at
 *   `/jobs/{deployment}/status` and `/jobs/{deployment}/result`, still with
 *   `X-Inference-Id`; the 202 names them by absolute URLs
 *   (`http://127.0.0.1:STATUS_PORT/jobs/mock/result`), and `Location` is that
 *   ResultPath;
 * - Ids are 128-bit random base64url tokens (22 characters), not UUIDs;
 * - `Status` as names and the result with the container's own status code.
 *
 * The contract lets the suite assume nothing about the layout: it follows
 * StatusPath and ResultPath as URI references (absolute URLs included), so
 * every MUST and SHOULD holds. Only the schema stage, which describes the
 * provider's layout, has nothing to judge here. The second port is another
 * origin (RFC 6454): the suite follows it only when told to
 * (`--allow-origin 127.0.0.1:STATUS_PORT`), and without the run's headers.
 *
 *   node tests/legal/node_split_origin_gateway.js --port 8080 --status-port 8081 \
 *       --deployment mock=http://127.0.0.1:8000
 */

const crypto = require('node:crypto');
const { CHOICES, STATUS_NAMES, main, listen, port, usage } = require('./node_gateway.js');

function choices(statusOrigin) {
  return {
    ...CHOICES,
    statusValue: (state) => STATUS_NAMES[state],
    resultStatus: (stored) => stored.status,
    newId: () => crypto.randomBytes(16).toString('base64url'),
    inferencePrefix: '/v2',
    statusRoute: (path) => {
      const match = /^\/jobs\/([^/]+)\/(status|result)$/.exec(path);
      return match && { kind: match[2], deployment: match[1] };
    },
    statusPath: (deployment) => `${statusOrigin}/jobs/${deployment}/status`,
    resultPath: (deployment) => `${statusOrigin}/jobs/${deployment}/result`,
  };
}

const flag = process.argv.indexOf('--status-port');
if (flag === -1 || flag + 1 >= process.argv.length) usage('--status-port is required');
const statusPort = port(process.argv[flag + 1], '--status-port');
const hostFlag = process.argv.indexOf('--host');
const host = hostFlag === -1 ? '127.0.0.1' : process.argv[hostFlag + 1];

main(choices(`http://${host}:${statusPort}`), {
  extraFlags: ['status-port'],
  serve: (gateway, args) => [
    listen(gateway.listener({ status: false }), args.host, port(args.port, '--port')),
    listen(gateway.listener({ inference: false }), args.host, statusPort),
  ],
});

'use strict';
/**
 * A legal gateway that recognises a mode only when the whole `Prefer` header
 * is exactly one of the three values: the most literal reading of the
 * provider's text, and a common implementation.
 *
 * The Node gateway of node_gateway.js with these choices:
 *
 * - Prefer: a single header line whose value (without the surrounding
 *   whitespace, which is not part of a value) is exactly `respond-async`,
 *   `respond-async-proxy` or `respond-async-container` selects that mode.
 *   Anything else is synchronous and reaches the container unchanged, also
 *   `Respond-Async`, `respond-async, wait=10`, `respond-async; foo=bar` and a
 *   mode on a second Prefer line. GW-PREF-01..05 and GW-PREF-09 hold; the
 *   SHOULDs GW-PREF-06 (names match case-insensitively) and GW-PREF-07 (lists,
 *   parameters, several lines) fail.
 * - `Status` as names and the result with the container's own status code,
 *   so nothing else differs from what the contract asks.
 *
 *   node tests/legal/node_literal_prefer_gateway.js --port 8080 --deployment mock=http://127.0.0.1:8000
 */

const { CHOICES, MODES, STATUS_NAMES, SYNC, main } = require('./node_gateway.js');

function literalMode(lines) {
  if (lines.length !== 1) return SYNC;
  const value = lines[0].replace(/^[ \t]+|[ \t]+$/g, '');
  return MODES.includes(value) ? value : SYNC;
}

main({
  ...CHOICES,
  selectMode: literalMode,
  statusValue: (state) => STATUS_NAMES[state],
  resultStatus: (stored) => stored.status,
});

"""Reading a request's behaviour from its channels into one Behaviour.

Every field has one wire name, written the same way in every channel:
header `X-Mock-<field>`, query `mock-<field>=`, JSON body `{"mock": {...}}`,
or a registered scenario. Precedence, lowest to highest: built-in defaults
< scenario < JSON body < query string < headers. A higher channel replaces
a whole field; nothing is merged inside a field.

Text channels (headers, query) carry every value as text; JSON channels
(body, scenario) carry native JSON values and are strict about types. What
each field accepts is its kind's business (fields.py); this module reads the
channels, merges them, and checks the rules between fields.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote_to_bytes

from .behaviour import CHANNELS, DEFAULT, Behaviour, BehaviourError, build
from .fields import BODY_FIELDS, DEFAULT_STREAM_COUNT, FIELDS, check_correlation, check_scenario_name
from .settings import Settings

__all__ = ["BehaviourParser", "CheckedFields", "MAX_JSON_CHANNEL", "response_floor", "refuse_large_json_body"]

HEADER_PREFIX = b"x-mock-"
QUERY_PREFIX = "mock-"
#: Largest body read as the JSON-body channel: parsing JSON holds the event
#: loop (and the GIL) for the whole parse, and a parsed document can take
#: many times its size in memory.
MAX_JSON_CHANNEL = 1024 * 1024
#: Fewest bytes one piece of a stream adds besides its data (`id: i\n`, `\n`, ...).
_SSE_FRAME = 14
_NDJSON_PIECE = 40
#: Most Behaviours kept for reuse (then forgotten all at once), and the
#: largest ask (query and X-Mock-* values, in bytes) whose Behaviour is kept.
KNOWN_KEPT = 4096
KNOWN_SIZE = 1024
_JSON_OBJECT_START = re.compile(rb"[ \t\r\n]*\{")


class CheckedFields(dict):
    """A scenario's checked wire fields (a plain dict to JSON) that also keep
    their resolved values, so a registered `json` is encoded once, not on
    every request that names the scenario."""

    resolved: dict[str, Any]


class BehaviourParser:
    """Reads each channel, merges them by precedence, checks the result.

    `scenarios` maps a name to the wire fields registered for it (already
    checked when registered: the CheckedFields from `check_scenario`).
    """

    def __init__(self, settings: Settings, scenarios: Mapping[str, Mapping[str, Any]]) -> None:
        self.settings = settings
        self.scenarios = scenarios
        # Behaviours by the raw query and X-Mock-* headers they were read from
        # (a Behaviour is immutable: one serves every request that asks alike).
        self._known: dict[tuple, Behaviour] = {}

    # --- one channel

    def check_fields(self, items: Iterable[tuple[str, Any]], channel: str) -> dict[str, Any]:
        """Validate (name, value) pairs of one channel; text values for header/query."""
        text = channel in ("header", "query")
        out: dict[str, Any] = {}
        for name, raw in items:
            field = FIELDS.get(name)
            if field is None:
                raise BehaviourError(name, channel, "unknown field")
            if name in out:
                raise BehaviourError(name, channel, "given more than once")
            if channel == "scenario" and name == "scenario":
                raise BehaviourError(name, channel, "a scenario cannot reference another scenario")
            kind = field.kind
            try:
                value = kind.from_text(raw) if text else kind.from_json(raw)
                out[name] = kind.check(value, self.settings)
            except ValueError as exc:
                raise BehaviourError(name, channel, str(exc)) from None
        return out

    def check_scenario(self, name: str, definition: Any) -> CheckedFields:
        """A scenario definition as registered over the control API."""
        try:
            check_scenario_name(name)
        except ValueError as exc:
            raise BehaviourError("scenario", "scenario", str(exc)) from None
        if not isinstance(definition, dict):
            raise BehaviourError("scenario", "scenario", "the definition must be a JSON object of behaviour fields")
        fields = CheckedFields(self.check_fields(definition.items(), "scenario"))
        origin = dict.fromkeys(fields, "scenario")
        self._check_combination(fields, origin)
        behaviour = build(fields, origin=origin)
        self._check_size(behaviour, origin)
        fields.resolved = {name: getattr(behaviour, FIELDS[name].attr) for name in fields}
        return fields

    # --- a whole request

    def resolve(
        self,
        header_items: list[tuple[bytes, bytes]],
        query_string: bytes,
        body: bytes,
    ) -> Behaviour:
        """The behaviour of a request: `header_items` are its `X-Mock-*` headers."""
        body_fields = _body_fields(body)
        query = query_string if b"mock-" in query_string else b""
        if body_fields is not None:
            return self._resolve(header_items, query, body_fields)
        if not header_items and not query:
            return DEFAULT
        # Without a JSON body channel the behaviour depends on the query and the
        # headers alone: load tests send thousands of requests with the same ones.
        key = (query, *header_items)
        behaviour = self._known.get(key)
        if behaviour is None:
            behaviour = self._resolve(header_items, query, None)
            # Small asks only (what is kept stays small), and not a scenario's: it may be registered again.
            if "scenario" not in behaviour.fields and len(query) + sum(len(v) for _, v in header_items) <= KNOWN_SIZE:
                if len(self._known) >= KNOWN_KEPT:
                    self._known.clear()
                self._known[key] = behaviour
        return behaviour

    def _resolve(self, header_items: list[tuple[bytes, bytes]], query: bytes,
                 body_fields: list[tuple[str, Any]] | None) -> Behaviour:
        if not (body_fields or query) and len(header_items) == 1 and header_items[0][0] == b"x-mock-correlation":
            return self._correlation_only(header_items[0][1])
        layers: list[tuple[str, dict[str, Any]]] = []
        if body_fields is not None:
            layers.append(("body", self.check_fields(body_fields, "body")))
        if query:
            layers.append(("query", self.check_fields(_query_items(query), "query")))
        if header_items:
            layers.append(("header", self.check_fields(_header_items(header_items), "header")))
        merged: dict[str, Any] = {}
        origin: dict[str, str] = {}
        for channel, fields in layers:
            merged.update(fields)
            origin.update(dict.fromkeys(fields, channel))
        if not merged:
            return DEFAULT
        resolved = None
        scenario_name = merged.get("scenario")
        if scenario_name is not None:
            base = self.scenarios.get(scenario_name)
            if base is None:
                raise BehaviourError("scenario", origin["scenario"], f"no scenario named {scenario_name!r} is registered")
            merged = {**base, **merged}
            origin = {**dict.fromkeys(base, "scenario"), **origin}
            resolved = getattr(base, "resolved", None)
            if resolved is not None:
                resolved = {name: value for name, value in resolved.items() if origin[name] == "scenario"}
        self._check_combination(merged, origin)
        behaviour = build(merged, resolved, origin)
        self._check_size(behaviour, origin)
        return behaviour

    @staticmethod
    def _correlation_only(raw: bytes) -> Behaviour:
        """The commonest tagged request: only `X-Mock-Correlation`, no parsing beyond it."""
        try:
            correlation = raw.decode("utf-8")
            check_correlation(correlation)
        except (UnicodeDecodeError, ValueError) as exc:
            message = "must be UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)
            raise BehaviourError("correlation", "header", message) from None
        return Behaviour(fields={"correlation": correlation}, correlation=correlation)

    def _check_combination(self, fields: Mapping[str, Any], origin: Mapping[str, str]) -> None:
        """Rules between fields, checked after merging; the error names the later field."""

        def fail(name: str, message: str) -> BehaviourError:
            return BehaviourError(name, origin.get(name, "scenario"), message)

        def latest(names: list[str]) -> str:
            """The one from the highest channel (the last listed, within one channel)."""
            return max(reversed(names), key=lambda n: CHANNELS.index(origin.get(n, "scenario")))

        bodies = [name for name in BODY_FIELDS if name in fields]
        if len(bodies) > 1:
            raise fail(latest(bodies), f"only one of {', '.join(BODY_FIELDS)} may be set (got {', '.join(bodies)})")
        if "status" in fields and "status-weights" in fields:
            raise fail(latest(["status", "status-weights"]), "status and status-weights cannot both be set")
        dist = fields.get("delay-dist", "fixed")
        if dist == "uniform":
            if "delay-max" not in fields:
                raise fail("delay-dist", "uniform needs delay-max")
            if fields["delay-max"] < fields.get("delay", 0.0):
                raise fail("delay-max", "must be >= delay")
        if dist == "lognormal" and "delay-sigma" not in fields:
            raise fail("delay-dist", "lognormal needs delay-sigma")
        if fields.get("fault") == "drip" and "drip-duration" not in fields:
            raise fail("fault", "drip needs drip-duration")
        if "stream" in fields:
            total = fields.get("stream-count", DEFAULT_STREAM_COUNT) * fields.get("stream-interval", 0.0)
            if total > self.settings.max_delay:
                cap = self.settings.max_delay
                raise fail("stream-interval", f"stream-count x stream-interval must be <= {cap:g} s")

    def _check_size(self, b: Behaviour, origin: Mapping[str, str]) -> None:
        """Refuse, before any work, a response that would be over --max-response."""
        cap = self.settings.max_response
        floor = response_floor(b)
        if floor <= cap:
            return
        if b.stream is not None:
            name = "stream-count" if "stream-count" in b.fields else "stream"
            what = f"{b.stream_count} pieces of at least {floor // max(b.stream_count, 1)} bytes"
        else:
            name = next(n for n in BODY_FIELDS if n in b.fields)
            what = f"{floor} bytes"
        raise BehaviourError(name, origin.get(name, "scenario"),
                             f"the response would be {what}: over --max-response ({cap} bytes)")

    def loose_correlation(self, header_items: list[tuple[bytes, bytes]], query_string: bytes) -> str | None:
        """The correlation of a request whose behaviour is invalid, so the
        journal entry of the error still reaches the test that sent it."""
        candidates = []
        for name, value in header_items:
            if name == b"x-mock-correlation":
                candidates.append(value.decode("latin-1"))
        if b"mock-correlation" in query_string:
            for name, value in _query_items(query_string, strict=False):
                if name == "correlation":
                    candidates.append(value)
        for candidate in candidates:
            try:
                check_correlation(candidate)
            except ValueError:
                continue
            return candidate
        return None


def body_size(b: Behaviour) -> int:
    """Bytes of the body field's body (0 without one: the echo is small)."""
    for data in (b.body, b.json, b.body_base64):
        if data is not None:
            return len(data)
    return b.random_bytes or 0


def response_floor(b: Behaviour) -> int:
    """The fewest bytes this behaviour's response can have (a stream's pieces together)."""
    size = body_size(b)
    if b.stream is None:
        return size
    count = b.stream_count
    if b.stream == "sse":
        return count * ((size + _SSE_FRAME) if b.has_body_field else _NDJSON_PIECE)
    return size if b.has_body_field else count * _NDJSON_PIECE


# --- channel readers


def _header_items(items: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    out = []
    for name, value in items:
        field = name[len(HEADER_PREFIX):].decode("latin-1")
        try:
            out.append((field, value.decode("utf-8")))
        except UnicodeDecodeError:
            raise BehaviourError(field, "header", "must be UTF-8 text") from None
    return out


def _query_items(query_string: bytes, strict: bool = True) -> list[tuple[str, str]]:
    """The `mock-*` parameters, `+` and percent-escapes decoded as UTF-8."""
    out = []
    for pair in query_string.split(b"&"):
        raw_name, _, raw_value = pair.partition(b"=")
        try:
            name = unquote_to_bytes(raw_name.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            continue  # not a name of ours: someone else's parameter
        if not name.startswith(QUERY_PREFIX):
            continue
        field = name[len(QUERY_PREFIX):]
        try:
            value = unquote_to_bytes(raw_value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            if strict:
                raise BehaviourError(field, "query", "must be UTF-8 text (percent-encoded)") from None
            continue
        out.append((field, value))
    return out


def _body_fields(body: bytes) -> list[tuple[str, Any]] | None:
    """The `mock` object of a JSON-object body, or None when the body is not one
    (or is over MAX_JSON_CHANNEL: `refuse_large_json_body` judged those)."""
    if len(body) > MAX_JSON_CHANNEL or b'"mock"' not in body:
        return None  # cheap tests first: most bodies are not ours to read
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict) or "mock" not in document:
        return None
    fields = document["mock"]
    if not isinstance(fields, dict):
        raise BehaviourError("mock", "body", "must be a JSON object of behaviour fields")
    return list(fields.items())


async def refuse_large_json_body(body: bytes) -> None:
    """A body over MAX_JSON_CHANNEL is not read for fields; if it looks like a
    JSON object holding `"mock"`, refuse it rather than ignore what it asks.
    Searched a slice at a time (a search of 32 MiB takes the event loop ~15 ms)."""
    if len(body) <= MAX_JSON_CHANNEL or not _JSON_OBJECT_START.match(body):
        return
    needle = b'"mock"'
    for start in range(0, len(body), MAX_JSON_CHANNEL):
        if body.find(needle, start, start + MAX_JSON_CHANNEL + len(needle) - 1) >= 0:
            raise BehaviourError("mock", "body", f"a JSON body over {MAX_JSON_CHANNEL} bytes is not read for "
                                 "behaviour fields: send them as X-Mock-* headers or mock-* query parameters")
        await asyncio.sleep(0)

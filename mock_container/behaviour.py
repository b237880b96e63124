"""What the mock does with one request, and the one parser that reads it.

Every field has one wire name, written the same way in every channel:
header `X-Mock-<field>`, query `mock-<field>=`, JSON body `{"mock": {...}}`,
or a registered scenario. Precedence, lowest to highest: built-in defaults
< scenario < JSON body < query string < headers. A higher channel replaces
a whole field; nothing is merged inside a field.

Text channels (headers, query) carry every value as text; structured values
(`json`, `headers`) are JSON text there. JSON channels (body, scenario)
carry native JSON values and are strict about types.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from .settings import Settings
from .webhooks import url_allowed

__all__ = [
    "Behaviour",
    "BehaviourError",
    "BehaviourParser",
    "DEFAULT",
    "FIELDS",
    "CHANNELS",
]

CHANNELS = ("scenario", "body", "query", "header")
HEADER_PREFIX = b"x-mock-"
QUERY_PREFIX = "mock-"

MAX_CORRELATION = 128
MAX_SEED = 2**63
MAX_STREAM_COUNT = 100_000
MAX_WEBHOOK_RETRIES = 20
MAX_FAIL_FIRST = 1_000_000
MAX_EXTRA_HEADERS = 64
DEFAULT_STREAM_COUNT = 5

DELAY_DISTS = ("fixed", "uniform", "exponential", "lognormal")
FAULTS = ("close", "reset", "garbage", "bad-chunked", "hang", "drip")
STREAMS = ("chunked", "sse")
ASYNC_STYLES = ("off", "ack", "task-id")
#: Fields of which at most one may be set: they all choose the response body.
BODY_FIELDS = ("body", "json", "body-base64", "random-bytes")
#: Response headers the mock computes itself; setting them would break framing.
FORBIDDEN_HEADERS = frozenset({"content-length", "transfer-encoding", "content-type"})

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_SCENARIO_NAME = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")
_BAD_HEADER_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class BehaviourError(ValueError):
    """An invalid behaviour field: answered 400, naming the field and channel."""

    def __init__(self, field: str, channel: str, message: str) -> None:
        super().__init__(f"{field} ({channel}): {message}")
        self.field = field
        self.channel = channel
        self.message = message

    def to_json(self) -> dict[str, str]:
        return {"error": "invalid behaviour", "field": self.field, "channel": self.channel, "message": self.message}


# --- value checks: typed value in, normalised wire value out, ValueError on misuse


def _seconds(cap_from_settings: bool = True) -> Callable[[float, Settings], float]:
    def check(value: float, settings: Settings) -> float:
        if value < 0:
            raise ValueError("must be >= 0 seconds")
        if cap_from_settings and value > settings.max_delay:
            raise ValueError(f"must be <= {settings.max_delay:g} s (the server's --max-delay)")
        return value

    return check


def _int_range(low: int, high: int) -> Callable[[int, Settings], int]:
    def check(value: int, settings: Settings) -> int:
        if not low <= value <= high:
            raise ValueError(f"must be in {low}..{high}")
        return value

    return check


def _choice(options: tuple[str, ...]) -> Callable[[str, Settings], str]:
    def check(value: str, settings: Settings) -> str:
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return value

    return check


def _check_status(value: int, settings: Settings) -> int:
    if not 100 <= value <= 599:
        raise ValueError("must be a status code in 100..599")
    return value


def _check_correlation(value: str, settings: Settings) -> str:
    if not 0 < len(value) <= MAX_CORRELATION or not value.isascii() or not value.isprintable():
        raise ValueError(f"must be 1..{MAX_CORRELATION} printable ASCII characters")
    return value


def _check_scenario_name(value: str, settings: Settings | None = None) -> str:
    if not _SCENARIO_NAME.match(value):
        raise ValueError("must be 1..128 characters of A-Z a-z 0-9 . _ ~ -")
    return value


def _check_sigma(value: float, settings: Settings) -> float:
    if not 0 < value <= 10:
        raise ValueError("must be > 0 and <= 10")
    return value


def parse_weights(text: str) -> tuple[tuple[int, float], ...]:
    """`200:0.8,500:0.2` -> ((200, 0.8), (500, 0.2)); ValueError on anything else."""
    pairs = []
    for part in text.split(","):
        status_text, sep, weight_text = part.strip().partition(":")
        if not sep:
            raise ValueError("must look like 200:0.8,500:0.2")
        try:
            status, weight = int(status_text), float(weight_text)
        except ValueError:
            raise ValueError("must look like 200:0.8,500:0.2") from None
        if not 100 <= status <= 599:
            raise ValueError(f"status {status} is outside 100..599")
        if not (math.isfinite(weight) and weight >= 0):
            raise ValueError("weights must be finite and >= 0")
        pairs.append((status, weight))
    if len(pairs) > 100:
        raise ValueError("at most 100 statuses")
    if sum(weight for _, weight in pairs) <= 0:
        raise ValueError("weights must not all be 0")
    return tuple(pairs)


def _check_weights(value: str, settings: Settings) -> str:
    parse_weights(value)
    return value


def _check_body(value: str, settings: Settings) -> str:
    if len(value) > settings.max_body:
        raise ValueError(f"longer than --max-body ({settings.max_body})")
    return value


def _check_base64(value: str, settings: Settings) -> str:
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("is not valid base64") from None
    if len(decoded) > settings.max_body:
        raise ValueError(f"decodes to more than --max-body ({settings.max_body}) bytes")
    return value


def _check_random_bytes(value: int, settings: Settings) -> int:
    if not 0 <= value <= settings.max_body:
        raise ValueError(f"must be in 0..{settings.max_body} (--max-body)")
    return value


def _check_header_value(value: str) -> None:
    if _BAD_HEADER_VALUE.search(value):
        raise ValueError("contains control characters")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError("must be Latin-1 text") from None


def _check_content_type(value: str, settings: Settings) -> str:
    if not 0 < len(value) <= 256:
        raise ValueError("must be 1..256 characters")
    _check_header_value(value)
    return value


def _check_headers(value: dict, settings: Settings) -> dict:
    if len(value) > MAX_EXTRA_HEADERS:
        raise ValueError(f"at most {MAX_EXTRA_HEADERS} headers")
    for name, header_value in value.items():
        if not _TOKEN.match(name):
            raise ValueError(f"{name!r} is not a valid header name")
        if name.lower() in FORBIDDEN_HEADERS:
            raise ValueError(f"{name!r} is set by the mock itself (use the content-type field for Content-Type)")
        if not isinstance(header_value, str):
            raise ValueError(f"value of {name!r} must be a string")
        try:
            _check_header_value(header_value)
        except ValueError as exc:
            raise ValueError(f"value of {name!r} {exc}") from None
    return value


def _check_url(value: str, settings: Settings) -> str:
    if len(value) > 2048:
        raise ValueError("longer than 2048 characters")
    allowed, why = url_allowed(value, settings)
    if not allowed:
        raise ValueError(why)
    return value


def _check_secret(value: str, settings: Settings) -> str:
    if not 0 < len(value) <= 1024:
        raise ValueError("must be 1..1024 characters")
    return value


def _any(value: Any, settings: Settings) -> Any:
    return value


@dataclass(frozen=True)
class FieldSpec:
    name: str  # the wire name, used in every channel
    attr: str  # the Behaviour attribute it sets
    kind: str  # str | float | int | json | object
    check: Callable[[Any, Settings], Any]


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("correlation", "correlation", "str", _check_correlation),
        FieldSpec("scenario", "scenario", "str", lambda v, s: _check_scenario_name(v)),
        FieldSpec("delay", "delay", "float", _seconds()),
        FieldSpec("delay-dist", "delay_dist", "str", _choice(DELAY_DISTS)),
        FieldSpec("delay-max", "delay_max", "float", _seconds()),
        FieldSpec("delay-sigma", "delay_sigma", "float", _check_sigma),
        FieldSpec("seed", "seed", "int", _int_range(-MAX_SEED, MAX_SEED)),
        FieldSpec("status", "status", "int", _check_status),
        FieldSpec("status-weights", "status_weights", "str", _check_weights),
        FieldSpec("fail-first", "fail_first", "int", _int_range(0, MAX_FAIL_FIRST)),
        FieldSpec("fail-status", "fail_status", "int", _check_status),
        FieldSpec("fault", "fault", "str", _choice(FAULTS)),
        FieldSpec("drip-duration", "drip_duration", "float", _seconds()),
        FieldSpec("body", "body", "str", _check_body),
        FieldSpec("json", "json", "json", _any),
        FieldSpec("body-base64", "body_base64", "str", _check_base64),
        FieldSpec("random-bytes", "random_bytes", "int", _check_random_bytes),
        FieldSpec("content-type", "content_type", "str", _check_content_type),
        FieldSpec("headers", "headers", "object", _check_headers),
        FieldSpec("stream", "stream", "str", _choice(STREAMS)),
        FieldSpec("stream-count", "stream_count", "int", _int_range(0, MAX_STREAM_COUNT)),
        FieldSpec("stream-interval", "stream_interval", "float", _seconds()),
        FieldSpec("webhook-url", "webhook_url", "str", _check_url),
        FieldSpec("webhook-delay", "webhook_delay", "float", _seconds()),
        FieldSpec("webhook-retries", "webhook_retries", "int", _int_range(0, MAX_WEBHOOK_RETRIES)),
        FieldSpec("webhook-backoff", "webhook_backoff", "float", _seconds()),
        FieldSpec("webhook-secret", "webhook_secret", "str", _check_secret),
        FieldSpec("async", "async_style", "str", _choice(ASYNC_STYLES)),
    )
}

_TYPE_NAMES = {"str": "a string", "float": "a number", "int": "an integer", "object": "a JSON object"}


def _from_text(spec: FieldSpec, text: str) -> Any:
    """A value as written in a header or a query string -> its typed value."""
    kind = spec.kind
    if kind == "str":
        return text
    if kind == "int":
        try:
            return int(text.strip(), 10)
        except ValueError:
            raise ValueError("must be an integer") from None
    if kind == "float":
        try:
            value = float(text.strip())
        except ValueError:
            raise ValueError("must be a number") from None
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value
    try:
        value = json.loads(text)
    except ValueError:
        raise ValueError("must be JSON text in this channel") from None
    return _from_json(spec, value)


def _from_json(spec: FieldSpec, value: Any) -> Any:
    """A value from a JSON channel -> its typed value (no coercion from strings)."""
    kind = spec.kind
    if kind == "json":
        return value
    ok = {
        "str": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "object": isinstance(value, dict),
    }[kind]
    if not ok:
        raise ValueError(f"must be {_TYPE_NAMES[kind]}")
    if kind == "float":
        value = float(value)
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
    return value


@dataclass(frozen=True, slots=True)
class Behaviour:
    """The resolved behaviour of one request (attribute defaults = built-in defaults)."""

    fields: Mapping[str, Any]  # the resolved wire fields, as journaled
    correlation: str | None = None
    scenario: str | None = None
    delay: float = 0.0
    delay_dist: str = "fixed"
    delay_max: float | None = None
    delay_sigma: float | None = None
    seed: int | None = None
    status: int | None = None
    status_weights: tuple[tuple[int, float], ...] | None = None
    fail_first: int = 0
    fail_status: int = 503
    fault: str | None = None
    drip_duration: float | None = None
    body: str | None = None
    json: Any = None
    body_base64: str | None = None
    random_bytes: int | None = None
    content_type: str | None = None
    headers: Mapping[str, str] | None = None
    stream: str | None = None
    stream_count: int = DEFAULT_STREAM_COUNT
    stream_interval: float = 0.0
    webhook_url: str | None = None
    webhook_delay: float = 0.0
    webhook_retries: int = 0
    webhook_backoff: float = 0.5
    webhook_secret: str | None = None
    async_style: str = "off"
    plain: bool = True  # no field beyond `correlation`: a plain echo (the hot path)

    @property
    def has_body_field(self) -> bool:
        return any(name in self.fields for name in BODY_FIELDS)

    def counter_key(self) -> str:
        """Whose calls `fail-first` and seeded draws count: the scenario, else
        the correlation, else everything else together."""
        if self.scenario is not None:
            return "scenario:" + self.scenario
        if self.correlation is not None:
            return "correlation:" + self.correlation
        return "-"


DEFAULT = Behaviour(fields={})


class BehaviourParser:
    """Reads each channel, merges them by precedence, checks the result.

    `scenarios` maps a name to the wire fields registered for it (already
    checked when registered).
    """

    def __init__(self, settings: Settings, scenarios: Mapping[str, Mapping[str, Any]]) -> None:
        self.settings = settings
        self.scenarios = scenarios

    # --- one channel

    def check_fields(self, items: Iterable[tuple[str, Any]], channel: str) -> dict[str, Any]:
        """Validate (name, value) pairs of one channel; text values for header/query."""
        text = channel in ("header", "query")
        out: dict[str, Any] = {}
        for name, raw in items:
            spec = FIELDS.get(name)
            if spec is None:
                raise BehaviourError(name, channel, "unknown field")
            if name in out:
                raise BehaviourError(name, channel, "given more than once")
            if channel == "scenario" and name == "scenario":
                raise BehaviourError(name, channel, "a scenario cannot reference another scenario")
            try:
                value = _from_text(spec, raw) if text else _from_json(spec, raw)
                out[name] = spec.check(value, self.settings)
            except ValueError as exc:
                raise BehaviourError(name, channel, str(exc)) from None
        return out

    def check_scenario(self, name: str, definition: Any) -> dict[str, Any]:
        """A scenario definition as registered over the control API."""
        try:
            _check_scenario_name(name)
        except ValueError as exc:
            raise BehaviourError("scenario", "scenario", str(exc)) from None
        if not isinstance(definition, dict):
            raise BehaviourError("scenario", "scenario", "the definition must be a JSON object of behaviour fields")
        fields = self.check_fields(definition.items(), "scenario")
        self._check_combination(fields, dict.fromkeys(fields, "scenario"))
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
        query_has_fields = QUERY_PREFIX.encode() in query_string
        if len(header_items) == 1 and header_items[0][0] == b"x-mock-correlation" and not (
                body_fields or query_has_fields):
            return self._correlation_only(header_items[0][1])
        layers: list[tuple[str, dict[str, Any]]] = []
        if body_fields is not None:
            layers.append(("body", self.check_fields(body_fields, "body")))
        if query_has_fields:
            layers.append(("query", self.check_fields(_query_items(query_string), "query")))
        if header_items:
            layers.append(("header", self.check_fields(_header_items(header_items), "header")))
        if not layers:
            return DEFAULT
        merged: dict[str, Any] = {}
        origin: dict[str, str] = {}
        for channel, fields in layers:
            merged.update(fields)
            origin.update(dict.fromkeys(fields, channel))
        scenario_name = merged.get("scenario")
        if scenario_name is not None:
            merged, origin = self._with_scenario(scenario_name, origin["scenario"], merged, origin)
        self._check_combination(merged, origin)
        return build(merged)

    def _correlation_only(self, raw: bytes) -> Behaviour:
        """The commonest tagged request: only `X-Mock-Correlation`, no parsing beyond it."""
        try:
            correlation = _check_correlation(raw.decode("utf-8"), self.settings)
        except (UnicodeDecodeError, ValueError) as exc:
            message = "must be UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)
            raise BehaviourError("correlation", "header", message) from None
        return Behaviour(fields={"correlation": correlation}, correlation=correlation)

    def _with_scenario(self, name, channel, merged, origin):
        base = self.scenarios.get(name)
        if base is None:
            raise BehaviourError("scenario", channel, f"no scenario named {name!r} is registered")
        return {**base, **merged}, {**dict.fromkeys(base, "scenario"), **origin}

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
                return _check_correlation(candidate, self.settings)
            except ValueError:
                continue
        return None


def build(fields: Mapping[str, Any]) -> Behaviour:
    """A Behaviour from checked, merged wire fields."""
    values = {FIELDS[name].attr: value for name, value in fields.items()}
    if "status_weights" in values:
        values["status_weights"] = parse_weights(values["status_weights"])
    return Behaviour(fields=fields, plain=fields.keys() <= {"correlation"}, **values)


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
    """The `mock` object of a JSON-object body, or None when the body is not one."""
    if b'"mock"' not in body:
        return None  # cheap test first: most bodies are not ours to read
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

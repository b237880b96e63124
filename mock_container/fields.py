"""Every behaviour field, declared once: its name, its kind, its default.

A kind is one object that knows everything about one sort of value (after
starlette's `convertors.py`): how it is written in a text channel (an
`X-Mock-*` header or a `mock-*` query parameter) and in a JSON channel (a
body's `mock` object or a scenario), the bounds it must keep, how a Python
value is written back as text (`to_text`, what the suite sends), and what the
resolved Behaviour holds (`resolve`: e.g. the bytes a `body-base64` decodes
to). `FIELDS` maps each wire name to its field; the mock's parser
(channels.py), its `Behaviour` dataclass (behaviour.py) and the suite's
encoders below all read this one table, so a field cannot exist in one of
them only.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import math
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from .settings import Settings

__all__ = [
    "Kind", "Field", "FIELDS", "BY_ATTR", "BODY_FIELDS", "FORBIDDEN_HEADERS", "DEFAULT_STREAM_COUNT",
    "encode_query", "encode_headers", "field_named", "parse_weights", "check_correlation", "check_scenario_name",
    "webhook_target_refused", "SINK_PREFIX", "own_sink",
]

MAX_CORRELATION = 128
MAX_SEED = 2**63
MAX_STREAM_COUNT = 100_000
MAX_WEBHOOK_RETRIES = 20
MAX_FAIL_FIRST = 1_000_000
MAX_EXTRA_HEADERS = 64
MAX_URL = 2048
DEFAULT_STREAM_COUNT = 5

DELAY_DISTS = ("fixed", "uniform", "exponential", "lognormal")
FAULTS = ("close", "reset", "garbage", "bad-chunked", "hang", "drip")
STREAMS = ("chunked", "sse")
ASYNC_STYLES = ("off", "ack", "task-id")
ON_DISCONNECT = ("continue", "cancel")
#: Fields of which at most one may be set: they all choose the response body.
BODY_FIELDS = ("body", "json", "body-base64", "random-bytes")
#: Response headers the mock computes itself; setting them would break framing.
FORBIDDEN_HEADERS = frozenset({"content-length", "transfer-encoding", "content-type"})
#: The webhook sink: the one part of a mock's control API a webhook may target.
CONTROL_PREFIX = "/_mock/"
SINK_PREFIX = "/_mock/webhooks/"

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_SCENARIO_NAME = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")
_BAD_HEADER_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


# --- kinds -----------------------------------------------------------------------------------


class Kind:
    """One sort of value. Subclasses set the channel parsing (`from_text`,
    `from_json`), the bounds (`check`) and the formatting (`to_text`).

    `check` returns the normalised wire value (what the journal shows) or
    raises ValueError with a message that completes "<field> ...";
    `resolve` turns that into what the Behaviour attribute holds."""

    annotation: Any = str  # the type of the Behaviour attribute

    def from_text(self, text: str) -> Any:
        return text

    def from_json(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("must be a string")
        return value

    def check(self, value: Any, settings: Settings) -> Any:
        return value

    def resolve(self, value: Any) -> Any:
        return value

    def to_text(self, value: Any) -> str:
        return value if isinstance(value, str) else str(value)


class Text(Kind):
    """A string, with a rule of its own (length, alphabet, ...)."""

    def __init__(self, rule: Callable[[str, Settings], None] | None = None) -> None:
        self.rule = rule

    def check(self, value: str, settings: Settings) -> str:
        if self.rule is not None:
            self.rule(value, settings)
        return value


class Enum(Kind):
    def __init__(self, options: tuple[str, ...]) -> None:
        self.options = options

    def check(self, value: str, settings: Settings) -> str:
        if value not in self.options:
            raise ValueError(f"must be one of {', '.join(self.options)}")
        return value


class Integer(Kind):
    """An integer in `low..high`; `high` may depend on the server's settings."""

    annotation = int

    def __init__(self, low: int, high: int | Callable[[Settings], int], flag: str | None = None,
                 message: str | None = None) -> None:
        self.low = low
        self.high = high
        self.flag = flag  # the setting that bounds it, named in the message
        self.message = message

    def from_text(self, text: str) -> int:
        try:
            return int(text.strip(), 10)
        except ValueError:
            raise ValueError("must be an integer") from None

    def from_json(self, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError("must be an integer")
        return value

    def check(self, value: int, settings: Settings) -> int:
        high = self.high(settings) if callable(self.high) else self.high
        if not self.low <= value <= high:
            if self.message:
                raise ValueError(self.message)
            raise ValueError(f"must be in {self.low}..{high}" + (f" ({self.flag})" if self.flag else ""))
        return value

    def to_text(self, value: Any) -> str:
        if isinstance(value, bool):
            raise TypeError(f"an integer, not {value!r}")
        return value if isinstance(value, str) else str(value)


class Status(Integer):
    """A final status code: a 1xx is an interim answer, after which HTTP expects another one."""

    def __init__(self) -> None:
        super().__init__(200, 599, message="must be a final status code in 200..599")


class Number(Kind):
    """A finite number (floats and integers alike)."""

    annotation = float

    def from_text(self, text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise ValueError("must be a number") from None
        return self._finite(value)

    def from_json(self, value: Any) -> float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ValueError("must be a number")
        return self._finite(float(value))

    @staticmethod
    def _finite(value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    def to_text(self, value: Any) -> str:
        if isinstance(value, bool):
            raise TypeError(f"a number, not {value!r}")
        if isinstance(value, float):
            return repr(value)
        return value if isinstance(value, str) else str(value)


class Sigma(Number):
    def check(self, value: float, settings: Settings) -> float:
        if not 0 < value <= 10:
            raise ValueError("must be > 0 and <= 10")
        return value


class Seconds(Number):
    """A duration: >= 0 and at most the server's --max-delay."""

    def check(self, value: float, settings: Settings) -> float:
        if value < 0:
            raise ValueError("must be >= 0 seconds")
        if value > settings.max_delay:
            raise ValueError(f"must be <= {settings.max_delay:g} s (the server's --max-delay)")
        return value


class Json(Kind):
    """Any JSON value; JSON text in the text channels. Resolves to its compact
    encoding, made once (a scenario's is made when it is registered)."""

    annotation = bytes

    def from_text(self, text: str) -> Any:
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            raise ValueError("must be JSON text in this channel") from None

    def from_json(self, value: Any) -> Any:
        return value

    def check(self, value: Any, settings: Settings) -> Any:
        try:
            size = len(_compact_json(value))
        except (ValueError, RecursionError):
            raise ValueError("cannot be encoded as JSON") from None
        if size > settings.max_body:
            raise ValueError(f"encodes to more than --max-body ({settings.max_body}) bytes")
        return value

    def resolve(self, value: Any) -> bytes:
        return _compact_json(value).encode("utf-8")

    def to_text(self, value: Any) -> str:
        return _compact_json(value)  # a Python str is a JSON string here, never JSON text


class HeaderMap(Json):
    """A JSON object of extra response headers."""

    annotation = Mapping[str, str]

    def from_json(self, value: Any) -> dict:
        if not isinstance(value, dict):
            raise ValueError("must be a JSON object")
        return value

    def from_text(self, text: str) -> dict:
        return self.from_json(super().from_text(text))

    def check(self, value: dict, settings: Settings) -> dict:
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

    def resolve(self, value: dict) -> tuple[tuple[bytes, bytes], ...]:
        return tuple((name.lower().encode("latin-1"), text.encode("latin-1")) for name, text in value.items())

    def to_text(self, value: Any) -> str:
        return value if isinstance(value, str) else _compact_json(value)


class Base64(Kind):
    """Binary data as base64 text; resolves to the decoded bytes."""

    annotation = bytes

    def check(self, value: str, settings: Settings) -> str:
        if len(value) > 4 * (settings.max_body // 3 + 1):
            raise ValueError(f"decodes to more than --max-body ({settings.max_body}) bytes")
        decoded = self.resolve(value)
        if len(decoded) > settings.max_body:
            raise ValueError(f"decodes to more than --max-body ({settings.max_body}) bytes")
        return value

    def resolve(self, value: str) -> bytes:
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("is not valid base64") from None


class Weights(Kind):
    """`200:0.8,500:0.2`; resolves to ((200, 0.8), (500, 0.2))."""

    annotation = tuple

    def check(self, value: str, settings: Settings) -> str:
        parse_weights(value)
        return value

    def resolve(self, value: str) -> tuple[tuple[int, float], ...]:
        return parse_weights(value)


def own_sink(url: str) -> bool:
    """`/_mock/webhooks/<key>`, a path with no scheme or host: this mock's own sink, wherever it is reached.

    A mock behind a gateway, in the cloud, or one of several replicas is told
    where to deliver without anyone knowing the address it reaches itself at.
    """
    return url.startswith(SINK_PREFIX) and len(url) > len(SINK_PREFIX) and webhook_target_refused(url) is None


class Url(Kind):
    """A webhook target: http(s), a host in --webhook-allow, and never a mock's
    own control API (bar its sink); or this mock's own sink as a bare path."""

    def check(self, value: str, settings: Settings) -> str:
        if len(value) > MAX_URL:
            raise ValueError(f"longer than {MAX_URL} characters")
        if value.startswith("/"):
            if not own_sink(value):
                raise ValueError(f"a path alone must name this mock's own sink, {SINK_PREFIX}<key>")
            return value
        allowed, why = url_allowed(value, settings)
        if not allowed:
            raise ValueError(why)
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
        if not 200 <= status <= 599:
            raise ValueError(f"status {status} is outside 200..599 (a final status code)")
        if not (math.isfinite(weight) and weight >= 0):
            raise ValueError("weights must be finite and >= 0")
        pairs.append((status, weight))
    if len(pairs) > 100:
        raise ValueError("at most 100 statuses")
    if sum(weight for _, weight in pairs) <= 0:
        raise ValueError("weights must not all be 0")
    return tuple(pairs)


def webhook_target_refused(path: str) -> str | None:
    """Why a webhook may not POST to this URL path, or None.

    A mock's control API (`/_mock/...`) is refused whatever the host, since
    any mock may be behind any allowed address: a webhook must not reset a
    mock or rewrite its scenarios. Its sink, `/_mock/webhooks/<key>`, is the
    exception: it exists to receive webhooks. The path is judged as sent and
    as a server could route it (percent-escapes decoded, dot segments
    resolved): refused if either form reaches the control API elsewhere."""
    decoded = unquote(path)
    for routed in (path, decoded, posixpath.normpath(decoded or "/")):
        if routed != "/_mock" and not routed.startswith(CONTROL_PREFIX):
            continue
        if routed.startswith(SINK_PREFIX) and len(routed) > len(SINK_PREFIX):
            continue
        return f"targets a mock's control API ({routed}); only its sink {SINK_PREFIX}<key> may receive webhooks"
    return None


def url_allowed(url: str, settings: Settings) -> tuple[bool, str]:
    """(allowed, why not). Host names are compared literally, never resolved,
    so a name cannot smuggle a request to a host outside the allowlist."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False, "is not a valid URL"
    if parts.scheme not in ("http", "https") or not host:
        return False, "must be an http:// or https:// URL with a host"
    refused = webhook_target_refused(parts.path)
    if refused is not None:
        return False, refused
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host.lower() in settings.allowed_names:
            return True, ""
    else:
        if any(address in network for network in settings.allowed_networks):
            return True, ""
    return False, f"host {host!r} is not in the webhook allowlist (--webhook-allow)"


# --- rules of the text fields

def check_correlation(value: str, settings: Settings | None = None) -> None:
    if not 0 < len(value) <= MAX_CORRELATION or not value.isascii() or not value.isprintable():
        raise ValueError(f"must be 1..{MAX_CORRELATION} printable ASCII characters")


def check_scenario_name(value: str, settings: Settings | None = None) -> None:
    if not _SCENARIO_NAME.match(value):
        raise ValueError("must be 1..128 characters of A-Z a-z 0-9 . _ ~ -")


def _check_body(value: str, settings: Settings) -> None:
    if len(value) > settings.max_body:
        raise ValueError(f"longer than --max-body ({settings.max_body})")


def _check_header_value(value: str) -> None:
    if _BAD_HEADER_VALUE.search(value):
        raise ValueError("contains control characters")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError("must be Latin-1 text") from None


def _check_content_type(value: str, settings: Settings) -> None:
    if not 0 < len(value) <= 256:
        raise ValueError("must be 1..256 characters")
    _check_header_value(value)


def _check_secret(value: str, settings: Settings) -> None:
    if not 0 < len(value) <= 1024:
        raise ValueError("must be 1..1024 characters")


class Utf8Text(Text):
    """Text the mock sends as UTF-8 bytes (the `body` field)."""

    annotation = bytes

    def resolve(self, value: str) -> bytes:
        return value.encode("utf-8")


# --- the registry ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str  # the wire name, the same in every channel
    kind: Kind
    default: Any = None  # the built-in default of the Behaviour attribute
    attr: str = ""  # the Behaviour attribute; the name with `_` for `-` unless given

    def __post_init__(self) -> None:
        if not self.attr:
            object.__setattr__(self, "attr", self.name.replace("-", "_"))


_seconds = Seconds()
_FIELD_LIST = (
    Field("correlation", Text(check_correlation)),
    Field("scenario", Text(check_scenario_name)),
    Field("delay", _seconds, 0.0),
    Field("delay-dist", Enum(DELAY_DISTS), "fixed"),
    Field("delay-max", _seconds),
    Field("delay-sigma", Sigma()),
    Field("seed", Integer(-MAX_SEED, MAX_SEED)),
    Field("status", Status()),
    Field("status-weights", Weights()),
    Field("fail-first", Integer(0, MAX_FAIL_FIRST), 0),
    Field("fail-status", Status(), 503),
    Field("fault", Enum(FAULTS)),
    Field("drip-duration", _seconds),
    Field("body", Utf8Text(_check_body)),
    Field("json", Json()),
    Field("body-base64", Base64()),
    Field("random-bytes", Integer(0, lambda s: s.max_body, "--max-body")),
    Field("content-type", Text(_check_content_type)),
    Field("headers", HeaderMap(), ()),
    Field("stream", Enum(STREAMS)),
    Field("stream-count", Integer(0, MAX_STREAM_COUNT), DEFAULT_STREAM_COUNT),
    Field("stream-interval", _seconds, 0.0),
    Field("webhook-url", Url()),
    Field("webhook-delay", _seconds, 0.0),
    Field("webhook-retries", Integer(0, MAX_WEBHOOK_RETRIES), 0),
    Field("webhook-backoff", _seconds, 0.5),
    Field("webhook-secret", Text(_check_secret)),
    Field("async", Enum(ASYNC_STYLES), "off", attr="async_style"),
    Field("on-disconnect", Enum(ON_DISCONNECT), "continue"),
)

FIELDS: dict[str, Field] = {field.name: field for field in _FIELD_LIST}
BY_ATTR: dict[str, Field] = {field.attr: field for field in _FIELD_LIST}


def field_named(name: str) -> Field:
    """A field by its wire name (`delay-dist`) or its Python name (`delay_dist`, `async_style`)."""
    field = FIELDS.get(name) or FIELDS.get(name.replace("_", "-")) or BY_ATTR.get(name)
    if field is None:
        raise KeyError(f"no behaviour field named {name!r}")
    return field


# --- writing behaviours (what a client of the mock sends) -------------------------------------


def _encoded(values: Mapping[str, Any]) -> list[tuple[Field, str]]:
    return [(field_named(name), value) for name, value in values.items() if value is not None]


def encode_query(**values: Any) -> list[tuple[str, str]]:
    """Query parameters asking a mock for a behaviour, in the order given:
    `encode_query(correlation="c1", delay=2.5, json={"a": 1})` ->
    `[("mock-correlation", "c1"), ("mock-delay", "2.5"), ("mock-json", '{"a":1}')]`.

    Names are wire names or their Python spelling (`delay_dist`, `async_style`;
    `async` through `**{"async": ...}`); a None value is left out. Values are
    written as the mock reads them: numbers as usual (a float by its repr),
    `json` and `headers` as compact JSON (a `json` value is always a JSON
    value: a str becomes a JSON string), a str elsewhere as it is."""
    return [(f"mock-{field.name}", field.kind.to_text(value)) for field, value in _encoded(values)]


def encode_headers(**values: Any) -> list[tuple[str, str]]:
    """The same as `encode_query`, as `X-Mock-<field>` headers (values must be
    Latin-1 text without control characters to travel in a header)."""
    return [(f"X-Mock-{field.name}", field.kind.to_text(value)) for field, value in _encoded(values)]

"""Property tests: any generated behaviour either round-trips (the journal shows
exactly the fields sent, normalised) or gets a 400 naming the field.

The expectations come from the documented field table (docs/mock-container.md),
written out here independently of the parser. Generated behaviours are run
for real, so they are kept cheap: millisecond delays, tiny streams, webhooks
to the sink, and no `hang`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.mock_container.helpers import Mock

FIELD_NAMES = {
    "correlation", "scenario", "delay", "delay-dist", "delay-max", "delay-sigma", "seed", "status", "status-weights",
    "fail-first", "fail-status", "fault", "drip-duration", "body", "json", "body-base64", "random-bytes",
    "content-type", "headers", "stream", "stream-count", "stream-interval", "webhook-url", "webhook-delay",
    "webhook-retries", "webhook-backoff", "webhook-secret", "async", "on-disconnect",
}
FLOATS = {"delay", "delay-max", "delay-sigma", "drip-duration", "stream-interval", "webhook-delay", "webhook-backoff"}
INTS = {"seed", "status", "fail-first", "fail-status", "random-bytes", "stream-count", "webhook-retries"}
CHOICES = {"delay-dist": ["fixed", "uniform", "exponential", "lognormal"], "stream": ["chunked", "sse"],
           "fault": ["close", "reset", "garbage", "bad-chunked", "hang", "drip"], "async": ["off", "ack", "task-id"],
           "on-disconnect": ["continue", "cancel"]}

COMMON = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

text = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20)
small_seconds = st.floats(min_value=0, max_value=0.005, allow_nan=False)
statuses = st.integers(200, 599)
token = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz-"), min_size=1, max_size=12).map(lambda s: "x-" + s)


@pytest.fixture(scope="module")
def client(mock_url: str) -> Iterator[Mock]:
    mock = Mock(mock_url)
    yield mock
    mock.close()


# --- valid behaviours -----------------------------------------------------------------------


@st.composite
def behaviours(draw, sink_url: str) -> dict[str, Any]:
    """A valid, cheap-to-run set of fields (wire names -> normalised values)."""
    fields: dict[str, Any] = {}
    dist = draw(st.sampled_from([None, "fixed", "uniform", "exponential", "lognormal"]))
    if dist or draw(st.booleans()):
        fields["delay"] = draw(small_seconds)
    if dist:
        fields["delay-dist"] = dist
    if dist == "uniform":
        fields["delay-max"] = draw(st.floats(min_value=fields["delay"], max_value=0.01))
    if dist == "lognormal":
        fields["delay-sigma"] = draw(st.floats(min_value=0.01, max_value=1))
    optional = {
        "seed": st.integers(-2**63, 2**63),
        "fail-first": st.integers(0, 2),
        "fail-status": statuses,
        "content-type": st.sampled_from(["text/plain", "application/json", "application/x-test; q=1"]),
        "headers": st.dictionaries(token, text, max_size=3),
        "async": st.sampled_from(CHOICES["async"]),
        "on-disconnect": st.sampled_from(CHOICES["on-disconnect"]),
        "webhook-secret": text,
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            fields[name] = draw(strategy)
    status_kind = draw(st.sampled_from(["none", "status", "weights"]))
    if status_kind == "status":
        fields["status"] = draw(statuses)
    elif status_kind == "weights":
        pairs = draw(st.lists(st.tuples(statuses, st.integers(1, 9)), min_size=1, max_size=3))
        fields["status-weights"] = ",".join(f"{s}:{w}" for s, w in pairs)
    body_kind = draw(st.sampled_from([None, "body", "json", "body-base64", "random-bytes"]))
    if body_kind == "body":
        fields["body"] = draw(text)
    elif body_kind == "json":
        fields["json"] = draw(st.recursive(st.none() | st.booleans() | st.integers(-1000, 1000) | text,
                                           lambda inner: st.lists(inner, max_size=3)
                                           | st.dictionaries(text, inner, max_size=3), max_leaves=6))
    elif body_kind == "body-base64":
        fields["body-base64"] = base64.b64encode(draw(st.binary(max_size=40))).decode()
    elif body_kind == "random-bytes":
        fields["random-bytes"] = draw(st.integers(0, 64))
    shape = draw(st.sampled_from([None, "stream", "fault"]))
    if shape == "stream":
        fields["stream"] = draw(st.sampled_from(CHOICES["stream"]))
        fields["stream-count"] = draw(st.integers(0, 3))
        fields["stream-interval"] = draw(small_seconds)
    elif shape == "fault":
        fields["fault"] = draw(st.sampled_from(["close", "reset", "garbage", "bad-chunked", "drip"]))
        if fields["fault"] == "drip":
            fields["drip-duration"] = draw(small_seconds)
    if draw(st.booleans()):
        fields["webhook-url"] = sink_url
        fields["webhook-delay"] = draw(small_seconds)
        fields["webhook-retries"] = draw(st.integers(0, 2))
        fields["webhook-backoff"] = draw(small_seconds)
    return fields


def as_text(name: str, value: Any) -> str:
    """How a value is written in a header or a query string."""
    if name in ("json", "headers"):
        return json.dumps(value)
    if name in FLOATS:
        return repr(float(value))
    return str(value)


def send(mock: Mock, channel: str, fields: dict[str, Any], correlation: str) -> httpx.Response | None:
    """Send a request carrying `fields` in one channel (values already text for
    header and query); None when a fault broke the connection."""
    headers: dict[str, str] = {"X-Mock-Correlation": correlation}
    params: dict[str, str] = {}
    body = b"plain body"
    if channel == "header":
        headers.update({f"X-Mock-{name}": value for name, value in fields.items()})
    elif channel == "query":
        params = {f"mock-{name}": value for name, value in fields.items()}
    elif channel == "body":
        body = json.dumps({"mock": fields, "prompt": "p"}).encode()
    try:
        return mock.post("/prop", params=params, headers=headers, content=body)
    except httpx.TransportError:
        return None


def only_entry(mock: Mock, correlation: str) -> dict:
    [entry] = mock.journal(correlation)
    return entry


def normalised(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: float(value) if name in FLOATS else value for name, value in fields.items()}


@pytest.mark.parametrize("channel", ["header", "query", "body"])
def test_valid_behaviours_round_trip(client, channel):
    @COMMON
    @given(fields=behaviours(client.sink_url("prop-" + channel)))
    def check(fields):
        correlation = "prop-" + uuid.uuid4().hex
        wire = fields if channel == "body" else {name: as_text(name, value) for name, value in fields.items()}
        send(client, channel, wire, correlation)  # its answer may be any status, 400 included (fail-status)
        entry = only_entry(client, correlation)
        assert "error" not in entry, entry["error"]  # not refused
        assert entry["behaviour"] == {**normalised(fields), "correlation": correlation}

    check()


def test_scenarios_round_trip(client):
    @COMMON
    @given(fields=behaviours(client.sink_url("prop-scenario")), status=st.integers(200, 599))
    def check(fields, status):
        if "status" in fields:
            fields["status"] = status  # 1xx too: a registered scenario is never run here
        name = "prop-" + uuid.uuid4().hex[:16]
        response = client.put_scenario(name, fields)
        try:
            assert response.status_code == 201, response.text
            assert response.json()["fields"] == normalised(fields)
            assert client.get(f"/_mock/scenarios/{name}").json()["fields"] == normalised(fields)
        finally:
            client.http.delete(f"/_mock/scenarios/{name}")

    check()


# --- invalid fields -------------------------------------------------------------------------


@st.composite
def invalid_field(draw, channel: str) -> tuple[str, Any]:
    """(field, value) where the value is invalid for the field in `channel`."""
    name = draw(st.sampled_from(sorted(FIELD_NAMES - {"correlation", "scenario", "json"})))
    textual = channel in ("header", "query")
    if name in FLOATS:
        bad = [st.floats(max_value=-0.001, min_value=-1e6), st.floats(min_value=600.001, max_value=1e9)]
        if name == "delay-sigma":
            bad = [st.floats(max_value=0, min_value=-5), st.floats(min_value=10.001, max_value=1e6)]
        bad.append(st.sampled_from(["abc", "1,5", ""]) if textual else st.sampled_from(["1", True, None, [1]]))
        return name, draw(st.one_of(bad))
    if name in INTS:
        ranges = {"status": (200, 599), "fail-status": (200, 599), "random-bytes": (0, 32 * 1024 * 1024),
                  "stream-count": (0, 100_000), "webhook-retries": (0, 20), "fail-first": (0, 1_000_000),
                  "seed": (-2**63, 2**63)}
        low, high = ranges[name]
        bad = [st.integers(max_value=low - 1, min_value=low - 10**6), st.integers(min_value=high + 1,
                                                                                   max_value=high + 10**6)]
        bad.append(st.sampled_from(["1.5", "x", ""]) if textual else st.sampled_from([1.5, "1", False, None]))
        return name, draw(st.one_of(bad))
    if name in CHOICES:
        value = draw(text.filter(lambda v: v not in CHOICES[name]))
        return name, value if textual else draw(st.sampled_from([value, 1, None]))
    invalid = {
        "status-weights": st.sampled_from(["200", "200:x", "99:1", "200:-1", "a:b", "200:0"]),
        "body-base64": st.sampled_from(["***", "abc", "a b c d"]),
        "content-type": st.sampled_from(["" if textual else "", "a" * 257]),
        "headers": st.sampled_from(['{"bad name": "v"}', '{"X-A": 1}', '{"Content-Length": "1"}', "[]"]),
        "webhook-url": st.sampled_from(["http://10.1.2.3/x", "https://example.org/", "file:///etc/passwd", "x"]),
        "webhook-secret": st.just("s" * 1025),
        "body": st.just(None),
    }[name]
    value = draw(invalid)
    if name == "body" and textual:
        return "bodyx", "1"  # any text is a valid body: use an unknown field instead
    if name == "headers" and not textual:
        value = json.loads(value) if value != '{"X-A": 1}' else {"X-A": 1}
    return name, value


@pytest.mark.parametrize("channel", ["header", "query", "body", "scenario"])
def test_an_invalid_field_is_named(client, channel):
    @COMMON
    @given(bad=invalid_field(channel), extra_status=st.one_of(st.none(), statuses))
    def check(bad, extra_status):
        name, value = bad
        fields = {name: value}
        if extra_status is not None and name not in ("status", "status-weights"):
            fields["status"] = extra_status  # a valid neighbour does not change the verdict
        correlation = "bad-" + uuid.uuid4().hex
        if channel == "scenario":
            response = client.put_scenario("bad-" + uuid.uuid4().hex[:12], fields)
        else:
            if channel != "body":
                fields = {k: (v if isinstance(v, str) else as_text(k, v)) for k, v in fields.items()}
            response = send(client, channel, fields, correlation)
        assert response is not None
        assert response.status_code == 400, (fields, response.text)
        body = response.json()
        assert body["field"] == name and body["channel"] == channel, (fields, body)
        if channel != "scenario":
            entry = only_entry(client, correlation)
            assert entry["error"]["field"] == name and entry["status"] == 400

    check()


@COMMON
@given(name=st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz-0123456789"), min_size=1, max_size=20)
       .filter(lambda n: n not in FIELD_NAMES))
def test_unknown_field_names_are_named(client, name):
    response = client.get(params={f"mock-{name}": "1"})
    assert response.status_code == 400
    assert response.json()["field"] == name


@COMMON
@given(body=st.binary(max_size=4096))
def test_any_body_is_recorded_exactly(client, body):
    correlation = "bin-" + uuid.uuid4().hex
    response = client.post("/bin", content=body, headers={"X-Mock-Correlation": correlation})
    assert response.status_code == 200
    entry = only_entry(client, correlation)
    assert entry["body_size"] == len(body)
    assert entry["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert base64.b64decode(entry["body_base64"]) == body


# --- anything at all: never a crash ---------------------------------------------------------


@pytest.fixture(scope="module")
def tiny():
    """A mock whose caps bound every generated behaviour (50 ms, 100 kB)."""
    from tests.conftest import start_mock

    server = start_mock("--max-delay", "0.05", "--max-body", "100000", name="mock-fuzz")
    mock = Mock(server.url)
    yield server, mock
    mock.close()
    try:
        assert mock_is_healthy(server.url)
        assert "Traceback" not in server.output(), server.output()[-3000:]  # nothing failed inside
    finally:
        server.stop()


def mock_is_healthy(url: str) -> bool:
    return httpx.get(url + "/health", timeout=5).status_code == 200


junk = st.one_of(st.integers(), st.floats(), st.booleans(), st.none(), st.text(max_size=8),
                 st.sampled_from(["{}", "[]", "1e400", "nan", "0x10", " 1 ", "１", "-0", "200:1,", "http://[::1"]),
                 st.recursive(st.none() | st.integers() | st.text(max_size=5),
                              lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                          max_size=3), max_leaves=4))


def plausible(name: str) -> st.SearchStrategy:
    """Values near the valid ones for `name`, so generated requests get past the
    first check and reach the rules between fields and the run itself."""
    if name in FLOATS:
        return st.floats(min_value=-0.01, max_value=0.06) | st.sampled_from([0, 0.0, 1e-9])
    if name in INTS:
        return st.integers(-10, 10) | st.integers(95, 605) | st.integers(-2**64, 2**64)
    if name in CHOICES:
        return st.sampled_from(CHOICES[name])
    return {
        "status-weights": st.sampled_from(["200:1", "200:0.5,500:0.5", "204:1,304:1", "200:1", "599:0.1"]),
        "webhook-url": st.sampled_from(["http://127.0.0.1:9/x", "http://localhost:9/", "http://[::1]:9/"]),
        "headers": st.dictionaries(token, text, max_size=2),
        "body-base64": st.binary(max_size=20).map(lambda b: base64.b64encode(b).decode()),
        "json": junk,
    }.get(name, text)


def mostly(good: st.SearchStrategy, bad: st.SearchStrategy, one_in: int = 8) -> st.SearchStrategy:
    """`good`, except one time in `one_in`: one bad field stops the parse, so most must pass."""
    return st.integers(1, one_in).flatmap(lambda roll: bad if roll == 1 else good)


field_pair = st.sampled_from(sorted(FIELD_NAMES - {"scenario"})).flatmap(
    lambda name: st.tuples(st.just(name), mostly(plausible(name), junk)))
unknown_pair = st.tuples(st.text(st.sampled_from("abcdefgh-_1"), min_size=1, max_size=8), junk)
any_fields = st.lists(mostly(field_pair, unknown_pair, 12), min_size=1, max_size=6,
                      unique_by=lambda pair: pair[0]).map(dict)


def header_safe(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return "".join(c for c in text if 0x20 <= ord(c) <= 0xFF and c != "\x7f").strip()


def not_crashed(response: httpx.Response) -> None:
    assert not (response.status_code == 500 and response.content == b"Internal Server Error")
    if response.status_code == 400 and response.headers["content-type"] == "application/json":
        assert response.json()["field"]


@settings(max_examples=150, deadline=None)
@given(fields=any_fields, as_query=st.booleans())
def test_arbitrary_text_fields_never_crash_the_server(tiny, fields, as_query):
    server, mock = tiny
    try:
        if as_query:
            response = mock.get("/fuzz", params={f"mock-{k}": header_safe(v) for k, v in fields.items()})
        else:
            response = mock.get("/fuzz", headers={f"X-Mock-{k}": header_safe(v).encode("latin-1")
                                                  for k, v in fields.items()})
    except httpx.TransportError:
        return  # a generated connection fault did its job
    not_crashed(response)


@settings(max_examples=150, deadline=None)
@given(fields=any_fields)
def test_arbitrary_json_fields_never_crash_the_server(tiny, fields):
    server, mock = tiny
    try:
        response = mock.post("/fuzz", content=json.dumps({"mock": fields}).encode())
    except httpx.TransportError:
        return
    not_crashed(response)

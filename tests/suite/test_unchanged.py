"""The one rule for "the container got the request unchanged" (conformance.judge.unchanged), pinned
difference by difference: each one it tolerates, and each one it reports."""

from __future__ import annotations

import pytest

from conformance.judge.unchanged import RequestShape, differences, same_field_lines

BODY = b'{"prompt": "x"}'


def shape(method: str = "POST", path: str = "/v1/a", query: str = "q=1&n=2", body: bytes = BODY,
          content_type: str | None = "application/json", headers: tuple[tuple[str, str], ...] = ()) -> RequestShape:
    return RequestShape.sent(method, path, query, body, content_type, headers)


SENT = shape()


@pytest.mark.parametrize(("why", "got"), [
    ("the same request", shape()),
    ("an encoded unreserved character decoded (RFC 3986 §6.2.2.2)", shape(path="/v1/%61")),
    ("the query re-encoded to the same pairs", shape(query="q=%31&n=%32")),
    ("whitespace around the Content-Type", shape(content_type=" application/json ")),
])
def test_tolerated(why: str, got: RequestShape) -> None:
    assert differences(SENT, got) == [], why


@pytest.mark.parametrize(("sent", "got"), [
    (shape(path="/v1/%C3%A9"), shape(path="/v1/%c3%a9")),  # hex case of an encoding (§6.2.2.1)
    (shape(path="/v1/~x"), shape(path="/v1/%7Ex")),
    (shape(path="/v1/%7ex"), shape(path="/v1/~x")),
    (shape(query="a=b%20c"), shape(query="a=b+c")),
    (shape(query="a=%2C"), shape(query="a=,")),
])
def test_tolerated_pairs(sent: RequestShape, got: RequestShape) -> None:
    assert differences(sent, got) == []


@pytest.mark.parametrize(("got", "phrase"), [
    (shape(method="PUT"), "method 'PUT' instead of 'POST'"),
    (shape(path="/v1/b"), "path '/v1/b' instead of '/v1/a'"),
    (shape(query="q=1"), "query 'q=1' instead of 'q=1&n=2'"),
    (shape(query="n=2&q=1"), "query 'n=2&q=1'"),  # order is part of a query
    (shape(query="q=1&n=2&n="), "query 'q=1&n=2&n='"),  # a blank value is a value
    (shape(body=b""), "a body of 0 bytes"),
    (shape(body=BODY + b" "), f"a body of {len(BODY) + 1} bytes"),
    (shape(content_type="text/plain"), "Content-Type 'text/plain' instead of 'application/json'"),
    (shape(content_type=None), "Content-Type None instead of 'application/json'"),
])
def test_reported(got: RequestShape, phrase: str) -> None:
    found = differences(SENT, got)
    assert len(found) == 1 and phrase in found[0], found


@pytest.mark.parametrize(("sent_path", "got_path"), [
    ("/v1/a%2Fb", "/v1/a/b"),  # a reserved character and its encoding are different URIs (§2.2)
    ("/v1/x%3By", "/v1/x;y"),
    ("/v1/q%3Fx", "/v1/q?x"),
    ("/v1/p%25x", "/v1/p%x"),
    ("/v1//empty", "/v1/empty"),  # an empty segment is not a merged one
    ("/v1/a", "/v1/a/"),
])
def test_what_only_gw_sync_05_judges_is_still_reported(sent_path: str, got_path: str) -> None:
    """The MUSTs are kept off these by the paths they send, not by a laxer rule."""
    found = differences(shape(path=sent_path), shape(path=got_path))
    assert found == [f"path {got_path!r} instead of {sent_path!r}"]


def test_a_content_type_where_none_was_sent_is_reported() -> None:
    assert differences(shape(content_type=None), shape()) == ["Content-Type 'application/json' instead of None"]


def test_named_headers_compare_by_value_in_order_and_others_are_ignored() -> None:
    sent = shape(headers=(("X-A", "1"), ("X-B", "2"), ("X-B", "3")))
    assert differences(sent, shape(headers=(("x-a", "1"), ("x-b", "2"), ("x-b", "3"), ("X-Other", "z"))), ["X-A", "X-B"]) == []
    assert differences(sent, sent) == []
    (found,) = differences(sent, shape(headers=(("X-A", "1"), ("X-B", "3"), ("X-B", "2"))), ["X-A", "X-B"])
    assert found == "header x-b ['3', '2'] instead of ['2', '3']"
    (found,) = differences(sent, shape(headers=(("X-B", "2"), ("X-B", "3"))), ["X-A", "X-B"])
    assert found == "header x-a [] instead of ['1']"


def test_every_difference_is_reported_not_only_the_first() -> None:
    found = differences(SENT, shape(method="GET", path="/v1/b", body=b"", content_type=None))
    assert [phrase.split()[0] for phrase in found] == ["method", "path", "a", "Content-Type"]


@pytest.mark.parametrize(("sent", "got", "same"), [
    (["wait=5"], ["wait=5"], True),
    (["  wait=5 "], ["wait=5"], True),  # whitespace around a field value is not part of it (RFC 9110 §5.5)
    (["wait=5", "return=minimal"], ["wait=5, return=minimal"], True),  # lines combined (§5.3)
    (["wait=5", "return=minimal"], ["wait=5,return=minimal"], True),
    (["a", "b", "c"], ["a, b", "c"], True),
    ([""], [""], True),
    (["wait=5"], ["Wait=5"], False),  # nothing inside a line may change
    (["wait=5, return=minimal"], ["wait=5,return=minimal"], False),
    (['x="a, b"'], ["x=a, b"], False),
    (["wait=5"], [], False),
    ([""], [], False),
    (["wait=5"], ["wait=5", "wait=5"], False),
    (["a", "b"], ["b, a"], False),
])
def test_prefer_lines_of_a_synchronous_request(sent: list[str], got: list[str], same: bool) -> None:
    assert same_field_lines(sent, got) is same

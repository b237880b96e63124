"""Header hygiene of the forwarding path (RFC 9110 §7.6.1)."""

from __future__ import annotations

from conformance.reference.proxy import end_to_end


def test_hop_by_hop_and_connection_listed_fields_are_removed() -> None:
    headers = [
        (b"Connection", b"keep-alive, X-Secret-Hop"),
        (b"Keep-Alive", b"timeout=5"),
        (b"Transfer-Encoding", b"chunked"),
        (b"TE", b"trailers"),
        (b"Trailer", b"x"),
        (b"Upgrade", b"h2c"),
        (b"Proxy-Authorization", b"Basic x"),
        (b"X-Secret-Hop", b"1"),
        (b"X-Keep", b"a"),
        (b"Set-Cookie", b"a=1"),
        (b"Set-Cookie", b"b=2"),
        (b"Content-Type", b"application/octet-stream"),
    ]
    assert end_to_end(headers, drop=[b"Host"]) == [
        (b"x-keep", b"a"),
        (b"set-cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
        (b"content-type", b"application/octet-stream"),
    ]


def test_values_are_kept_byte_for_byte_without_surrounding_whitespace() -> None:
    # RFC 9110 §5.5: the whitespace around a field value is not part of it.
    headers = [(b"prefer", b"wait=5 ;  x=\"\xe9\" \t "), (b"host", b"gateway")]
    assert end_to_end(headers, drop=[b"host"]) == [(b"prefer", b"wait=5 ;  x=\"\xe9\"")]

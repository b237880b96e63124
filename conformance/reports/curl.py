"""A failure's reproduction: the curl commands that resend the request that showed it.

Built from recorded exchanges (the JSON document's `exchange` objects), so
it also works on a saved run. A follow-up request (a status or result GET
naming the Id of an earlier submission) is reproduced as a small script:
the submission first, its Id read from the 202 body, then the follow-up
after the pause the suite made. Credentials were redacted before recording;
they come back as shell variables the reader sets (`$AUTHORIZATION`).
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import unicodedata
from dataclasses import asdict
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from conformance.judge.model import REDACTED, ResultDocument

__all__ = ["curl_command", "reproduction", "variable_for", "add_reproductions", "shell_word", "comment"]

Exchange = dict[str, Any]

#: headers curl writes itself (or that only describe httpx)
_SKIP = frozenset({"host", "content-length", "connection", "accept-encoding", "user-agent", "transfer-encoding"})
_ID_EXTRACT = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"Id\"])'"
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_HEX = re.compile(r"[0-9a-f]{64}")
#: a redacted query parameter value in a recorded URL: `?key=<redacted>`
_REDACTED_PARAM = re.compile(r"[?&;]([A-Za-z0-9_.\-]{1,64})=" + re.escape(REDACTED))
#: the shell variable standing for the userinfo redacted from a URL
USERINFO = "URL_USERINFO"


def _unsafe(char: str) -> bool:
    """A character a reader cannot see for what it is: controls, format characters (bidi overrides), separators."""
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def _escaped(char: str, shell: bool) -> str:
    named = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
    if char in named:
        return named[char]
    if shell:  # bash's $'\xHH' is one byte: a header value's latin-1 byte, else the UTF-8 bytes
        data = char.encode("latin-1") if ord(char) < 256 else char.encode("utf-8")
        return "".join(f"\\x{byte:02x}" for byte in data)
    return f"\\x{ord(char):02x}" if ord(char) < 256 else f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}"


def shell_word(text: str) -> str:
    """`text` as exactly one shell word on one line: single-quoted, or $'...' with every unseen character escaped.

    Everything a reproduction takes from a recording (URLs, header values,
    the Id) goes through here, so no byte from the gateway can end a quote,
    start a command, or hide on the screen (a newline, an escape sequence, a
    right-to-left override).
    """
    if not any(_unsafe(char) for char in text):
        return shlex.quote(text)
    out = []
    for char in text:
        if char in ("\\", "'"):
            out.append("\\" + char)
        elif _unsafe(char):
            out.append(_escaped(char, shell=True))
        else:
            out.append(char)
    return "$'" + "".join(out) + "'"


def comment(text: str) -> str:
    """`text` as one `#` comment line: every unseen character (a newline above all) shown as an escape."""
    return "# " + "".join(_escaped(char, shell=False) if _unsafe(char) else char for char in str(text))


def variable_for(header: str) -> str:
    """`X-Api-Key` -> `X_API_KEY`: the shell variable standing for a redacted value."""
    name = re.sub(r"[^A-Za-z0-9]", "_", header).upper().strip("_") or "SECRET"
    return name if not name[0].isdigit() else f"H_{name}"


def _spans(text: str, value: str | None, variable: str) -> list[tuple[int, int, str]]:
    """Where `value` occurs in `text`, each to stand as "${variable}"."""
    found, at = [], text.find(value) if value else -1
    while value and at >= 0:
        found.append((at, at + len(value), variable))
        at = text.find(value, at + len(value))
    return found


def _word(text: str, spans: Sequence[tuple[int, int, str]] = ()) -> str:
    """`text` as one shell word, the given (start, end, VARIABLE) spans standing as "${VARIABLE}"."""
    pieces, last = [], 0
    for start, end, variable in sorted(spans):
        if start < last:
            continue  # overlapping: the first one wins
        if start > last:
            pieces.append(shell_word(text[last:start]))
        pieces.append(f'"${{{variable}}}"')
        last = end
    if last < len(text) or not pieces:
        pieces.append(shell_word(text[last:]))
    return "".join(pieces)


def _header_arg(name: str, value: str, id_value: str | None) -> str:
    if value == "":
        return "-H " + shell_word(f"{name};")  # `Name:` with nothing after it would remove the header
    line = f"{name}: {value}"
    return "-H " + _word(line, _spans(line, REDACTED, variable_for(name)) + _spans(line, id_value, "ID"))


def _url_args(url: str, id_value: str | None) -> tuple[list[str], list[str]]:
    """(curl arguments, comment lines) for a recorded URL: its redacted userinfo and query values become variables."""
    notes, args = [], []
    if f"://{REDACTED}@" in url:
        url = url.replace(f"{REDACTED}@", "", 1)
        args.append(f'-u "${{{USERINFO}}}"')
        notes.append(comment(f"{USERINFO}: the user:password of the URL you gave the suite (redacted from the report)"))
    spans = _spans(url, id_value, "ID")
    for match in _REDACTED_PARAM.finditer(url):
        variable = variable_for(match.group(1))
        spans.append((match.end() - len(REDACTED), match.end(), variable))
        notes.append(comment(f"{variable}: the value of the {match.group(1)} query parameter (redacted from the report)"))
    return [_word(url, spans), *args], notes


def _header(exchange: Exchange, name: str) -> str | None:
    for key, value in exchange["request"]["headers"]:
        if key.lower() == name:
            return value
    return None


def _body_args(exchange: Exchange) -> tuple[list[str], str | None, list[str]]:
    """(curl arguments, a command to pipe into curl, comment lines) for the request body."""
    request = exchange["request"]
    body = request["body"]
    sends = body["size"] > 0 or any(k.lower() in ("content-length", "transfer-encoding") for k, _ in request["headers"])
    if not sends:
        return [], None, []
    args = [] if _header(exchange, "content-type") is not None else ["-H 'Content-Type:'"]  # curl would add its own
    text = body.get("text")
    size = int(body["size"])
    if size == 0:
        return args + ["--data-binary ''"], None, []
    whole = text is not None and not body.get("truncated")
    if whole and not any(_unsafe(char) for char in text if char not in "\n\t"):
        return args + ["--data-raw " + shell_word(text)], None, []
    if whole:  # other control characters: their bytes exactly, whatever the locale
        encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
        return args + ["--data-binary @-"], f"printf %s {encoded} | base64 --decode", []
    kept = body.get("base64")
    if isinstance(kept, str) and _BASE64.fullmatch(kept):
        return args + ["--data-binary @-"], f"printf %s {kept} | base64 --decode", []
    kind = "binary" if body.get("binary") else "text"
    digest = body.get("sha256") if isinstance(body.get("sha256"), str) and _HEX.fullmatch(body["sha256"]) else "unknown"
    note = [comment(f"body.bin: the {size}-byte {kind} body (sha256 {digest}) is not kept whole in the report;"),
            comment("put those bytes in body.bin first")]
    return args + ["--data-binary @body.bin"], None, note


def curl_command(exchange: Exchange, *, max_time: float | None = None, id_value: str | None = None,
                 capture_id: bool = False) -> str:
    """The curl command line (with any comment lines before it) that resends one recorded request.

    With `id_value`, occurrences of that Id in the URL and headers become
    `$ID`; with `capture_id`, the command stores the 202 body's Id in `ID`.
    Every value taken from the recording is one quoted shell word
    (`shell_word`), every comment one line (`comment`).
    """
    request = exchange["request"]
    method = str(request["method"]).upper()
    args = ["curl", "-sS"] if capture_id else ["curl", "-sS", "-i"]
    if exchange.get("chunks"):
        args.append("-N")  # show a streamed body as it arrives
    if max_time:
        args.append(f"--max-time {float(max_time):g}")
    if method == "HEAD":
        args.append("--head")
    elif method != "GET" or (request["body"]["size"] > 0):
        args.append(f"-X {shell_word(method)}")
    url_args, comments = _url_args(str(request["url"]), id_value)
    args += url_args
    for name, value in request["headers"]:
        lower = name.lower()
        if lower in _SKIP or (lower == "accept" and value == "*/*"):
            continue
        if REDACTED in value:
            comments.append(comment(f"{variable_for(name)}: the {name} value you gave the suite (redacted from the report)"))
        args.append(_header_arg(name, value, id_value))
    body_args, pipe, notes = _body_args(exchange)
    args += body_args
    command = " ".join(args)
    if pipe:
        command = f"{pipe} | {command}"
    if capture_id:
        command = f"ID=$({command} | {_ID_EXTRACT})"
    return "\n".join([*dict.fromkeys(comments), *notes, command])


def _accept_id(exchange: Exchange) -> str | None:
    """The Id of a respond-async accept, read from its recorded 202 body."""
    response = exchange.get("response")
    if not response or response["status"] != 202 or response["body"].get("text") is None:
        return None
    try:
        document = json.loads(response["body"]["text"])
    except ValueError:
        return None
    if not isinstance(document, dict) or "StatusPath" not in document:
        return None  # a pending result's 202 carries an Id too, but is no accept
    value = document.get("Id")
    return value if isinstance(value, str) and value else None


def _submission_of(exchange: Exchange, exchanges: Sequence[Exchange]) -> tuple[Exchange, str] | None:
    """The earlier accepted submission whose Id this (status or result) request names."""
    named = _header(exchange, "x-inference-id")
    if not named or exchange["request"]["method"].upper() != "GET":
        return None
    for earlier in exchanges:
        if earlier["seq"] >= exchange["seq"] or earlier["target"] != exchange["target"]:
            continue
        if _accept_id(earlier) == named:
            return earlier, named
    return None


def _is_gateway(exchange: Exchange) -> bool:
    """A request to what is judged (a gateway, or a container in a container run), not to the suite's instruments."""
    return exchange.get("target") not in ("mock", "sink")


def _journal_hint(exchange: Exchange, failure_exchanges: Sequence[Exchange]) -> list[str]:
    """Where to look at what the container got, when the failure was judged from the mock's journal."""
    correlation = _header(exchange, "x-mock-correlation")
    journal = [e for e in failure_exchanges if e.get("target") == "mock" and "/_mock/journal" in e["request"]["url"]]
    if not correlation or not journal:
        return []
    parts = urlsplit(journal[0]["request"]["url"])
    url = f"{parts.scheme}://{parts.netloc}/_mock/journal?correlation={quote(correlation, safe='')}"
    args, notes = _url_args(url, None)
    return [*notes, comment("then see what the container received (the mock container's journal):"),
            "curl -sS " + " ".join(args)]


def reproduction(
    failure_exchanges: Sequence[Exchange],
    check_exchanges: Sequence[Exchange],
    *,
    title: Sequence[str] = (),
    case: str | None = None,
    max_time: float | None = None,
) -> str | None:
    """A copy-pasteable shell snippet resending the request that showed a failure; None without one.

    The request is the failure's own gateway request (the last follow-up
    of a submission when there is one, else the first); a failure that
    points at none falls back to its case's, then its check's, first
    gateway request.
    """
    candidates = [e for e in failure_exchanges if _is_gateway(e)]
    if not candidates:
        candidates = [e for e in check_exchanges if _is_gateway(e) and (case is None or e.get("case") == case)]
        candidates = candidates or [e for e in check_exchanges if _is_gateway(e)]
    if not candidates:
        return None
    # bash ends a comment at a newline only; every other character stays inside it (escaped, so it shows)
    lines = [comment(line) for text in title for line in str(text).split("\n") if line.strip()]
    follow_ups = [(e, _submission_of(e, check_exchanges)) for e in candidates]
    follow_ups = [(e, found) for e, found in follow_ups if found is not None]
    if follow_ups:
        chosen, (submission, inference_id) = follow_ups[-1]
        started = chosen["started_at"] - (submission["started_at"] + (submission.get("elapsed") or 0.0))
        lines.append(comment(f"1. the submission (request #{int(submission['seq'])}); the gateway named it {inference_id!r}"))
        lines.append(curl_command(submission, max_time=max_time, capture_id=True))
        if started >= 0.05:
            lines.append(f"sleep {max(round(float(started), 1), 0.1):g}  # the suite sent the next request this much later")
        lines.append(comment(f"2. request #{int(chosen['seq'])}, which showed the failure"))
        lines.append(curl_command(chosen, max_time=max_time, id_value=inference_id))
    else:
        chosen = candidates[0]
        if len(candidates) > 1:
            lines.append(comment(f"request #{int(chosen['seq'])}, the first of the {len(candidates)} requests this failure points at"))
        lines.append(curl_command(chosen, max_time=max_time))
    lines += _journal_hint(chosen, failure_exchanges)
    return "\n".join(lines)


def add_reproductions(document: ResultDocument) -> ResultDocument:
    """Give each failure of `document` the curl commands that resend the request that showed it.

    Built from the document's own (already redacted) exchanges, so it works
    the same on a live run and on a saved one.
    """
    max_time = float(document.parameters.get("request_timeout") or 10.0)
    plain = {record.name: [asdict(e) for e in record.exchanges] for record in document.checks}
    for result in document.requirements:
        for failure in result.failures:
            if failure.check not in plain:
                continue
            title = [f"{result.id} ({result.level}): {failure.reason}"]
            title += [f"{label}: {value}" for label, value in (("expected", failure.expected), ("actual", failure.actual))
                      if value]
            failure.reproduction = reproduction([asdict(e) for e in failure.exchanges], plain[failure.check],
                                                title=title, case=failure.case, max_time=max_time)
    return document

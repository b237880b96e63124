"""Item 3 of issue #14: a known secret fed through every path a gateway can send it back on is in no report.

tests/hostile/leaky_gateway.py spreads the run's credentials (the `-H`
values and the userinfo of `--gateway`) into its answers: plain,
percent-encoded, JSON-escaped, base64 at two alignments, in a URL query
(`?sig=`), in response headers, cut where the suite cuts texts (at 200
characters in a failure message, at 2048 in a kept body); it also sends the
container a credential of its own, which the mock's journal and echo show.
Every report of the run (the JSON document with its curl reproductions,
the console with pytest's -v lines, JUnit XML, HTML) is searched for each
secret in each of those forms, and in the forms the reports themselves
write (HTML and XML escaping).
"""

from __future__ import annotations

import base64
import html
import json
from urllib.parse import quote, quote_plus

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.http.redact import REDACTED, Secrets, scrub
from tests.hostile.leaky_gateway import CONTAINER_TOKEN
from tests.suite.runner import gateway_cmd

KEY = 'sk-"live"/Key+9==Zx7Q'  # '"' and '/' change under JSON, '+', '=' and '/' under percent-encoding
SHORT = "k~9!"  # under 6 characters: redacted where it stands whole
PASSWORD = "pw-userinfo-55"
USERINFO = f"alice:{PASSWORD}"
#: long secrets and the forms they travel in; the short one only where it stands whole
LONG = (KEY, CONTAINER_TOKEN, PASSWORD, USERINFO)


def forms(secret: str) -> set[str]:
    raw = secret.encode()
    found = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), json.dumps(secret)[1:-1],
             base64.b64encode(raw).decode(), base64.b64encode(raw).decode().rstrip("="),
             base64.b64encode(b"ab" + raw).decode()[4:16],  # the secret inside a longer base64 text
             secret[:5], json.dumps(secret[:5])[1:-1]}  # what a cut leaves
    return found | {html.escape(form) for form in found} | {form.replace('"', "&#34;") for form in found}


NEEDLES = sorted(set().union(*(forms(secret) for secret in LONG)) | {SHORT, quote(SHORT, safe="")})


def leaks(text: str) -> list[str]:
    return [needle for needle in NEEDLES if needle in text]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("leaky")
    files = {"json": folder / "run.json", "junit": folder / "junit.xml", "html": folder / "report.html",
             "markdown": folder / "summary.md"}
    result = CliRunner().invoke(main, [
        "run", "--gateway-cmd", gateway_cmd("tests.hostile.leaky_gateway:Gateway", other=False),
        "--gateway", f"http://{USERINFO}@127.0.0.1:{{port}}/mock", "-H", f"X-Api-Key: {KEY}", "-H", f"X-Short: {SHORT}",
        "-k", "GW-STATUS-01", "-k", "GW-SYNC-01", "-k", "GW-ASYNC-07", "-v",
        "--json", str(files["json"]), "--junit-xml", str(files["junit"]), "--html", str(files["html"]),
        "--markdown", str(files["markdown"])])
    texts = {name: path.read_text(encoding="utf-8") for name, path in files.items() if path.exists()}
    texts["console"] = result.output
    document = json.loads(texts["json"])
    texts["curl"] = "\n".join(f.get("reproduction") or "" for r in document["requirements"] for f in r["failures"])
    assert result.exit_code == 1, result.output
    return texts


@pytest.mark.parametrize("report", ["json", "console", "junit", "html", "curl", "markdown"])
def test_no_report_holds_a_secret_in_any_form(reports: dict[str, str], report: str) -> None:
    assert reports[report], f"the {report} report is empty"
    assert not leaks(reports[report]), f"the {report} report holds {leaks(reports[report])}"


def test_the_run_did_carry_the_secrets_where_they_were_redacted(reports: dict[str, str]) -> None:
    """The secrets were there to be found: the gateway's answers were recorded and redacted, not missing."""
    document = json.loads(reports["json"])
    status = next(r for r in document["requirements"] if r["id"] == "GW-STATUS-01")
    assert status["outcome"] == "failed" and REDACTED in status["failures"][0]["reason"]
    bodies = [e["response"]["body"].get("text") or "" for check in document["checks"] for e in check["exchanges"]
              if e.get("response")]
    assert any(body.startswith("Status? plain=<redacted>") and body.endswith(REDACTED) for body in bodies)
    assert any('"authorization","<redacted>"' in body.replace(" ", "").lower() for body in bodies)  # the journal
    assert f"http://{REDACTED}@127.0.0.1" in reports["json"] and "?sig=<redacted>" in reports["json"]
    assert "${X_API_KEY}" in reports["curl"] and "${URL_USERINFO}" in reports["curl"]


@pytest.mark.parametrize("text", [
    f"{'.' * 150}{KEY[:6]}",  # a body kept to its first characters
    f"quoted: {KEY[:9]}… [3000 chars]",  # a failure message's quote
    base64.b64encode(b"xyz" + KEY.encode() + b"!").decode(),
    f'{{"X-Short": "{SHORT}"}}', f"X-Short: {SHORT}", SHORT,
    f'[["Authorization", "Bearer {CONTAINER_TOKEN}"]] and later {CONTAINER_TOKEN}',
    f"http://{USERINFO}@gw.example/x?api_key={quote(KEY, safe='')}&n=1",
])
def test_each_form_alone_is_redacted(text: str) -> None:
    secrets = Secrets.of([KEY, SHORT])
    assert not leaks(scrub([text], secrets)[0])


def test_userinfo_never_travels_in_host_and_its_url_is_recorded_without_it() -> None:
    """A `user:pass@` in the gateway URL becomes Basic credentials; Host names the host alone, on every send path."""
    import asyncio

    from conformance.checks.client import GatewayClient
    from conformance.http.origins import OriginPolicy
    from conformance.http.recording import Recorder, Transcript, recording_client
    from conformance.http.wire import WireTransport
    from tests.hostile.capture import capture_server

    async def send(base: str) -> Transcript:
        transcript = Transcript("c", Recorder())
        async with WireTransport() as wire:
            http = recording_client(wire, transcript, "gateway", timeout=5.0)
            client = GatewayClient(http, base=base, timeout=5.0, policy=OriginPolicy.of([base]))
            await client.request("GET", client.url("/plain"))
            await client.raw("GET", client.url("/raw"), headers=[], raw_headers=[("Prefer", b" respond-async ")])
        return transcript

    with capture_server() as capture:
        base = capture.url.replace("http://", f"http://{USERINFO}@") + "/mock"
        transcript = asyncio.run(send(base))
    host = capture.host_port
    assert [seen.header("Host") for seen in capture.requests] == [[host], [host]]
    assert capture.requests[0].header("Authorization") == [
        "Basic " + base64.b64encode(USERINFO.encode()).decode()]  # the credentials, as credentials
    assert all(PASSWORD not in record.request.url and "alice" not in record.request.url
               for record in transcript.exchanges)

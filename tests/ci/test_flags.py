"""Every flag and environment variable the README promises, through the real command line, with its effect.

One table per command. Each row runs `conformance run` (or `conformance
container`) with a flag or its CONFORMANCE_* variable and checks what the
flag is for, in the JSON document and the output, not only that it was
accepted. Flags covered elsewhere: -H and CONFORMANCE_HEADER, -k and
--gateway/--container-url variables (tests/suite/test_cli.py);
--expected-failures, CONFORMANCE_EXPECTED_FAILURES, --allow-stale
(tests/ci/test_expected_failures.py); --baseline, --markdown
(tests/ci/test_diff.py); --junit-xml, --html (tests/reports); the container
flags not listed here (tests/container/test_cli.py, test_proof.py).
The load run's "a worker whose record never arrives makes the run exit 2" is
the last test.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.runs.launcher import ManagedServer, free_port, python_command
from mock_container.client import MockClient
from tests.ci.conftest import Invocation, invoke

Document = dict[str, Any]
Check = Callable[[Document, Invocation], bool]

#: the property checks judge some of these IDs too: a few generated examples are enough here
QUICK = ["--examples", "3"]


def outcome(rid: str) -> Callable[[Document], str]:
    return lambda doc: next(r["outcome"] for r in doc["requirements"] if r["id"] == rid)


def reason(doc: Document, rid: str) -> str:
    return next(r["reason"] for r in doc["requirements"] if r["id"] == rid)


def submissions(doc: Document, check: str) -> list[dict[str, Any]]:
    found = next(c for c in doc["checks"] if c["name"] == check)
    return [e for e in found["exchanges"] if e["target"] == "gateway"
            and dict(e["request"]["headers"]).get("Prefer") == "respond-async"]


# name -> (gateway, args, env, exit code, what the flag did)
RUN_FLAGS: dict[str, tuple[str, list[str], dict[str, str], int, Check]] = {
    "--strict": ("integers", ["-k", "GW-STATUS-07", "--strict"], {}, 1,
                 lambda d, o: d["summary"]["strict"] and d["summary"]["failed_should"] == ["GW-STATUS-07"]),
    "no --strict": ("integers", ["-k", "GW-STATUS-07"], {}, 0,
                    lambda d, o: not d["summary"]["strict"] and d["summary"]["failed_should"] == ["GW-STATUS-07"]),
    "CONFORMANCE_STRICT": ("integers", ["-k", "GW-STATUS-07"], {"CONFORMANCE_STRICT": "1"}, 1,
                           lambda d, o: d["summary"]["strict"] and "(strict)" in o.text),
    "--other-gateway": ("reference", ["-k", "GW-SEC-01", "--other-gateway", "{other}"], {}, 0,
                        lambda d, o: outcome("GW-SEC-01")(d) == "passed" and d["target"]["other_gateway"].endswith("/other")),
    "no --other-gateway": ("reference", ["-k", "GW-SEC-01"], {}, 0,
                           lambda d, o: outcome("GW-SEC-01")(d) == "skipped" and d["target"]["other_gateway"] is None),
    "CONFORMANCE_OTHER_GATEWAY": ("reference", ["-k", "GW-SEC-01"], {"CONFORMANCE_OTHER_GATEWAY": "{other}"}, 0,
                                  lambda d, o: outcome("GW-SEC-01")(d) == "passed"),
    # the mutant answers the 202 only after the container's D = 2 s: the request times out first
    "--request-timeout": ("slow-accept", ["-k", "GW-ASYNC-05", "--request-timeout", "0.5"], {}, 1,
                          lambda d, o: d["parameters"]["request_timeout"] == 0.5
                          and "ReadTimeout" in reason(d, "GW-ASYNC-05")),
    "default --request-timeout": ("slow-accept", ["-k", "GW-ASYNC-05"], {}, 1,
                                  lambda d, o: "ReadTimeout" not in reason(d, "GW-ASYNC-05")),
    "CONFORMANCE_REQUEST_TIMEOUT": ("slow-accept", ["-k", "GW-ASYNC-05"], {"CONFORMANCE_REQUEST_TIMEOUT": "0.5"}, 1,
                                    lambda d, o: "ReadTimeout" in reason(d, "GW-ASYNC-05")),
    "--concurrency": ("reference", ["-k", "GW-ASYNC-06", "--concurrency", "3", *QUICK], {}, 0,
                      lambda d, o: d["parameters"]["N"] == 3 and len(submissions(d, "ids_unique_and_unguessable")) == 3),
    "CONFORMANCE_CONCURRENCY": ("reference", ["-k", "GW-ASYNC-06", *QUICK], {"CONFORMANCE_CONCURRENCY": "4"}, 0,
                                lambda d, o: len(submissions(d, "ids_unique_and_unguessable")) == 4),
    "--delay": ("reference", ["-k", "GW-ASYNC-05", "--delay", "0.7"], {}, 0,
                lambda d, o: d["parameters"]["D"] == 0.7 and d["parameters"]["T_done"] == 5.7
                and any("mock-delay=0.7" in e["request"]["url"] for e in submissions(d, "submission_accepted"))),
    "CONFORMANCE_DELAY": ("reference", ["-k", "GW-ASYNC-05"], {"CONFORMANCE_DELAY": "1.5"}, 0,
                          lambda d, o: any("mock-delay=1.5" in e["request"]["url"]
                                           for e in submissions(d, "submission_accepted"))),
    # no gateway accepts in 0.1 ms
    "--t-accept": ("reference", ["-k", "GW-ASYNC-05", "--t-accept", "0.0001"], {}, 1,
                   lambda d, o: d["parameters"]["T_accept"] == 0.0001 and outcome("GW-ASYNC-05")(d) == "failed"),
    "CONFORMANCE_T_ACCEPT": ("reference", ["-k", "GW-ASYNC-05"], {"CONFORMANCE_T_ACCEPT": "0.0001"}, 1,
                             lambda d, o: outcome("GW-ASYNC-05")(d) == "failed"),
    "--t-done": ("reference", ["-k", "GW-STATUS-03", "--t-done", "4.5", *QUICK], {}, 0,
                 lambda d, o: d["parameters"]["T_done"] == 4.5 and outcome("GW-STATUS-03")(d) == "passed"),
    "--level": ("reference", ["-k", "GW-PREF-0", "--level", "info"], {}, 0,
                lambda d, o: [r["id"] for r in d["requirements"]] == ["GW-PREF-08"]),
    "CONFORMANCE_LEVEL": ("reference", ["-k", "GW-PREF-0"], {"CONFORMANCE_LEVEL": "INFO"}, 0,
                          lambda d, o: [r["id"] for r in d["requirements"]] == ["GW-PREF-08"]),
    "CONFORMANCE_SELECT": ("reference", [], {"CONFORMANCE_SELECT": "GW-PREF-02"}, 0,
                           lambda d, o: [r["id"] for r in d["requirements"]] == ["GW-PREF-02"]),
    "CONFORMANCE_JSON": ("reference", ["-k", "GW-PREF-02"], {"CONFORMANCE_JSON": "{json}"}, 0,
                         lambda d, o: d["requirements"][0]["outcome"] == "passed"),
}


@pytest.fixture(scope="module")
def gateways(mock_url: str) -> Iterator[dict[str, str]]:
    """name -> inference base: the reference (with a second deployment `other`), and two variants."""
    def gateway(name: str, *options: str) -> ManagedServer:
        return ManagedServer(python_command("conformance", "gateway", "--port", "{port}", "--deployment",
                                            f"mock={mock_url}", "--deployment", f"other={mock_url}", *options), name=name)

    servers = {"reference": gateway("reference"),
               "integers": gateway("integers", "--implementation", "tests.mutants.legal.integer_status:Gateway"),
               "slow-accept": gateway("slow-accept", "--implementation",
                                      "tests.mutants.async_.accept_waits_for_container:Gateway")}
    try:
        yield {name: server.start().url for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()


@pytest.mark.parametrize("flag", RUN_FLAGS)
def test_run_flags(flag: str, gateways: dict[str, str], mock_url: str, tmp_path: Path) -> None:
    name, args, env, code, did = RUN_FLAGS[flag]
    report = tmp_path / "run.json"
    fill = {"other": f"{gateways[name]}/other", "json": str(report)}
    args = [arg.format(**fill) for arg in args]
    env = {key: value.format(**fill) for key, value in env.items()}
    if "CONFORMANCE_JSON" not in env:
        args += ["--json", str(report)]
    result = invoke("run", "--gateway", f"{gateways[name]}/mock", "--container-url", mock_url, *args, env=env)
    assert result.exit_code == code, result.output[-3000:]
    assert did(json.loads(report.read_text()), result), result.output[-3000:]


# name -> (container, args, env, exit code, what the flag did)
#: the mock container as a fire-and-forget container: it acks respond-async and calls the URL in this header
SINK_STYLE = ["--supports", "fire-and-forget", "--webhook-header", "X-Mock-Webhook-Url", "-H", "X-Mock-Async: ack"]

CONTAINER_FLAGS: dict[str, tuple[str, list[str], dict[str, str], int, Check]] = {
    "CT-SYNC-01 fails on a container that answers only respond-async": (
        "async-only", ["--health-path", "/ready"], {}, 1,
        lambda d, o: outcome("CT-SYNC-01")(d) == "failed" and "501" in reason(d, "CT-SYNC-01")
        and outcome("CT-HEALTH-01")(d) == "passed"),
    "--health-path": ("async-only", ["-k", "CT-HEALTH-01", "--health-path", "/ready"], {}, 0,
                      lambda d, o: outcome("CT-HEALTH-01")(d) == "passed"),
    "default --health-path": ("async-only", ["-k", "CT-HEALTH-01", "--ready-timeout", "0.5"], {}, 1,
                              lambda d, o: outcome("CT-HEALTH-01")(d) == "failed" and "/health" in reason(d, "CT-HEALTH-01")),
    "CONFORMANCE_CT_HEALTH_PATH": ("async-only", ["-k", "CT-HEALTH-01"], {"CONFORMANCE_CT_HEALTH_PATH": "/ready"}, 0,
                                   lambda d, o: outcome("CT-HEALTH-01")(d) == "passed"),
    # /slow answers after 1 s
    "--request-timeout": ("async-only", ["-k", "CT-SYNC-01", "--health-path", "/ready", "--path", "/slow",
                                         "--request-timeout", "0.3"], {}, 1,
                          lambda d, o: d["parameters"]["request_timeout"] == 0.3
                          and "ReadTimeout" in reason(d, "CT-SYNC-01")),
    "default --request-timeout": ("async-only", ["-k", "CT-SYNC-01", "--health-path", "/ready", "--path", "/slow"], {}, 0,
                                  lambda d, o: outcome("CT-SYNC-01")(d) == "passed"),
    "CONFORMANCE_CT_REQUEST_TIMEOUT": ("async-only", ["-k", "CT-SYNC-01", "--health-path", "/ready", "--path", "/slow"],
                                       {"CONFORMANCE_CT_REQUEST_TIMEOUT": "0.3"}, 1,
                                       lambda d, o: "ReadTimeout" in reason(d, "CT-SYNC-01")),
    "--sink-host, --sink-port": ("mock", ["-k", "CT-ASYNC-01", *SINK_STYLE, "--sink-host", "127.0.0.1",
                                          "--sink-port", "{port}"], {}, 0,
                                 lambda d, o: "under http://127.0.0.1:{port}/_mock/webhooks/" in o.text
                                 and d["requirements"][0]["outcome"] == "passed"),
    "CONFORMANCE_CT_SINK_PORT": ("mock", ["-k", "CT-ASYNC-01", *SINK_STYLE], {"CONFORMANCE_CT_SINK_PORT": "{port}"}, 0,
                                 lambda d, o: "under http://127.0.0.1:{port}/_mock/webhooks/" in o.text
                                 and d["requirements"][0]["outcome"] == "passed"),
    "--level": ("mock", ["--level", "should"], {}, 0,
                lambda d, o: [r["id"] for r in d["requirements"]] == ["CT-ROBUST-01"]),
    "--expected-failures": ("async-only", ["-k", "CT-SYNC-01", "--health-path", "/ready", "--expected-failures",
                                           "{xfail}"], {}, 0,
                            lambda d, o: d["summary"]["counts"]["MUST"]["expected_failures"] == 1),
    "a stale expected failure": ("mock", ["-k", "CT-SYNC-01", "--expected-failures", "{xfail}"], {}, 1,
                                 lambda d, o: d["summary"]["unexpected_passes"] == ["CT-SYNC-01"]
                                 and "CT-SYNC-01 now passes: remove it from" in o.text),
    "--allow-stale": ("mock", ["-k", "CT-SYNC-01", "--expected-failures", "{xfail}", "--allow-stale"], {}, 0,
                      lambda d, o: d["summary"]["allow_stale"] is True),
    "--junit-xml": ("mock", ["-k", "CT-SYNC-01", "--junit-xml", "{junit}"], {}, 0,
                    lambda d, o: "JUnit XML report:" in o.text),
    "-v": ("mock", ["-k", "CT-SYNC-01", "-v"], {}, 0,
           lambda d, o: "answers_without_prefer[CT-SYNC-01] PASSED" in o.text),
}


@pytest.fixture(scope="module")
def containers(mock_url: str) -> Iterator[dict[str, str]]:
    server = ManagedServer(python_command("uvicorn", "tests.ci.fixtures.async_only_container:app", "--port", "{port}",
                                          "--log-level", "warning"), name="async-only", health_path="/ready").start()
    yield {"mock": mock_url, "async-only": server.url}
    server.stop()


@pytest.mark.parametrize("flag", CONTAINER_FLAGS)
def test_container_flags(flag: str, containers: dict[str, str], tmp_path: Path) -> None:
    name, args, env, code, did = CONTAINER_FLAGS[flag]
    report, xfail, junit = tmp_path / "run.json", tmp_path / "xfail.txt", tmp_path / "junit.xml"
    xfail.write_text("CT-SYNC-01 the sync route comes later\n")
    fill = {"port": str(free_port()), "xfail": str(xfail), "junit": str(junit)}
    args = [arg.format(**fill) for arg in args]
    env = {key: value.format(**fill) for key, value in env.items()}
    result = invoke("container", "--url", containers[name], *args, "--json", str(report), env=env)
    assert result.exit_code == code, result.output[-3000:]
    # the checks read {port} from the output: fill it in the same way
    assert did(json.loads(report.read_text()), Invocation(result.exit_code, result.output.replace(fill["port"], "{port}"))), \
        result.output[-3000:]
    if flag == "--junit-xml":
        assert ET.parse(junit).getroot().get("tests") == "1"


@pytest.mark.parametrize(("args", "message"), [
    (["--sink-host", "256.1.1.1"], "--sink-host/--sink-port: the webhook sink cannot listen on 256.1.1.1"),
    (["--sink-port", "{busy}"], "--sink-host/--sink-port: the webhook sink cannot listen on 127.0.0.1:{busy}"),
])
def test_a_sink_that_cannot_listen_is_a_usage_error(args: list[str], message: str, mock_url: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = invoke("container", "--url", mock_url, *[a.format(busy=port) for a in args])
    assert result.exit_code == 2 and message.format(busy=port) in result.text


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_load_a_worker_whose_tally_never_arrives_makes_the_run_exit_2(tmp_path: Path) -> None:
    """Two workers; one is killed while the load runs. Its requests reached the container but its tally never
    reaches the master: the run cannot be judged (exit 2), and the gateway is not blamed for bodies "nobody sent"."""
    mock = ManagedServer(python_command("mock_container", "--port", "{port}"), name="load-mock").start()
    gateway = ManagedServer(python_command("conformance", "gateway", "--port", "{port}", "--deployment",
                                           f"mock={mock.url}"), name="load-gateway")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        gateway.start()
        port = free_port()
        load = [sys.executable, "-m", "conformance", "load"]

        def spawn(args: list[str], log: str) -> subprocess.Popen[bytes]:
            with open(tmp_path / log, "wb") as handle:
                process = subprocess.Popen([*load, *args], stdout=handle, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, start_new_session=True)
            processes.append(process)
            return process

        master = spawn(["--master", "--expect-workers", "2", "--master-port", str(port), "--workers-wait", "60",
                        "--gateway", f"{gateway.url}/mock", "--container-url", mock.url, "--duration", "10s",
                        "--users", "4", "--spawn-rate", "4", "--delay", "0.2", "--json", str(tmp_path / "load.json")],
                       "master.log")
        doomed = spawn(["--worker", "--master-host", "127.0.0.1", "--master-port", str(port)], "worker1.log")
        spawn(["--worker", "--master-host", "127.0.0.1", "--master-port", str(port)], "worker2.log")
        with httpx.Client() as http:  # the load is on: requests reach the container
            started = MockClient(http, mock.url).wait_journal(None, count=10, timeout=60)
        assert not started.timed_out, (tmp_path / "master.log").read_text()[-3000:]
        os.killpg(doomed.pid, signal.SIGKILL)
        code = master.wait(timeout=150)
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        gateway.stop()
        mock.stop()
    log = (tmp_path / "master.log").read_text(errors="replace")
    assert code == 2, log[-3000:]
    assert "conformance load: not judged: no tally arrived from worker(s)" in log
    assert not (tmp_path / "load.json").exists()  # no verdicts written that could be read as a gateway's

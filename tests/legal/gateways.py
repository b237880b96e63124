"""Start each independent legal gateway of this folder in front of a mock container, and stop it for sure.

Test-side only. The gateways themselves share no code with the project;
this launcher runs them the way the project's tests run every server
(`conformance.runs.launcher.ManagedServer` on a free loopback port, stopped with
its whole process group). Each gateway serves two deployments, `mock` and
`other`, both routed to the given mock container, so GW-SEC-01 is judged.

`LEGAL_GATEWAYS` lists them with the SHOULD requirements each one fails by
its legal choices under the contract (gateway-contract.md): the suite must
fail exactly those and no MUST.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from conformance.runs.launcher import ManagedServer, free_port, python_command

__all__ = ["Endpoints", "LegalGateway", "LEGAL_GATEWAYS", "CONTAINER_TIMEOUT", "NGINX", "nginx_config"]

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
#: between the suite's D (2 s) and T_done (D + 5 s), so a hanging container is judged (GW-RESULT-09)
CONTAINER_TIMEOUT = 4.5
NGINX = "/usr/sbin/nginx"
NGINX_TEMPLATE = HERE / "nginx.conf.template"
#: a gateway is up once it answers anything at all (`/` is no route of the provider's layout)
ANY_STATUS = tuple(range(100, 600))


@dataclass(frozen=True)
class Endpoints:
    """Where the suite finds a running gateway: the inference bases of its two deployments.

    `allow_origins`: other origins its StatusPath and ResultPath lead to, which
    the suite follows (without the run's headers) only when allowed.
    """

    gateway: str
    other_gateway: str
    allow_origins: tuple[str, ...] = ()


@dataclass(frozen=True)
class LegalGateway:
    name: str
    #: SHOULD IDs this gateway fails by its legal choices (under the contract's GW-PREF-09 and GW-SYNC-05)
    legally_fails: frozenset[str]
    run: Callable[[str], AbstractContextManager[Endpoints]]
    #: an executable the gateway needs; the test is skipped when it is absent
    needs: str | None = None

    def missing(self) -> str | None:
        """Why this gateway cannot run on this machine, or None."""
        if self.needs and shutil.which(self.needs) is None:
            return f"{self.needs} is not installed"
        return None


def deployments(container_url: str) -> list[str]:
    return ["--deployment", f"mock={container_url}", "--deployment", f"other={container_url}"]


@contextmanager
def served(argv: list[str], name: str, **kwargs) -> Iterator[ManagedServer]:  # type: ignore[no-untyped-def]
    """A ManagedServer started now and stopped on leaving, whatever happened."""
    kwargs.setdefault("health_path", "/")
    kwargs.setdefault("healthy_statuses", ANY_STATUS)
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    server = ManagedServer(argv, name=name, env={"PYTHONPATH": pythonpath}, **kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def both(server: ManagedServer, prefix: str = "", allow_origins: tuple[str, ...] = ()) -> Endpoints:
    return Endpoints(f"{server.url}{prefix}/mock", f"{server.url}{prefix}/other", allow_origins)


@contextmanager
def starlette_gateway(container_url: str) -> Iterator[Endpoints]:
    argv = python_command("tests.legal.starlette_gateway", "--port", "{port}", *deployments(container_url),
                          "--container-timeout", f"{CONTAINER_TIMEOUT:g}")
    with served(argv, "starlette-gateway") as server:
        yield both(server)


def node_script(script: str, *extra: str, prefix: str = "") -> Callable[[str], AbstractContextManager[Endpoints]]:
    """A launcher for one of this folder's Node gateways; `extra` flags may hold `{status_port}` (a second free port).

    A gateway given `{status_port}` serves its status and result routes there: another origin (RFC 6454), which
    the suite is told to allow (`--allow-origin 127.0.0.1:PORT`).
    """

    @contextmanager
    def run(container_url: str) -> Iterator[Endpoints]:
        argv = ["node", str(HERE / script), "--port", "{port}", *deployments(container_url),
                "--container-timeout", f"{CONTAINER_TIMEOUT:g}", *extra]
        status_port = str(free_port())
        allowed = (f"127.0.0.1:{status_port}",) if any("{status_port}" in flag for flag in extra) else ()
        with served(argv, script, substitutions={"status_port": status_port}) as server:
            yield both(server, prefix, allowed)

    return run


def nginx_config(prefix: str | Path, port: int, upstream: str, uri: str = "/") -> str:
    """The template with its prefix directory, listening port, upstream `host:port` and proxy_pass URI filled in."""
    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    return (text.replace("@PREFIX@", str(prefix)).replace("@PORT@", str(port)).replace("@UPSTREAM@", upstream)
            .replace("@URI@", uri))


def nginx_before_reference(uri: str) -> Callable[[str], AbstractContextManager[Endpoints]]:
    """The project's reference gateway behind an unprivileged nginx in a temporary prefix, `proxy_pass http://up{uri};`."""

    @contextmanager
    def run(container_url: str) -> Iterator[Endpoints]:
        reference = python_command("conformance", "gateway", "--port", "{port}", *deployments(container_url),
                                   "--container-timeout", f"{CONTAINER_TIMEOUT:g}")
        with served(reference, "reference-gateway", health_path="/health", healthy_statuses=(200,)) as upstream, \
                tempfile.TemporaryDirectory(prefix="legal-nginx-") as prefix:
            # run as root, nginx's workers switch to `nobody`, who must reach the temp dirs for large bodies
            os.chmod(prefix, 0o755)
            port = free_port()
            config = Path(prefix) / "nginx.conf"
            config.write_text(nginx_config(prefix, port, f"127.0.0.1:{upstream.port}", uri), encoding="utf-8")
            with served([NGINX, "-p", prefix, "-c", str(config), "-g", "daemon off;"], "nginx", port=port) as server:
                yield both(server)

    return run


LEGAL_GATEWAYS: tuple[LegalGateway, ...] = (
    LegalGateway("starlette", frozenset({"GW-SYNC-05", "GW-PREF-09"}), starlette_gateway),
    LegalGateway("node", frozenset({"GW-STATUS-07", "GW-RESULT-10"}), node_script("node_gateway.js"), needs="node"),
    LegalGateway("nginx-before-reference", frozenset({"GW-SYNC-05"}), nginx_before_reference("/"), needs=NGINX),
    # the same nginx without a URI part in proxy_pass passes the request URI on as sent: nothing fails
    LegalGateway("nginx-passthrough-before-reference", frozenset(), nginx_before_reference(""), needs=NGINX),
    LegalGateway("node-literal-prefer", frozenset({"GW-PREF-06", "GW-PREF-07"}),
                 node_script("node_literal_prefer_gateway.js"), needs="node"),
    LegalGateway("node-split-origin", frozenset(),
                 node_script("node_split_origin_gateway.js", "--status-port", "{status_port}", prefix="/v2"), needs="node"),
)

"""What a running mock says about itself at `GET /_mock/info`.

A suite talks to a mock it did not start, often through a gateway: the
instance id tells replicas (and restarts) apart, `api` lets a client refuse
a mock whose control API it does not speak, and `sink` is the URL the mock
reaches its own webhook sink at (what to put in a webhook URL the mock
itself delivers to, whatever address the suite used).
"""

from __future__ import annotations

import ipaddress
import secrets
from importlib import metadata
from typing import Any

from .settings import Settings

__all__ = ["API_VERSION", "DISTRIBUTION", "INSTANCE_HEADER", "new_instance_id", "package_version", "self_host",
           "sink_prefix", "settings_json", "info_json"]

#: The control API's version: raised on any change a client written for the
#: previous one would misread (a field removed or changing meaning), not on additions.
API_VERSION = 1
DISTRIBUTION = "async-gateway-conformance"
#: Setting names holding any of these are never shown (none does today; a future one might).
SECRET_WORDS = ("secret", "password", "token", "key")
SINK_PATH = "/_mock/webhooks/"
#: Every control answer (the sink's too) names the instance that gave it in this header.
INSTANCE_HEADER = "x-mock-instance"


def new_instance_id() -> str:
    """16 hex characters, drawn when the mock starts: a restart is a new instance."""
    return secrets.token_hex(8)


def package_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def self_host(bind: str) -> str:
    """The host part of a URL at which a server bound to `bind` reaches itself.

    An unspecified address (0.0.0.0, ::) is reached over loopback of its own
    family: Python's asyncio binds `::` as IPv6-only, so 127.0.0.1 would not
    answer there. A specific address or a name is reached as itself.
    """
    try:
        address = ipaddress.ip_address(bind.strip("[]"))
    except ValueError:
        return bind or "127.0.0.1"
    if address.is_unspecified:
        return "127.0.0.1" if address.version == 4 else "[::1]"
    return str(address) if address.version == 4 else f"[{address}]"


def sink_prefix(settings: Settings) -> str:
    """The sink's URL up to the key: `http://127.0.0.1:8000/_mock/webhooks/`."""
    return f"http://{self_host(settings.host)}:{settings.port}{SINK_PATH}"


def settings_json(settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in Settings.keys():
        if any(word in name for word in SECRET_WORDS):
            continue
        value = getattr(settings, name)
        out[name] = list(value) if isinstance(value, tuple) else value
    return out


def info_json(instance: str, settings: Settings) -> dict[str, Any]:
    return {
        "instance": instance,
        "version": package_version(),
        "api": API_VERSION,
        "sink": sink_prefix(settings),
        "settings": settings_json(settings),
    }

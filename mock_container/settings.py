"""Server settings: one frozen dataclass, filled by the CLI (flags, `MOCK_*`
environment variables, a TOML file) and read by every other module."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, fields

__all__ = ["Settings", "SettingsError", "OVER_CAPACITY_CHOICES", "DEFAULT_WEBHOOK_ALLOW"]

OVER_CAPACITY_CHOICES = ("429", "503", "queue")
#: Loopback only: the mock must not become a way to reach other hosts.
DEFAULT_WEBHOOK_ALLOW = ("127.0.0.0/8", "::1", "localhost")
MiB = 1024 * 1024


class SettingsError(ValueError):
    """A setting has a value the server cannot run with."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    max_delay: float = 600.0
    journal_size: int = 10_000
    journal_bytes: int = 256 * MiB
    body_keep: int = 64 * 1024
    max_body: int = 32 * MiB
    # Byte caps of what the mock holds (docs/mock-container.md, "Memory caps").
    max_response: int = 256 * MiB  # one response, a stream's pieces together
    max_header_bytes: int = 1 * MiB  # a request's line and headers (X-Mock-Body-Base64 can be large)
    inflight_bytes: int = 256 * MiB  # bodies of requests being read and answered
    webhook_bytes: int = 128 * MiB  # bodies of webhooks waiting to be delivered
    task_bytes: int = 128 * MiB  # results of task-id requests
    scenario_bytes: int = 32 * MiB  # registered scenarios
    capacity: int = 0
    over_capacity: str = "503"
    ready_after: float = 0.0
    webhook_allow: tuple[str, ...] = DEFAULT_WEBHOOK_ALLOW
    webhook_timeout: float = 10.0
    log_level: str = "warning"
    # Derived from webhook_allow by __post_init__ (not settable on their own).
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(
        default=(), init=False, repr=False
    )
    allowed_names: frozenset[str] = field(default=frozenset(), init=False, repr=False)

    def __post_init__(self) -> None:
        self._check()
        networks, names = _split_allowlist(self.webhook_allow)
        object.__setattr__(self, "allowed_networks", networks)
        object.__setattr__(self, "allowed_names", names)

    def _check(self) -> None:
        positive = {"journal_size": self.journal_size, "journal_bytes": self.journal_bytes,
                    "max_body": self.max_body, "webhook_timeout": self.webhook_timeout,
                    "max_response": self.max_response, "max_header_bytes": self.max_header_bytes,
                    "inflight_bytes": self.inflight_bytes, "webhook_bytes": self.webhook_bytes,
                    "task_bytes": self.task_bytes, "scenario_bytes": self.scenario_bytes}
        for name, value in positive.items():
            if not value > 0:
                raise SettingsError(f"{name} must be > 0, not {value!r}")
        non_negative = {"max_delay": self.max_delay, "body_keep": self.body_keep, "capacity": self.capacity,
                        "ready_after": self.ready_after}
        for name, value in non_negative.items():
            if not value >= 0:
                raise SettingsError(f"{name} must be >= 0, not {value!r}")
        if not 0 < self.port < 65536:
            raise SettingsError(f"port must be in 1..65535, not {self.port!r}")
        if self.max_body > self.inflight_bytes:
            raise SettingsError(f"max_body ({self.max_body}) must be <= inflight_bytes ({self.inflight_bytes}): "
                                "a body that large could never be read")
        if self.over_capacity not in OVER_CAPACITY_CHOICES:
            raise SettingsError(f"over_capacity must be one of {', '.join(OVER_CAPACITY_CHOICES)}")

    @classmethod
    def keys(cls) -> list[str]:
        """The settable names (TOML keys use these, with `-` or `_`)."""
        return [f.name for f in fields(cls) if f.init]


def _split_allowlist(entries: tuple[str, ...]) -> tuple[tuple, frozenset[str]]:
    """IP literals and CIDR blocks become networks; anything else is a host name
    compared literally (names are never resolved, so DNS cannot widen the list)."""
    networks = []
    names = set()
    for raw in entries:
        entry = raw.strip().lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            names.add(entry)
    return tuple(networks), frozenset(names)

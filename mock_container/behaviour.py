"""What the mock does with one request: the resolved `Behaviour`.

`Behaviour` is generated from the field registry (fields.py): one attribute
per field, with the field's built-in default, so a field declared there is a
field here. The channels that fill it are read by channels.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Optional

from .fields import BODY_FIELDS, FIELDS

__all__ = ["Behaviour", "BehaviourError", "DEFAULT", "build", "CHANNELS"]

#: Channels by precedence, lowest first.
CHANNELS = ("scenario", "body", "query", "header")


class BehaviourError(ValueError):
    """An invalid behaviour field: answered 400, naming the field and channel."""

    def __init__(self, field: str, channel: str, message: str) -> None:
        super().__init__(f"{field} ({channel}): {message}")
        self.field = field
        self.channel = channel
        self.message = message

    def to_json(self) -> dict[str, str]:
        return {"error": "invalid behaviour", "field": self.field, "channel": self.channel, "message": self.message}


class _BehaviourMethods:
    __slots__ = ()

    @property
    def has_body_field(self) -> bool:
        return any(name in self.fields for name in BODY_FIELDS)

    def counter_key(self) -> str:
        """Whose calls `fail-first` and seeded draws count: the scenario, else
        the correlation, else everything else together."""
        if self.scenario is not None:
            return "scenario:" + self.scenario
        if self.correlation is not None:
            return "correlation:" + self.correlation
        return "-"


def _behaviour_class() -> type:
    attributes: list[tuple[str, Any, Any]] = [("fields", Mapping[str, Any], dataclasses.field())]
    for field in FIELDS.values():
        annotation = field.kind.annotation if field.default is not None else Optional[field.kind.annotation]
        attributes.append((field.attr, annotation, dataclasses.field(default=field.default)))
    # no field beyond `correlation`: a plain echo (the hot path)
    attributes.append(("plain", bool, dataclasses.field(default=True)))
    # the channel each field came from, to name it when the answer turns out too large
    attributes.append(("origin", Mapping[str, str], dataclasses.field(default_factory=dict)))
    cls = dataclasses.make_dataclass("Behaviour", attributes, bases=(_BehaviourMethods,), frozen=True, slots=True)
    cls.__module__ = __name__
    cls.__doc__ = ("The resolved behaviour of one request: `fields` are the wire fields as journaled, "
                   "each other attribute is one field's resolved value (fields.py), or its default.")
    return cls


Behaviour = _behaviour_class()
DEFAULT = Behaviour(fields={})


def build(fields: Mapping[str, Any], resolved: Mapping[str, Any] | None = None,
          origin: Mapping[str, str] | None = None) -> Behaviour:
    """A Behaviour from checked, merged wire fields; `resolved` holds values
    already resolved (a scenario's, resolved when it was registered)."""
    values = {}
    for name, value in fields.items():
        field = FIELDS[name]
        if resolved is not None and name in resolved:
            values[field.attr] = resolved[name]
        else:
            values[field.attr] = field.kind.resolve(value)
    return Behaviour(fields=fields, plain=fields.keys() <= {"correlation"}, origin=origin or {}, **values)

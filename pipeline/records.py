"""Typed records to and from JSON-able data (results kept in the store as JSON text).

``to_data`` turns a (nested) frozen dataclass into plain lists and dicts;
``from_data`` validates such data back into the dataclass with pydantic, so a
result read from the store is the same typed object the stage computed.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def to_data(record: Any) -> Any:
    if record is None:
        return None
    if not is_dataclass(record):
        raise TypeError(f"expected a dataclass instance, got {type(record).__name__}")
    return asdict(record)


@cache
def _adapter(cls):
    from pydantic import TypeAdapter

    return TypeAdapter(cls)


def from_data(cls: type[T], data: Any) -> T:
    return _adapter(cls).validate_python(data)

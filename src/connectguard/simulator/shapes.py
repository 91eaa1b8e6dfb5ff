"""Projection onto, and validation against, botocore's Connect shapes.

Operations build "full" dicts of a resource (every field AWS could return); the
projection keeps what the operation's output shape has (so ``UserSearchSummary``
loses the e-mail because ``UserIdentityInfoLite`` has no such member), and the
validator then checks the result against the model: a simulator bug becomes a loud
500 naming the path of the violation instead of a quietly wrong response.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from botocore.model import Shape


class ShapeViolation(Exception):
    def __init__(self, path: str, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


def project(value: Any, shape: Shape) -> Any:
    """Keep what ``shape`` describes; drop None values and members the shape lacks."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return value  # the validator reports it
        out = {}
        for name, member in shape.members.items():
            if member.serialization.get("location"):  # headers, status code: not in the body
                continue
            if name in value and value[name] is not None:
                out[name] = project(value[name], member)
        return out
    if kind == "list":
        return [project(v, shape.member) for v in value] if isinstance(value, list | tuple) else value
    if kind == "map":
        return {k: project(v, shape.value) for k, v in value.items()} if isinstance(value, dict) else value
    if kind == "timestamp" and isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.timestamp()
    return value


def validate(value: Any, shape: Shape, path: str = "$") -> None:
    """Raise :class:`ShapeViolation` at the first place ``value`` breaks ``shape``."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            raise ShapeViolation(path, f"expected an object for {shape.name}, got {type(value).__name__}")
        for name in shape.required_members:
            if shape.members[name].serialization.get("location"):
                continue
            if name not in value:
                raise ShapeViolation(f"{path}.{name}", f"required member of {shape.name} is missing")
        for name, item in value.items():
            member = shape.members.get(name)
            if member is None:
                raise ShapeViolation(f"{path}.{name}", f"{shape.name} has no member {name}")
            validate(item, member, f"{path}.{name}")
    elif kind == "list":
        if not isinstance(value, list):
            raise ShapeViolation(path, f"expected a list for {shape.name}, got {type(value).__name__}")
        _check_range(len(value), meta, path, "length")
        for i, item in enumerate(value):
            validate(item, shape.member, f"{path}[{i}]")
    elif kind == "map":
        if not isinstance(value, dict):
            raise ShapeViolation(path, f"expected a map for {shape.name}, got {type(value).__name__}")
        _check_range(len(value), meta, path, "size")
        for key, item in value.items():
            validate(key, shape.key, f"{path}<key {key!r}>")
            validate(item, shape.value, f"{path}[{key!r}]")
    elif kind == "string":
        if not isinstance(value, str):
            raise ShapeViolation(path, f"expected a string for {shape.name}, got {type(value).__name__}")
        if shape.enum and value not in shape.enum:
            raise ShapeViolation(path, f"{value!r} is not one of {shape.name}'s enum values")
        _check_range(len(value), meta, path, "length")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ShapeViolation(path, f"expected an integer for {shape.name}, got {type(value).__name__}")
        _check_range(value, meta, path, "value")
    elif kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ShapeViolation(path, f"expected a number for {shape.name}, got {type(value).__name__}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise ShapeViolation(path, f"expected a boolean for {shape.name}, got {type(value).__name__}")
    elif kind == "timestamp":
        # rest-json puts timestamps on the wire as epoch seconds
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ShapeViolation(path, f"expected epoch seconds for {shape.name}, got {type(value).__name__}")
    elif kind == "blob":
        if not isinstance(value, str):
            raise ShapeViolation(path, f"expected base64 text for {shape.name}")
    else:  # pragma: no cover - the Connect model has no other kinds today
        raise ShapeViolation(path, f"unsupported shape kind {kind}")


def _check_range(n: int | float, meta: dict[str, Any], path: str, what: str) -> None:
    if "min" in meta and n < meta["min"]:
        raise ShapeViolation(path, f"{what} {n} is below the model's minimum {meta['min']}")
    if "max" in meta and n > meta["max"]:
        raise ShapeViolation(path, f"{what} {n} is above the model's maximum {meta['max']}")

"""The request being authorised: action, resource and what we know of its context."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestContext:
    """Condition keys (case-insensitive) and what we know about them.

    ``values``: keys the request carries, each with its value(s).
    ``absent``: keys known NOT to be in the request (e.g. aws:MultiFactorAuthPresent for
    long-term access keys). With ``closed=True`` every key not in ``values`` is absent,
    as in AWS's worked examples; otherwise unmentioned keys are unknown and conditions on
    them make the answer Conditional.
    """

    values: Mapping[str, list[str]] = field(default_factory=dict)
    absent: frozenset[str] = frozenset()
    closed: bool = False

    @classmethod
    def of(cls, values: Mapping[str, str | bool | int | Iterable[str]] | None = None, *,
           absent: Iterable[str] = (), closed: bool = False) -> RequestContext:
        normalised: dict[str, list[str]] = {}
        for key, value in (values or {}).items():
            if isinstance(value, bool):
                items = ["true" if value else "false"]
            elif isinstance(value, (str, int, float)):
                items = [str(value)]
            else:
                items = [str(v) for v in value]
            normalised[key.lower()] = items
        return cls(values=normalised, absent=frozenset(k.lower() for k in absent), closed=closed)

    def is_absent(self, key: str) -> bool:
        key = key.lower()
        return key not in self.values and (self.closed or key in self.absent)

    def with_values(self, values: Mapping[str, str | bool | Iterable[str]], *,
                    absent: Iterable[str] = ()) -> RequestContext:
        extra = RequestContext.of(values, absent=absent)
        merged = {k: v for k, v in self.values.items() if k not in extra.absent}
        merged.update(extra.values)
        return RequestContext(values=merged, absent=(self.absent - set(extra.values)) | extra.absent,
                              closed=self.closed)


@dataclass(frozen=True)
class Request:
    action: str  # "service:Action"
    resource: str  # an ARN, or "*" for actions without resource-level permissions
    context: RequestContext = field(default_factory=RequestContext)

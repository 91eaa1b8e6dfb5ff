"""Compile parsed Sigma detections (pySigma's condition tree) to one SQL text for Athena and DuckDB.

Sigma semantics, kept in SQL:

* string equality is case-insensitive: both sides are lower-cased; wildcards become
  ``LIKE`` (Trino has no ``ILIKE``) with ``\\`` as the escape character;
* a missing field is "not equal", also under ``not``: every leaf is wrapped in
  ``coalesce(..., FALSE)`` so SQL's three-valued logic cannot drop a row that ``not x``
  should keep;
* a field under one of the JSON-text columns (``requestParameters.Permissions``) is read
  with ``json_extract_scalar``; when the value there is a list, equality means "the list
  holds the value", as in Sigma's list-field semantics.

Fields a raw CloudTrail record never has (SigmaHQ's ``aws_delete_saml_provider`` matches
``status``) are reported as warnings and compile to NULL, so the rule runs and - as on
raw logs anywhere - cannot fire on that branch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.types import (
    CompareOperators,
    SigmaBool,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SpecialChars,
)

from connectguard.detect.schema import known_struct_path
from connectguard.detect.sqltext import (  # noqa: F401 - re-exported: they were defined here
    FieldRef,
    correlation_field,
    prefilter_sql,
    resolve_field,
    sql_string,
)


class UnsupportedRule(Exception):
    """The rule uses a construct the SQL compiler does not translate (named in the message)."""


@dataclass
class CompiledCondition:
    sql: str
    fields: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    extra: set[str] = field(default_factory=set)  # top-level keys outside the documented record


def _like_pattern(value: SigmaString) -> str:
    out = []
    for part in value:
        if part == SpecialChars.WILDCARD_MULTI:
            out.append("%")
        elif part == SpecialChars.WILDCARD_SINGLE:
            out.append("_")
        elif isinstance(part, str):
            out.append(part.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
        else:  # placeholders and other special parts
            raise UnsupportedRule(f"unsupported value part {part!r}")
    return "".join(out)


class SqlCompiler:
    """One rule's detection condition -> a SQL boolean expression."""

    def __init__(self) -> None:
        self.fields: set[str] = set()
        self.warnings: list[str] = []
        self.extra: set[str] = set()

    def compile(self, node: object) -> CompiledCondition:
        sql = self._node(node)
        return CompiledCondition(sql, self.fields, self.warnings, self.extra)

    def field(self, name: str) -> FieldRef:
        ref = resolve_field(name)
        self.fields.add(name)
        if ref.extra:
            self.extra.add(ref.extra)
            msg = (
                f"field {name!r} is not a CloudTrail record field (raw CloudTrail never has it); it is read "
                "from the records as is, so that part of the rule matches only records that carry it, and "
                "the rule cannot run on Athena's CloudTrail table"
            )
            if msg not in self.warnings:
                self.warnings.append(msg)
        elif not ref.known:
            msg = f"field {name!r} is never present in raw CloudTrail records; that part of the rule cannot match"
            if msg not in self.warnings:
                self.warnings.append(msg)
        return ref

    def _node(self, node: object) -> str:
        if isinstance(node, ConditionAND):
            return "(" + " AND ".join(self._node(a) for a in node.args) + ")"
        if isinstance(node, ConditionOR):
            return "(" + " OR ".join(self._node(a) for a in node.args) + ")"
        if isinstance(node, ConditionNOT):
            return "(NOT " + self._node(node.args[0]) + ")"
        if isinstance(node, ConditionFieldEqualsValueExpression):
            return "coalesce(" + self._leaf(node.field, node.value) + ", FALSE)"
        if isinstance(node, ConditionValueExpression):
            raise UnsupportedRule("keyword (field-less) search is not supported on CloudTrail")
        raise UnsupportedRule(f"unsupported condition element {type(node).__name__}")

    def _leaf(self, name: str | None, value: object) -> str:
        if name is None:
            raise UnsupportedRule("keyword (field-less) search is not supported on CloudTrail")
        ref = self.field(name)
        text = ref.scalar
        if isinstance(value, SigmaExists):
            present = self._present(ref)
            return present if value.exists else f"NOT {present}"
        if isinstance(value, SigmaNull):
            return f"NOT {self._present(ref)}"
        if isinstance(value, SigmaBool):
            return f"lower({text}) = {sql_string('true' if value.boolean else 'false')}"
        if isinstance(value, SigmaNumber):
            return f"{text} = {sql_string(str(value.number))}"
        if isinstance(value, SigmaString):
            if value.contains_special():
                pattern = _like_pattern(value)
                like = f"lower({text}) LIKE {sql_string(pattern)} ESCAPE '\\'"
                if ref.json_column:  # a list field: one element matches (elements are quoted in JSON text)
                    element = sql_string('%"' + pattern + '"%')
                    like = (
                        f"({like} OR lower(json_format(json_extract({ref.json_column}, '{ref.json_path}'))) "
                        f"LIKE {element} ESCAPE '\\')"
                    )
                    keys = (ref.json_path or "$").split(".")[1:]
                    top = keys[0] if len(keys) > 1 else None
                    if top and pattern.startswith("%") and pattern.endswith("%"):
                        # A path through a list (containerDefinitions[].command) does not resolve in
                        # JSON path; for "contains", search the text of the first key's subtree.
                        like = like[:-1] + (
                            f" OR lower(json_format(json_extract({ref.json_column}, '$.{top}'))) "
                            f"LIKE {sql_string(pattern)} ESCAPE '\\')"
                        )
                return like
            plain = value.to_plain().lower()
            eq = f"lower({text}) = {sql_string(plain)}"
            if ref.json_column:  # Sigma: a list field equals a value when the list holds it
                eq = (
                    f"({eq} OR json_array_contains(lower(json_format(json_extract({ref.json_column}, "
                    f"'{ref.json_path}'))), {sql_string(plain)}))"
                )
            return eq
        if isinstance(value, SigmaRegularExpression):
            pattern = value.regexp.to_plain() if hasattr(value.regexp, "to_plain") else str(value.regexp)
            if SigmaRegularExpressionFlag.IGNORECASE in (value.flags or set()):
                pattern = "(?i)" + pattern
            return f"regexp_like({text}, {sql_string(pattern)})"
        if isinstance(value, SigmaCIDRExpression):
            prefixes = value.expand(wildcard="*")
            likes = [f"{text} LIKE {sql_string(p.replace('*', '%'))}" for p in prefixes]
            return "(" + " OR ".join(likes) + ")"
        if isinstance(value, SigmaCompareExpression):
            ops = {
                CompareOperators.LT: "<", CompareOperators.LTE: "<=",
                CompareOperators.GT: ">", CompareOperators.GTE: ">=",
            }
            op = ops.get(value.op)
            if op is None:
                raise UnsupportedRule(f"unsupported comparison {value.op}")
            return f"TRY_CAST({text} AS DOUBLE) {op} {value.number.number}"
        if isinstance(value, SigmaFieldReference):
            other = self.field(value.field)
            return f"lower({text}) = lower({other.scalar})"
        raise UnsupportedRule(f"unsupported value type {type(value).__name__}")

    def _present(self, ref: FieldRef) -> str:
        if ref.json_column and ref.json_path:  # JSON null and absent are both "not present"
            return f"coalesce(json_format(json_extract({ref.json_column}, '{ref.json_path}')), 'null') <> 'null'"
        return f"{ref.scalar} IS NOT NULL"


def compile_condition(tree: object) -> CompiledCondition:
    return SqlCompiler().compile(tree)


def _conjuncts(node: object) -> list[object]:
    if isinstance(node, ConditionAND):
        return [c for a in node.args for c in _conjuncts(a)]
    return [node]


def prefilter_term(tree: object) -> tuple[str, tuple[str, ...]] | None:
    """A cheap necessary condition of the rule, over one raw record ``r`` (a DuckDB lambda body).

    It is one top-level conjunct of the rule that tests a typed envelope field against plain
    values (``eventName IN (...)`` usually), so every event the rule matches passes it. The
    loader uses the union of these terms to keep only candidate records; None when the rule
    has no such conjunct (then every record is kept). Returns (record path, lower-cased values).
    """
    best: tuple[int, tuple[str, tuple[str, ...]]] | None = None
    for conj in _conjuncts(tree):
        leaves = conj.args if isinstance(conj, ConditionOR) else [conj]
        if not all(isinstance(x, ConditionFieldEqualsValueExpression) for x in leaves):
            continue
        names = {x.field for x in leaves}  # type: ignore[union-attr]
        if len(names) != 1:
            continue
        name = names.pop()
        if name is None or not known_struct_path(name.split(".")):
            continue
        values = [x.value for x in leaves]  # type: ignore[union-attr]
        if not all(isinstance(v, SigmaString) and not v.contains_special() for v in values):
            continue
        term = ("r." + name, tuple(v.to_plain().lower() for v in values))
        # eventName is the most selective field; eventSource the least.
        rank = {"eventname": 0, "errorcode": 1}.get(name.lower(), 3 if name.lower() == "eventsource" else 2)
        if best is None or rank < best[0]:
            best = (rank, term)
    return best[1] if best else None

"""The fast path of the reader: find the few records any rule could match without parsing the rest.

Almost every CloudTrail record matches no rule, and the rules' prefilter (see
``compiler.prefilter_term``) says so from one field: ``lower(eventName) IN (...)`` or
``lower(errorCode) IN (...)``. Parsing every record into DuckDB only to drop it cost
most of the run time, so each file is handled here first, in three passes over its
bytes that each run at C speed (measured on 245 MB of decompressed CloudTrail:
ISA-L inflate 0.22 s, Hyperscan 0.19 s, msgspec 0.17 s, against 1.8 s in DuckDB):

1. decompress (ISA-L when installed, zlib otherwise);
2. search the text for every prefilter value as a quoted JSON string, ASCII
   case-insensitively, in one Hyperscan pass;
3. validate the JSON and split it into records (``msgspec.Raw``: spans, not objects).

Only records holding a search hit go on to DuckDB, where the rules' own SQL (and the
exact prefilter) decides. Why a record the rules could match always holds a hit:
its prefilter field's value ``v`` satisfies ``lower(v) == c`` for some value ``c``; the
JSON text of ``v`` is ``"v"`` byte for byte unless an escape or a non-ASCII character
is involved, and ``"v"`` then matches ``"c"`` ASCII case-insensitively. The search does
not look at keys at all, so how DuckDB matches key names (exactly, case-sensitively)
cannot make it miss. The exceptions are covered by extra search patterns:

* an escape inside the value: the values searched are ASCII letters, digits and
  ``.-_:`` (else the fast path is not used), and the only JSON escape that can stand for
  such a character is ``\\uXXXX``; every ``\\u`` is a hit, so such a record goes to DuckDB;
* a non-ASCII character whose lower case is ASCII: in DuckDB's ``lower`` only
  ``U+0130`` (to ``i``) and ``U+212A`` Kelvin (to ``k``) are (the tests enumerate every
  code point through DuckDB to keep this list honest); their UTF-8 bytes are hits.

Anything the fast path does not fully understand - a file that is not exactly
``{"Records": [...]}``, bad gzip, invalid JSON or UTF-8, more than one gzip member - is
left to the DuckDB reader, which reads it (or reports it) exactly as before.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

try:  # optional accelerators, in the `detect` extra; without them every file takes the DuckDB path
    import hyperscan
    import msgspec
except ImportError:  # pragma: no cover - exercised only where the wheels are missing
    hyperscan = None
    msgspec = None

try:  # ISA-L inflates about twice as fast as zlib; same format, same results
    from isal import isal_zlib as _inflate
except ImportError:  # pragma: no cover
    _inflate = zlib

# Non-ASCII characters whose lower case (DuckDB's, utf8proc) is an ASCII character.
LOWER_TO_ASCII = ("\u0130", "\u212a")
# Characters a searched value may hold: none of them can be written as a short JSON escape. It may
# not start like a JSON number: DuckDB reads a number as text in its own spelling (1E2, 100.0).
_SAFE_VALUE = re.compile(r"^[A-Za-z._:][A-Za-z0-9._:\-]*$")
_JSON_LITERALS = ("true", "false")
_HEADER = re.compile(rb'\s*\{\s*"Records"\s*:\s*\[')
_SEPARATOR = re.compile(rb"[ \t\r\n,]*")
_TRAILER = re.compile(rb"[ \t\r\n]*\][ \t\r\n]*\}[ \t\r\n]*\Z")
_LOG_SUFFIX_GZ = ".gz"

if msgspec is not None:

    class _LogFile(msgspec.Struct):
        Records: list[msgspec.Raw]

    _DECODER = msgspec.json.Decoder(_LogFile)


@dataclass
class FileScan:
    """One file read by the fast path: how many records it holds, and the JSON text of the candidates."""

    records: int
    candidates: list[bytes] = field(default_factory=list)
    # Which searched values were found (lower-cased), and whether an escape or a non-ASCII character
    # that lowers to ASCII was: then any value may be hidden in the candidates.
    found: frozenset[str] = frozenset()
    escaped: bool = False


class CandidateScanner:
    """Finds the records of a CloudTrail file whose prefilter field could equal one of ``values``."""

    def __init__(self, values: Iterable[str]) -> None:
        self.values = sorted({v.lower() for v in values})
        patterns = [re.escape('"' + v + '"').encode() for v in self.values]
        # DuckDB reads a JSON true/false as the text 'true'/'false' (CloudTrail writes readOnly so):
        # those two values are also searched bare.
        patterns += [v.encode() for v in self.values if v in _JSON_LITERALS]
        caseless = len(patterns)
        patterns.append(rb"\\u")  # any \u escape (see the module docstring)
        patterns += [re.escape(c).encode() for c in LOWER_TO_ASCII]  # hyperscan reads UTF-8 bytes
        flags = [hyperscan.HS_FLAG_CASELESS] * caseless + [0] * (len(patterns) - caseless)
        # Pattern id -> the value it finds (None: an escape or a character that lowers to ASCII).
        self._value_of: list[str | None] = self.values + [v for v in self.values if v in _JSON_LITERALS]
        self._value_of += [None] * (len(patterns) - caseless)
        self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self._db.compile(expressions=patterns, ids=list(range(len(patterns))), flags=flags)

    @classmethod
    def for_prefilter(cls, terms: list[tuple[str, tuple[str, ...]]] | None) -> CandidateScanner | None:
        """A scanner for the rules' prefilter terms, or None when the fast path cannot be used safely:
        the accelerators are not installed, some rule has no prefilter (every record is a candidate),
        or a value holds a character the search cannot vouch for."""
        if hyperscan is None or msgspec is None or not terms:
            return None
        values = [v for _, vs in terms for v in vs]
        if not values or not all(_SAFE_VALUE.match(v) for v in values):
            return None
        return cls(values)

    def scan(self, path: Path) -> FileScan | None:
        """The file's record count and candidate records; None: leave this file to the DuckDB reader."""
        try:
            data = path.read_bytes()
        except OSError:
            return None  # the DuckDB reader reports it
        if path.name.endswith(_LOG_SUFFIX_GZ):
            data = _gunzip(data)
            if data is None:
                return None
        return self.scan_text(data)

    def scan_text(self, data: bytes) -> FileScan | None:
        """As ``scan``, on a file's decompressed bytes."""
        if not data.isascii():
            try:
                data.decode("utf-8")  # msgspec does not check UTF-8 inside skipped strings; DuckDB does
            except UnicodeDecodeError:
                return None
        try:
            records = _DECODER.decode(data).Records
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None  # not exactly one {"Records": [...]} object: the DuckDB reader says why
        hits: list[tuple[int, int]] = []
        self._db.scan(data, match_event_handler=_collect, context=hits)
        if not hits:
            return FileScan(len(records))
        candidates = _records_at(data, records, sorted(offset for offset, _ in hits))
        if candidates is None:
            return None
        found = {self._value_of[i] for _, i in hits}
        return FileScan(len(records), candidates, frozenset(v for v in found if v is not None), None in found)


def _collect(pattern: int, _start: int, end: int, _flags: int, hits: list[tuple[int, int]]) -> None:
    hits.append((end - 1, pattern))  # the offset of the hit's last byte, and what was found


def _gunzip(data: bytes) -> bytes | None:
    """One gzip member, whole; None for anything else (the DuckDB reader reports or reads it)."""
    try:
        inflater = _inflate.decompressobj(31)
        out = inflater.decompress(data)
    except (zlib.error, getattr(_inflate, "error", zlib.error)):
        return None
    if not inflater.eof or inflater.unused_data:
        return None  # truncated, or several members / trailing bytes
    return out


def _records_at(data: bytes, records: list, hits: list[int]) -> list[bytes] | None:
    """The text of each record holding a hit (``hits`` sorted), or None when the file is not exactly
    ``{"Records": [r, ...]}`` with the records msgspec returned, where their lengths say they are.
    Only then can a hit's offset be attributed to the record it lies in."""
    header = _HEADER.match(data)
    if header is None or not records:
        return None
    first = _SEPARATOR.match(data, header.end()).end()  # type: ignore[union-attr]
    starts = _uniform_starts(data, records, first)
    if starts is None:
        starts = _walked_starts(data, records, first)
        if starts is None:
            return None
    out, last = [], -1
    for hit in hits:
        i = bisect.bisect_right(starts, hit) - 1
        if i < 0 or hit >= starts[i] + len(records[i]):
            return None  # a hit outside the records (in the header): not a shape this reads
        if i != last:
            out.append(data[starts[i] : starts[i] + len(records[i])])
            last = i
    return out


def _uniform_starts(data: bytes, records: list, first: int) -> list[int] | None:
    """Where each record starts, when one separator (CloudTrail's ``,``) stands between all of them:
    the records joined with it must equal the text byte for byte, then ``]}`` end the file. One
    comparison at C speed proves every span."""
    n0 = len(records[0])
    sep = data[first + n0 : _SEPARATOR.match(data, first + n0).end()]  # type: ignore[union-attr]
    joined = sep.join(records)  # msgspec.Raw is a buffer: no Python loop
    end = first + len(joined)
    if not data.startswith(joined, first) or _TRAILER.match(data, end) is None:  # startswith: no copy
        return None
    return list(itertools.accumulate(map(operator.add, map(len, records[:-1]), itertools.repeat(len(sep))),
                                     initial=first))


def _walked_starts(data: bytes, records: list, first: int) -> list[int] | None:
    """Where each record starts, separators of any JSON whitespace and one comma, record by record."""
    starts, pos = [], first
    for raw in records:
        pos = _SEPARATOR.match(data, pos).end()  # type: ignore[union-attr]
        end = pos + len(raw)
        if data[pos:end] != bytes(raw):
            return None
        starts.append(pos)
        pos = end
    return starts if _TRAILER.match(data, pos) is not None else None

"""Find CloudTrail log files (local trees and S3 prefixes) and load them into DuckDB, batch by batch.

Each file is first offered to the byte-level scan (:mod:`connectguard.detect.scan`), which sends
only the records some rule could match; a file it declines is read here whole.

Reading pattern (measured on real CloudTrail, see docs/detect.md): ``read_json_objects``
then ``from_json`` with the typed envelope of :mod:`connectguard.detect.schema`. The
envelope is fixed, so nothing depends on which files DuckDB happened to sample, and the
free-form parts stay JSON text, so case-duplicate keys survive.

Files are read in batches so memory stays flat however large the input: one batch is
parsed, evaluated and dropped before the next. A batch that fails (a truncated gzip, a
malformed JSON file) is split in halves until the failing file is alone; that file is
reported with the reason and skipped, the others are read.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from connectguard.conventions import InputError
from connectguard.detect.scan import CandidateScanner
from connectguard.detect.schema import envelope_json

LOG_SUFFIXES = (".json.gz", ".json")
# Digest files sit beside the logs in the same bucket and are not event files.
IGNORED_PARTS = ("CloudTrail-Digest",)
MAX_OBJECT_BYTES = 1 << 30  # one CloudTrail file is one JSON object; flaws.cloud has ~140 MB ones
MAX_LINE_BYTES = 1 << 28  # the line reader's limit (a longer file falls back to read_json_objects)


@dataclass(frozen=True)
class LogFile:
    """A file to read: ``local`` on disk, ``name`` as the user knows it (a path or s3:// URL)."""

    name: str
    local: Path | None = None
    s3_bucket: str | None = None
    s3_key: str | None = None


@dataclass
class Skipped:
    file: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "reason": self.reason}


@dataclass
class BatchResult:
    files: int = 0
    events: int = 0
    skipped: list[Skipped] = field(default_factory=list)


def is_log_name(name: str) -> bool:
    return name.endswith(LOG_SUFFIXES) and not any(part in name for part in IGNORED_PARTS)


def discover(inputs: Sequence[str], *, s3_client: Any = None) -> Iterator[LogFile]:
    """Every CloudTrail log file under ``inputs`` (files, directories recursively, s3://bucket/prefix), once."""
    seen: set[str] = set()
    for log in _discover(inputs, s3_client):
        key = str(log.local.resolve()) if log.local is not None else log.name
        if key not in seen:
            seen.add(key)
            yield log


def _discover(inputs: Sequence[str], s3_client: Any) -> Iterator[LogFile]:
    for raw in inputs:
        if raw.startswith("s3://"):
            yield from _discover_s3(raw, s3_client)
            continue
        path = Path(raw)
        if path.is_file():
            yield LogFile(str(path), local=path)
        elif path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    full = Path(root) / name
                    if is_log_name(str(full)):
                        yield LogFile(str(full), local=full)
        else:
            raise InputError("no such file or directory", raw)


def _discover_s3(url: str, s3_client: Any) -> Iterator[LogFile]:
    bucket, _, prefix = url[len("s3://") :].partition("/")
    if not bucket:
        raise InputError("an S3 location is s3://bucket[/prefix]", url)
    client = s3_client or _default_s3_client()
    import botocore.exceptions

    paginator = client.get_paginator("list_objects_v2")
    try:
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if is_log_name(key):
                    yield LogFile(f"s3://{bucket}/{key}", s3_bucket=bucket, s3_key=key)
    except botocore.exceptions.BotoCoreError as exc:
        raise InputError(f"cannot list S3 objects: {exc}", url) from None
    except botocore.exceptions.ClientError as exc:
        raise InputError(f"cannot list S3 objects: {exc.response.get('Error', {}).get('Code', exc)}", url) from None


def _default_s3_client() -> Any:
    import boto3  # the standard credential chain: env, profile, SSO, instance role

    return boto3.client("s3")


class Staging:
    """Gives each batch local paths: local files as they are, S3 objects downloaded to a temp dir
    that is emptied after each batch (so disk use is one batch too)."""

    def __init__(self, s3_client: Any = None) -> None:
        self._client = s3_client
        self._dir: Path | None = None

    def __enter__(self) -> Staging:  # noqa: PYI034 - final in practice
        return self

    def __exit__(self, *exc: object) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)

    def stage(self, batch: Sequence[LogFile]) -> tuple[list[tuple[LogFile, Path]], list[Skipped]]:
        remote = [(i, f) for i, f in enumerate(batch) if f.local is None]
        fetched: dict[int, Path | Skipped] = {}
        if remote:
            if self._dir is None:
                self._dir = Path(tempfile.mkdtemp(prefix="connectguard-detect-"))
            self._client = self._client or _default_s3_client()
            # boto3 clients are thread-safe; S3 GETs are latency-bound, so fetch a batch concurrently.
            with ThreadPoolExecutor(max_workers=8) as pool:
                for i, outcome in zip([i for i, _ in remote], pool.map(lambda item: self._fetch(*item), remote)):
                    fetched[i] = outcome
        ready: list[tuple[LogFile, Path]] = []
        skipped: list[Skipped] = []
        for i, f in enumerate(batch):
            if f.local is not None:
                ready.append((f, f.local))
            elif isinstance(fetched[i], Skipped):
                skipped.append(fetched[i])  # type: ignore[arg-type]
            else:
                ready.append((f, fetched[i]))  # type: ignore[arg-type]
        return ready, skipped

    def _fetch(self, index: int, log: LogFile) -> Path | Skipped:
        assert self._dir is not None
        target = self._dir / f"{index:05d}{'.json.gz' if log.name.endswith('.gz') else '.json'}"
        try:
            self._client.download_file(log.s3_bucket, log.s3_key, str(target))
        except Exception as exc:  # noqa: BLE001 - any failure to fetch one object skips that object
            return Skipped(log.name, f"cannot download: {_short(exc)}")
        return target

    def release(self) -> None:
        if self._dir is not None:
            for p in self._dir.iterdir():
                p.unlink(missing_ok=True)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


class Loader:
    """Loads batches of files into the DuckDB table ``ct_events`` (one row per record: ``f`` file, ``r`` record).

    ``prefilter`` (a DuckDB lambda body over one record ``r``) keeps only records some rule could
    match: the union of one necessary conjunct per rule (see ``compiler.prefilter_term``). The
    rules' own SQL then runs over those. None keeps every record.

    ``scanner`` (the same prefilter as a byte search, :mod:`connectguard.detect.scan`) reads each
    file first: a file it reads sends only its candidate records to DuckDB; a file it declines
    (None) is read by DuckDB whole, as without a scanner.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        prefilter: str | None = None,
        extra: Sequence[str] = (),
        scanner: CandidateScanner | None = None,
    ) -> None:
        self.con = con
        self.wrapper = envelope_json(wrapped=True, extra=extra)
        self.prefilter = prefilter
        self.scanner = scanner
        # What the records held may match, for the engine to plan only the rules they could fire:
        # the prefilter values the scan found, or None (any rule) when a file was read by DuckDB
        # whole or the scan found an escape. Reset with the table.
        self.found: set[str] | None = set()

    def reset(self) -> None:
        """An empty ``ct_events``."""
        self.found = set()
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE ct_events (f VARCHAR, r {self._row_type()})")

    def load(self, files: Sequence[tuple[LogFile, Path]], *, append: bool = False) -> BatchResult:
        """Replace ``ct_events`` with the records of ``files`` (``append``: add them); report the files
        that could not be read."""
        if not append:
            self.reset()
        result = BatchResult()
        whole: list[tuple[LogFile, Path]] = []  # files for DuckDB to read whole
        scanned: list[tuple[LogFile, Path, int, str]] = []  # (file, path, records, candidates' JSON)
        for log, path in files:
            scan = self.scanner.scan(path) if self.scanner is not None else None
            if scan is None:
                whole.append((log, path))
                self.found = None
                continue
            result.files += 1
            result.events += scan.records
            if self.found is not None:
                self.found = None if scan.escaped else self.found | scan.found
            if scan.candidates:
                text = b'{"Records":[' + b",".join(scan.candidates) + b"]}"
                scanned.append((log, path, scan.records, text.decode("utf-8")))
        self._load(whole, result)
        if scanned:
            try:
                self._insert_candidates(scanned)
            except duckdb.Error:
                # DuckDB rejects something msgspec accepted: read those files whole, as without a scanner.
                result.files -= len(scanned)
                result.events -= sum(n for _, _, n, _ in scanned)
                self.con.execute("DELETE FROM ct_events WHERE f IN (SELECT unnest(?::VARCHAR[]))",
                                 [[str(p) for _, p, _, _ in scanned]])
                self._load([(log, path) for log, path, _, _ in scanned], result)
                self.found = None
        return result

    def _insert_candidates(self, scanned: list[tuple[LogFile, Path, int, str]]) -> None:
        kept = f"list_filter(recs, lambda r: {self.prefilter})" if self.prefilter else "recs"
        self.con.execute(
            f"""INSERT INTO ct_events SELECT f, unnest({kept}) FROM (
                SELECT f, from_json(j, '{self.wrapper}').Records AS recs
                FROM (SELECT unnest(?::VARCHAR[]) AS f, unnest(?::VARCHAR[]) AS j))""",
            [[str(p) for _, p, _, _ in scanned], [t for _, _, _, t in scanned]],
        )

    def _row_type(self) -> str:
        if not hasattr(self, "_type"):
            self._type = self.con.execute(
                "SELECT typeof(from_json('{}', ?).Records[1])", [self.wrapper]
            ).fetchone()[0]  # type: ignore[index]
        return self._type

    def _load(self, files: list[tuple[LogFile, Path]], result: BatchResult, fmt: str = "lines") -> None:
        # CloudTrail writes each file as one line of JSON. Read as lines (DuckDB's CSV reader with a
        # delimiter JSON text cannot contain), each file's JSON is parsed once, by from_json. A batch
        # that fails that way (a pretty-printed file, a bad file) is read again with read_json_objects,
        # and only a batch failing there is split in halves until the bad file is alone.
        if not files:
            return
        try:
            self._load_group(files, result, fmt)
        except duckdb.Error as exc:
            if fmt == "lines":
                self._load(files, result, "auto")
            elif len(files) == 1:
                result.skipped.append(Skipped(files[0][0].name, _reason(exc, files[0][1])))
            else:
                mid = len(files) // 2
                self._load(files[:mid], result, fmt)
                self._load(files[mid:], result, fmt)

    @staticmethod
    def _scan(fmt: str) -> str:
        if fmt == "lines":
            return (
                "(SELECT filename, json FROM read_csv(?, columns = {'json': 'VARCHAR'}, delim = chr(1), quote = '', "
                "escape = '', header = false, auto_detect = false, compression = 'auto', filename = true, "
                f"parallel = false, max_line_size = {MAX_LINE_BYTES}) WHERE json <> '')"
            )
        return (
            f"read_json_objects(?, filename = true, format = '{fmt}', maximum_object_size = {MAX_OBJECT_BYTES})"
        )

    def _load_group(self, files: list[tuple[LogFile, Path]], result: BatchResult, fmt: str) -> None:
        paths = [str(p) for _, p in files]
        kept = f"list_filter(recs, lambda r: {self.prefilter})" if self.prefilter else "recs"
        # One pass over the bytes: parse each file against the typed envelope, count its records,
        # keep the candidates. Nothing else of the batch stays in memory.
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE ct_batch AS
            SELECT filename, recs IS NOT NULL AS has_records, len(recs) AS n, {kept} AS kept
            FROM (SELECT filename, from_json(json, '{self.wrapper}').Records AS recs FROM {self._scan(fmt)})""",
            [paths],
        )
        per_file = {
            row[0]: row[1:]
            for row in self.con.execute(
                "SELECT filename, count(*), bool_and(has_records), sum(n) FROM ct_batch GROUP BY filename"
            ).fetchall()
        }
        good: list[str] = []
        for log, path in files:
            objects, has_records, n = per_file.get(str(path), (0, False, 0))
            if objects == 0:
                result.skipped.append(Skipped(log.name, "empty file: no JSON value"))
            elif objects != 1:
                result.skipped.append(
                    Skipped(log.name, f"not a CloudTrail log file: {objects} JSON values, expected one object")
                )
            elif not has_records:
                result.skipped.append(Skipped(log.name, 'not a CloudTrail log file: no "Records" array'))
            else:
                good.append(str(path))
                result.files += 1
                result.events += int(n or 0)
        self.con.execute(
            "INSERT INTO ct_events SELECT filename, unnest(kept) FROM ct_batch "
            "WHERE filename IN (SELECT unnest(?::VARCHAR[]))",
            [good],
        )
        self.con.execute("DROP TABLE ct_batch")


def _reason(exc: duckdb.Error, path: Path) -> str:
    text = _short(exc).replace(str(path), "<file>")
    lowered = text.lower()
    if "gzip" in lowered or "zlib" in lowered or "compress" in lowered:
        return f"corrupt or truncated gzip: {text}"
    if "malformed" in lowered or "json" in lowered:
        return f"malformed JSON: {text}"
    return text

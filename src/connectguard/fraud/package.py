"""Build the Lambda deployment zip from the installed files.

Contents: the screening modules of ``connectguard`` (``connectguard/__init__.py`` and
the handler's modules under ``connectguard/fraud/``) and the ``phonenumbers`` package
directory of phonenumbers lite with its licence. boto3 comes with the Lambda Python
runtime, so it is not packaged. The zip is reproducible: sorted entries, fixed
timestamps and permissions, so the same installed files give the same CodeSha256.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import importlib.util
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# What the handler imports, and nothing else (admin, template, package, testing stay out).
SCREENING_MODULES = (
    "connectguard/__init__.py",
    "connectguard/fraud/__init__.py",
    "connectguard/fraud/identity.py",
    "connectguard/fraud/numbers.py",
    "connectguard/fraud/core.py",
    "connectguard/fraud/store.py",
    "connectguard/fraud/handler.py",
)
# Directories of the full `phonenumbers` distribution that the lite one leaves out.
_FULL_ONLY_DIRS = ("phonenumbers/geodata/", "phonenumbers/carrierdata/", "phonenumbers/tzdata/")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class PackageError(RuntimeError):
    pass


@dataclass(frozen=True)
class PackageReport:
    path: str
    size_bytes: int
    files: int
    sha256: str
    code_sha256: str  # base64, as Lambda's GetFunction reports CodeSha256
    phonenumbers_distribution: str

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _connectguard_root() -> Path:
    spec = importlib.util.find_spec("connectguard")
    if spec is None or not spec.submodule_search_locations:
        raise PackageError("the connectguard package is not importable")
    return Path(next(iter(spec.submodule_search_locations))).parent


def _phonenumbers_files() -> tuple[str, list[tuple[str, Path]]]:
    for dist_name in ("phonenumberslite", "phonenumbers"):
        try:
            dist = importlib.metadata.distribution(dist_name)
        except importlib.metadata.PackageNotFoundError:
            continue
        chosen: list[tuple[str, Path]] = []
        for file in dist.files or []:
            name = PurePosixPath(str(file)).as_posix()
            keep_code = (
                name.startswith("phonenumbers/")
                and "__pycache__" not in name
                and not name.endswith(".pyi")
                and not name.startswith(_FULL_ONLY_DIRS)
            )
            keep_licence = ".dist-info/" in name and ("/licenses/" in name or name.rsplit("/", 1)[-1].startswith(("LICENSE", "COPYING")))
            if keep_code or keep_licence:
                chosen.append((name, Path(str(dist.locate_file(file)))))
        if chosen:
            return f"{dist_name} {dist.version}", chosen
    raise PackageError("phonenumbers is not installed: pip install 'connectguard[fraud]'")


def zip_entries() -> tuple[str, list[tuple[str, Path]]]:
    root = _connectguard_root()
    entries = [(name, root / name) for name in SCREENING_MODULES]
    missing = [name for name, path in entries if not path.is_file()]
    if missing:
        raise PackageError(f"installed connectguard lacks {', '.join(missing)}")
    distribution, phone_files = _phonenumbers_files()
    return distribution, sorted(entries + phone_files)


def build(output: str | Path) -> PackageReport:
    distribution, entries = zip_entries()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, path in entries:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    data = buffer.getvalue()
    from connectguard.files import write_bytes_atomic  # not imported by the handler

    write_bytes_atomic(output, data)
    digest = hashlib.sha256(data).digest()
    return PackageReport(
        path=str(output),
        size_bytes=len(data),
        files=len(entries),
        sha256=digest.hex(),
        code_sha256=base64.b64encode(digest).decode(),
        phonenumbers_distribution=distribution,
    )

"""Writing files safely: atomically (a reader never sees half a report) and with chosen permissions."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from connectguard.conventions import ConnectGuardError


def write_bytes_atomic(path: str | Path, data: bytes, mode: int = 0o644) -> None:
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    tmp = None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
        raise ConnectGuardError(f"{path}: cannot write: {exc.strerror or exc}") from None


def write_text_atomic(path: str | Path, text: str, mode: int = 0o644) -> None:
    write_bytes_atomic(path, text.encode("utf-8"), mode)

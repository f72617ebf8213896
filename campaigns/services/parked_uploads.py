"""Uploads parked between the check and the import, in the instance folder, and their clean-up.

An upload is checked in one request and imported in the next, so its bytes wait on disk under a
random token bound to the uploading user. Each parked upload is one file: its first line is the
original file name (already cleaned by `plain_text.uploaded_filename`, so it holds no newline),
the rest the bytes as uploaded. One file, written to a temporary name and renamed, means a
reader sees either the whole upload with its name or nothing, and the clean-up job has exactly
one thing to remove. The original name matters: it is the default name of an incident set and
the source of a boundary set ("Incidents from counties.csv", not "Incidents from .csv").

Nobody imports some uploads (the user closes the tab), so `purge_older_than` removes parked
files whose modification time is older than `PARKED_UPLOAD_HOURS`. An import reads its file
whole at the start of the request, and a file is never older than the age limit while someone is
still between the two steps of a normal upload; when one is gone anyway, the import says the
upload expired instead of failing.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["ParkedUpload", "UploadExpired", "park", "purge_older_than", "take", "upload_dir"]

_TOKEN_RE: Final = re.compile(r"[a-f0-9]{32}")
_SUFFIX: Final = ".upload"


class UploadExpired(LookupError):
    """The parked file is gone: imported already, removed by the clean-up, or never this user's."""


@dataclass(frozen=True)
class ParkedUpload:
    """A parked upload read back: the original file name, its bytes and where it lies."""

    name: str
    data: bytes
    path: Path


def upload_dir(instance_path: str | Path) -> Path:
    """The folder of parked uploads, created on first use."""
    path = Path(instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _path(instance_path: str | Path, user_id: int, token: str) -> Path:
    return upload_dir(instance_path) / f"{int(user_id)}-{token}{_SUFFIX}"


def park(instance_path: str | Path, user_id: int, filename: str, data: bytes) -> str:
    """Keep `data` (uploaded as `filename`) for `user_id`'s import step; returns the token.

    Written to a temporary name and renamed, so the import and the clean-up never see half a file."""
    token = secrets.token_hex(16)
    target = _path(instance_path, user_id, token)
    temporary = target.with_name(f".{target.name}.tmp")
    name = filename.replace("\n", " ").replace("\r", " ")
    temporary.write_bytes(name.encode("utf-8") + b"\n" + data)
    os.replace(temporary, target)
    return token


def take(instance_path: str | Path, user_id: int, token: str) -> ParkedUpload:
    """The upload parked under `token` by `user_id`, read whole; `UploadExpired` when it is gone.

    A token that is not one of ours is treated like a gone upload (`ValueError`, for a 400)."""
    if not _TOKEN_RE.fullmatch(token or ""):
        raise ValueError("not an upload token")
    path = _path(instance_path, user_id, token)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UploadExpired(token) from None
    name, _sep, data = raw.partition(b"\n")
    return ParkedUpload(name.decode("utf-8", errors="replace"), data, path)


def purge_older_than(instance_path: str | Path, hours: int, now: float | None = None) -> dict[str, int]:
    """Remove parked files (and stray temporary files) last modified more than `hours` ago.

    Idempotent and safe next to an import or a second run: a file is only removed when its
    mtime is past the age, a file that vanished meanwhile is skipped, and nothing is read."""
    cutoff = (time.time() if now is None else now) - hours * 3600
    removed = freed = 0
    for entry in os.scandir(upload_dir(instance_path)):
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            info = entry.stat(follow_symlinks=False)
            if info.st_mtime >= cutoff:
                continue
            os.unlink(entry.path)
        except FileNotFoundError:  # another run, or the import, removed it first
            continue
        removed += 1
        freed += info.st_size
    return {"removed": removed, "bytes": freed}

"""Build any format of a toolkit, bundle them all in a ZIP with a manifest, and cache results.

The cache is keyed by the toolkit's version hash (library, catalog, templates, campaign), the
format and the paper, so a repeat download is a file read, and any change to a sign, a
translation or a template makes a new version rather than serving a stale file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .locales import Translator, completeness, language_name
from .render import DOCUMENT_PAPERS, POSTER_PAPERS, render_card, render_html, render_pdf, render_poster
from .social import render_social_json, render_social_text
from .toolkit import Toolkit

FORMATS = ("html", "pdf", "card", "poster", "social", "zip")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "txt": "text/plain; charset=utf-8",
    "json": "application/json",
    "zip": "application/zip",
}
GENERATOR = "Campaign planner toolkit builder"


@dataclass(frozen=True)
class Artifact:
    data: bytes
    filename: str
    media_type: str
    version: str


def papers_for(fmt: str) -> tuple[str, ...]:
    return {"pdf": DOCUMENT_PAPERS, "poster": POSTER_PAPERS}.get(fmt, ("",))


def check_format(fmt: str, paper: str | None) -> str:
    """The paper to use for a format: its first size by default, an error when it has none."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    papers = papers_for(fmt)
    if not paper:
        return papers[0]
    if paper not in papers:
        allowed = ", ".join(p for p in papers if p) or "none (leave --paper out)"
        raise ValueError(f"Paper {paper!r} does not apply to {fmt}; expected: {allowed}")
    return paper


# (name part, extension) per format; the paper, when there is one, follows the name part.
_NAMES = {"html": ("", "html"), "pdf": ("", "pdf"), "card": ("-card", "pdf"), "poster": ("-poster", "pdf"),
          "social": ("-social", "txt"), "zip": ("", "zip")}


def filename(toolkit: Toolkit, fmt: str, paper: str = "") -> str:
    part, extension = _NAMES[fmt]
    return f"{toolkit.slug}{part}{f'-{paper}' if paper else ''}.{extension}"


def _manifest(toolkit: Toolkit, files: dict[str, bytes]) -> dict[str, object]:
    t = Translator(toolkit.locale, html=False)
    stats = completeness(toolkit.locale)
    c = toolkit.campaign
    return {
        "generator": GENERATOR,
        "version": toolkit.version,
        "date": toolkit.as_of.isoformat(),
        "locale": toolkit.locale,
        "language": language_name(toolkit.locale),
        "direction": t.direction,
        "audience": {"id": toolkit.audience.id, "title": str(t.gettext(toolkit.audience.title))},
        "country": toolkit.country,
        "campaign": None if c.is_empty else {
            "name": c.name, "helpline": c.helpline_number, "partners": list(c.partners),
            "starts": c.starts.isoformat() if c.starts else None,
            "ends": c.ends.isoformat() if c.ends else None, "areas": list(c.areas),
        },
        "helplines": [
            {"name": h.helpline.name, "number": h.helpline.number, "verify_before_printing": h.verify,
             "last_verified": h.helpline.verified.isoformat() if h.helpline.verified else None,
             "source": h.helpline.source}
            for h in toolkit.helplines
        ],
        "translation": {"translated": stats.translated, "total": stats.total, "fuzzy": stats.fuzzy,
                        "missing": stats.missing},
        "library_digest": toolkit.library_digest,
        "sources": [
            {"id": s.id, "title": s.title, "publisher": s.publisher, "year": s.year, "url": s.url}
            for s in toolkit.sources
        ],
        "files": [
            {"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in files.items()
        ],
    }


def _sources_text(toolkit: Toolkit) -> str:
    t = Translator(toolkit.locale, html=False)
    lines = [str(t.gettext("Sources")), ""]
    lines.append(str(t.gettext(
        "The wording in this toolkit is our own. The facts behind it come from these public frameworks and "
        "guidance documents."
    )))
    lines.append("")
    for s in toolkit.sources:
        year = f", {s.year}" if s.year else ""
        lines += [f"- {s.title} ({s.publisher}{year})", f"  {t.gettext(s.about)}", f"  {s.url}", ""]
    return "\n".join(lines)


# Fixed timestamp inside the ZIP so the same version gives the same bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def render_zip(toolkit: Toolkit, build: Callable[[str, str], bytes] | None = None) -> bytes:
    """Every format and paper in one archive, plus manifest.json and SOURCES.txt."""
    build = build or (lambda fmt, paper: render_format(toolkit, fmt, paper))
    files: dict[str, bytes] = {}
    for fmt in FORMATS:
        if fmt == "zip":
            continue
        for paper in papers_for(fmt):
            files[filename(toolkit, fmt, paper)] = build(fmt, paper)
    files[f"{toolkit.slug}-social.json"] = render_social_json(toolkit).encode("utf-8")
    files["SOURCES.txt"] = _sources_text(toolkit).encode("utf-8")
    manifest = json.dumps(_manifest(toolkit, files), ensure_ascii=False, indent=2).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in {"manifest.json": manifest, **files}.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def render_format(toolkit: Toolkit, fmt: str, paper: str = "") -> bytes:
    if fmt == "html":
        return render_html(toolkit).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(toolkit, paper or "a4")
    if fmt == "card":
        return render_card(toolkit)
    if fmt == "poster":
        return render_poster(toolkit, paper or "a4")
    if fmt == "social":
        return render_social_text(toolkit).encode("utf-8")
    if fmt == "zip":
        return render_zip(toolkit)
    raise ValueError(f"Unknown format {fmt!r}; expected one of: {', '.join(FORMATS)}")


class ToolkitCache:
    """Built files on disk under `<directory>/<version>/`; writes are atomic (temp file then
    rename) so two workers building the same file at once both leave a whole file."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def path(self, toolkit: Toolkit, fmt: str, paper: str) -> Path:
        return self.directory / toolkit.version / filename(toolkit, fmt, paper)

    def get(self, toolkit: Toolkit, fmt: str, paper: str) -> bytes | None:
        path = self.path(toolkit, fmt, paper)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def put(self, toolkit: Toolkit, fmt: str, paper: str, data: bytes) -> None:
        path = self.path(toolkit, fmt, paper)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)


def build(toolkit: Toolkit, fmt: str, paper: str | None = None, cache: ToolkitCache | None = None) -> Artifact:
    """One format of a toolkit, from the cache when this version was built before."""
    paper = check_format(fmt, paper)

    def cached(fmt: str, paper: str) -> bytes:
        if cache is not None:
            hit = cache.get(toolkit, fmt, paper)
            if hit is not None:
                return hit
        data = render_zip(toolkit, cached) if fmt == "zip" else render_format(toolkit, fmt, paper)
        if cache is not None:
            cache.put(toolkit, fmt, paper, data)
        return data

    data = cached(fmt, paper)
    return Artifact(data, filename(toolkit, fmt, paper), MEDIA_TYPES[_NAMES[fmt][1]], toolkit.version)



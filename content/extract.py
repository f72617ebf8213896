"""A Babel extractor for the indicator library, so `pybabel extract` puts every sign,
explanation and step into `messages.pot` beside the page strings and translators work in one
catalog with one set of tools (see `babel.cfg`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import yaml

from .schema import EXAMPLE_FIELDS, TRANSLATABLE_FIELDS, UNTRANSLATED_IN


def _walk(node: Any, file_stem: str, trail: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        label = f"{trail} {node['id']}" if "id" in node else trail
        for key, value in node.items():
            if isinstance(value, str) and key in TRANSLATABLE_FIELDS and key not in UNTRANSLATED_IN.get(file_stem, ()):
                yield value, f"{label}: {key}".strip()
            elif key in EXAMPLE_FIELDS and isinstance(value, dict):
                for audience, example in value.items():
                    if isinstance(example, str):
                        yield example, f"{label}: example for {audience}".strip()
            elif isinstance(value, dict | list):
                yield from _walk(value, file_stem, f"{label} {key}" if isinstance(value, list) else label)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, file_stem, trail)


def extract_library(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Yield (line, funcname, message, comments) as Babel expects; the comment tells the
    translator which file and entry the text is from and what it is for."""
    name = Path(getattr(fileobj, "name", "library.yaml")).stem
    data = yaml.safe_load(fileobj.read().decode("utf-8"))
    hints = {
        "sign": "a short observable warning sign (max 90 characters; printed on wallet cards and social posts)",
        "worker_sign": "addressed to the worker as 'you' (max 90 characters)",
        "card_title": "wallet-card heading (max 40 characters)",
        "short": "button label (max 25 characters)",
        "example": "what the sign can look like for this audience (max 220 characters)",
    }
    for message, where in _walk(data, name, name):
        field = where.rsplit(": ", 1)[-1].split(" ", 1)[0]
        comments = [f"{where}" + (f" — {hints[field]}" if field in hints else "")]
        yield 0, None, message, comments

"""One-time answer codes for waves answered on printed cards (`WaveAccess.CODES`).

A code is 8 letters from an alphabet without look-alikes (no 0/O, 1/I/L), printed as XXXX-XXXX,
so a respondent can type it from a card on a phone. Only a SHA-256 of the code salted with the
wave's token is stored: a copy of the database cannot be turned back into cards, and the same
code in two waves hashes differently. The plain codes exist once, in the answer to `issue_codes`,
for printing.

`redeem` is a single `UPDATE … WHERE used_on IS NULL` in the caller's transaction, the one that
stores the answers: two people typing the same code at the same moment both run the UPDATE, the
database lets exactly one of them change the row (rowcount 1), and the other is refused, on SQLite
(one writer at a time) as on PostgreSQL (row lock, re-check of the WHERE after the first commits).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import date
from typing import Final

from sqlalchemy import insert, select, update

from ..extensions import db
from .models import SurveyCode, SurveyWave

ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH: Final = 8
MAX_CODES: Final = 5000
_NOT_CODE: Final = re.compile(r"[\s\-–—_.]+")
_CHUNK: Final = 500


def normalise(code: str) -> str | None:
    """The code as stored, from what a person typed: upper case, without spaces or dashes.
    None when it cannot be a code at all (wrong length, a letter the alphabet does not have)."""
    plain = _NOT_CODE.sub("", code or "").upper()
    if len(plain) != CODE_LENGTH or any(ch not in ALPHABET for ch in plain):
        return None
    return plain


def code_hash(wave: SurveyWave, plain: str) -> str:
    """SHA-256 of the normalised code salted with the wave's token (64 hex digits)."""
    return hashlib.sha256(f"{wave.token}:{plain}".encode()).hexdigest()


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def _existing(wave_id: int, hashes: Iterable[str]) -> set[str]:
    wanted = list(hashes)
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        found.update(
            db.session.scalars(
                select(SurveyCode.code_hash).where(
                    SurveyCode.wave_id == wave_id, SurveyCode.code_hash.in_(wanted[start : start + _CHUNK])
                )
            )
        )
    return found


def issue_codes(wave: SurveyWave, n: int) -> list[str]:
    """Add `n` new unused codes to the wave (in the caller's transaction) and return them, grouped
    XXXX-XXXX, for printing: they cannot be shown again. Raises ValueError outside 1..MAX_CODES."""
    if not 1 <= n <= MAX_CODES:
        raise ValueError(f"the number of codes must be from 1 to {MAX_CODES}, got {n}")
    fresh: dict[str, str] = {}  # hash -> plain
    while len(fresh) < n:
        batch = {code_hash(wave, plain): plain for plain in (_new_code() for _ in range(n - len(fresh)))}
        # 31^8 is about 8.5e11 codes, so a clash is rare; but a clash would make two cards one.
        taken = _existing(wave.id, batch) | set(fresh)
        fresh.update({h: p for h, p in batch.items() if h not in taken})
    db.session.execute(insert(SurveyCode), [{"wave_id": wave.id, "code_hash": h} for h in fresh])
    return [f"{plain[:4]}-{plain[4:]}" for plain in fresh.values()]


def redeem(wave: SurveyWave, code: str, today: date | None = None) -> bool:
    """Mark the code used today, in the caller's transaction; False for a code the wave does not
    have or one already used. Exactly one of several concurrent redeems of one code gets True."""
    plain = normalise(code)
    if plain is None:
        return False
    result = db.session.execute(
        update(SurveyCode)
        .where(SurveyCode.wave_id == wave.id, SurveyCode.code_hash == code_hash(wave, plain),
               SurveyCode.used_on.is_(None))
        .values(used_on=today or date.today())
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    return int(getattr(result, "rowcount", 0) or 0) == 1


def is_used(wave: SurveyWave, code: str) -> bool:
    """Whether the code belongs to the wave and was used already (to say so, rather than that the
    code is wrong, to someone who typed it twice)."""
    plain = normalise(code)
    if plain is None:
        return False
    query = select(SurveyCode.used_on).where(
        SurveyCode.wave_id == wave.id, SurveyCode.code_hash == code_hash(wave, plain)
    )
    return db.session.scalar(query) is not None

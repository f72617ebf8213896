"""One toolkit: what a given audience, in a given language and country, should be shown.

`assemble` picks the indicators, steps, helplines and sources once; every format (HTML, PDF,
card, poster, social posts, ZIP) renders from the same `Toolkit`, so they cannot disagree, and
its `version` is a hash of everything that made it: a repeat build with the same version is
byte-for-byte the same content and can come from a cache.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path

from .library import Audience, Category, Helpline, Indicator, Library, Source, Step, default_library
from .locales import TRANSLATIONS_DIR, catalog_digest, check_locale

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
# Which country's helplines a locale's toolkit shows unless the caller says otherwise.
DEFAULT_COUNTRY = {"en": "GB", "lt": "LT", "pl": "PL", "ro": "RO", "bg": "BG", "uk": "UA", "es": "ES"}
FALLBACK_COUNTRY = "GB"


@dataclass(frozen=True)
class Logo:
    """A partner's logo as uploaded: checked by `content.logos.check_logo` before it gets here,
    so a renderer can embed it without looking inside."""

    name: str
    media_type: str  # image/png or image/svg+xml
    data: bytes = field(repr=False)

    @property
    def data_uri(self) -> str:
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode('ascii')}"

    def fingerprint(self) -> str:
        return f"{self.name}:{self.media_type}:{hashlib.sha256(self.data).hexdigest()}"


@dataclass(frozen=True)
class Campaign:
    """What a campaign adds to its toolkits. Everything is optional; a helpline given here is
    shown first and, with its own verification date, replaces the library's national lines."""

    name: str = ""
    helpline_name: str = ""
    helpline_number: str = ""
    helpline_verified: dt.date | None = None
    partners: tuple[str, ...] = ()
    starts: dt.date | None = None
    ends: dt.date | None = None
    areas: tuple[str, ...] = ()
    survey_url: str = ""  # the public survey form of the campaign's next wave in this language
    public_url: str = ""  # the campaign's public toolkit page: the poster's QR code when there is no survey
    logos: tuple[Logo, ...] = ()

    def fingerprint(self) -> str:
        data = asdict(self)
        data["logos"] = [logo.fingerprint() for logo in self.logos]
        return json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)

    @property
    def qr_url(self) -> str:
        """Where a printed code should lead: the survey when a wave is open, else the public page."""
        return self.survey_url or self.public_url

    @property
    def is_empty(self) -> bool:
        return self == Campaign()

    def helpline(self, country: str) -> Helpline | None:
        if not self.helpline_number:
            return None
        digits = "".join(ch for ch in self.helpline_number if ch.isdigit() or ch == "+")
        return Helpline(
            id="campaign",
            country=country,
            kind="campaign",
            name=self.helpline_name or self.name,
            number=self.helpline_number,
            tel=digits,
            description="",
            hours="",
            url="",
            source="",
            verified=self.helpline_verified,
        )


@dataclass(frozen=True)
class ListedHelpline:
    helpline: Helpline
    verify: bool


@dataclass(frozen=True)
class Toolkit:
    audience: Audience
    locale: str
    country: str
    campaign: Campaign
    as_of: dt.date
    sections: tuple[tuple[Category, tuple[Indicator, ...]], ...]
    steps: tuple[Step, ...]
    helplines: tuple[ListedHelpline, ...]
    sources: tuple[Source, ...]
    version: str
    library_digest: str = field(repr=False, default="")

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for _, items in self.sections for i in items)

    @property
    def key_signs(self) -> tuple[Indicator, ...]:
        """The signs the card, poster and posts pick from, best first: the audience's own
        categories lead (a bank clerk sees money, not housing), then signs that alone should
        prompt action. Sections already come in the audience's order, so a stable sort keeps it."""
        leading = set(self.audience.leads_with)
        return tuple(sorted(self.indicators, key=lambda i: (i.category not in leading, not i.act_alone)))

    def example(self, indicator: Indicator) -> str | None:
        """What this sign looks like in the audience's own workplace, when the library says."""
        return indicator.example_for(self.audience.id)

    @property
    def main_helpline(self) -> ListedHelpline | None:
        others = [h for h in self.helplines if h.helpline.kind != "emergency"]
        return others[0] if others else None

    @property
    def emergency(self) -> ListedHelpline | None:
        return next((h for h in self.helplines if h.helpline.kind == "emergency"), None)

    def wording(self, indicator: Indicator) -> tuple[str, str]:
        return indicator.wording(self.audience)

    @property
    def slug(self) -> str:
        return f"toolkit-{self.audience.id}-{self.locale}-{self.country.lower()}"


@cache
def code_digest() -> str:
    """Templates, stylesheet and the rendering code: a change to any of them is a new version.
    Read once per process; an installed package does not change under a running server."""
    sha = hashlib.sha256()
    for path in sorted([*TEMPLATES_DIR.rglob("*"), *PACKAGE_DIR.glob("*.py")]):
        if path.is_file():
            sha.update(path.name.encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()


def _with_check(helpline: Helpline, checked_on: dt.date | None) -> Helpline:
    if checked_on is None or (helpline.verified is not None and helpline.verified >= checked_on):
        return helpline
    return replace(helpline, verified=checked_on)


def listed_helplines(library: Library, country: str, campaign: Campaign, checked: Mapping[str, dt.date] | None,
                     as_of: dt.date) -> tuple[ListedHelpline, ...]:
    """The helplines a toolkit for `country` prints, in order (the campaign's own first, then
    trafficking, labour and emergency lines), each marked when it needs verifying on `as_of`.
    They depend on neither the audience nor the language, so a page that only lists numbers to
    check asks this rather than assembling whole toolkits."""
    lines = [_with_check(h, (checked or {}).get(h.id)) for h in library.helplines_for(country)]
    ordered = sorted(lines, key=lambda h: {"trafficking": 0, "labour": 1, "emergency": 2}[h.kind])
    own = campaign.helpline(country)
    if own is not None:
        ordered = [own, *ordered]
    return tuple(ListedHelpline(h, h.needs_verifying(as_of)) for h in ordered)


def default_country(locale: str) -> str:
    return DEFAULT_COUNTRY.get(locale, FALLBACK_COUNTRY)


def assemble(
    audience: str,
    locale: str,
    *,
    country: str | None = None,
    campaign: Campaign | None = None,
    as_of: dt.date | None = None,
    library: Library | None = None,
    translations: Path = TRANSLATIONS_DIR,
    checked: Mapping[str, dt.date] | None = None,
) -> Toolkit:
    """`checked` maps a library helpline's id to the date a coordinator last checked its
    number (recorded in the application, audited); a later date than the library's wins."""
    library = library or default_library()
    check_locale(locale)
    chosen = library.audience(audience)
    country = (country or default_country(locale)).upper()
    if country not in library.countries:
        raise KeyError(f"No helplines for country {country!r}; expected one of: {', '.join(library.countries)}")
    campaign = campaign or Campaign()
    as_of = as_of or dt.date.today()

    mine = library.indicators_for(chosen.id)
    sections = tuple(
        (category, tuple(i for i in mine if i.category == category.id))
        for category in library.categories_for(chosen.id)
        if any(i.category == category.id for i in mine)
    )
    listed = listed_helplines(library, country, campaign, checked, as_of)
    cited = {s for i in mine for s in i.sources}
    sources = tuple(s for s in library.sources if s.id in cited)

    sha = hashlib.sha256()
    for part in (
        library.digest,
        catalog_digest(locale, translations) if locale != "en" else "",
        code_digest(),
        chosen.id,
        locale,
        country,
        campaign.fingerprint(),
        ",".join(f"{h.helpline.id}:{h.verify}:{h.helpline.verified}" for h in listed),
    ):
        sha.update(part.encode() + b"\0")
    return Toolkit(
        audience=chosen,
        locale=locale,
        country=country,
        campaign=campaign,
        as_of=as_of,
        sections=sections,
        steps=library.actions[chosen.id],
        helplines=listed,
        sources=sources,
        version=sha.hexdigest()[:12],
        library_digest=library.digest,
    )

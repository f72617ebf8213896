"""Social-post texts that fit each platform's length limit, counted the way the platform counts.

X weighs characters (twitter-text v3: most Latin, Cyrillic and Arabic letters count 1, others
such as Vietnamese letters with stacked marks count 2; a link counts 23); Mastodon counts
characters with links as 23; Facebook, Instagram and LinkedIn count characters. A post is built
from pieces in order of importance and drops the least important ones rather than cutting a
sentence, so no post ever ends mid-word.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from .locales import Translator, nfc
from .toolkit import Toolkit


@dataclass(frozen=True)
class Platform:
    id: str
    name: str
    limit: int
    weighted: bool = False
    url_length: int | None = None
    long_form: bool = False


PLATFORMS: tuple[Platform, ...] = (
    Platform("x", "X", 280, weighted=True, url_length=23),
    Platform("mastodon", "Mastodon", 500, url_length=23),
    Platform("facebook", "Facebook", 63206, long_form=True),
    Platform("instagram", "Instagram", 2200, long_form=True),
    Platform("linkedin", "LinkedIn", 3000, long_form=True),
)
# twitter-text v3 configuration: code-point ranges that weigh 100 (one character); others weigh 200.
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_URL = re.compile(r"https?://\S+")
SHORT_POSTS = 6
LONG_SIGNS = 8


@dataclass(frozen=True)
class Post:
    platform: str
    text: str
    length: int
    limit: int


def _weight(char: str) -> int:
    code = ord(char)
    return 1 if any(low <= code <= high for low, high in _LIGHT_RANGES) else 2


def post_length(text: str, platform: Platform) -> int:
    text = nfc(text)
    urls = _URL.findall(text) if platform.url_length else []
    bare = _URL.sub("", text) if urls else text
    count = sum(_weight(c) for c in bare) if platform.weighted else len(bare)
    return count + len(urls) * (platform.url_length or 0)


def _fit(pieces: list[str], platform: Platform, separator: str, required: int) -> str:
    """Join pieces, dropping optional ones from the end until the post fits."""
    chosen = list(pieces)
    while True:
        text = nfc(separator.join(p for p in chosen if p))
        if post_length(text, platform) <= platform.limit:
            return text
        if len(chosen) <= required:
            raise ValueError(f"A {platform.name} post does not fit in {platform.limit} characters: {text[:60]}…")
        chosen.pop()


def social_posts(toolkit: Toolkit) -> list[Post]:
    t = Translator(toolkit.locale, html=False)
    main = toolkit.main_helpline
    call = ""
    if main is not None:
        call = str(t.gettext("Call %(name)s: %(number)s", name=main.helpline.name, number=main.helpline.number))
    headline = str(t.gettext(toolkit.audience.headline))
    posts: list[Post] = []
    for platform in PLATFORMS:
        if platform.long_form:
            signs = [f"• {t.gettext(toolkit.wording(i)[0])}" for i in toolkit.key_signs[:LONG_SIGNS]]
            steps = [f"{n}. {t.gettext(s.text)}" for n, s in enumerate(toolkit.steps[:3], start=1)]
            pieces = [
                headline,
                str(t.gettext(toolkit.audience.intro)),
                call,
                str(t.gettext("Warning signs:")) + "\n" + "\n".join(signs),
                str(t.gettext("What to do:")) + "\n" + "\n".join(steps),
            ]
            texts = [_fit(pieces, platform, "\n\n", required=3)]
        else:
            texts = []
            for indicator in toolkit.key_signs[:SHORT_POSTS]:
                sign = str(t.gettext(toolkit.wording(indicator)[0]))
                lead = str(t.gettext("Warning sign: %(sign)s", sign=sign))
                texts.append(_fit([lead, call, headline], platform, "\n", required=2))
        posts.extend(Post(platform.id, text, post_length(text, platform), platform.limit) for text in texts)
    return posts


def render_social_text(toolkit: Toolkit) -> str:
    """Plain text a trainer can copy from, post by post, with each post's count and limit."""
    t = Translator(toolkit.locale, html=False)
    names = {p.id: p.name for p in PLATFORMS}
    lines = [str(t.gettext("Social posts")) + f" · {toolkit.slug} · {toolkit.version}", ""]
    flagged = [h.helpline.number for h in toolkit.helplines if h.verify]
    if flagged:
        lines += [str(t.gettext("Verify before posting: %(numbers)s", numbers=t.join(flagged))), ""]
    current = ""
    for post in social_posts(toolkit):
        if post.platform != current:
            current = post.platform
            lines += [f"== {names[post.platform]} ==", ""]
        lines += [post.text, f"({t.number(post.length)} / {t.number(post.limit)})", ""]
    return nfc("\n".join(lines))


def render_social_json(toolkit: Toolkit) -> str:
    data = {
        "version": toolkit.version,
        "locale": toolkit.locale,
        "audience": toolkit.audience.id,
        "posts": [asdict(p) for p in social_posts(toolkit)],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)

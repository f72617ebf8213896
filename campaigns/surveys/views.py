"""The coordinator's survey pages of a campaign: waves, questions, the primary outcome, codes,
field-team downloads and imports. Routes live in the modules imported at the bottom."""

from __future__ import annotations

from ..access import Section
from ..models import Role

bp = Section(
    "surveys", __name__, url_prefix="/campaigns/<int:campaign_id>/surveys", roles={Role.ADMIN, Role.COORDINATOR}
)

from . import code_pages, field_pages, wave_pages  # noqa: E402,F401  (routes on bp)

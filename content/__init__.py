"""What to say, in which language: red-flag toolkits as a library (no Flask, no database).

    from content import assemble, build
    toolkit = assemble("bank", "lt")
    pdf = build(toolkit, "pdf", "a4").data
"""

from .bundle import FORMATS, Artifact, ToolkitCache, build
from .library import Library, LibraryError, default_library, load_library
from .locales import LOCALES, Translator, completeness
from .toolkit import Campaign, Logo, Toolkit, assemble

__all__ = [
    "FORMATS", "LOCALES", "Artifact", "Campaign", "Library", "Logo", "LibraryError", "Toolkit", "ToolkitCache",
    "Translator", "assemble", "build", "completeness", "default_library", "load_library",
]

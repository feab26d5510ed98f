"""nice-tx: FHIR terminology plugin serving NICE IPG406 coding rules."""

from __future__ import annotations

from plugin.config import SERVER_VERSION as __version__

__all__ = ["__version__"]

"""nice-tx: FHIR terminology plugin serving NICE IPG406 coding rules."""

from __future__ import annotations

from plugin.coding import CodedDescription, code_description
from plugin.config import SERVER_VERSION as __version__

__all__ = ["CodedDescription", "__version__", "code_description"]

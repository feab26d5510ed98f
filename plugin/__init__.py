"""nice-tx: FHIR terminology plugin serving NICE IPG406 coding rules.

Public API (typed, see `py.typed`):

- terminology operations over the built-in content: `translate`, `expand`, `validate_code`,
  `lookup` (results: `Translation`, `Match`, `Expansion`, `Validation`, `Lookup`, `Code`);
  `Terminology` runs them over other content; bad input raises `FhirError`;
- mounting in another ASGI server: `fhir_app()` (for `app.mount`) and `fhir_router()` (a
  FastAPI `APIRouter`).

The web framework is imported only when `fhir_app` / `fhir_router` are first used, so that
`import plugin` (and the CLI) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from plugin.coding import CodedDescription, code_description
from plugin.config import SERVER_VERSION as __version__
from plugin.errors import FhirError
from plugin.python_api import (
    Code,
    Expansion,
    Lookup,
    Match,
    Property,
    Terminology,
    Translation,
    Validation,
    expand,
    lookup,
    translate,
    validate_code,
)

if TYPE_CHECKING:
    from plugin.api.mount import fhir_app, fhir_router

# Resolved on first use: they import the web framework, which `import plugin` and the CLI skip.
_LAZY = {"fhir_app": "plugin.api.mount", "fhir_router": "plugin.api.mount"}

__all__ = [  # noqa: RUF022 - grouped by purpose, not sorted
    "__version__",
    # operations over the built-in content
    "translate",
    "expand",
    "validate_code",
    "lookup",
    "code_description",
    # typed results and the service over other content
    "Code",
    "CodedDescription",
    "Expansion",
    "FhirError",
    "Lookup",
    "Match",
    "Property",
    "Terminology",
    "Translation",
    "Validation",
    # mounting inside another ASGI / FastAPI server
    "fhir_app",
    "fhir_router",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'plugin' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value

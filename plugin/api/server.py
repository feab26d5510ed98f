"""The served ASGI callable: the application behind the response cache, built in each worker.

A multi-process server (granian) imports a factory in every worker rather than receiving an app
object, so the serve command hands its options over in the environment.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .cache import DEFAULT_SIZE, ASGIApp, ResponseCache

CONTENT_ENV = "NICE_TX_CONTENT"
CACHE_ENV = "NICE_TX_CACHE_SIZE"


def configure(content: Sequence[Path], cache_size: int) -> None:
    """Record the serve options where `asgi_app` (in each worker process) will read them."""
    os.environ[CONTENT_ENV] = os.pathsep.join(str(p) for p in content)
    os.environ[CACHE_ENV] = str(cache_size)


def asgi_app() -> ASGIApp:
    """The app a worker serves: FHIR bases and docs, repeated operation answers from memory."""
    from .app import create_app

    content = [Path(p) for p in os.environ.get(CONTENT_ENV, "").split(os.pathsep) if p]
    size = os.environ.get(CACHE_ENV, "")
    app: ASGIApp = create_app(content=content)
    return ResponseCache(app, int(size) if size.isdigit() else DEFAULT_SIZE)

"""Shared fixtures: one app over the built-in content, and an HTTP client for it."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator

import pytest
from hypothesis import settings

from plugin.api.app import create_app
from plugin.content.loader import build_store
from plugin.content.store import Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

# Property-based tests explore new examples on every developer run; in CI they replay a fixed
# sequence, so a run's verdict depends on the commit alone (a failure found locally is fixed,
# then kept as an explicit case).
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

BASE = "https://w3id.org/nice-tx/fhir"
PROC = f"{BASE}/CodeSystem/mwa-liver-procedure"
FACET = f"{BASE}/CodeSystem/procedure-facet"
IMAGE = f"{BASE}/CodeSystem/image-control"
IMAGE_ELEMENT = f"{BASE}/property/image-control"
MAP = f"{BASE}/ConceptMap/ipg406-coding"
OPCS = "http://fhir.hl7.org.uk/CodeSystem/OPCS-4"
ICD10 = "http://hl7.org/fhir/sid/icd-10-uk"
SNOMED = "http://snomed.info/sct"


@pytest.fixture(scope="session")
def store() -> Store:
    """The built-in content, loaded once."""
    s, report = build_store()
    assert not report.refused, report.refused
    return s


@pytest.fixture(scope="session")
def client(store: Store) -> Iterator[TestClient]:
    """An in-process HTTP client for the app."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with TestClient(create_app(store), raise_server_exceptions=False) as c:
            yield c


@pytest.fixture(autouse=True)
def _restore_nice_tx_environment() -> Iterator[None]:
    """`nice-tx serve` exports its settings to the environment for its worker processes; a test
    that runs it in-process must not leave them to the tests after it."""
    before = {k: v for k, v in os.environ.items() if k.startswith("NICE_TX_")}
    yield
    for k in [k for k in os.environ if k.startswith("NICE_TX_")]:
        if k not in before:
            del os.environ[k]
    os.environ.update(before)

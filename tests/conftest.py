"""Shared fixtures. Area-specific fixtures live in their own test modules."""
from __future__ import annotations

from pathlib import Path

import pytest

import tplkit

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"


@pytest.fixture(scope="session")
def kit() -> tplkit.Kit:
    """The built-in library (compiled templates are cached across the session)."""
    return tplkit.Kit()


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES

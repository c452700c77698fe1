"""Shared fixtures. Area-specific fixtures live in their own test modules."""
from __future__ import annotations

import base64
import subprocess
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


@pytest.fixture(scope="session")
def dkim_key(tmp_path_factory) -> tuple[bytes, bytes]:
    """A throwaway RSA key made by openssl: (private PEM, DNS TXT record)."""
    folder = tmp_path_factory.mktemp("dkim")
    key = folder / "key.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return key.read_bytes(), b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)

"""``tplkit lint``: checks templates, catalogs and every rendered email, for CI and pre-commit.

>>> from tplkit.lint import lint, Finding, RULES
>>> findings = lint(kit)                       # list[Finding], sorted by file and line
"""
from .engine import lint
from .model import Finding, Rule
from .rules import RULES

__all__ = ["RULES", "Finding", "Rule", "lint"]

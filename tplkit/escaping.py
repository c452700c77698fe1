"""HTML escaping of plain strings for the generated render function.

``markupsafe.escape`` wraps its result in :class:`~markupsafe.Markup`; the generated code
only needs the escaped ``str``. markupsafe's C escaper without the wrapper
(``markupsafe._escape_inner``, a private name) is about 15x cheaper per value, so it is used
when present, in this one place, with the public ``escape`` as the fallback. Both give the
same string (``tests/test_escaping.py``).
"""
from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import markupsafe
from markupsafe import escape


def escape_public(s: str) -> str:
    """``s`` HTML-escaped through markupsafe's public API (the fallback and the reference)."""
    return str(escape(s))


def _fast_escaper(module: ModuleType = markupsafe) -> Callable[[str], str]:
    """markupsafe's private C escaper if ``module`` has it, else :func:`escape_public`."""
    fast = getattr(module, "_escape_inner", None)
    return fast if callable(fast) else escape_public


escape_str: Callable[[str], str] = _fast_escaper()
"""``s`` HTML-escaped as markupsafe escapes it, as a plain ``str`` (for ``str`` input only)."""

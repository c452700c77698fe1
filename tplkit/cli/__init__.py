"""The ``tplkit`` command line (click). Library modules never import this package.

:func:`main` is the console script; each command group has its own module here.
"""
from .main import main

__all__ = ["main"]

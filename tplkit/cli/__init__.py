"""The ``tplkit`` command line (click). Library modules never import this package.

:func:`main` is the command group and :func:`run` the console script; each command group
has its own module here.
"""
from .main import main, run

__all__ = ["main", "run"]

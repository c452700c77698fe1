#!/usr/bin/env python3
"""Print pip constraints that pin every direct dependency of tplkit (and of its test extras) to
the floor pyproject.toml declares: ``name>=X`` becomes ``name==X``.

`.ci/run` installs the project with these constraints for its second pass, so the oldest
releases pyproject.toml allows are tested as well as the newest (dependencies of dependencies
resolve to their newest release, as pip's default would give a user with old direct pins).
"""
import re
import sys
import tomllib
from pathlib import Path

root = Path(__file__).resolve().parent.parent
project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
wanted = list(project["dependencies"]) + list(project["optional-dependencies"]["test"])
pins = []
for spec in wanted:
    m = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([^,;\s]+)\s*", spec)
    if not m:
        sys.exit(f"lowest-constraints: {spec!r} has no plain '>=' floor to pin")
    pins.append(f"{m.group(1)}=={m.group(2)}")
print("\n".join(pins))

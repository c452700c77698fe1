"""Generate tplkit/mjml_rules.json from MJML's own component definitions.

MJML (https://github.com/mjmlio/mjml) defines its validation rules in code: every component
class declares ``static componentName``, ``static endingTag`` and ``static allowedAttributes``
(attribute -> type such as ``unit(px,%){1,4}`` or ``enum(left,center,right)``), the core
preset lists which tags may contain which (``packages/mjml-preset-core/src/dependencies.js``),
and ``packages/mjml-validator/src/rules/`` adds the tags without a component and the
attributes every tag accepts. This script reads those files from a git checkout of MJML at a
given commit and writes them as data, with the commit, so the rules are MJML's, not ours.

Usage::

    python tools/gen_mjml_rules.py /path/to/mjml/.git [COMMIT] > tplkit/mjml_rules.json
"""
from __future__ import annotations

import json
import re
import subprocess
import sys

REPOSITORY = "https://github.com/mjmlio/mjml"


def git(gitdir: str, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", gitdir, *args], check=True, capture_output=True,
                          text=True).stdout


def braced(text: str, start: int) -> str:
    """The text between the ``{`` or ``[`` at ``start`` and its match."""
    pairs = {"{": "}", "[": "]"}
    opener, depth = text[start], 0
    for i in range(start, len(text)):
        if text[i] == opener:
            depth += 1
        elif text[i] == pairs[opener]:
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
    raise ValueError("unbalanced")


KEY = r"""(?:'([^']+)'|"([^"]+)"|([\w-]+))"""
ENTRY = re.compile(KEY + r"""\s*:\s*'([^']*)'""")
SPREAD = re.compile(r"\.\.\.(\w+)\.allowedAttributes")
STRING_LIST = re.compile(r"'([^']+)'")


def components(gitdir: str, commit: str) -> tuple[dict, list[str]]:
    files = [f for f in git(gitdir, "ls-tree", "-r", "--name-only", commit).split()
             if re.fullmatch(r"packages/mjml-[\w-]+/src/\w+\.js", f)]
    classes: dict[str, dict] = {}
    used = []
    for path in files:
        src = git(gitdir, "show", f"{commit}:{path}")
        cls = re.search(r"export default class (\w+)", src)
        name = re.search(r"static componentName = '([^']+)'", src)
        if not cls or not name:
            continue
        used.append(path)
        attrs: dict[str, str] = {}
        spreads: list[str] = []
        m = re.search(r"static allowedAttributes = \{", src)
        if m:
            body = braced(src, m.end() - 1)
            spreads = SPREAD.findall(body)
            for g in ENTRY.finditer(body):
                attrs[g.group(1) or g.group(2) or g.group(3)] = g.group(4)
        classes[cls.group(1)] = {"name": name.group(1), "attributes": attrs, "spreads": spreads,
                                 "ending_tag": bool(re.search(r"static endingTag = true", src)),
                                 "raw": bool(re.search(r"static rawElement = true", src))}
    out = {}
    for info in classes.values():
        attrs = {}
        for parent in info["spreads"]:
            attrs.update(classes[parent]["attributes"])
        attrs.update(info["attributes"])
        out[info["name"]] = {"attributes": dict(sorted(attrs.items())),
                             "ending_tag": info["ending_tag"], "raw": info["raw"]}
    return dict(sorted(out.items())), sorted(used)


def dependencies(gitdir: str, commit: str, path: str) -> dict[str, list[str]]:
    src = git(gitdir, "show", f"{commit}:{path}")
    body = braced(src, src.index("{", src.index("export default")))
    out = {}
    for m in re.finditer(KEY + r"\s*:\s*\[", body):
        inner = braced(body, m.end() - 1)
        tag = m.group(1) or m.group(2) or m.group(3)
        # a regular expression in the list (mj-attributes: /^.*^/) accepts any child
        out[tag] = ["*"] if "/" in inner else STRING_LIST.findall(inner)
    return out


def listed(gitdir: str, commit: str, path: str, name: str) -> list[str]:
    src = git(gitdir, "show", f"{commit}:{path}")
    m = re.search(rf"const {name} = \[", src)
    return STRING_LIST.findall(braced(src, m.end() - 1))


def colors(gitdir: str, commit: str, path: str) -> list[str]:
    src = git(gitdir, "show", f"{commit}:{path}")
    return STRING_LIST.findall(braced(src, src.index("[")))


def main(gitdir: str, commit: str = "HEAD") -> None:
    commit = git(gitdir, "rev-parse", commit).strip()
    deps = "packages/mjml-preset-core/src/dependencies.js"
    tag_rule = "packages/mjml-validator/src/rules/validTag.js"
    attr_rule = "packages/mjml-validator/src/rules/validAttributes.js"
    color_list = "packages/mjml-core/src/types/helpers/colors.js"
    comps, used = components(gitdir, commit)
    data = {
        "source": {"repository": REPOSITORY, "commit": commit,
                   "generator": "tools/gen_mjml_rules.py",
                   "files": [*used, deps, tag_rule, attr_rule, color_list]},
        "components": comps,
        "children": dependencies(gitdir, commit, deps),
        "component_less_tags": listed(gitdir, commit, tag_rule, "componentLessTags"),
        "global_attributes": listed(gitdir, commit, attr_rule, "WHITELIST"),
        "skip_elements": ["mjml"],   # mjml-validator/src/index.js SKIP_ELEMENTS
        "colors": colors(gitdir, commit, color_list),
    }
    json.dump(data, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:])

"""Import MJML's public template gallery as a tplkit project (a lint test fixture).

The gallery is https://github.com/mjmlio/email-templates (``templates/*.mjml``). Each file
becomes ``templates/<name>/body.mjml`` verbatim except for the gallery's own ``{{FirstName}}``
merge tags, which are renamed to tplkit placeholder names (``{{ first_name }}``) and declared
as text placeholders; a subject and preheader are added (marked for translation). The commit
is written to ``SOURCE.md``.

Usage::

    python tools/import_mjml_gallery.py /path/to/email-templates/.git OUT_DIR [COMMIT]
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPOSITORY = "https://github.com/mjmlio/email-templates"


def git(gitdir: str, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", gitdir, *args], check=True, capture_output=True,
                          text=True).stdout


def snake(name: str) -> str:
    """FirstName -> first_name."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def main(gitdir: str, out: str, commit: str = "HEAD") -> None:
    commit = git(gitdir, "rev-parse", commit).strip()
    root = Path(out)
    names = []
    for path in git(gitdir, "ls-tree", "-r", "--name-only", commit, "templates/").split():
        if not path.endswith(".mjml"):
            continue
        name = Path(path).stem
        names.append(name)
        body = git(gitdir, "show", f"{commit}:{path}")
        merge = sorted(set(re.findall(r"\{\{\s*(\w+)\s*\}\}", body)))
        for tag in merge:
            body = re.sub(r"\{\{\s*%s\s*\}\}" % tag, "{{ %s }}" % snake(tag), body)
        folder = root / "templates" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "body.mjml").write_text(body, encoding="utf-8")
        title = name.replace("-", " ").capitalize()
        (folder / "subject.txt").write_text(f"{{% trans %}}{title}{{% endtrans %}}\n", encoding="utf-8")
        (folder / "preheader.txt").write_text(
            "{% trans %}A template from the MJML gallery.{% endtrans %}\n", encoding="utf-8")
        toml = [f'description = "MJML gallery: {path} at {commit[:12]}"', 'category = "gallery"', ""]
        for tag in merge:
            tag = snake(tag)
            toml += [f"[placeholders.{tag}]", 'type = "text"', f'example = "{tag} example"', ""]
        if merge:
            toml += ["[samples.default]", *(f'{snake(t)} = "{snake(t)} example"' for t in merge), ""]
        (folder / "template.toml").write_text("\n".join(toml), encoding="utf-8")
    (root / "tplkit.toml").write_text(
        "# MJML's public gallery imported by tools/import_mjml_gallery.py (see SOURCE.md).\n"
        'default_locale = "en"\nlocales = ["en"]\n\n[brand]\ncompany_name = "Gallery"\n'
        'phone = "+1 555 0100"\nemail = "hello@gallery.example"\n', encoding="utf-8")
    (root / "SOURCE.md").write_text(
        f"# Source\n\nThe `templates/*/body.mjml` files are MJML's public template gallery, copied "
        f"verbatim from {REPOSITORY} (folder `templates/`) at commit `{commit}`, as shown on "
        f"https://mjml.io/templates. The gallery's `{{{{FirstName}}}}`-style merge tags were "
        f"renamed to tplkit placeholders (`{{{{ first_name }}}}`); the subject, preheader and "
        f"manifest files were added by `tools/import_mjml_gallery.py`.\n\nTemplates: {', '.join(sorted(names))}.\n",
        encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])

"""Project settings: every value checked with file:line, brand keys kept table by table."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import tplkit
from tplkit.config import load_project
from tplkit.tomlpos import key_lines

CONFIG = Path(__file__).parent / "fixtures" / "config"
README = Path(__file__).parent.parent / "README.md"


@pytest.mark.parametrize("folder,file,line,fragment", [
    ("colour", "tplkit.toml", 5, "brand.primary_color: expected a hex colour such as '#0f766e'"),
    ("timezone", "tplkit.toml", 8, "brand.support_hours: unknown time zone 'Europe/Berlinn'"),
    ("url", "tplkit.toml", 3, "brand.website: expected an https:// (or http://) address, got 'acme.example'"),
    ("social-url", "tplkit.toml", 6, "brand.social.facebook: expected an https://"),
    ("locale", "tplkit.toml", 2, "locales: unknown locale 'xx-nowhere'"),
    ("sla-type", "tplkit.toml", 3, "brand.sla_hours: expected a whole number of hours, got a string"),
    ("email", "tplkit.toml", 3, "brand.email: "),
    ("typo-table", "tplkit.toml", 3, "brnad: unknown setting; did you mean 'brand'?"),
    ("dotted-key", "tplkit.toml", 3, "brand.text_color: expected a hex colour"),
    ("inline-table", "tplkit.toml", 2, "brand.currency: expected an ISO 4217 currency code"),
    ("time", "tplkit.toml", 3, "brand.support_hours: open: '9am' is not a time like '09:00'"),
    ("days", "tplkit.toml", 5,
     "brand.support_hours: days: 'monday-friday' is not a range of days like 'mon-fri'"),
    ("pyproject", "pyproject.toml", 9, "brand.phone: expected a phone number"),
    ("multiline", "tplkit.toml", 7, "brand.primary_color: expected a hex colour"),
])
def test_bad_setting_is_reported_at_its_file_and_line(folder, file, line, fragment):
    """Each mistyped setting is a ConfigError at the config file and the key's own line."""
    with pytest.raises(tplkit.ConfigError) as info:
        tplkit.Kit(CONFIG / folder)
    assert (info.value.file, info.value.line) == (str(CONFIG / folder / file), line)
    assert fragment in info.value.message


def test_key_lines_handles_headers_dotted_quoted_and_multiline_values():
    """The locator finds tables, dotted and quoted keys, and skips multi-line strings/arrays."""
    text = ('a = 1\n"b.c" = 2\nd.e = 3\nlist = [\n  "x = 1",\n]\n[t . "u v"]\nk = """\nz = 9\n"""\n'
            "[[arr]]\nm = 'q'\n")
    assert key_lines(text) == {("a",): 1, ("b.c",): 2, ("d", "e"): 3, ("list",): 4,
                               ("t", "u v"): 7, ("t", "u v", "k"): 8, ("arr",): 11, ("arr", "m"): 12}


def _readme_config() -> str:
    section = README.read_text(encoding="utf-8").split("<!-- section:project -->")[1]
    return re.search(r"```toml\n(.*?)```", section, re.DOTALL).group(1)


def test_readme_example_config_keeps_unset_brand_keys(tmp_path):
    """The README's tplkit.toml keeps the built-in website, address and logo_alt."""
    (tmp_path / "tplkit.toml").write_text(_readme_config(), encoding="utf-8")
    builtin = load_project(None).brand
    brand = load_project(tmp_path).brand
    assert brand.company_name == "Acme Shop" and brand.primary_color == "#0f766e"
    assert (brand.website, brand.address, brand.logo_alt) == \
        (builtin.website, builtin.address, builtin.logo_alt) != ("", "", "")
    assert dict(brand.social) == {"instagram": "https://instagram.com/acme"}   # set: replaced whole
    assert brand.support_hours["days"] == "mon-sat"


def test_brand_with_only_company_name_keeps_every_other_table(tmp_path):
    """A [brand] with only company_name keeps phone, email, logo, social and hours."""
    (tmp_path / "tplkit.toml").write_text('[brand]\ncompany_name = "Zloty Shop"\n', encoding="utf-8")
    builtin = load_project(None).brand
    brand = load_project(tmp_path).brand
    assert brand.company_name == "Zloty Shop"
    for key in ("phone", "email", "logo_url", "social", "support_hours", "kb_url"):
        assert getattr(brand, key) == getattr(builtin, key) and getattr(brand, key)


def test_bom_config_is_read_and_non_utf8_config_names_file_and_line(tmp_path):
    """A UTF-8 BOM is accepted; a non-UTF-8 byte is a ConfigError with its line."""
    cfg = tmp_path / "tplkit.toml"
    cfg.write_bytes('\ufeff[brand]\ncompany_name = "Café"\n'.encode("utf-8"))
    assert load_project(tmp_path).brand.company_name == "Café"
    cfg.write_bytes('[brand]\ncompany_name = "Caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(tplkit.ConfigError) as info:
        load_project(tmp_path)
    assert (info.value.file, info.value.line) == (str(cfg), 2)
    assert "not UTF-8" in info.value.message

"""`compute = "..."` in manifests: what is refused, with file and line."""
from __future__ import annotations

from pathlib import Path

import pytest

import tplkit

FIX = Path(__file__).parent / "fixtures" / "hours" / "computed"


@pytest.mark.parametrize("name,message", [
    ("unknown-compute",
     "unknown computation 'support_hours.next_holiday' (one of support_hours.next_opening,"),
    ("wrong-type", "support_hours.next_opening gives a datetime value, but the placeholder is a date"),
    ("missing-input", "support_hours.reply_by reads request_category, customer_timezone: declare them"),
    ("required-computed", "a computed placeholder is optional (the caller may still pass it): drop required"),
])
def test_bad_compute_declarations(name, message):
    """Each broken declaration names the placeholder, the file and the compute line."""
    with pytest.raises(tplkit.TemplateSourceError) as err:
        tplkit.Kit(FIX).template(name)
    assert message in str(err.value) and "placeholder 'back_at'" in str(err.value)
    assert err.value.file.endswith(f"{name}/template.toml")
    text = Path(err.value.file).read_text().splitlines()
    assert text[err.value.line - 1].startswith(("compute", "[placeholders.back_at]"))


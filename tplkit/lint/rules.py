"""The one list of lint rules: id, default severity, layer, description and check function.

Ids are stable kebab-case: configuration, suppressions, SARIF and CI dashboards refer to them.
"""
from __future__ import annotations

from . import catalogs, html_rules, mjml, rendered, source, translations
from .model import Rule

RULES: list[Rule] = [
    # source
    Rule("syntax-error", "error", "source", "Jinja syntax error in a template file, or TOML "
         "syntax error in a manifest.", source.syntax_error),
    Rule("mjml-invalid", "error", "build", "MRML (mjml-python) rejects the MJML the template "
         "builds; MRML's byte span located through the build's source map.", mjml.mjml_invalid),
    Rule("mjml-unknown-tag", "error", "build", "A tag MJML does not define (misspelled "
         "component); MJML's rules, see tplkit/mjml_rules.json.", mjml.rule("mjml-unknown-tag")),
    Rule("mjml-close-tag", "error", "build", "A close tag that does not match its element, or "
         "an element never closed (content would move into another component).",
         mjml.rule("mjml-close-tag")),
    Rule("mjml-parent", "error", "build", "A component inside a parent MJML does not allow "
         "(mj-button directly in mj-section).", mjml.rule("mjml-parent")),
    Rule("mjml-unknown-attribute", "error", "build", "An attribute the component does not "
         "define (MJML drops it).", mjml.rule("mjml-unknown-attribute")),
    Rule("mjml-attribute-value", "error", "build", "An attribute value of the wrong type "
         "(unit, color, enum, ...) for its component.", mjml.rule("mjml-attribute-value")),
    Rule("template-error", "error", "build", "A template fails to load, build or render a "
         "sample (manifest, undefined value, sandbox, invalid sample).", source.template_error),
    Rule("undeclared-placeholder", "error", "source", "A variable used in a part is not "
         "declared in template.toml.", source.undeclared_placeholder),
    Rule("unused-placeholder", "warning", "source", "A declared placeholder is never used.",
         source.unused_placeholder),
    Rule("untranslated-text", "error", "source", "Visible text is not marked for translation.",
         source.untranslated_text),
    Rule("safe-placeholder", "error", "source", "A placeholder's value is printed unescaped "
         "(|safe, {% autoescape false %}).", source.safe_placeholder),
    Rule("unencoded-url-value", "error", "source", "A value is put into a URL query without "
         "URL-encoding.", source.unencoded_url_value),
    # catalogs
    Rule("catalog-missing", "error", "project", "A configured locale has no catalog (Babel "
         "would silently fall back to English).", catalogs.catalog_missing),
    Rule("catalog-syntax", "error", "catalog", "A catalog cannot be read.", catalogs.catalog_syntax),
    Rule("untranslated", "error", "catalog", "A message has no translation.", catalogs.untranslated),
    Rule("fuzzy", "warning", "catalog", "A translation is marked fuzzy and is not used.",
         catalogs.fuzzy),
    Rule("placeholder-mismatch", "error", "catalog", "The translation's %(name)s placeholders "
         "differ from the original's.", catalogs.placeholder_mismatch),
    Rule("plural-forms", "error", "catalog", "Wrong number of plural forms, an empty form, or a "
         "Plural-Forms header unfit for the language.", catalogs.plural_forms),
    Rule("markup-mismatch", "error", "catalog", "The translation's HTML tags differ from the "
         "original's.", catalogs.markup_mismatch),
    Rule("stale-message", "warning", "catalog", "A message in the catalog that no template uses.",
         catalogs.stale_message),
    Rule("address-variant", "warning", "catalog", "A message has a gendered variant (msgctxt "
         "\"customer: female\"/\"customer: male\") for one form of address but not the other.",
         catalogs.address_variant),
    Rule("missing-translation", "error", "translations", "A message of the project's templates "
         "that a locale it renders in does not translate (reported at the template line).",
         translations.missing_translation),
    # rendered
    Rule("leftover-placeholder", "error", "rendered", "Unfilled placeholder syntax ({{, {%, "
         "[Customer name], %(x)s, *|X|*) in the rendered email.", rendered.leftover_placeholder),
    Rule("empty-substitution", "warning", "rendered", "An empty optional value leaves a gap "
         "such as \"Hello ,\".", rendered.empty_substitution),
    Rule("subject-missing", "error", "rendered", "The subject is empty.", rendered.subject_missing),
    Rule("subject-length", "warning", "rendered", f"The subject is longer than "
         f"{rendered.SUBJECT_MAX} characters.", rendered.subject_length),
    Rule("preheader-missing", "warning", "rendered", "The preheader is empty.",
         rendered.preheader_missing),
    Rule("preheader-length", "warning", "rendered", f"The preheader is longer than "
         f"{rendered.PREHEADER_MAX} characters.", rendered.preheader_length),
    Rule("gmail-clipping", "error", "rendered", "HTML over 102 KB is clipped by Gmail (over "
         "90 KB: a warning).", html_rules.gmail_clipping),
    Rule("image-alt", "error", "rendered", "An image has no alt attribute.", html_rules.image_alt),
    Rule("lang-dir", "error", "rendered", "<html lang/dir> does not match the locale.",
         html_rules.lang_dir),
    Rule("link-scheme", "error", "rendered", "A link to javascript:, data:, an empty or # href "
         "(http: is a warning).", html_rules.link_scheme),
    Rule("button-contrast", "error", "rendered", "Button text and background below WCAG AA "
         "contrast (4.5:1).", html_rules.button_contrast),
    Rule("generic-link-text", "warning", "rendered", "Link text such as \"click here\" in the "
         "email's language.", html_rules.generic_link_text),
    Rule("text-part", "error", "rendered", "The text part is empty, or lacks a call-to-action "
         "URL of the HTML.", html_rules.text_part),
    Rule("contacts-missing", "warning", "rendered", "The brand's phone or email is missing from "
         "a part.", html_rules.contacts_missing),
    Rule("typography", "warning", "rendered", "Double spaces, a space before punctuation, "
         "repeated words, unbalanced brackets or quotes.", rendered.typography),
    # produced by the engine
    Rule("unused-suppression", "warning", "meta", "A tplkit: disable-next-line comment that "
         "silences nothing (or names an unknown rule)."),
    Rule("internal-error", "error", "meta", "A rule crashed: a tplkit bug; the other rules "
         "still ran."),
]

RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}

"""A small Flask integration: render tplkit emails in the language the browser asks for.

    FLASK_APP=examples/flask_app.py flask run
    curl -H 'Accept-Language: uk-UA,uk;q=0.9,en;q=0.5' localhost:5000/emails/acknowledgement/preview
    curl -H 'Content-Type: application/json' -d @examples/data/apology.json \\
         localhost:5000/emails/apology/render?locale=uk

``GET /emails/<name>/preview`` shows the HTML part of the template's sample (``?sample=``
picks another one); ``POST /emails/<name>/render`` renders the JSON body and returns
subject, preheader, HTML, text and the locale used. The locale is ``?locale=`` if given,
else the best match of ``Accept-Language`` that ``kit.negotiate`` can serve.

With a link key (``TPLKIT_LINK_KEY=... flask run``, or ``create_app(tplkit.Kit(link_key=...))``)
the feedback request's rating buttons carry signed links, and two endpoints take them:
``GET /rate?ticket=...&score=...&exp=...&sig=...`` records the rating of a verified link
(one per ticket: a second click replaces it; an edited or expired link is refused), and
``POST /unsubscribe?...`` is the RFC 8058 one-click target of ``List-Unsubscribe``.
"""
from __future__ import annotations

from flask import Flask, abort, jsonify, request

import tplkit
from tplkit.errors import LinkError, LinkExpiredError


def pick_locale(kit: tplkit.Kit) -> str:
    """``?locale=``, else the first Accept-Language entry (by quality) the kit has, else the default."""
    explicit = request.args.get("locale")
    if explicit:
        return kit.negotiate(explicit).locale
    for lang in request.accept_languages.values():   # sorted by q
        neg = kit.negotiate(lang)
        if neg.exact and lang != "*":
            return neg.locale
    return kit.default_locale


def create_app(kit: tplkit.Kit | None = None) -> Flask:
    """The app; pass your own ``Kit`` (project, brand) or get the built-in library."""
    app = Flask(__name__)
    app.config["TPLKIT"] = kit or tplkit.Kit()
    app.config["RATINGS"] = {}          # ticket -> score; a real app writes to its database
    app.config["UNSUBSCRIBED"] = set()  # (email, list)

    def current_kit() -> tplkit.Kit:
        return app.config["TPLKIT"]

    @app.errorhandler(tplkit.TemplateNotFound)
    def not_found(e: tplkit.TemplateNotFound):
        return jsonify(error=str(e)), 404

    @app.errorhandler(tplkit.PlaceholderError)
    def bad_context(e: tplkit.PlaceholderError):
        return jsonify(error="invalid placeholder values",
                       problems=[{"name": p.name, "kind": p.kind, "message": p.message}
                                 for p in e.problems]), 422

    @app.get("/emails/<name>/preview")
    def preview(name: str):
        kit = current_kit()
        info = kit.template(name)
        sample = request.args.get("sample")
        if sample is not None and sample not in info.samples:
            abort(404, f"template {name!r} has no sample {sample!r}")
        locale = pick_locale(kit)
        context = info.sample_for(locale, sample)
        email = kit.render(name, context, locale=locale)
        return email.html, 200, {"Content-Type": "text/html; charset=utf-8",
                                 "Content-Language": email.locale.replace("_", "-")}

    @app.errorhandler(LinkError)
    def bad_link(e: LinkError):
        # an expired link is gone; an edited or forged one is a bad request
        return jsonify(error=str(e)), 410 if isinstance(e, LinkExpiredError) else 400

    def verified(purpose: str) -> dict[str, str]:
        signer = current_kit().links
        if signer is None:
            abort(404, "no link key configured")
        return signer.verify(request.query_string.decode("ascii", "replace"), purpose=purpose)

    @app.get("/rate")
    def rate():
        params = verified("rating")
        try:
            score = int(params["score"])
            ticket = params["ticket"]
        except (KeyError, ValueError):
            return jsonify(error="a rating link needs a ticket and a numeric score"), 400
        app.config["RATINGS"][ticket] = score
        return jsonify(ticket=ticket, score=score, message="Thank you for your rating!")

    @app.post("/unsubscribe")
    def unsubscribe():
        params = verified("unsubscribe")
        if request.form.get("List-Unsubscribe") != "One-Click":
            return jsonify(error="expected the RFC 8058 body List-Unsubscribe=One-Click"), 400
        app.config["UNSUBSCRIBED"].add((params.get("email"), params.get("list")))
        return jsonify(unsubscribed=params.get("email"), list=params.get("list"))

    @app.post("/emails/<name>/render")
    def render(name: str):
        kit = current_kit()
        context = request.get_json(silent=True)
        if not isinstance(context, dict):
            return jsonify(error="send the placeholder values as a JSON object"), 400
        email = kit.render(name, context, locale=pick_locale(kit))
        return jsonify(email.as_dict())

    return app


app = create_app()

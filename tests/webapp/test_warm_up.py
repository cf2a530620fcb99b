"""A production worker compiles its templates and reads its catalogues before its first request."""

from experiments.definition.localisation import LANGUAGES
from webapp.i18n import warm_up


def test_warm_up_compiles_every_template_and_loads_every_catalogue(app):
    app.jinja_env.cache.clear()
    with app.app_context():
        domain = app.extensions["babel"].instance.domain_instance  # the one every request uses
    domain.cache.clear()

    warm_up(app)

    templates = set(app.jinja_env.list_templates(extensions=("html",)))
    cached = {name for (_loader, name) in app.jinja_env.cache}
    assert templates and templates <= cached
    assert {language for (language, _domain) in domain.cache} == set(LANGUAGES)


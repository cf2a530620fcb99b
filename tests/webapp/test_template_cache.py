"""Compiled templates are shared between the apps of a process, and never served stale."""

from __future__ import annotations

from jinja2 import DictLoader, Environment

from webapp.template_cache import SharedBytecodeCache, share_compiled_templates


def _environment(shared: SharedBytecodeCache, templates: dict, **options) -> Environment:
    env = Environment(loader=DictLoader(templates), **options)
    share_compiled_templates(env, shared)
    return env


def _count_compiles(env: Environment) -> list[str]:
    compiled: list[str] = []
    original = env.compile

    def counting(source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return original(source, name, filename, raw, defer_init)

    env.compile = counting  # type: ignore[method-assign]
    return compiled


def test_a_second_environment_reuses_the_first_ones_compiled_template():
    shared = SharedBytecodeCache()
    templates = {"page.html": "Hello {{ name }}"}
    first, second = _environment(shared, templates), _environment(shared, templates)
    first_compiles, second_compiles = _count_compiles(first), _count_compiles(second)
    assert first.get_template("page.html").render(name="A") == "Hello A"
    assert second.get_template("page.html").render(name="B") == "Hello B"
    assert first_compiles == ["page.html"] and second_compiles == []


def test_a_changed_source_is_compiled_again():
    shared = SharedBytecodeCache()
    _environment(shared, {"page.html": "old {{ x }}"}).get_template("page.html")
    changed = _environment(shared, {"page.html": "new {{ x }}"})
    compiles = _count_compiles(changed)
    assert changed.get_template("page.html").render(x=1) == "new 1"
    assert compiles == ["page.html"]


def test_environments_with_other_settings_do_not_share_code():
    shared = SharedBytecodeCache()
    templates = {"page.html": "{{ text }}"}
    plain = _environment(shared, templates, autoescape=False)
    escaping = _environment(shared, templates, autoescape=True)
    assert plain.get_template("page.html").render(text="<b>") == "<b>"
    assert escaping.get_template("page.html").render(text="<b>") == "&lt;b&gt;"


def test_the_cache_is_bounded():
    shared = SharedBytecodeCache(max_templates=3)
    env = _environment(shared, {f"t{n}.html": f"{n}" for n in range(10)})
    for n in range(10):
        env.get_template(f"t{n}.html")
    assert len(shared._code) <= 3


def test_the_apps_of_a_process_share_one_cache(make_app):
    first, second = make_app(), make_app()
    assert first.jinja_env.bytecode_cache is not None
    assert first.jinja_env.bytecode_cache._shared is second.jinja_env.bytecode_cache._shared

"""Who may open what: every viewer against every protected resource, with the exact status expected.

Study X is the demo study, owned by one experimenter; study Y (visibility.toml) is owned by
another. Participant A of X is in the private condition, participant B of X in the public one;
both are at the revise step with their suggestions. A's suggestion texts are replaced by a
unique marker, which must never reach anyone but A (and X's owner through the export).

The matrix's cases share one world per database: building it costs far more than a request.
A case that is allowed to change the world (CHANGES_THE_WORLD) gets a fresh one, and the next
shared case a fresh one again. Every case still checks that nothing else changed, so a request
that changes what it should not fails in the case that sent it.
"""

from __future__ import annotations

import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from builders import participant_row_at, use_cheap_hasher
from scl_testing import (
    POSTGRES_ADMIN_URL,
    app_test_settings,
    csrf_from,
    dispose_postgres_engine,
    empty_postgres_tables,
)

PASSWORD = "correct horse battery"
X, Y = "demo", "visibility"
X_MARKER = "Study-X-Title-7d41"
Y_MARKER = "Study-Y-Title-2c9f"
VIEWERS = ("anonymous", "participant_a", "participant_b", "owner_x", "experimenter_y")


@dataclass
class World:
    app: object
    clients: dict
    a_id: int
    b_id: int
    a_suggestion_id: int
    a_reference: str
    secrets: list[str] = field(default_factory=list)
    attribute: str = ""
    level: str = ""


def _login(client, email: str) -> None:
    html = client.get("/studio/login").get_data(as_text=True)
    response = client.post("/studio/login", data={"csrf_token": csrf_from(html), "email": email, "password": PASSWORD})
    assert response.status_code == 303


@pytest.fixture
def world(app, monkeypatch) -> World:
    use_cheap_hasher(monkeypatch)
    return _build_world(app)


def _build_world(app) -> World:
    from experiments.definition import load_study
    from webapp import journey
    from webapp.accounts import create_experimenter
    from webapp.extensions import db
    from webapp.models import Participant, StudyMember
    from webapp.studies import install_definition, study_by_slug

    with app.app_context():
        install_definition(load_study("experiments/visibility.toml"), "visibility.toml")
        x, y = study_by_slug(X), study_by_slug(Y)
        x.title, y.title = X_MARKER, Y_MARKER
        owner = create_experimenter("owner-x@lab.example", PASSWORD)
        other = create_experimenter("owner-y@lab.example", PASSWORD)
        db.session.add_all([StudyMember(study_id=x.id, experimenter_id=owner.id, role="owner"),
                            StudyMember(study_id=y.id, experimenter_id=other.id, role="owner")])
        db.session.commit()

    first, second = participant_row_at(app, "revise", X), participant_row_at(app, "revise", X)
    with app.app_context():
        rows = {p.visibility: p for p in db.session.execute(select(Participant)).scalars()}
        assert set(rows) == {"public", "private"}  # balanced assignment: one in each condition
        a, b = rows["private"], rows["public"]
        assert {a.id, b.id} == {first, second} and a.suggestions and b.suggestions
        markers = []
        for suggestion in a.suggestions:
            suggestion.text = f"PRIVATE-A-{secrets.token_hex(6)} try another {suggestion.attribute}"
            markers.append(suggestion.text.split()[0])
        catalogue = a.definition.catalogue()
        attribute = catalogue.attributes[0]
        world = World(app=app, clients={}, a_id=a.id, b_id=b.id, a_suggestion_id=a.suggestions[0].id,
                      a_reference=journey.pseudonym(X, "participant", str(a.id))[:16], secrets=markers,
                      attribute=attribute.key, level=attribute.levels[-1].key)
        tokens = {"participant_a": a.token, "participant_b": b.token}
        db.session.commit()

    for viewer in VIEWERS:
        client = app.test_client()
        if viewer in tokens:
            with client.session_transaction() as session:
                session["participants"] = {X: tokens[viewer]}
        elif viewer == "owner_x":
            _login(client, "owner-x@lab.example")
        elif viewer == "experimenter_y":
            _login(client, "owner-y@lab.example")
        world.clients[viewer] = client
    return world


def _dispose(app) -> None:
    from webapp.extensions import db
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class _SqliteFiles:
    """An empty database per world: a new SQLite file."""

    def __init__(self, folder):
        self._folder = folder
        self._count = 0

    def empty(self, purpose: str) -> str:
        self._count += 1
        return f"sqlite:///{self._folder / f'{purpose}-{self._count}.sqlite3'}"

    def drop(self) -> None:
        pass


class _PostgresDatabases:
    """Two databases of the module's own, one per purpose; the fresh one is emptied for each world."""

    def __init__(self):
        import sqlalchemy as sa
        self._admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        suffix = secrets.token_hex(5)
        self._urls = {purpose: POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/scl_matrix_{suffix}_{purpose}"
                      for purpose in ("shared", "fresh")}
        self._used: set[str] = set()
        with self._admin.connect() as connection:
            for url in self._urls.values():
                connection.exec_driver_sql(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"')

    def empty(self, purpose: str) -> str:
        url = self._urls[purpose]
        if url in self._used:
            empty_postgres_tables(url)  # the tables stay; the next app seeds the demo again
        self._used.add(url)
        return url

    def drop(self) -> None:
        with self._admin.connect() as connection:
            for url in self._urls.values():
                dispose_postgres_engine(url)
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        self._admin.dispose()


class MatrixWorlds:
    """One world the matrix's read-only cases share, and a fresh world for each case that may change one."""

    def __init__(self, databases, instance_path):
        self._databases = databases
        self._instance_path = instance_path
        self._shared: World | None = None

    def _app(self, purpose: str):
        from webapp import create_app
        return create_app(app_test_settings(self._databases.empty(purpose), self._instance_path))

    def shared(self) -> World:
        if self._shared is None:
            self._shared = _build_world(self._app("shared"))
        return self._shared

    @contextmanager
    def fresh(self):
        world = _build_world(self._app("fresh"))
        try:
            yield world
        finally:
            _dispose(world.app)

    def close(self) -> None:
        if self._shared is not None:
            _dispose(self._shared.app)
        self._databases.drop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def matrix_worlds(request, tmp_path_factory):
    """Worlds on databases of this module's own (other tests empty the worker's PostgreSQL database)."""
    folder = tmp_path_factory.mktemp("access-matrix")
    if request.param == "postgresql":
        request.getfixturevalue("postgres_server")  # skips with the reason when PostgreSQL is not reachable
    databases = _SqliteFiles(folder) if request.param == "sqlite" else _PostgresDatabases()
    worlds = MatrixWorlds(databases, folder / "instance")
    with pytest.MonkeyPatch.context() as patch:
        use_cheap_hasher(patch)
        yield worlds
    worlds.close()


# ---------------------------------------------------------------- the matrix
# resource: (method, url template, form data, JSON?)
RESOURCES = {
    "studio_list": ("GET", "/studio/", None, False),
    "studio_study": ("GET", "/studio/studies/{x}", None, False),
    "studio_monitor": ("GET", "/studio/studies/{x}/monitor", None, False),
    "studio_monitor_json": ("GET", "/studio/studies/{x}/monitor.json?include_pilot=1", None, False),
    "studio_export": ("GET", "/studio/studies/{x}/export.zip?include_pilot=1", None, False),
    "studio_delete_form": ("GET", "/studio/studies/{x}/delete", None, False),
    "studio_delete_confirm": ("POST", "/studio/studies/{x}/delete/confirm", {"reference": "{a_reference}"}, False),
    "studio_close": ("POST", "/studio/studies/{x}/status/close", {}, False),
    "studio_pilot": ("POST", "/studio/studies/{x}/pilot/private/friend", {}, False),
    "x_revise": ("GET", "/s/{x}/revise", None, False),
    "x_gallery": ("GET", "/s/{x}/gallery", None, False),
    "x_decide_a": ("POST", "/s/{x}/revise/suggestions/{a_suggestion}", {"decision": "adopt"}, False),
    "x_decide_a_json": ("POST", "/s/{x}/revise/suggestions/{a_suggestion}", {"decision": "adopt"}, True),
    "x_change_json": ("POST", "/s/{x}/design/change", {"attribute": "{attribute}", "level": "{level}"}, True),
    "y_gallery": ("GET", "/s/{y}/gallery", None, False),
    "y_studio_study": ("GET", "/studio/studies/{y}", None, False),
}

LOGIN = {"anonymous": 302, "participant_a": 302, "participant_b": 302}
EXPECTED = {
    #                        anonymous, A,   B,   owner of X, experimenter owning Y only
    "studio_list":           (302, 302, 302, 200, 200),
    "studio_study":          (302, 302, 302, 200, 404),
    "studio_monitor":        (302, 302, 302, 200, 404),
    "studio_monitor_json":   (401, 401, 401, 200, 404),
    "studio_export":         (302, 302, 302, 200, 404),
    "studio_delete_form":    (302, 302, 302, 200, 404),
    "studio_delete_confirm": (302, 302, 302, 303, 404),
    "studio_close":          (302, 302, 302, 303, 404),
    "studio_pilot":          (302, 302, 302, 303, 404),
    "x_revise":              (303, 200, 200, 303, 303),
    "x_gallery":             (404, 200, 200, 200, 404),
    "x_decide_a":            (303, 303, 404, 303, 303),
    "x_decide_a_json":       (403, 200, 404, 403, 403),
    "x_change_json":         (403, 200, 200, 403, 403),
    "y_gallery":             (404, 404, 404, 404, 200),
    "y_studio_study":        (302, 302, 302, 404, 200),
}
CASES = [(viewer, resource, EXPECTED[resource][index])
         for resource in RESOURCES for index, viewer in enumerate(VIEWERS)]
# The cases whose request is allowed to change the world (each checks below that it did, and only that).
CHANGES_THE_WORLD = {
    ("owner_x", "studio_delete_confirm"), ("owner_x", "studio_close"), ("owner_x", "studio_pilot"),
    ("participant_a", "x_decide_a"), ("participant_a", "x_decide_a_json"),
    ("participant_a", "x_change_json"), ("participant_b", "x_change_json"),
}


def _request(world: World, viewer: str, resource: str):
    method, template, data, as_json = RESOURCES[resource]
    values = {"x": X, "y": Y, "a_suggestion": world.a_suggestion_id, "a_reference": world.a_reference,
              "attribute": world.attribute, "level": world.level}
    url = template.format(**values)
    client = world.clients[viewer]
    headers = {"Accept": "application/json"} if as_json else {}
    if method == "GET":
        return client.get(url, headers=headers)
    form = {key: value.format(**values) for key, value in data.items()}
    form["csrf_token"] = csrf_from(client.get("/").get_data(as_text=True))  # a valid token of this session
    return client.post(url, data=form, headers=headers)


@pytest.mark.parametrize("viewer, resource, expected", CASES, ids=[f"{v}-{r}" for v, r, _ in CASES])
def test_access_matrix(matrix_worlds, viewer, resource, expected):
    if (viewer, resource) in CHANGES_THE_WORLD:
        with matrix_worlds.fresh() as world:
            _check_case(world, viewer, resource, expected)
    else:
        _check_case(matrix_worlds.shared(), viewer, resource, expected)


def _check_case(world: World, viewer: str, resource: str, expected: int) -> None:
    from webapp.extensions import db
    from webapp.models import Participant, Suggestion
    from webapp.studies import study_by_slug

    response = _request(world, viewer, resource)
    assert response.status_code == expected, response.get_data(as_text=True)[:300]
    if expected in (302, 303) and resource.startswith("studio_"):
        landing = "/s/demo" if resource == "studio_pilot" else "/studio/studies/demo"
        assert response.headers["Location"].startswith("/studio/login" if viewer in LOGIN else landing)
    body = response.get_data(as_text=True) if response.mimetype != "application/zip" else ""

    # A's private suggestions reach nobody but A (and X's owner, who may see every participant's data).
    if viewer not in ("participant_a", "owner_x"):
        for marker in world.secrets:
            assert marker not in body
    # Another study's existence and data do not leak to whoever is not its member (a redirect
    # naming the address that was asked for tells nothing new, so links count on 200 pages only).
    if viewer != "experimenter_y":
        assert Y_MARKER not in body
        assert response.status_code != 200 or "/studio/studies/visibility" not in body
    if viewer == "experimenter_y":
        assert X_MARKER not in body
        assert response.status_code != 200 or "/studio/studies/demo" not in body

    # Nothing changed except what this viewer is allowed to change.
    with world.app.app_context():
        a = db.session.get(Participant, world.a_id)
        decision = db.session.get(Suggestion, world.a_suggestion_id).decision if a is not None else None
        status = study_by_slug(X).status
    deleted = viewer == "owner_x" and resource == "studio_delete_confirm"
    assert (a is None) == deleted
    if not deleted:
        assert decision == ("adopted" if viewer == "participant_a" and resource.startswith("x_decide") else None)
    assert status == ("closed" if viewer == "owner_x" and resource == "studio_close" else "open")


def test_b_never_sees_a_private_suggestion_anywhere(world):
    """B walks every page and JSON answer open to them; A's private input appears in none."""
    client = world.clients["participant_b"]
    pages = ["/s/demo", "/s/demo/revise", "/s/demo/gallery", "/s/demo/suggestions", "/s/demo/done",
             "/s/demo/withdraw", "/s/visibility", "/s/visibility/gallery", "/"]
    bodies = [client.get(url, follow_redirects=True).get_data(as_text=True) for url in pages]
    bodies += [client.get(url, headers={"Accept": "application/json"}).get_data(as_text=True) for url in pages]
    csrf = csrf_from(client.get("/").get_data(as_text=True))
    bodies.append(client.post(f"/s/demo/revise/suggestions/{world.a_suggestion_id}", data={
        "csrf_token": csrf, "decision": "adopt"}, headers={"Accept": "application/json"}).get_data(as_text=True))
    bodies.append(client.post("/s/demo/design/change", data={"csrf_token": csrf, "attribute": world.attribute,
                                                             "level": world.level},
                              headers={"Accept": "application/json"}).get_data(as_text=True))
    assert bodies[1].count("suggestion-") >= 3  # B sees B's own suggestions
    for body in bodies:
        for marker in world.secrets:
            assert marker not in body
    # A does see them.
    assert all(marker in world.clients["participant_a"].get("/s/demo/revise").get_data(as_text=True)
               for marker in world.secrets)

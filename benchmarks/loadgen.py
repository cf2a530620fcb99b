"""Simulated participants over real HTTP, many at once, for the load benchmark and the fault test.

Each participant is the project's own :class:`experiments.bots.Bot` (it reads every page
and answers it as a person would), given an asynchronous transport: the bot's synchronous
code runs inside a greenlet and each request awaits an aiohttp call on the event loop
(SQLAlchemy's ``greenlet_spawn``/``await_only`` bridge), so hundreds of participants share
one thread without a thread each. The transport follows redirects itself so that every
HTTP request is timed on its own, and it fetches what a browser fetches: the stylesheet
and scripts once (they are cached for a year), and every preview image a page or a live
change shows, unless this participant's browser holds it already: previews are
content-addressed and sent as ``private, immutable`` with ``Vary: Cookie``, so a browser
asks again only for a new picture or after its session cookie changed.

Counters: ``Tally`` counts requests, latencies, errors by kind, and the actions the server
acknowledged (consents, step submissions, live changes, decisions) so the benchmark can
compare them with the events stored in the database.
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.parse
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from sqlalchemy.util import await_only, greenlet_spawn

from experiments.behaviour import BehaviourParams, SimulatedParticipant
from experiments.bots import SIMULATION_HEADER, Bot, Page

ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')
PREVIEW = re.compile(r'src="(/preview/[^"]+\.png)"')
ROUTE_IDS = re.compile(r"/(?:load-[\w-]+|launch|\d+|[\w-]{16,}\.png|[\w.-]+\.(?:css|js))")


@dataclass
class Tally:
    """What the clients saw, summed over all participants (one event loop, so no locks)."""

    latencies: list[float] = field(default_factory=list)  # seconds per HTTP request, in the window
    by_route: dict[str, list[float]] = field(default_factory=dict)  # the same, by route (ids taken out)
    errors: Counter = field(default_factory=Counter)
    acknowledged: Counter = field(default_factory=Counter)  # action kind -> acknowledged count
    requests: int = 0
    completed: int = 0
    completed_in_window: int = 0
    completed_requests: int = 0  # requests made by the participants who completed
    window: tuple[float, float] | None = None  # (start, end) on time.monotonic()
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds in the window, by process group

    def in_window(self, at: float) -> bool:
        return self.window is not None and self.window[0] <= at < self.window[1]


class AsyncTransport:
    """The bots' Transport interface on top of aiohttp, called from inside a greenlet."""

    def __init__(self, session: aiohttp.ClientSession, bases: list[str], tally: Tally,
                 simulation_key: str, rotate: bool = False, fetch_previews: bool = True):
        self.session = session
        self.bases = bases  # one or more server origins; with rotate, each page goes to the next one
        self.turn = 0
        self.tally = tally
        self.headers = {SIMULATION_HEADER: simulation_key}
        self.rotate = rotate
        self.fetch_previews = fetch_previews
        self.requests = 0
        self.assets_loaded = False
        self.cookies: dict[str, str] = {}  # this participant's own cookies (Secure ones too: loopback)
        self.image_cache: set[tuple[str, str]] = set()  # (path, Cookie header) of the previews held

    def _origin(self) -> str:
        if self.rotate:
            self.turn += 1
        return self.bases[self.turn % len(self.bases)]

    async def _one(self, method: str, url: str, data: Any = None, headers: Mapping[str, str] | None = None):
        started = time.monotonic()
        sent = {**self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            async with self.session.request(method, url, data=data, allow_redirects=False,
                                            headers=sent) as response:
                body = await response.read()
                status, location = response.status, response.headers.get("Location")
                content_type = response.content_type or ""
                for name, morsel in response.cookies.items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
        except (TimeoutError, aiohttp.ClientError) as error:
            self.tally.errors[f"connection:{type(error).__name__}"] += 1
            raise
        finished = time.monotonic()
        self.requests += 1
        self.tally.requests += 1
        if self.tally.in_window(finished):
            self.tally.latencies.append(finished - started)
            route = ROUTE_IDS.sub("/…", f"{method} {urllib.parse.urlsplit(url).path}")
            self.tally.by_route.setdefault(route, []).append(finished - started)
        if status >= 500:
            self.tally.errors[f"http {status}"] += 1
        return status, location, body, content_type

    async def _request(self, method: str, path: str, data: Any = None,
                       headers: Mapping[str, str] | None = None) -> Page:
        origin = self._origin()
        status, location, body, content_type = await self._one(method, origin + path, data, headers)
        hops = 0
        while status in (301, 302, 303, 307, 308) and location and hops < 10:
            hops += 1
            path = urllib.parse.urlsplit(urllib.parse.urljoin(origin + path, location)).path
            origin = self._origin()
            status, location, body, content_type = await self._one("GET", origin + path)
        text = body.decode("utf-8", "replace")
        if content_type == "text/html":
            await self._browser_fetches(origin, text)
        return Page(status, path.split("?")[0], text, content_type)

    async def _browser_fetches(self, origin: str, html: str) -> None:
        if not self.assets_loaded:
            self.assets_loaded = True
            for asset in dict.fromkeys(ASSET.findall(html)):
                await self._one("GET", origin + asset.replace("&amp;", "&"))
        if self.fetch_previews:
            for image in PREVIEW.findall(html):
                await self._image(origin, image)

    async def _image(self, origin: str, path: str) -> None:
        """A preview as a browser gets it: from its own cache when the same picture came with the same cookie."""
        key = (path, "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if key in self.image_cache:
            return
        status, _location, _body, _type = await self._one("GET", origin + path)
        if status == 200:
            self.image_cache.add(key)

    def get(self, path, headers=None) -> Page:
        return await_only(self._request("GET", path, None, headers))

    def post(self, path, data, headers=None) -> Page:
        return await_only(self._request("POST", path, list(_pairs(data)), headers))

    def fetch_image(self, url: str) -> None:
        if self.fetch_previews:
            await_only(self._image(self._origin(), url))


def _pairs(data: Mapping[str, Any]):
    for name, value in data.items():
        if isinstance(value, (list, tuple)):
            for item in value:
                yield name, str(item)
        else:
            yield name, str(value)


class LoadBot(Bot):
    """A bot with a fixed script: ``live_changes`` changes on the design page (each followed by
    its preview), then on the revise page it adopts the first suggestion and rejects the rest."""

    def __init__(self, *args, live_changes: int = 3, **kwargs):
        super().__init__(*args, **kwargs)
        self.live_changes = live_changes
        self.person.design_changes = self._fixed_changes  # type: ignore[method-assign]
        self.person.decide = lambda n, public: [True] + [False] * (n - 1)  # type: ignore[method-assign]
        self._design_calls = 0

    def _fixed_changes(self, levels, current, mean_edits=None, exclude=()):
        self._design_calls += 1
        if self._design_calls > 1:  # revise page: no free edits beyond the adoption
            return []
        choosable = [a for a in levels if a not in set(exclude) and len(levels[a]) > 1]
        changes, state = [], dict(current)
        for i in range(self.live_changes if choosable else 0):
            attribute = choosable[i % len(choosable)]
            level = next(lv for lv in levels[attribute] if lv != state.get(attribute))
            state[attribute] = level
            changes.append((attribute, level))
        return changes

    def _post(self, path: str, data: Mapping[str, Any], json_answer: bool = False) -> Page:
        before = self.page.path if self.page else ""
        page = super()._post(path, data, json_answer)
        tally: Tally = self.t.tally
        if json_answer:
            if page.status == 200:
                kind = "attribute_changed" if path.endswith("/design/change") else (
                    "suggestion_adopted" if data.get("decision") == "adopt" else "suggestion_rejected")
                tally.acknowledged[kind] += 1
                preview = page.json().get("preview_url")
                if isinstance(preview, str) and preview.startswith("/preview/"):
                    self.t.fetch_image(preview)
        elif page.status < 400 and page.path != before:
            tally.acknowledged["consented" if before.rstrip("/") == self.base else "step_completed"] += 1
        return page


async def run_participant(session: aiohttp.ClientSession, bases: list[str], slug: str, index: int,
                          tally: Tally, simulation_key: str, live_changes: int, think_s: float = 0.0,
                          rotate: bool = False, seed: int = 7, transport: AsyncTransport | None = None,
                          fetch_previews: bool = True) -> str:
    """One participant from entry to the done page; returns the bot's outcome.

    Pass the ``transport`` of an earlier, interrupted run to resume that participant: it carries
    their cookies, so the entry link leads back to the step they were on.
    """
    person = SimulatedParticipant(BehaviourParams(), seed, index)
    person.monogram = lambda max_length=3: None  # type: ignore[method-assign]  # a typed monogram is a change the tally would miss
    transport = transport or AsyncTransport(session, bases, tally, simulation_key, rotate=rotate,
                                            fetch_previews=fetch_previews)
    transport.session = session
    bot = LoadBot(transport, slug, person, index=index, live_changes=live_changes)

    def walk() -> list[float]:
        waits = []
        for wait in bot.steps():
            if wait or think_s:
                waits.append(wait)
                await_only(asyncio.sleep(wait + think_s))
        return waits

    try:
        await greenlet_spawn(walk)
    except (TimeoutError, aiohttp.ClientError):
        return "connection error"
    if bot.result.outcome == "error":
        tally.errors[f"bot: {bot.result.error[:80]}"] += 1
    elif bot.result.completion_code or bot.result.outcome in ("completed", "attention_failed"):
        tally.completed += 1
        tally.completed_requests += transport.requests
        if tally.in_window(time.monotonic()):
            tally.completed_in_window += 1
    return bot.result.outcome


def client_session(limit: int) -> aiohttp.ClientSession:
    """One connection pool for all participants; each participant has its own cookies.

    Idle connections are dropped after 2 s, before gunicorn's 5 s keep-alive closes them from
    its side (reusing a connection the server is closing at that moment fails the request).
    """
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit, force_close=False,
                                                                keepalive_timeout=2.0),
                                 cookie_jar=aiohttp.DummyCookieJar(), timeout=aiohttp.ClientTimeout(total=60))

"""How a bot sends requests: over Flask's test client in process, or over HTTP to a running server.

Both follow redirects and count requests, and hand back a `Page`: the status, the path landed on
and the text. The bots (experiments.bots) only see the `Transport` protocol.
"""

from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

SIMULATION_HEADER = "X-Simulation-Key"


@dataclass
class Page:
    status: int
    path: str  # the path after following redirects, without query string
    text: str
    content_type: str = "text/html"

    def json(self) -> Any:
        return json.loads(self.text)


class Transport(Protocol):
    requests: int

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Page: ...

    def post(self, path: str, data: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Page: ...


class FlaskTransport:
    """In process, through ``app.test_client()``: one client (one cookie jar) per transport."""

    def __init__(self, app, simulation_key: str | None = None):
        self.client = app.test_client()
        key = simulation_key if simulation_key is not None else app.config.get("SIMULATION_KEY")
        self.headers = {SIMULATION_HEADER: key} if key else {}
        self.requests = 0

    def _page(self, response) -> Page:
        self.requests += 1 + len(response.history)
        text = response.get_data(as_text=True)
        response.close()
        return Page(response.status_code, response.request.path, text, response.mimetype or "")

    def get(self, path, headers=None):
        return self._page(self.client.get(path, headers={**self.headers, **(headers or {})}, follow_redirects=True))

    def post(self, path, data, headers=None):
        return self._page(self.client.post(path, data=dict(data), headers={**self.headers, **(headers or {})},
                                           follow_redirects=True))


class _CountingRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, transport: UrlTransport):
        self.transport = transport

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        # urllib turns a 303 after a POST into a GET and keeps our headers (not the body's).
        self.transport.requests += 1
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class UrlTransport:
    """Against a running server: urllib with its own cookie jar; redirects are followed."""

    def __init__(self, base_url: str, simulation_key: str | None = None, timeout: float = 30.0):
        self.base = base_url.rstrip("/")
        self.prefix = urllib.parse.urlsplit(self.base).path.rstrip("/")
        self.headers = {SIMULATION_HEADER: simulation_key} if simulation_key else {}
        self.timeout = timeout
        self.requests = 0
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _CountingRedirects(self))

    def _open(self, request: urllib.request.Request) -> Page:
        self.requests += 1
        try:
            response = self.opener.open(request, timeout=self.timeout)
            status = response.status
        except urllib.error.HTTPError as error:  # 4xx/5xx still carry a page to read
            response = error
            status = error.code
        with response:
            body = response.read().decode(response.headers.get_content_charset() or "utf-8", "replace")
            url = response.geturl()
            content_type = response.headers.get_content_type()
        path = urllib.parse.urlsplit(url).path
        if self.prefix and path.startswith(self.prefix):
            path = path[len(self.prefix):] or "/"
        return Page(status, path, body, content_type)

    def get(self, path, headers=None):
        return self._open(urllib.request.Request(self.base + path, headers={**self.headers, **(headers or {})}))

    def post(self, path, data, headers=None):
        body = urllib.parse.urlencode(list(_pairs(data))).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST", headers={
            **self.headers, "Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
        return self._open(request)


def _pairs(data: Mapping[str, Any]):
    for key, value in data.items():
        if isinstance(value, (list, tuple)):
            for item in value:
                yield key, str(item)
        elif value is not None:
            yield key, str(value)

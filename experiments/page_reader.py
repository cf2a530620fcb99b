"""What a bot reads off a participant page: its forms, suggestions, legends, heading and codes.

Read with the standard library's HTML parser, so the bots need no browser and no extra package.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser


class SimulationError(RuntimeError):
    """A bot met a page it cannot act on (the message names the page and what was wrong)."""


@dataclass
class Suggestion:
    id: int
    attribute: str
    level: str


@dataclass
class Form:
    action: str | None
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # hidden and text inputs
    radios: dict[str, list[str]] = field(default_factory=dict)  # name -> values, page order
    checked: dict[str, str] = field(default_factory=dict)
    selects: dict[str, list[str]] = field(default_factory=dict)
    submits: dict[str, str] = field(default_factory=dict)


class PageReader(HTMLParser):
    """Everything a bot needs from a participant page, read with the standard library."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.suggestions: list[Suggestion] = []
        self.legends: dict[str, str] = {}  # radio name -> text of its fieldset legend
        self.refresh: float | None = None
        self.csrf_meta: str | None = None
        self.h1 = ""
        self.completion_code: str | None = None
        self.visibility: str | None = None
        self._form: Form | None = None
        self._select: str | None = None
        self._capture: str | None = None  # "h1" | "code" | "legend"
        self._text: list[str] = []
        self._legend = ""
        self._fieldset_names: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        self._note_retry(tag, a)
        if tag == "input" and self._form is not None and not a.get("name"):
            return  # an unnamed input carries nothing a bot sends
        read = self._TAG_READERS.get(tag)
        if read is not None:
            read(self, a)
        if tag == "h1":
            self._start("h1")
        elif a.get("id") == "completion-code":
            self._start("code")
        elif tag == "legend":
            self._start("legend")

    def _note_retry(self, tag: str, a: dict[str, str]) -> None:
        """The waiting page says when to look again: `data-retry-after` (or an old-style meta refresh)."""
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            text = a.get("content", "")
        elif a.get("data-retry-after"):
            text = a["data-retry-after"]
        else:
            return
        match = re.match(r"\s*([\d.]+)", text)
        self.refresh = float(match.group(1)) if match else 0.0

    def _on_meta(self, a: dict[str, str]) -> None:
        if a.get("name") == "csrf-token":
            self.csrf_meta = a.get("content")

    def _on_form(self, a: dict[str, str]) -> None:
        self._form = Form(a.get("action") or None, a.get("method", "get").lower())
        self.forms.append(self._form)

    def _on_input(self, a: dict[str, str]) -> None:
        if self._form is None:
            return
        kind, name = a.get("type", "text").lower(), a["name"]
        if kind == "radio":
            self._form.radios.setdefault(name, []).append(a.get("value", ""))
            if "checked" in a:
                self._form.checked[name] = a.get("value", "")
            self._fieldset_names.append(name)
        elif kind == "submit":
            self._form.submits[name] = a.get("value", "")
        elif kind in ("hidden", "text", "number"):
            self._form.fields[name] = a.get("value", "")

    def _on_select(self, a: dict[str, str]) -> None:
        if self._form is not None:
            self._select = a.get("name")
            self._form.selects.setdefault(self._select or "", [])  # an unnamed select still counts in main_form

    def _on_option(self, a: dict[str, str]) -> None:
        if self._select is not None and self._form is not None:
            self._form.selects[self._select].append(a.get("value", ""))

    def _on_button(self, a: dict[str, str]) -> None:
        if self._form is not None and a.get("name"):
            self._form.submits[a["name"]] = a.get("value", "")

    def _on_article(self, a: dict[str, str]) -> None:
        if "suggestion" in a.get("class", "").split():
            match = re.match(r"suggestion-(\d+)$", a.get("id", ""))
            if match:
                self.suggestions.append(Suggestion(int(match.group(1)), a.get("data-attribute", ""),
                                                   a.get("data-level", "")))

    def _on_p(self, a: dict[str, str]) -> None:
        classes = a.get("class", "").split()
        if "notice" in classes:
            for value in ("public", "private"):
                if value in classes:
                    self.visibility = value

    def _on_fieldset(self, a: dict[str, str]) -> None:
        self._fieldset_names = []
        self._legend = ""

    _TAG_READERS: dict[str, Callable[[PageReader, dict[str, str]], None]] = {
        "meta": _on_meta, "form": _on_form, "input": _on_input, "select": _on_select, "option": _on_option,
        "button": _on_button, "article": _on_article, "p": _on_p, "fieldset": _on_fieldset,
    }

    def _start(self, what):
        self._capture = what
        self._text = []

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "fieldset":
            for name in self._fieldset_names:
                self.legends.setdefault(name, self._legend)
            self._fieldset_names = []
        if self._capture and ((tag == "h1" and self._capture == "h1") or (tag == "legend" and self._capture == "legend")
                              or (tag in ("p", "span") and self._capture == "code")):
            text = " ".join("".join(self._text).split())
            if self._capture == "h1":
                self.h1 = self.h1 or text
            elif self._capture == "code":
                self.completion_code = text
            else:
                self._legend = text
            self._capture = None

    def handle_data(self, data):
        if self._capture:
            self._text.append(data)

    # conveniences ---------------------------------------------------
    def main_form(self) -> Form:
        """The page's form with the most fields (the step's own form, not e.g. a decision button)."""
        forms = [f for f in self.forms if f.method == "post"]
        if not forms:
            raise SimulationError("no form on the page")
        return max(forms, key=lambda f: len(f.radios) + len(f.selects) + len(f.fields) + len(f.submits))

    @property
    def csrf(self) -> str | None:
        for form in self.forms:
            if "csrf_token" in form.fields:
                return form.fields["csrf_token"]
        return self.csrf_meta

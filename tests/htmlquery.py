"""A tiny HTML reader for tests: elements by id, links, and the text inside an element."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None]):
        self.tag, self.attrs, self.parts, self.children = tag, attrs, [], []

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[Element] = []
        self.all: list[Element] = []

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        if self.stack:
            self.stack[-1].children.append(element)
        self.all.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        for element in self.stack:
            element.parts.append(data)


class Page:
    """A parsed HTML page."""

    def __init__(self, html: str):
        self.html = html
        parser = _Parser()
        parser.feed(html)
        self.elements = parser.all

    @classmethod
    def read(cls, path: Path) -> "Page":
        return cls(path.read_text(encoding="utf-8"))

    def by_id(self, element_id: str) -> Element | None:
        found = [e for e in self.elements if e.attrs.get("id") == element_id]
        assert len(found) <= 1, f"id {element_id!r} is used {len(found)} times"
        return found[0] if found else None

    def find_all(self, tag: str, **attrs) -> list[Element]:
        def matches(e: Element) -> bool:
            return e.tag == tag and all(
                (e.attrs.get(k.rstrip("_")) or "").split().count(v) if k.rstrip("_") == "class"
                else e.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        return [e for e in self.elements if matches(e)]

    def descendants(self, element: Element, tag: str) -> list[Element]:
        out = []
        for child in element.children:
            if child.tag == tag:
                out.append(child)
            out.extend(self.descendants(child, tag))
        return out

    def ids(self) -> list[str]:
        return [e.attrs["id"] for e in self.elements if e.attrs.get("id")]

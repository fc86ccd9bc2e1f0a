"""Parse a rendered report with the standard library's HTML parser and collect what tests check."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = ["Parsed", "parse"]


@dataclass
class Parsed:
    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)  # (section id, its h2 text)
    row_headers: list[str] = field(default_factory=list)  # <th scope="row"> texts
    svg_text: list[str] = field(default_factory=list)  # text inside <svg>, incl. <title>

    def all_text(self) -> str:
        return "\n".join(self.text)

    def attrs(self, name: str) -> list[str]:
        return [v for _, a in self.tags for k, v in a.items() if k == name and v is not None]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = Parsed()
        self.stack: list[str] = []
        self.section: str | None = None
        self.in_h2 = False
        self.h2 = ""
        self.in_row_th = False
        self.th = ""
        self.svg_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.out.tags.append((tag, a))
        if tag == "section":
            self.section = a.get("id") or ""
        elif tag == "h2":
            self.in_h2, self.h2 = True, ""
        elif tag == "th" and a.get("scope") == "row":
            self.in_row_th, self.th = True, ""
        elif tag == "svg":
            self.svg_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2" and self.in_h2:
            self.in_h2 = False
            self.out.sections.append((self.section or "", self.h2.strip()))
        elif tag == "th" and self.in_row_th:
            self.in_row_th = False
            self.out.row_headers.append(self.th.strip())
        elif tag == "svg":
            self.svg_depth -= 1

    def handle_data(self, data: str) -> None:
        self.out.text.append(data)
        if self.in_h2:
            self.h2 += data
        if self.in_row_th:
            self.th += data
        if self.svg_depth:
            self.out.svg_text.append(data)


def parse(html: str) -> Parsed:
    c = _Collector()
    c.feed(html)
    c.close()
    return c.out


# Anything that could load from outside the file. Checked on the markup, so escaped data text such as
# "&lt;img src=x&gt;" (inert by construction) does not count; ``url(#id)`` is an in-document reference.
_SCHEME = re.compile(r"(https?:|ftp:|file:|data:|//[a-z0-9.-]+\.[a-z]{2,}|url\((?!#)|@import)", re.I)
_LOADING_ATTR = re.compile(
    r"<[a-z][^>]*\s(?:src|href|xlink:href|srcset|action|poster)\s*=\s*(?:\"(?!#)|'(?!#)|(?![\"'#]))", re.I)


def external_reference(html: str) -> str | None:
    """The first thing in ``html`` that would load from outside the document, or None."""
    markup = re.sub(r">[^<]*<", "><", html)  # drop text between tags (escaped data cannot form a tag)
    m = _LOADING_ATTR.search(html) or _SCHEME.search(markup)
    return m.group(0) if m else None

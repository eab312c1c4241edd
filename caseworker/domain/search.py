"""How long a search string may be: a name, an address part, an ID number or a phone number
is never longer than `MAX_SEARCH` characters, and a pasted page of text must not travel into
SQL (or, through an error, into a log)."""

from __future__ import annotations

MAX_SEARCH = 50


def cap_search(text: str) -> str:
    """`text` cut to `MAX_SEARCH` characters (after trimming surrounding spaces)."""
    return text.strip()[:MAX_SEARCH]

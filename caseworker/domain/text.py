"""Control characters in text that arrives (typed, imported, received in a bundle).

A NUL byte, an escape sequence or a bidirectional override in a name cannot be seen on screen,
breaks printing and searching, and can make a name read differently from what is stored
("Trojan source"). Every text field is cleaned of them where it enters: typed and imported text
loses them (`strip_controls`), a received value carrying them is refused (`has_controls`).
Line breaks and tabs stay: multi-line notes hold them, and single-line fields collapse
whitespace on their own.
"""

from __future__ import annotations

import re

# C0 controls but tab, line feed and carriage return; DEL and the C1 block; the bidirectional
# embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069).
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def has_controls(text: str) -> bool:
    return CONTROLS.search(text) is not None


def strip_controls(text: str) -> str:
    """`text` without control characters (line breaks and tabs kept)."""
    return CONTROLS.sub("", text) if CONTROLS.search(text) else text

"""Text from the gateway shown, never acted on: control and format characters as escapes.

Reasons, URLs and bodies quote the gateway, whose bytes must not drive the
reader's terminal or page: an escape sequence could clear the screen,
recolour "failed" as a pass, retitle the window or write the clipboard
(OSC 52); a right-to-left override could make a line read backwards. Every
report that shows gateway text (console, pytest's lines, HTML, JUnit,
Markdown) passes it through `terminal_safe`; the JSON document keeps the
bytes as they came.
"""

from __future__ import annotations

import unicodedata

__all__ = ["terminal_safe"]

#: shown as escapes: controls (ESC, BEL, CR...), format characters (bidi overrides), line and paragraph separators
_UNSEEN = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def _shown(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def terminal_safe(text: object, *, keep_newlines: bool = False, keep: str = "") -> str:
    """`text` with every character that would act on a terminal instead of showing (ESC above all) escaped.

    `keep`: characters let through as they are (`keep_newlines`: "\\n").
    """
    kept = keep + ("\n" if keep_newlines else "")
    return "".join(_shown(char) if unicodedata.category(char) in _UNSEEN and char not in kept else char
                   for char in str(text))

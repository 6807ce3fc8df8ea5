"""Stored text shown to people: always as text, never as markup or terminal control.

Bot ids, session ids, strategy and signal names, file names and error messages come from
users, files and bots. The consoles of :mod:`crashdb.cli._app` never parse Rich markup or
emoji codes, so ``[/bold]`` prints as ``[/bold]``; :func:`plain` additionally shows every
character a terminal would act on or hide (escape sequences, carriage returns, bidirectional
overrides, zero-width characters) as a visible escape such as ``\\x1b``.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

__all__ = ["add_row", "markup", "plain"]


def _visible(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def plain(value: Any) -> str:
    """``str(value)`` with every non-printable character (``str.isprintable``: controls,
    format characters such as bidi overrides, separators other than the space) escaped."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _visible(ch) for ch in text)


_SLOT = "\ue000"  # a private-use character stands for each ``{}`` while the markup is parsed


def markup(template: str, *values: Any) -> Text:
    """Our own Rich markup ``template`` with its ``{}`` slots filled by ``values`` as text.

    Only the template is parsed as markup; each value is inserted afterwards as
    :func:`plain` text in the style of its slot, so nothing a value holds (brackets,
    backslashes, emoji codes, control characters) can become a style or a sequence.
    """
    parsed = Text.from_markup(template.replace("{}", _SLOT), emoji=False)
    out = Text()
    start = 0
    slots = [i for i, ch in enumerate(parsed.plain) if ch == _SLOT]
    if len(slots) != len(values):
        raise ValueError(f"{len(slots)} slots in the template for {len(values)} values")
    for index, value in zip(slots, values, strict=True):
        out.append_text(parsed[start:index])
        styles = [str(span.style) for span in parsed.spans if span.start <= index < span.end]
        out.append(plain(value), style=" ".join(styles) or None)
        start = index + 1
    out.append_text(parsed[start:])
    return out


def add_row(table: Table, *cells: Any) -> None:
    """Add a row of stored values: ``str`` cells are shown as :func:`plain` text."""
    table.add_row(*(c if isinstance(c, Text) else Text(plain(c)) for c in cells))

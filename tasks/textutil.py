"""Small text helpers shared by the stages."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping


def translator(table: Mapping[int, str | int | None]) -> Callable[[str], str]:
    """A function doing `text.translate(table)` for a table of single characters, fast.

    CPython's str.translate looks every character of a non-ASCII text up in the table (a
    text with one curly quote is non-ASCII), which made it the cleaner's largest cost; a
    regular expression visits only the characters the table changes. Same result.
    """
    repl = {chr(k): chr(v) if isinstance(v, int) else (v or "") for k, v in table.items()}
    if not repl:
        return lambda text: text
    pattern = re.compile("[" + "".join(re.escape(c) for c in repl) + "]")
    lookup = repl.__getitem__
    return lambda text: pattern.sub(lambda m: lookup(m.group()), text)

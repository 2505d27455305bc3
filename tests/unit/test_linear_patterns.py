"""Every regular expression that runs on page or feed text stays linear on adversarial lines (issue #15)."""
from __future__ import annotations

import ast
import importlib
import re
import time
from pathlib import Path

import pytest

from tasks import clean, dedup, entities, feeds
from tasks.budget import CpuBudget, CpuBudgetExceeded
from tasks.lang import WORDINGS

# Every language module too (tasks.lang.<code>): its own wrapper-line patterns and dateline run on page text.
MODULES = ("clean", "extract", "feeds", "quotes", "dedup", "entities", "textutil", "fetch", "nlp", "raw",
           "pipeline", *(f"lang.{code}" for code in WORDINGS))


def _compiled(value, name: str):
    """(name, pattern) of a compiled pattern, or of each one inside a tuple or a language's Wording."""
    if isinstance(value, re.Pattern):
        yield name, value
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            yield from _compiled(item, f"{name}[{index}]")
    elif type(value).__name__ == "Wording":
        for attr in ("wrapper_lines", "dateline"):
            yield from _compiled(getattr(value, attr), f"{name}.{attr}")


def _patterns() -> list[tuple[str, re.Pattern]]:
    """Module-level compiled patterns (alone, in tuples, in a Wording), and literal patterns passed to
    re.* inside functions. A language's regex fragments are audited inside clean's patterns that hold them."""
    found: dict[tuple, tuple[str, re.Pattern]] = {}
    for name in MODULES:
        module = importlib.import_module(f"tasks.{name}")
        for attr, value in vars(module).items():
            for label, pattern in _compiled(value, f"{name}.{attr}"):
                found[(pattern.pattern, pattern.flags)] = (label, pattern)
        for node in ast.walk(ast.parse(Path(module.__file__).read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, (str, bytes))):
                flags = re.I if any(isinstance(a, ast.Attribute) and a.attr in ("I", "IGNORECASE")
                                    for a in [*node.args[2:], *(k.value for k in node.keywords)]) else 0
                compiled = re.compile(node.args[0].value, flags)
                found.setdefault((compiled.pattern, compiled.flags), (f"{name}:{node.lineno}", compiled))
    return sorted(found.values(), key=lambda item: item[0])


PATTERNS = _patterns()
# How the code applies a pattern when that is not a search anywhere in a line.
APPLIED = {"clean._AGENCY_BYLINE": "fullmatch"}
N = 20_000   # a quadratic pattern takes seconds on a line this long, a linear one milliseconds


def _lines() -> list[tuple[str, str]]:
    lines = []
    for char in "_-=.*~#+ \t/|<>{}[](),;:'\"!?@&%$^`\\aA0é—–’•·»\u00a0\u200b":
        lines.append((f"{char!r} x {N}", char * N))
        if not char.isalnum():
            lines.append((f"'A' + {char!r} x {N} + '!'", "A" + char * N + "!"))
    for unit in ("A-", "A.", "a_", "A ", "_a", "A'", "a ", "by ", "AFP ", "{{", "{%", "<p ", "<div ", "A, ", "- "):
        lines.append((f"{unit!r} x {N // len(unit)}", unit * (N // len(unit))))
    return lines


LINES = _lines()


def test_the_audit_sees_the_patterns_that_used_to_stall():
    names = {name for name, _ in PATTERNS}
    assert {"clean._PLUGIN", "clean._DATELINE", "entities._DATELINE_RE", "feeds._NAME_EMAIL",
            "dedup._LEADING_DATELINE", "clean._READ_ALSO", "clean._AGENCY_BYLINE"} <= names
    assert len(PATTERNS) > 60


def test_the_audit_sees_every_language_modules_patterns():
    # Each language's words reach the audit: its fragments inside clean's shared patterns, its
    # own wrapper lines and dateline as they are.
    patterns = {pattern.pattern for _, pattern in PATTERNS if isinstance(pattern.pattern, str)}
    for wording in WORDINGS.values():
        for field in ("read_also", "paywall", "share", "byline", "date_line", "dateline_months", "agency_byline"):
            fragment = getattr(wording, field)
            assert not fragment or any(f"(?:{fragment})" in pattern for pattern in patterns), (wording.code, field)
        for _, pattern in wording.wrapper_lines:
            assert pattern.pattern in patterns
        assert wording.dateline is None or wording.dateline.pattern in patterns
    assert any(w.wrapper_lines for w in WORDINGS.values()) and any(w.dateline for w in WORDINGS.values())


@pytest.mark.parametrize("name,pattern", PATTERNS, ids=[name for name, _ in PATTERNS])
def test_pattern_is_linear_on_adversarial_lines(name, pattern):
    apply = getattr(pattern, APPLIED.get(name, "search"))
    for label, line in LINES:
        subject = line.encode("utf-8") if isinstance(pattern.pattern, bytes) else line
        try:
            # A linear pattern needs milliseconds here; the stalls this guards against took minutes.
            with CpuBudget(0.5) as budget:
                apply(subject)
                budget.check()
        except CpuBudgetExceeded:
            pytest.fail(f"{name}.{apply.__name__} took over 0.5 s of CPU on {label}")


# One test per rewritten pattern: a realistic line keeps its meaning; the shape that stalled is prompt.

def _prompt(fn, *args, seconds: float = 1.0):
    start = time.thread_time()
    result = fn(*args)
    assert time.thread_time() - start < seconds
    return result


@pytest.mark.parametrize("line,kind", [
    ("data-ad-slot = 4471", "plugin"),
    ("mw_ad.unit-top = banner", "plugin"),
    ("{{ related_links }}", "plugin"),
    ("{% include 'ad.html' %}", "plugin"),
    ("<p class=\"lead\">", "plugin"),
    ("Text before <div data-x='1'> and after", "plugin"),
    ("The council voted 7-2 on Tuesday to keep the library open on Sundays.", None),
])
def test_plugin_shapes_still_recognised(line, kind):
    assert clean.classify_line(line) == kind


@pytest.mark.parametrize("line", [
    "_" * 60, "_" * 5000, "a_" * 2500, "mw_" * 2000 + "x", "{{" * 2500, "<p " * 2000, "<div class='x'" * 500,
])
def test_plugin_adversarial_lines_are_prompt(line):
    assert _prompt(clean.classify_line, line) in (None, "plugin")


def test_underscore_rule_in_a_story_is_cleaned_promptly():
    story = ("NORTHFIELD – The town's only bakery will close at the end of the month after forty years, "
             "its owner said on Friday.\n" + "_" * 60 + "\nThe owner, Mara Lind, said rising rents were to blame.")
    # Inside a story a rule is the story's own typography: it stays, and so does everything else.
    assert _prompt(clean.clean_text, story).text == story


@pytest.mark.parametrize("line,dateline", [
    ("WINSTON-SALEM, N.C. (AP) — The city council approved the budget late on Monday.",
     ("WINSTON-SALEM, N.C. (AP) —", "AP")),
    ("N'DJAMENA (AFP) - Heavy rains flooded parts of the capital on Sunday.", ("N'DJAMENA (AFP) -", "AFP")),
    ("ST. LOUIS/NEW YORK, May 3 (Reuters) - Shares of the brewer rose sharply on Tuesday.",
     ("ST. LOUIS/NEW YORK, May 3 (Reuters) -", "Reuters")),
    ("BERLIN-- The coalition agreed on a new budget after talks that ran through the night.",
     ("BERLIN--", None)),
    ("AB-CD- rest of a line with enough words", ("AB-CD-", None)),
    ("AI - the future of work is being decided now", None),
])
def test_dateline_rewrite_keeps_datelines(line, dateline):
    assert clean.find_dateline(line) == dateline


@pytest.mark.parametrize("line", ["A-" * 2500 + "!", "A-" * 2500 + " x", "A." * 2500 + "?", "A " * 2500,
                                  "AB" + "-" * 5000, "A" + " " * 5000 + "- x"])
def test_dateline_adversarial_lines_are_prompt(line):
    assert _prompt(clean.find_dateline, line) is None


def test_entities_dateline_spans():
    text = "KABUL, Afghanistan (Reuters) - Officials said on Monday that the road had reopened."
    assert entities._dateline_spans(text) == ((0, 5), (19, 28))
    assert entities._dateline_spans("A - Officials said so.") == ((0, 2), None)
    assert _prompt(entities._dateline_spans, "A" + " " * 5000 + "!") == (None, None)


def test_dedup_leading_dateline():
    text = "NEW YORK (Reuters) - Stocks rose.\nSecond paragraph."
    assert dedup._strip_dateline(text, None) == "Stocks rose.\nSecond paragraph."
    assert _prompt(dedup._strip_dateline, "A" + " " * 5000 + "- x", None).startswith("x")


@pytest.mark.parametrize("value,name", [
    ("Jane Doe <jane@news.example>", "Jane Doe"),
    ("  Jane  Doe   <jane@news.example>  ", "Jane  Doe"),
    ("<jane@news.example>  Jane", "<jane@news.example>  Jane"),
    ("<jane@news.example>", "<jane@news.example>"),
    ("jane@news.example (Jane Doe)", "Jane Doe"),
    ("x" + " " * 5000 + "x", "x" + " " * 5000 + "x"),
    ("x" + " " * 5000 + "<j@news.example", "x" + " " * 5000 + "<j@news.example"),
])
def test_feed_author_forms(value, name):
    assert _prompt(feeds._author, {"author": value}) == name


def test_fold_unifies_dashes_and_is_prompt():
    assert clean._fold("Oil  —  prices -- rise") == clean._fold("oil - prices - rise") == "oil - prices - rise"
    assert _prompt(clean._fold, " " * 20_000 + "—") == "-"

"""Interview questions with answers hidden until clicked, and source listings of shared helpers.

Answers are built in code cells, so any number they quote is computed, never typed. They render as HTML
``<details>`` elements: collapsed on the static site and in JupyterLab alike, with LaTeX typeset by MathJax.
The same output carries the questions as data (in its metadata, under :data:`MIME`), which ``make pages`` reads to
build the interview index: nothing is scraped back out of the HTML.
"""

from __future__ import annotations

import html
import inspect
from dataclasses import dataclass
from typing import Iterable, Sequence

from IPython.display import Markdown

#: MIME type of the questions as data, stored beside the HTML in the notebook.
MIME = "application/vnd.mlsheet.interview+json"


@dataclass(frozen=True)
class Interview:
    """Interview questions shown as collapsed answers, and carried as data for the index page."""

    questions: tuple[tuple[str, str], ...]

    def html(self) -> str:
        return "\n".join(
            f'<details class="mlsheet-interview"><summary><b>Q{i}.</b> {question}</summary>'
            f'<div class="mlsheet-answer" style="margin:0.4em 0 0.8em 1.4em">{answer}</div></details>'
            for i, (question, answer) in enumerate(self.questions, 1))

    def _repr_mimebundle_(self, include=None, exclude=None):
        # The questions ride in the output's metadata: renderers (the site, JupyterLab) show the HTML and leave
        # the metadata alone, while make pages reads it.
        data = {"text/html": self.html(), "text/plain": f"<{len(self.questions)} interview questions>"}
        return data, {MIME: {"questions": [{"question": q, "answer": a} for q, a in self.questions]}}


def interview(questions: Sequence[tuple[str, str]], *, minimum: int = 3) -> Interview:
    r"""Render interview questions, each answer hidden in a ``<details>`` block.

    Parameters
    ----------
    questions : sequence of ``(question, answer)`` pairs
        Both are short HTML fragments; inline math goes in ``\( ... \)``.
    minimum : int
        Fewest questions a section may have.
    """
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 1:
        raise ValueError(f"interview: minimum must be an integer >= 1, got {minimum!r}")
    if isinstance(questions, (str, bytes)) or not isinstance(questions, Iterable):
        raise ValueError(f"interview: questions must be a sequence of (question, answer) pairs, got {questions!r:.60}")
    questions = list(questions)
    if len(questions) < minimum:
        raise ValueError(f"interview: need at least {minimum} questions, got {len(questions)}")
    for i, pair in enumerate(questions, 1):
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(s, str) and s.strip()
                                                                   for s in pair)):
            raise ValueError(f"interview: questions item {i} must be a (question, answer) pair of non-empty strings")
    return Interview(tuple(questions))


def show_source(*objs) -> Markdown:
    """Show the source code of one or more package functions or classes as highlighted Python blocks."""
    if not objs:
        raise ValueError("show_source: objs must hold at least one function or class")
    parts = []
    for obj in objs:
        try:
            source = inspect.getsource(obj)
        except (TypeError, OSError) as exc:
            raise ValueError(f"show_source: objs must be functions or classes with a source; cannot get the source "
                             f"of {obj!r}") from exc
        module = getattr(obj, "__module__", "")
        parts.append(f"From `{module}`:\n\n```python\n{source.rstrip()}\n```")
    return Markdown("\n\n".join(parts))


def escape(text: str) -> str:
    """HTML-escape a string for use inside an answer."""
    if not isinstance(text, str):
        raise ValueError(f"escape: text must be a string, got {text!r}")
    return html.escape(text)

"""Small helpers for the book's notebooks: glue numbers and words for the prose,
show figures (static, or interactive in the HTML book with the static one beside)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ..numerics.stats import correct_family
from ..numerics.trainer import DIVERGED_FACTOR


def glue_value(key: str, value) -> None:
    """Glue one value for `{glue:text}` in the prose, without displaying it (numpy
    scalars as Python numbers, so that a format such as `:.3f` applies)."""
    from myst_nb import glue

    if isinstance(value, np.generic):
        value = value.item()
    glue(key, value, display=False)


def glue_stats(key: str, stats: dict, scale: float = 100.0) -> None:
    """Glue <key>_mean, <key>_low, <key>_high (scaled, e.g. to percent) and <key>_n."""
    for part in ("mean", "low", "high"):
        glue_value(f"{key}_{part}", float(scale * stats[part]))
    glue_value(f"{key}_n", int(stats["n"]))


def glue_test(key: str, test: dict, words: tuple[str, ...], scale: float = 100.0) -> None:
    """Glue a paired test (`trauma.numerics.stats.paired`): its mean and interval as
    `glue_stats` does, the seed counts <key>_up, <key>_down, <key>_zero, the
    Wilcoxon p-value <key>_p (Holm-adjusted if the test was corrected with its family,
    the raw one as <key>_p_raw), its family's size <key>_family, and <key>_word:
    words[0] if the test supports a positive difference, words[1] a negative one,
    words[2] if it finds no detectable difference, and words[3] (if given) if an
    equivalence test shows the difference within its margin (<key>_margin); without
    words[3] an equivalence is worded as words[2]. The prose glues the word, so that
    a rerun with other numbers rewrites the sentence."""
    glue_stats(key, test, scale)
    for part, name in (("positive", "up"), ("negative", "down"), ("zero", "zero")):
        glue_value(f"{key}_{name}", int(test[part]))
    glue_value(f"{key}_p", float(test["p"]))
    glue_value(f"{key}_p_raw", float(test.get("p_raw", test["p"])))
    glue_value(f"{key}_family", int(test.get("family", 1)))
    glue_value(f"{key}_margin", float(scale * test.get("margin", float("nan"))))
    glue_value(f"{key}_word", word_for(test, words))


def word_for(test: dict, words: tuple[str, ...]) -> str:
    """The word of `words` (positive, negative, no detectable difference[, equivalent])
    a test's direction picks."""
    index = {"positive": 0, "negative": 1, "none": 2, "equivalent": 3 if len(words) > 3 else 2}
    return words[index[test["direction"]]]


def glue_tests(family: dict) -> dict:
    """Correct one page's family of tests together (`stats.correct_family`: Holm) and
    glue each: key -> (test, words) or (test, words, scale). Returns the corrected
    family, for the tables and sentences the page builds from the same tests."""
    corrected = correct_family(family)
    for key, (test, words, *scale) in corrected.items():
        glue_test(key, test, words, *scale)
    return corrected


def glue_diverged(diverged: int, total: int) -> None:
    """Glue diverged_n, diverged_total and diverged_text (`diverged_text`)."""
    glue_value("diverged_n", int(diverged))
    glue_value("diverged_total", int(total))
    glue_value("diverged_text", diverged_text(int(diverged), int(total)))


class _Figure:
    """A figure in both forms: its Plotly specification (the HTML book draws it) and
    its static PNG (the PDF, and Jupyter without Plotly, show that), one output."""

    def __init__(self, static, plotly: dict):
        from IPython.core.formatters import format_display_data

        if isinstance(static, Path):  # a PNG file
            self.png = static.read_bytes()
        else:  # the PNG the static figure alone would show
            self.png = format_display_data(static)[0]["image/png"]
        self.plotly = plotly

    def _repr_mimebundle_(self, include=None, exclude=None):
        from .interactive import MIME

        return {MIME: self.plotly, "image/png": self.png, "text/plain": "<figure>"}


def glue_figure(key: str, figure, interactive: dict | None = None) -> None:
    """Glue a figure for a `{glue:figure}` directive and close it, so that it is
    shown once, where the directive puts it (with its caption and number). With an
    `interactive` Plotly specification (`trauma.page.interactive`), the HTML book draws
    that and every other output the static figure (a matplotlib figure, or the path
    of a PNG file)."""
    glue_value(key, figure if interactive is None else _Figure(figure, interactive))
    if not isinstance(figure, Path):
        plt.close(figure)


def diverged_text(diverged: int, total: int) -> str:
    """The sentence a page gives on how many of its `total` networks diverged."""
    if diverged == 0:
        return f"None of the {total} networks diverged."
    pronoun = "it is" if diverged == 1 else "they are"
    return (
        f"{diverged} of the {total} networks diverged (their training loss ended at more than {DIVERGED_FACTOR:g} "
        f"times its value at initialisation, or not finite); {pronoun} left out of every mean, interval, fit and "
        "figure on this page."
    )

"""One look for every figure: the theme, one colour, line style and marker per model.

A reader who has learnt that threads are vermillion in one figure can read every other at
a glance: every figure takes its colours from :func:`model_colour` and draws inside
:data:`THEME` (see :func:`themed`).
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable, Iterable

import matplotlib

matplotlib.use("Agg")  # figures are written to files, often on nodes with no display

import numpy as np
import seaborn as sns

from ..kernel import MODEL_NAMES
from ..vocabulary import base_model, described, is_aa_copy

DPI = 120

# One look for every figure, applied around each draw function and each saving rather
# than set globally, so importing this module changes nothing for anyone else.
THEME = {
    **sns.axes_style("whitegrid"),
    **sns.plotting_context("paper", font_scale=1.2),
    "legend.frameon": False,
    "figure.titlesize": "large",
}

# Every pool model of the kernel's own, sorted: a model registered by the user's module
# takes a spare colour, so that it moves no other model's.
KNOWN_MODELS = tuple(sorted(d.name for d in described() if d.runs_tasks and d.origin is None))
# Colours are dealt in a fixed order, so a model keeps its colour whichever models a
# figure happens to show: the first six models keep the hues they always had, the
# subinterpreter pool comes next, then every other model by name.
_FIRST_MODELS = (
    "asyncio", "processes-fork", "processes-forkserver", "processes-spawn", "serial", "threads",
    "subinterpreters",
)  # fmt: skip
_COLOUR_ORDER = [m for m in _FIRST_MODELS if m in KNOWN_MODELS] + [m for m in KNOWN_MODELS if m not in _FIRST_MODELS]
# Seaborn's colour-blind-safe palette, reordered so that the first models get hues far
# apart (orange, too close to vermillion, is left for later models: subinterpreters,
# drawn beside threads, get pink), and without its grey, which stands for models shown
# equivalent; then tab20 without its greys, for the many later models.
_COLORBLIND = sns.color_palette("colorblind", 10)
MODEL_PALETTE = [_COLORBLIND[i] for i in (0, 2, 4, 5, 9, 3, 6, 1, 8)] + [
    colour for i, colour in enumerate(sns.color_palette("tab20", 20)) if i not in (14, 15)
]
MODEL_COLOURS = dict(zip(_COLOUR_ORDER, MODEL_PALETTE))
_SPARE_COLOURS = MODEL_PALETTE[len(KNOWN_MODELS) :]

EQUIVALENT_COLOUR = _COLORBLIND[7]  # grey: no model's own
REFERENCE_COLOUR = "0.35"


def model_colour(model: str) -> tuple[float, float, float]:
    """The colour of ``model`` in every figure; an A/A copy ``X.aa`` shares ``X``'s hue."""
    base = base_model(model)
    if base in MODEL_COLOURS:
        return MODEL_COLOURS[base]
    # A model this kernel does not know: a spare colour chosen by a stable hash of its
    # name (not by its rank among the models shown), so it too never changes.
    return _SPARE_COLOURS[zlib.crc32(base.encode()) % len(_SPARE_COLOURS)]


def model_linestyle(model: str) -> str:
    """A/A copies are drawn dashed: same hue as their model, visibly the copy."""
    return "--" if is_aa_copy(model) else "-"


def model_marker_face(model: str) -> tuple[float, float, float]:
    """A/A copies get hollow-looking markers: their model's colour, lightened."""
    colour = np.array(model_colour(model))
    return tuple(colour + (1 - colour) * 0.6) if is_aa_copy(model) else tuple(colour)


def model_order(models: Iterable[str]) -> list[str]:
    """Models sorted by name, each A/A copy right after its model."""
    return sorted(set(models), key=lambda m: (base_model(m), is_aa_copy(m)))


def themed(function: Callable) -> Callable:
    """``function`` run inside :data:`THEME` (every draw function, and the saving)."""

    @functools.wraps(function)
    def inside_theme(*args, **kwargs):
        # Saving happens inside the theme too: matplotlib creates some artists (ticks)
        # lazily at draw time, from the rcParams in force then.
        with matplotlib.rc_context(THEME):
            return function(*args, **kwargs)

    return inside_theme


# Markers for models that share a colour: model_colour deals the catalogue's mechanism
# models (queues, pipes, locks, events) spare colours by a hash of their name, so several of
# them can share one; a marker of their own, fixed like the colour, tells them apart.
_SHARED_COLOUR_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def model_marker(model: str) -> str:
    """The marker of ``model`` in the memory, transfer, switch, lock and I/O figures.

    Every model with a colour of its own keeps the circle; models whose colour the
    catalogue deals to several get one marker each, by name among those models, so that
    a model's marker does not depend on the other models a figure shows. An A/A copy has
    its model's marker.
    """
    base = base_model(model)
    sharing = sorted({m for m in (*MODEL_NAMES, base) if model_colour(m) == model_colour(base)})
    return _SHARED_COLOUR_MARKERS[sharing.index(base) % len(_SHARED_COLOUR_MARKERS)]

"""Exercise checks, one module per notebook, on one shared core (learntools-style).

Every exercise cell calls its check the same way, ``vaelib.checks.nbNN.<name>(answer, ...)``, for example
``vaelib.checks.nb06.blank_image_reconstruction(answer)``; messages start with ``Exercise NN.k``.
``core`` holds the framework: the not-attempted outcome, numeric, property and symbolic comparisons
and the messages. Each lesson module imports what it needs from the rest of vaelib; nothing in vaelib
imports the checks, so they sit above everything else. The modules are loaded on first use, so a
notebook that checks nothing symbolic never imports SymPy.
"""

from __future__ import annotations

import importlib

LESSONS = tuple(f"nb{n:02d}" for n in range(9))
LESSONS += ("nb09",)  # notebook 09: posterior collapse, tighter bounds, the amortization gap
LESSONS += ("nb10",)  # notebook 10: convolutional VAEs and the decoder's likelihood
LESSONS += ("nb11",)  # notebook 11: conditional VAEs, posteriors as areas, few-label classification
__all__ = ["core", *LESSONS]


def __getattr__(name: str):
    if name == "core" or name in LESSONS:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"vaelib.checks has no {name!r}; the exercise checks are in {', '.join(LESSONS)}")

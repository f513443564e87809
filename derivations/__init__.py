"""derivations: SymPy derivations of the RoPE base bounds, each a chain from numbered hypotheses to a boxed
result, every step checked by the proof kernel (``derivations.kernel``; built on ``rope_sym``).

The derivations (built lazily): :func:`get_derivation`, :func:`all_derivations`; export: :func:`to_latex`,
:func:`to_text`. The closed forms they box are library code, :mod:`rope_sym.bounds`; the ``derivation-*`` checks
of ``python -m verify`` confirm that each closed form equals its derivation's boxed result.
"""

from derivations.catalog import UnknownDerivation, all_derivations
from derivations.catalog import get as get_derivation
from derivations.export import to_latex, to_text
from derivations.kernel import Derivation, Hypothesis, Proof, Step

__all__ = ["Derivation", "Hypothesis", "Proof", "Step", "UnknownDerivation", "all_derivations", "get_derivation",
           "to_latex", "to_text"]

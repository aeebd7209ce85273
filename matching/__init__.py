"""Partner matching: embeddings of what organizations offer and seek, explained suggestions, feedback.

The surface other packages use: :func:`suggest` (with :class:`Filters`, :class:`Place`), :func:`embed`,
:func:`refresh` (one organization's embeddings, right after a write), :func:`record_feedback`.
"""

from matching.embed import embed, refresh
from matching.feedback import record as record_feedback
from matching.filters import Filters
from matching.reasons import Suggestion
from matching.signals import Place
from matching.suggest import suggest

__all__ = ["Filters", "Place", "Suggestion", "embed", "record_feedback", "refresh", "suggest"]

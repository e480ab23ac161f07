"""Where benchmarks find the shared corpus generator: the environment says, never a fixed path.

Benchmarks (and only benchmarks; tests and the demo use the project's own sample) generate their
corpora with the shared generator ``govcorpus.py``. Its place differs between machines, so it is
given as ``GOVSITE_CORPUS_TOOL=/path/to/govcorpus.py``; a benchmark that needs it and is not told
stops with this explanation instead of a traceback. A ready JSONL file can be passed to the
benchmarks that take ``--corpus``/``--jsonl`` instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV = "GOVSITE_CORPUS_TOOL"


def corpus_tool() -> Path:
    """The generator script named by ``GOVSITE_CORPUS_TOOL``; exits with a clear message otherwise."""
    value = os.environ.get(ENV)
    if not value:
        sys.exit(f"This benchmark generates its corpus with the shared generator: set {ENV} to the "
                 "path of govcorpus.py (in the shared corpus folder), or pass a JSONL corpus "
                 "where the benchmark takes one.")
    path = Path(value).expanduser()
    if not path.is_file():
        sys.exit(f"{ENV}={value}: no such file")
    return path

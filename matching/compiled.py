"""The learned ranking's trees compiled to native code (lleaves: LLVM through llvmlite), for serving.

The same trees give the same log-odds as LightGBM's own ``predict`` within float rounding (about 1e-14), for
about a seventh of its CPU: a seeker's pool of 3,500 pairs costs 4.7 ms instead of 36 ms through one
500-tree model on one thread. Compiling one such model costs about 23 s of CPU, so it is done once per model
and machine, never inside a request: a model loaded for serving starts a niced background process that
compiles its boosters into ``<cache_dir>/trees`` (one file per booster, named by the digest of the model text,
the compiler's versions and the host CPU), and the ranking uses LightGBM's ``predict`` until the files are
there. Several processes serving the same model compile it once (a lock per file); the next load of the
model reads the files in a few milliseconds.

A compiled file is machine code that is run, so it is checked before it is loaded: its SHA-256 must match
the one written beside it after the build, and the loaded code must give LightGBM's scores on probe rows.
A missing, corrupt or stale file is compiled again.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

import lightgbm
import llvmlite.binding as llvm
import numpy as np

log = logging.getLogger(__name__)

PROBE_ROWS = 64
TOLERANCE = 1e-9
"""Compiled and LightGBM log-odds differ by float rounding only (about 1e-14 for 500 trees)."""


def digest(model: str) -> str:
    """What a compiled file depends on: the model text, the compiler's versions and the CPU it targets."""
    llvm.initialize()
    llvm.initialize_native_target()
    try:
        features = llvm.get_host_cpu_features().flatten()
    except RuntimeError:  # LLVM cannot read this CPU's features: lleaves then targets none either
        features = ""
    key = "\n".join([version("lleaves"), version("llvmlite"), llvm.get_host_cpu_name(), features, model])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


class CompiledTrees:
    """Boosters' compiled forms, built in a background process the first time a model is served here.

    :meth:`ready` gives them once every booster's file is built and checked (None until then: the caller
    scores with LightGBM meanwhile); :meth:`wait` blocks until then (benchmarks, tests)."""

    def __init__(self, boosters: Sequence[lightgbm.Booster], folder: Path) -> None:
        self.boosters = tuple(boosters)
        self.folder = folder
        self._models: list[object] | None = None
        self._thread = threading.Thread(target=self._build_and_load, name="compile-trees", daemon=True)
        self._thread.start()

    def ready(self) -> list[object] | None:
        """The compiled models, one per booster, or None while they are being built (or failed to)."""
        return self._models

    def wait(self, timeout: float | None = None) -> list[object] | None:
        self._thread.join(timeout)
        return self._models

    def _build_and_load(self) -> None:
        try:
            paths = _model_texts(self.boosters, self.folder)
            missing = [p for p in paths if not _intact(p.with_suffix(".so"))]
            if missing:
                log.info("compiling %d of the ranking's boosters in the background", len(missing))
                _compile_in_child(missing)
            models = [
                _load_checked(path, booster) for path, booster in zip(paths, self.boosters, strict=True)
            ]
            self._models = models
            log.info("the ranking's trees run compiled (%s)", self.folder)
        except Exception:  # the ranking goes on with LightGBM's predict: the same scores, more CPU
            log.exception("compiling the ranking's trees failed; scoring with LightGBM")


def compile_detached(boosters: Sequence[lightgbm.Booster], folder: Path) -> bool:
    """Start compiling ``boosters`` into ``folder`` in a niced process that outlives the caller: ``tune``
    starts it after saving a model, so the first ``suggest`` finds the trees built (or waits for the same
    lock in its own background process, never in a request). False when it could not start."""
    try:
        paths = _model_texts(boosters, folder)
        subprocess.Popen(
            [sys.executable, "-m", "matching.compiled", *map(str, paths)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as e:  # the model is saved all the same: the first suggest tries again
        log.warning("could not start compiling the ranking's trees into %s: %s", folder, e)
        return False
    return True


def _model_texts(boosters: Sequence[lightgbm.Booster], folder: Path) -> list[Path]:
    """Each booster's model text written to ``folder`` under its digest (the compiler reads it from a file);
    the paths without suffix."""
    texts = [b.model_to_string() for b in boosters]
    paths = [folder / digest(text) for text in texts]
    folder.mkdir(parents=True, exist_ok=True)
    for path, text in zip(paths, texts, strict=True):
        if not path.with_suffix(".txt").exists():
            _write(path.with_suffix(".txt"), text.encode("utf-8"))
    return paths


def _intact(library: Path) -> bool:
    """Is the compiled file there, with the checksum written after its build?"""
    checksum = library.with_suffix(".sha256")
    try:
        return hashlib.sha256(library.read_bytes()).hexdigest() == checksum.read_text().strip()
    except OSError:
        return False


def _load_checked(path: Path, booster: lightgbm.Booster) -> object:
    """The compiled model at ``path``, once its checksum and its scores on probe rows are right; a file
    that fails either is compiled again, once."""
    for attempt in range(2):
        library = path.with_suffix(".so")
        if _intact(library):
            model = _load(path)
            probe = _probe(booster)
            expected = booster.predict(probe, raw_score=True, num_threads=1)
            if np.allclose(model.predict(probe, n_jobs=1), expected, rtol=0, atol=TOLERANCE):  # type: ignore[attr-defined]
                return model
            log.warning("the compiled trees %s score otherwise than LightGBM; compiling them again", library)
        else:
            log.warning("the compiled trees %s are missing or corrupt; compiling them again", library)
        if attempt == 0:
            library.unlink(missing_ok=True)
            _compile_in_child([path])
    raise RuntimeError(f"the compiled trees {path.with_suffix('.so')} do not reproduce LightGBM's scores")


def _load(path: Path) -> object:
    import lleaves  # noqa: PLC0415 - LLVM is loaded only where compiled trees are served

    model = lleaves.Model(model_file=str(path.with_suffix(".txt")))
    model.compile(cache=str(path.with_suffix(".so")), raw_score=True)
    return model


def _probe(booster: lightgbm.Booster) -> np.ndarray:
    """Rows that reach many leaves: values spread over each feature's split thresholds, some missing."""
    rng = np.random.default_rng(0)
    rows = rng.normal(0, 3, size=(PROBE_ROWS, booster.num_feature()))
    rows[:, ::3] = rng.integers(0, 8, size=rows[:, ::3].shape)
    rows[rng.random(rows.shape) < 0.05] = np.nan
    return rows


def _compile_in_child(paths: list[Path]) -> None:
    """Compile in a separate, niced process: LLVM's Python half holds the GIL for seconds, which the
    requests served meanwhile would wait for."""
    command = [sys.executable, "-m", "matching.compiled", *map(str, paths)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"compiling the ranking's trees failed: {done.stderr.strip()[-2000:]}")


def _compile(path: Path) -> None:
    """Compile the model text ``path``.txt into ``path``.so, with its checksum beside it. One process at a
    time per file: a second one waits for the lock and finds the file built."""
    import lleaves  # noqa: PLC0415

    library = path.with_suffix(".so")
    with path.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _intact(library):
            return
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.unlink(missing_ok=True)
        lleaves.Model(model_file=str(path.with_suffix(".txt"))).compile(cache=str(partial), raw_score=True)
        body = partial.read_bytes()
        _write(path.with_suffix(".sha256"), hashlib.sha256(body).hexdigest().encode("ascii"))
        partial.replace(library)


def _write(path: Path, body: bytes) -> None:
    """Write ``path`` whole or not at all (a reader never sees half a file)."""
    partial = path.with_suffix(path.suffix + f".{os.getpid()}.partial")
    partial.write_bytes(body)
    partial.replace(path)


if __name__ == "__main__":
    os.nice(10)
    for argument in sys.argv[1:]:
        _compile(Path(argument))

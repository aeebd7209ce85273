"""The name of an embedder: the model and the backend that runs it, as one name that stored embeddings
carry (``Settings.embedder``), so that vectors of two backends never mix.
"""

from __future__ import annotations

from typing import Literal

EmbeddingBackend = Literal["torch", "onnx", "onnx-int8"]
EMBEDDING_BACKENDS: tuple[EmbeddingBackend, ...] = ("torch", "onnx", "onnx-int8")


TAGS: dict[EmbeddingBackend, str] = {"onnx": "onnx", "onnx-int8": "onnx-int8/token-2"}
"""What an embedder's name says of an ONNX backend. The int8 tag names how activations are quantized (one
scale per token, ``matching.onnx_bert``) and which graph computes it: a float product rounded in another
order puts some values on the other side of an 8-bit step, and those steps add up over six layers (cosine
0.997 between two graphs' vectors of the same text, each as far from float32). So vectors stored under
another int8 scheme or graph (a plain ``@onnx-int8``, quantized per run, or ``@onnx-int8/token``) do not
match it, and the next ``embed`` encodes them again."""


def embedder_name(model: str, backend: EmbeddingBackend) -> str:
    """``model`` for torch (the name torch embeddings are stored under), else ``model@tag``
    (:data:`TAGS`)."""
    return model if backend == "torch" else f"{model}@{TAGS[backend]}"


def parse_embedder(name: str) -> tuple[str, EmbeddingBackend]:
    """The inverse of :func:`embedder_name`: a name without a known ``@tag`` suffix is a torch model."""
    for backend, tag in TAGS.items():
        model = name.removesuffix(f"@{tag}")
        if model and model != name:
            return model, backend
    return name, "torch"

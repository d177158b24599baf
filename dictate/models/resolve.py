"""Turn what the user gave (a path, an installed model's name, or nothing) into a ModelSpec."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from dictate.errors import ModelError, NoModelError
from dictate.models.spec import ModelSpec, load_spec

HOW_TO_GET_A_MODEL = (
    "No speech model is installed. Import a DeepSpeech model you have with "
    "'dictate models import deepspeech-0.9.3-models.tflite' (or .pbmm/.pb, or an OpenVINO .xml), "
    "download an official one with 'dictate models download deepspeech-0.9.3', "
    "or pass one with --model PATH."
)


def resolve_model(name_or_path: Optional[str]) -> ModelSpec:
    """A path (folder, model.json or .xml), an installed model's name, or the default model."""
    from dictate.models import store as store_module

    store = store_module.ModelStore()
    if name_or_path is None:
        spec = store.default()
        if spec is not None:
            return spec
        names = store.names()
        if names:  # several, none chosen (the default was removed): do not guess
            raise ModelError(
                f"Several models are installed ({', '.join(names)}) and none is the default. "
                f"Choose one with 'dictate models default NAME' (or in Tools → Models), "
                f"or pass --model NAME."
            )
        bundled = store_module.bundled_model()
        if bundled is not None:
            return bundled
        raise NoModelError(HOW_TO_GET_A_MODEL)
    path = Path(name_or_path).expanduser()
    if path.exists():
        return load_spec(path)
    if store.has(name_or_path):
        return store.get(name_or_path)
    installed = ", ".join(store.names()) or "none"
    raise ModelError(
        f"No model '{name_or_path}': it is neither a file nor an installed model (installed: {installed})."
    )

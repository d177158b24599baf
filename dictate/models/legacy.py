"""Recognise model-store entries written by older dictate versions that are wrong on this CPU.

Before session 3's fix, ``dictate models import --precision int8`` put the LSTM's hidden state on
a static int8 grid (a 255-level ``FakeQuantize`` on ``h``) so that each recurrent step was an
int8 × int8 product. OpenVINO computes those on CPUs without VNNI with u8 × s8 products summed
into saturating 16-bit values, so such a model's probabilities are wrong there (by ~1e-2 on the
stand-ins). On CPUs with VNNI they are right. Converted models carry no version of the
conversion, so the IR itself is inspected.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from dictate.engine.acoustic import cpu_has_vnni
from dictate.errors import ModelError
from dictate.models.spec import ModelSpec

OLD_HIDDEN_LEVELS = "255"  # the removed int8 hidden-state grid


def has_int8_hidden_state(ir_path: Path) -> bool:
    """True when the IR quantizes a tensor statically to 255 levels (the old int8 recurrence)."""
    try:
        root = ET.parse(ir_path).getroot()
    except (OSError, ET.ParseError):
        return False  # unreadable IRs are reported by OpenVINO when the model is loaded
    for layer in root.iter("layer"):
        if layer.get("type") == "FakeQuantize":
            data = layer.find("data")
            if data is not None and data.get("levels") == OLD_HIDDEN_LEVELS:
                return True
    return False


def check_conversion(spec: ModelSpec, vnni: bool | None = None) -> None:
    """Refuse a model converted with the old int8 recurrence on a CPU where it computes wrong.

    Raises :class:`ModelError` naming the model and the command that fixes it.
    """
    if spec.precision != "int8" or spec.conversion != "fast":
        return
    if not has_int8_hidden_state(spec.ir_path):
        return
    if vnni is None:
        vnni = cpu_has_vnni()
    if vnni:
        return
    source = spec.source.get("file") or "<model file>"
    scorer = " --scorer <its .scorer file>" if spec.scorer_path is not None else ""
    raise ModelError(
        f"The int8 model '{spec.name}' ({spec.ir_path}) was converted by an older dictate whose "
        "int8 recurrence gives wrong results on this CPU (it has no VNNI). Remove it "
        f"(dictate models remove {spec.name}) and import it again from its original file: "
        f"dictate models import {source} --precision int8 --name {spec.name}{scorer}"
    )

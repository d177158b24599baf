"""Native-code checks run in a throw-away process (see :func:`dictate.processes.crash_in_child`).

    python -m dictate.checks scorer PATH LABELS_JSON   load a scorer and decode with it
    python -m dictate.checks tflite PATH                convert a .tflite with OpenVINO

Exit code 0 when the check ran to the end (a clean refusal of the file included: the caller's
own attempt reports it); a crash of the native code shows as a signal (or abort) exit code.
"""

from __future__ import annotations

import json
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Run one check named on the command line."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 3 and args[0] == "scorer":
        from dictate.engine.decoder import exercise_scorer

        exercise_scorer(args[1], json.loads(args[2]))
        return 0
    if len(args) == 2 and args[0] == "tflite":
        from dictate.models.convert import try_tflite_conversion

        try_tflite_conversion(args[1])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

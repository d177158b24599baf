"""Entry script for frozen bundles: the same ``main`` as the ``dictate`` console script."""

import multiprocessing

from dictate.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # scorer probes run in a spawned child process
    raise SystemExit(main())

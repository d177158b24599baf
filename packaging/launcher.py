"""Entry script for frozen bundles: the same ``main`` as the ``dictate`` console script."""

from dictate.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

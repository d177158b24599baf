# One command to run the app, one to run the tests; both set everything up first.
.PHONY: run test setup setup-test lint bench bench-extra screenshot clean

run: setup
	.venv/bin/dictate

test: setup-test
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q

setup:
	tools/bootstrap.sh

setup-test:
	tools/bootstrap.sh test

lint: setup-test
	.venv/bin/ruff check dictate tests tools
	.venv/bin/mypy

bench: setup
	.venv/bin/dictate bench --threads 2

# TF Lite for `dictate bench --compare` (bench-only extra, not needed by the app or the tests).
bench-extra: setup
	.venv/bin/pip install -e '.[bench]'

# The window under Xvfb dictating a known clip through PulseAudio → PortAudio → dictate.
screenshot: setup
	packaging/screenshot.sh build/screenshot.png

clean:
	rm -rf .venv .pytest_cache .ruff_cache build dist *.egg-info

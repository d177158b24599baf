"""``dictate models …`` end to end: list, default, remove, scorer, import and download.

The importer is replaced by a fake (``dictate.models.importer`` in ``sys.modules``) that
installs a tiny random-weight IR through the store; downloads come from a local server.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sys
import threading
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

from dictate.cli import main
from dictate.models import catalog
from dictate.models.cli import ProgressBar, StageProgress
from dictate.models.spec import MODEL_JSON, ModelSpec
from dictate.models.store import ModelStore

SCORER = Path(__file__).resolve().parents[2] / "shared" / "data" / "scorer" / "pruned_lm.scorer"
MODEL_BYTES = os.urandom(300_001)
SCORER_BYTES = os.urandom(200_003)


@pytest.fixture(scope="module")
def ir_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dictate.models.build import build_acoustic_model
    from dictate.models.ir import save_ir
    from dictate.models.weights import random_weights

    folder = tmp_path_factory.mktemp("ir")
    save_ir(build_acoustic_model(random_weights(16), 16), folder)
    return folder


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DICTATE_DATA_DIR", str(tmp_path / "data"))
    for var in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.upper(), raising=False)


def install(ir_dir: Path, name: str, **fields: Any) -> ModelSpec:
    store = ModelStore()
    with store.install(name) as folder:
        for f in ("model.xml", "model.bin"):
            shutil.copyfile(ir_dir / f, folder / f)
        ModelSpec(name=name, ir_path=folder / "model.xml", n_hidden=16, **fields).write(folder)
    return store.get(name)


@pytest.fixture
def fake_importer(ir_dir: Path, monkeypatch: pytest.MonkeyPatch) -> List[Dict[str, Any]]:
    """Replace ``dictate.models.importer`` with a fake; returns the calls it got."""
    calls: List[Dict[str, Any]] = []

    def import_model(
        path: Path,
        name: Optional[str] = None,
        precision: str = "f32",
        scorer: Optional[Path] = None,
        store: Optional[ModelStore] = None,
        progress: Optional[Callable[[str, float], None]] = None,
        source_sha256: Optional[str] = None,
    ) -> ModelSpec:
        calls.append(dict(path=path, name=name, precision=precision, scorer=scorer, store=store,
                          source_sha256=source_sha256, exists=path.is_file(),
                          scorer_exists=scorer is None or scorer.is_file()))
        store = store or ModelStore()
        name = name or path.stem
        if progress:
            progress("Converting", 0.0)
            progress("Converting", 1.0)
        with store.install(name) as folder:
            for f in ("model.xml", "model.bin"):
                shutil.copyfile(ir_dir / f, folder / f)
            ModelSpec(name=name, ir_path=folder / "model.xml", n_hidden=16, precision=precision,
                      source={"file": path.name, "sha256": source_sha256}).write(folder)
        return store.get(name)

    module = types.ModuleType("dictate.models.importer")
    module.import_model = import_model  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "dictate.models.importer", module)
    return calls


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_empty(capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(capsys, "models", "list")
    assert code == 0 and "No models installed" in out
    assert run(capsys, "models")[1] == out  # bare `dictate models` lists too


def test_list_default_remove(capsys: pytest.CaptureFixture, ir_dir: Path) -> None:
    install(ir_dir, "alpha", deepspeech_version="0.9.3", precision="int8")
    install(ir_dir, "beta")
    code, out, _ = run(capsys, "models", "list")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["NAME", "VERSION", "N_HIDDEN", "PRECISION", "SCORER", "FOLDER"]
    row = next(line for line in lines if "alpha" in line).split()
    assert row == ["*", "alpha", "0.9.3", "16", "int8", "no", str(ModelStore().folder("alpha"))]
    assert next(line for line in lines if "beta" in line).split()[0] == "beta"  # the first stays default

    code, out, _ = run(capsys, "models", "default", "beta")
    assert code == 0 and "beta" in out
    out = run(capsys, "models", "list")[1]
    assert next(line for line in out.splitlines() if "beta" in line).split()[:2] == ["*", "beta"]

    code, out, _ = run(capsys, "models", "remove", "beta")
    assert code == 0 and ModelStore().names() == ["alpha"]
    assert "'alpha' is now the default model." in out
    out = run(capsys, "models", "list")[1]
    assert next(line for line in out.splitlines() if "alpha" in line).split()[:2] == ["*", "alpha"]


def test_list_shows_broken_models(capsys: pytest.CaptureFixture, ir_dir: Path) -> None:
    install(ir_dir, "alpha")
    install(ir_dir, "beta")
    (ModelStore().folder("beta") / MODEL_JSON).write_text("{not json")
    code, out, _ = run(capsys, "models", "list")
    assert code == 0
    assert next(line for line in out.splitlines() if "alpha" in line).split()[:4] == ["*", "alpha", "-", "16"]
    assert any(line.startswith("! beta: Cannot read") for line in out.splitlines())


def test_errors_are_one_line(capsys: pytest.CaptureFixture, ir_dir: Path) -> None:
    install(ir_dir, "alpha")
    code, _, err = run(capsys, "models", "default", "nope")
    assert code == 1 and err.startswith("dictate: No installed model 'nope'") and err.count("\n") == 1
    code, _, err = run(capsys, "models", "remove", "../alpha")
    assert code == 1 and "not a valid model name" in err
    assert ModelStore().names() == ["alpha"]


def test_scorer_attach_and_detach(capsys: pytest.CaptureFixture, ir_dir: Path) -> None:
    if not SCORER.is_file():
        pytest.skip(f"shared scorer not found at {SCORER}")
    install(ir_dir, "alpha")
    code, out, _ = run(capsys, "models", "scorer", "alpha", str(SCORER), "--alpha", "0.8")
    assert code == 0 and "Attached" in out and "alpha=0.8" in out
    spec = ModelStore().get("alpha")
    assert spec.scorer_path is not None and spec.scorer_path.is_file() and spec.lm_alpha == 0.8
    row = next(line for line in run(capsys, "models", "list")[1].splitlines() if "alpha" in line)
    assert "yes" in row.split()
    code, out, _ = run(capsys, "models", "scorer", "alpha", "--none")
    assert code == 0 and ModelStore().get("alpha").scorer_path is None


def test_scorer_needs_path_or_none(capsys: pytest.CaptureFixture, ir_dir: Path) -> None:
    install(ir_dir, "alpha")
    with pytest.raises(SystemExit) as info:
        main(["models", "scorer", "alpha"])
    assert info.value.code == 2
    with pytest.raises(SystemExit):
        main(["models", "scorer", "alpha", "x.scorer", "--none"])


def test_bad_scorer_is_reported(capsys: pytest.CaptureFixture, ir_dir: Path, tmp_path: Path) -> None:
    install(ir_dir, "alpha")
    bad = tmp_path / "bad.scorer"
    bad.write_bytes(b"junk" * 10)
    code, _, err = run(capsys, "models", "scorer", "alpha", str(bad))
    assert code == 1 and "Cannot load scorer" in err


def test_import(capsys: pytest.CaptureFixture, fake_importer: List[Dict[str, Any]], tmp_path: Path) -> None:
    source = tmp_path / "deepspeech-0.9.3-models.tflite"
    source.write_bytes(b"tflite")
    code, out, err = run(capsys, "models", "import", str(source), "--name", "mine", "--precision", "int8")
    assert code == 0
    assert out.strip() == f"Installed model 'mine' in {ModelStore().folder('mine')}"
    assert "Converting" in err
    call = fake_importer[0]
    assert (call["path"], call["name"], call["precision"], call["scorer"]) == (source, "mine", "int8", None)
    assert ModelStore().get("mine").precision == "int8"


class Server:
    def __init__(self, files: Dict[str, bytes]) -> None:
        self.files = files
        self.paths: List[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.paths.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def mirror(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """A local mirror with one catalog entry (a fake model and scorer; scorer sum published)."""
    server = Server({"/m/v0.9.3/test.tflite": MODEL_BYTES, "/m/v0.9.3/test.scorer": SCORER_BYTES})
    monkeypatch.setenv(catalog.BASE_URL_ENV, f"http://127.0.0.1:{server.httpd.server_address[1]}/m")
    entry = catalog.CatalogEntry(
        "test-0.9.3", "0.9.3", "a test model",
        catalog.CatalogFile("0.9.3", "test.tflite", "model", size=len(MODEL_BYTES)),
        catalog.CatalogFile("0.9.3", "test.scorer", "scorer", size=len(SCORER_BYTES),
                            sha256=hashlib.sha256(SCORER_BYTES).hexdigest()),
    )
    monkeypatch.setattr(catalog, "ENTRIES", (entry,))
    yield server
    server.close()


def test_download_then_import(
    capsys: pytest.CaptureFixture, mirror: Server, fake_importer: List[Dict[str, Any]]
) -> None:
    code, out, err = run(capsys, "models", "download", "test-0.9.3")
    assert code == 0, err
    store = ModelStore()
    assert out.strip().endswith(f"Installed model 'test-0.9.3' in {store.folder('test-0.9.3')}")
    assert mirror.paths == ["/m/v0.9.3/test.tflite", "/m/v0.9.3/test.scorer"]
    call = fake_importer[0]
    assert call["exists"] and call["scorer_exists"] and call["name"] == "test-0.9.3"
    model_sha = hashlib.sha256(MODEL_BYTES).hexdigest()
    assert call["source_sha256"] == model_sha
    assert "100.0%" in err and "test.tflite" in err  # plain progress lines (not a TTY)
    assert f"sha256 {model_sha} (none published" in err
    data = json.loads((store.folder("test-0.9.3") / MODEL_JSON).read_text())
    assert data["deepspeech_version"] == "0.9.3"
    assert data["source"]["sha256"] == model_sha
    assert data["source"]["url"].endswith("/m/v0.9.3/test.tflite")
    assert data["source"]["scorer_sha256"] == hashlib.sha256(SCORER_BYTES).hexdigest()
    assert not (store.root / "downloads").exists()  # temporary downloads removed


def test_download_keeps_files_with_dir(
    capsys: pytest.CaptureFixture, mirror: Server, fake_importer: List[Dict[str, Any]], tmp_path: Path
) -> None:
    keep = tmp_path / "keep"
    code, _, err = run(capsys, "models", "download", "test-0.9.3", "--name", "other", "--dir", str(keep),
                       "--no-scorer", "--precision", "int8")
    assert code == 0, err
    assert (keep / "test.tflite").read_bytes() == MODEL_BYTES
    assert not (keep / "test.scorer").exists()
    assert fake_importer[0]["scorer"] is None and fake_importer[0]["precision"] == "int8"
    assert ModelStore().names() == ["other"]


def test_download_refuses_installed_name_before_downloading(
    capsys: pytest.CaptureFixture, mirror: Server, fake_importer: List[Dict[str, Any]], ir_dir: Path
) -> None:
    install(ir_dir, "test-0.9.3")
    code, _, err = run(capsys, "models", "download", "test-0.9.3")
    assert code == 1 and "already installed" in err
    assert mirror.paths == [] and fake_importer == []


def test_download_failure_installs_nothing(
    capsys: pytest.CaptureFixture, mirror: Server, fake_importer: List[Dict[str, Any]]
) -> None:
    scorer = mirror.files.pop("/m/v0.9.3/test.scorer")
    code, _, err = run(capsys, "models", "download", "test-0.9.3")
    assert code == 1 and "HTTP 404" in err and "test.scorer" in err
    assert ModelStore().names() == [] and fake_importer == []
    # the model file stays in the download folder, so the retry reuses it
    mirror.files["/m/v0.9.3/test.scorer"] = scorer
    mirror.paths.clear()
    code, _, err = run(capsys, "models", "download", "test-0.9.3")
    assert code == 0 and "already downloaded" in err
    assert mirror.paths == ["/m/v0.9.3/test.scorer"]
    assert ModelStore().names() == ["test-0.9.3"]


def test_install_from_catalog_api_and_cancel(
    mirror: Server, fake_importer: List[Dict[str, Any]], tmp_path: Path
) -> None:
    from dictate.errors import DownloadCancelled
    from dictate.models.download import install_from_catalog, part_path

    stop = threading.Event()
    seen: List[tuple] = []

    def progress(item: catalog.CatalogFile, done: int, total: Optional[int]) -> None:
        seen.append((item.kind, done, total))
        if item.kind == "scorer":
            stop.set()

    with pytest.raises(DownloadCancelled):
        install_from_catalog("test-0.9.3", "mine", download_dir=tmp_path / "dl", progress=progress,
                             cancel=stop)
    assert ModelStore().names() == [] and fake_importer == []
    assert (tmp_path / "dl" / "test.tflite").read_bytes() == MODEL_BYTES
    assert part_path(tmp_path / "dl" / "test.scorer").is_file()  # kept for resume
    assert seen[0][0] == "model" and seen[-1][0] == "scorer"

    stages: List[str] = []
    spec = install_from_catalog("test-0.9.3", "mine", download_dir=tmp_path / "dl",
                                import_progress=lambda stage, f: stages.append(stage))
    assert spec.name == "mine" and ModelStore().names() == ["mine"]
    assert spec.source["catalog"] == "test-0.9.3" and stages
    assert (tmp_path / "dl" / "test.scorer").read_bytes() == SCORER_BYTES  # kept: own folder


def test_download_unknown_and_catalog_listing(capsys: pytest.CaptureFixture) -> None:
    code, _, err = run(capsys, "models", "download", "deepspeech-9")
    assert code == 1 and "No downloadable model 'deepspeech-9'" in err
    code, out, _ = run(capsys, "models", "download")
    assert code == 0 and "deepspeech-0.9.3" in out and "deepspeech-0.8.2" in out


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_redraws_only_on_change() -> None:
    stream = Tty()
    bar = ProgressBar("model.bin", stream)
    for _ in range(5):
        bar(500_000, 1_000_000)
    bar(1_000_000, 1_000_000)
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n")
    assert " 50.0%" in text and "100.0%  1.0/1.0 MB" in text


def test_progress_bar_plain_lines_when_not_a_tty() -> None:
    stream = io.StringIO()
    bar = ProgressBar("model.bin", stream)
    for done in range(0, 1_000_001, 1000):
        bar(done, 1_000_000)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11 and "\r" not in stream.getvalue()
    assert lines[-1].startswith("model.bin [") and "100.0%" in lines[-1]
    unknown = io.StringIO()
    bar = ProgressBar("x", unknown)
    bar(10, None)
    assert unknown.getvalue() == "x 0.0 MB\n"


def test_stage_progress() -> None:
    stream = io.StringIO()
    stages = StageProgress(stream)
    for f in (0.0, 0.5, 1.0):
        stages("Reading", f)
    stages("Converting", 0.0)
    stages.close()
    assert stream.getvalue() == "Reading\nConverting\n"

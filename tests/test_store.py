"""The model store: atomic installs, hidden staging folders, remove, default, scorer, names."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dictate.errors import ModelError, ScorerError
from dictate.models.spec import MODEL_JSON, ModelSpec
from dictate.models.store import SCORER_FILE, STAGING_PREFIX, ModelStore, validate_name

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SCORER = SHARED_DATA / "scorer" / "pruned_lm.scorer"


@pytest.fixture(scope="module")
def ir_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight IR (model.xml/.bin), built once."""
    from dictate.models.build import build_acoustic_model
    from dictate.models.ir import save_ir
    from dictate.models.weights import random_weights

    folder = tmp_path_factory.mktemp("ir")
    save_ir(build_acoustic_model(random_weights(16), 16), folder)
    return folder


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelStore:
    monkeypatch.setenv("DICTATE_DATA_DIR", str(tmp_path / "data"))
    return ModelStore()


def write_model(folder: Path, ir_dir: Path, name: str, **fields: object) -> ModelSpec:
    for f in ("model.xml", "model.bin"):
        shutil.copyfile(ir_dir / f, folder / f)
    spec = ModelSpec(name=name, ir_path=folder / "model.xml", n_hidden=16, **fields)  # type: ignore[arg-type]
    spec.write(folder)
    return spec


def install(store: ModelStore, ir_dir: Path, name: str, **fields: object) -> ModelSpec:
    with store.install(name) as folder:
        write_model(folder, ir_dir, name, **fields)
    return store.get(name)


def entries(store: ModelStore) -> list:
    return sorted(p.name for p in store.models_dir.iterdir())


def test_store_lives_in_the_data_dir(store: ModelStore, tmp_path: Path) -> None:
    assert store.models_dir == tmp_path / "data" / "models"
    assert store.names() == []
    assert store.default() is None


def test_install_commits_a_complete_model(store: ModelStore, ir_dir: Path) -> None:
    spec = install(store, ir_dir, "tiny", deepspeech_version="0.9.3")
    assert store.names() == ["tiny"]
    assert spec.folder == store.models_dir / "tiny"
    assert spec.ir_path.is_file() and spec.n_hidden == 16 and spec.deepspeech_version == "0.9.3"
    assert entries(store) == ["tiny"]  # no staging folder left
    assert store.default_name() == "tiny"  # the only model


@pytest.mark.parametrize("exc_type", [RuntimeError, KeyboardInterrupt])
def test_exception_inside_install_leaves_nothing(
    store: ModelStore, ir_dir: Path, exc_type: type
) -> None:
    with pytest.raises(exc_type), store.install("tiny") as folder:
        write_model(folder, ir_dir, "tiny")
        assert folder.parent == store.models_dir and folder.name.startswith(".")
        assert store.names() == []  # staged, not installed
        raise exc_type("interrupted")
    assert store.names() == []
    assert entries(store) == []


def test_install_without_model_json_fails_cleanly(store: ModelStore, ir_dir: Path) -> None:
    with pytest.raises(ModelError, match="no model.json"), store.install("tiny") as folder:
        shutil.copyfile(ir_dir / "model.xml", folder / "model.xml")
    assert entries(store) == []


def test_install_with_missing_ir_fails_cleanly(store: ModelStore, ir_dir: Path) -> None:
    with pytest.raises(ModelError, match="incomplete"), store.install("tiny") as folder:
        ModelSpec(name="tiny", ir_path=folder / "model.xml").write(folder)
    assert entries(store) == []


def test_install_names_the_model_after_its_folder(store: ModelStore, ir_dir: Path) -> None:
    with store.install("mine") as folder:
        write_model(folder, ir_dir, "something-else")
    data = json.loads((store.models_dir / "mine" / MODEL_JSON).read_text())
    assert data["name"] == "mine"
    assert store.get("mine").name == "mine"


def test_install_refuses_to_overwrite_unless_replace(store: ModelStore, ir_dir: Path) -> None:
    install(store, ir_dir, "tiny", precision="f32")
    with pytest.raises(ModelError, match="already installed"), store.install("tiny"):
        pytest.fail("must not stage over an installed model")
    with store.install("tiny", replace=True) as folder:
        write_model(folder, ir_dir, "tiny", precision="int8")
        assert store.get("tiny").precision == "f32"  # the old one stays until the swap
    assert store.get("tiny").precision == "int8"
    assert entries(store) == ["tiny"]  # old copy deleted


def test_a_broken_folder_in_the_way_is_named_as_such(store: ModelStore) -> None:
    (store.models_dir / "junk").mkdir(parents=True)
    refused = pytest.raises(ModelError, match="holds no model.json.*dictate models remove junk")
    with refused, store.install("junk"):
        pytest.fail("must not stage over a folder")
    store.remove("junk")
    assert not (store.models_dir / "junk").exists()


def test_failed_replace_keeps_the_old_model(store: ModelStore, ir_dir: Path) -> None:
    install(store, ir_dir, "tiny", precision="f32")
    with pytest.raises(RuntimeError), store.install("tiny", replace=True) as folder:
        write_model(folder, ir_dir, "tiny", precision="int8")
        raise RuntimeError("disk gone")
    assert store.get("tiny").precision == "f32"
    assert entries(store) == ["tiny"]


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_staging_folders_are_ignored_and_stale_ones_cleaned(store: ModelStore, ir_dir: Path) -> None:
    store.models_dir.mkdir(parents=True)
    stale = store.models_dir / f"{STAGING_PREFIX}{dead_pid()}-tiny-abc"
    live = store.models_dir / f"{STAGING_PREFIX}{os.getppid()}-other-def"
    for folder in (stale, live):
        folder.mkdir()
        write_model(folder, ir_dir, "tiny")  # complete-looking, but hidden
    (store.models_dir / "broken").mkdir()  # no model.json: not a model
    assert store.names() == []
    assert not store.has("tiny")

    install(store, ir_dir, "tiny")
    assert not stale.exists()  # its process is gone
    assert live.exists()  # its process may still be writing it
    assert store.names() == ["tiny"]


KILLED_INSTALL = """
import os, shutil, sys
from pathlib import Path
from dictate.models.store import ModelStore
ir = Path(sys.argv[1])
staging = ModelStore().install("tiny")  # keep a reference: a collected generator cleans up
folder = staging.__enter__()
for f in ("model.xml", "model.bin"):
    shutil.copyfile(ir / f, folder / f)
(folder / "model.json").write_text('{"name": "tiny"}')
os._exit(9)  # killed mid-install: no cleanup runs
"""


def test_install_killed_midway_leaves_no_model(store: ModelStore, ir_dir: Path) -> None:
    subprocess.run([sys.executable, "-c", KILLED_INSTALL, str(ir_dir)], check=False, timeout=120)
    left = entries(store)
    assert len(left) == 1 and left[0].startswith(STAGING_PREFIX)  # the killed process's folder
    assert store.names() == [] and not store.has("tiny")
    install(store, ir_dir, "other")
    assert entries(store) == ["other"]  # the next install cleaned it up


def test_remove(store: ModelStore, ir_dir: Path) -> None:
    install(store, ir_dir, "a")
    install(store, ir_dir, "b")
    store.set_default("a")
    store.remove("a")
    assert store.names() == ["b"]
    assert entries(store) == ["b"]
    assert json.loads((store.root / "store.json").read_text())["default"] == "b"  # the one left
    assert store.default_name() == "b"
    with pytest.raises(ModelError, match="No installed model 'a'"):
        store.remove("a")


def test_remove_deletes_a_broken_folder(store: ModelStore) -> None:
    (store.models_dir / "broken").mkdir(parents=True)
    store.remove("broken")
    assert entries(store) == []


def test_default(store: ModelStore, ir_dir: Path) -> None:
    install(store, ir_dir, "a")
    assert json.loads((store.root / "store.json").read_text()) == {"default": "a"}
    install(store, ir_dir, "b")
    assert store.default_name() == "a"  # the first model stays the default
    store.set_default("b")
    assert store.default_name() == "b"
    assert store.default().name == "b"
    assert json.loads((store.root / "store.json").read_text()) == {"default": "b"}
    with pytest.raises(ModelError, match="No installed model 'c'"):
        store.set_default("c")
    assert store.default_name() == "b"


def test_no_guessing_between_several_models(store: ModelStore, ir_dir: Path) -> None:
    from dictate.models.resolve import resolve_model

    for name in ("a", "b", "c"):
        install(store, ir_dir, name)
    store.remove("a")  # the default goes; two are left and neither was chosen
    assert store.default_name() is None
    with pytest.raises(ModelError, match=r"Several models are installed \(b, c\).*models default NAME"):
        resolve_model(None)
    store.set_default("c")
    assert resolve_model(None).name == "c"


@pytest.fixture
def scorer() -> Path:
    if not SCORER.is_file():
        pytest.skip(f"shared scorer not found at {SCORER}")
    return SCORER


def test_set_and_detach_scorer(store: ModelStore, ir_dir: Path, scorer: Path) -> None:
    install(store, ir_dir, "tiny")
    spec = store.set_scorer("tiny", scorer, alpha=0.5, beta=1.5)
    folder = store.models_dir / "tiny"
    assert spec.scorer_path == folder / SCORER_FILE
    assert (folder / SCORER_FILE).read_bytes() == scorer.read_bytes()
    data = json.loads((folder / MODEL_JSON).read_text())
    assert (data["scorer"], data["lm_alpha"], data["lm_beta"]) == (SCORER_FILE, 0.5, 1.5)
    again = store.get("tiny")
    assert again.scorer_path == folder / SCORER_FILE and again.lm_alpha == 0.5

    # re-attaching the model's own scorer only updates the weights
    spec = store.set_scorer("tiny", folder / SCORER_FILE)
    assert spec.lm_alpha is None and (folder / SCORER_FILE).is_file()

    spec = store.set_scorer("tiny", None)
    assert spec.scorer_path is None
    assert not (folder / SCORER_FILE).exists()
    assert json.loads((folder / MODEL_JSON).read_text())["scorer"] is None
    assert sorted(p.name for p in folder.iterdir()) == ["model.bin", "model.json", "model.xml"]


def test_bad_scorer_is_refused(store: ModelStore, ir_dir: Path, tmp_path: Path) -> None:
    install(store, ir_dir, "tiny")
    fake = tmp_path / "fake.scorer"
    fake.write_bytes(b"not a scorer" * 100)
    before = (store.models_dir / "tiny" / MODEL_JSON).read_text()
    with pytest.raises(ScorerError, match="fake.scorer"):
        store.set_scorer("tiny", fake)
    with pytest.raises(ScorerError, match="no such file"):
        store.set_scorer("tiny", tmp_path / "missing.scorer")
    # KenLM aborts the process on a scorer cut short; the probe process takes that instead
    cut = tmp_path / "cut.scorer"
    demo_scorer = Path(__file__).resolve().parents[1] / "resources" / "models" / "demo-en" / "model.scorer"
    cut.write_bytes(demo_scorer.read_bytes()[:200_000])
    with pytest.raises(ScorerError, match="damaged or cut short"):
        store.set_scorer("tiny", cut)
    # cut inside the vocabulary trie: ds-ctcdecoder only complains on stderr and loads it
    data = demo_scorer.read_bytes()
    fst_header = data.index(b"EIRT") + 4 + 4 + 1 + 16  # DeepSpeech's header, then OpenFST's
    cut.write_bytes(data[: fst_header + 20])
    with pytest.raises(ScorerError, match="vocabulary trie is damaged"):
        store.set_scorer("tiny", cut)
    assert (store.models_dir / "tiny" / MODEL_JSON).read_text() == before
    assert sorted(p.name for p in (store.models_dir / "tiny").iterdir()) == [
        "model.bin", "model.json", "model.xml"
    ]


def test_scorer_for_unknown_model(store: ModelStore) -> None:
    with pytest.raises(ModelError, match="No installed model"):
        store.set_scorer("nope", None)


@pytest.mark.parametrize(
    "name", ["", ".hidden", "../escape", "a/b", "a\\b", "with space", "x" * 65, "ümlaut", "-dash"]
)
def test_bad_names(store: ModelStore, name: str) -> None:
    with pytest.raises(ModelError, match="name"):
        validate_name(name)
    with pytest.raises(ModelError, match="name"), store.install(name):
        pytest.fail("must not stage a badly named model")
    with pytest.raises(ModelError, match="name"):
        store.remove(name)
    assert not store.models_dir.exists() or entries(store) == []


@pytest.mark.parametrize("name", ["deepspeech-0.9.3", "my_model", "A1", "x" * 64])
def test_good_names(name: str) -> None:
    assert validate_name(name) == name

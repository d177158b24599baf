"""Settings persist in QSettings; the preferences dialog and the model picker apply them."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from dictate.audio.capture import DeviceChoice
from dictate.gui.engine import EngineOptions, FakeEngine
from dictate.gui.settings import AppSettings

from .conftest import wait_model


def reopen(settings: AppSettings) -> AppSettings:
    settings.sync()
    return AppSettings(QSettings(settings.store.fileName(), QSettings.IniFormat))


def test_settings_round_trip(settings):
    assert settings.engine_options() == EngineOptions()
    assert settings.auto_finalise and settings.record_shortcut == "Ctrl+R" and settings.hold_key == "F8"
    settings.device = DeviceChoice("USB mic", "ALSA", 4)
    settings.model = "my-model"
    settings.beam_width = 256
    settings.use_scorer = False
    settings.lm_alpha, settings.lm_beta = 0.75, 1.5
    settings.auto_finalise = False
    settings.silence_ms = 900
    settings.record_shortcut = "Ctrl+Shift+D"
    settings.hold_key = ""
    again = reopen(settings)
    assert again.device == DeviceChoice("USB mic", "ALSA")  # the index is not remembered
    assert again.engine_options() == EngineOptions("my-model", 256, False, 0.75, 1.5, 0)
    assert (again.auto_finalise, again.silence_ms) == (False, 900)
    assert (again.record_shortcut, again.hold_key) == ("Ctrl+Shift+D", "")
    again.device = None
    again.lm_alpha = None
    assert reopen(again).device is None and reopen(again).lm_alpha is None


def test_preferences_dialog_saves_and_reloads_the_model(qtbot, make_window, settings):
    engine = FakeEngine()
    window = make_window(engine)
    wait_model(qtbot, window)
    dialog = window.open_preferences()
    dialog.beam.setValue(128)
    dialog.use_scorer.setChecked(True)
    dialog.custom_weights.setChecked(True)
    dialog.alpha.setValue(0.5)
    dialog.beta.setValue(2.0)
    dialog.auto_finalise.setChecked(False)
    dialog.record_key.setKeySequence("Ctrl+Shift+R")
    with qtbot.waitSignal(window.model_changed, timeout=5000):
        dialog.accept()
    assert engine.loads[-1] == EngineOptions(None, 128, True, 0.5, 2.0, 0)
    assert window.record_action.shortcut().toString() == "Ctrl+Shift+R"
    assert not window.auto_action.isChecked()
    again = reopen(settings)
    assert (again.beam_width, again.lm_alpha, again.lm_beta) == (128, 0.5, 2.0)
    assert not again.auto_finalise and again.record_shortcut == "Ctrl+Shift+R"
    # no engine change: no reload
    loads = len(engine.loads)
    dialog = window.open_preferences()
    dialog.silence_ms.setValue(1200)
    dialog.accept()
    assert len(engine.loads) == loads and reopen(settings).silence_ms == 1200


def test_model_picker_switches_and_remembers(qtbot, make_window, settings, tiny_model_dir):
    from .test_model_manager import install_tiny

    install_tiny("alpha-model", tiny_model_dir)
    install_tiny("beta-model", tiny_model_dir)
    engine = FakeEngine()
    window = make_window(engine)
    wait_model(qtbot, window)
    combo = window.model_combo
    items = [combo.itemText(i) for i in range(combo.count())]
    assert items == ["Default (alpha-model)", "alpha-model", "beta-model"]  # the first import is default
    index = combo.findData("beta-model")
    combo.setCurrentIndex(index)
    with qtbot.waitSignal(window.model_changed, timeout=5000):
        combo.activated.emit(index)
    assert engine.loads[-1].model == "beta-model"
    assert window.loaded_model_name == "beta-model"
    assert reopen(settings).model == "beta-model"


def test_auto_finalise_menu_toggle_is_saved(qtbot, make_window, settings):
    window = make_window()
    window.auto_action.setChecked(False)
    assert reopen(settings).auto_finalise is False
    window.auto_action.setChecked(True)
    assert reopen(settings).auto_finalise is True


def test_device_list_refreshes_when_hardware_changes(qtbot, make_window, mic):
    from .helpers import device

    window = make_window()
    qtbot.waitUntil(lambda: window.devices.refreshes >= 1, timeout=3000)
    mic.devices = [device("Built-in"), device("USB headset", index=7, default=False)]
    window.devices._hardware_changed("/dev/snd")  # what the /dev/snd watcher calls
    qtbot.waitUntil(lambda: window.devices.combo.findText("USB headset (Test API)") >= 0, timeout=3000)


def test_device_list_is_refreshed_when_a_recording_ends(qtbot, make_window, mic):
    from .helpers import device, speech

    mic.audio = speech()
    window = make_window()
    wait_model(qtbot, window)
    qtbot.waitUntil(lambda: window.devices.refreshes >= 1, timeout=3000)
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        window.start_recording()
    mic.devices = [device("Built-in"), device("USB headset", index=7, default=False)]  # plugged in meanwhile
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        window.stop_recording()
    qtbot.waitUntil(lambda: window.devices.combo.findText("USB headset (Test API)") >= 0, timeout=3000)

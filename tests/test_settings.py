"""Settings over a real QSettings INI file, under a real machine policy."""

from __future__ import annotations

import re

import pytest

from capdesk.api.errors import CapdeskError, InvalidInput
from capdesk.paths import AppPaths, default_paths
from capdesk.settings import SETTING_NAMES, SettingLocked, Settings
from capdesk.store.pin import MIN_ITERATIONS, hash_pin
from capdesk.store.policy import Policy, load_policy

DEFAULTS = {
    "last_cluster": "training",
    "default_country": "IN",
    "clipboard_timeout": 30,
    "card_method": "GET",
    "connect_timeout": 5.0,
    "read_timeout": 20.0,
    "request_deadline": 15.0,
    "kiosk": False,
    "idle_timeout": 120,
    "external_id_param": "external_id",
}

CHANGED = {
    "last_cluster": "eu",
    "default_country": "GB",
    "clipboard_timeout": 45,
    "card_method": "POST",
    "connect_timeout": 2.5,
    "read_timeout": 60.0,
    "request_deadline": 30.0,
    "kiosk": True,
    "idle_timeout": 0,
    "external_id_param": "externalId",
}


@pytest.fixture
def paths() -> AppPaths:
    return default_paths()


def values(settings: Settings) -> dict[str, object]:
    return {name: getattr(settings, name) for name in SETTING_NAMES}


def policy_from(paths: AppPaths, text: str) -> Policy:
    paths.policy_file.write_text("[capdesk]\n" + text, encoding="utf-8")
    policy = load_policy(paths, registry_reader=dict)
    assert policy.problems == []
    return policy


def test_defaults_without_file_or_policy(paths: AppPaths) -> None:
    settings = Settings(paths, Policy())
    assert set(SETTING_NAMES) == set(DEFAULTS)
    assert values(settings) == DEFAULTS
    assert not any(settings.is_locked(name) for name in SETTING_NAMES)


def test_changes_are_written_and_typed_on_reread(paths: AppPaths) -> None:
    settings = Settings(paths, Policy())
    for name, value in CHANGED.items():
        setattr(settings, name, value)
    assert values(settings) == CHANGED
    assert paths.settings_file.is_file()
    again = Settings(paths, Policy())
    assert values(again) == CHANGED
    assert isinstance(again.clipboard_timeout, int) and isinstance(again.kiosk, bool)
    assert isinstance(again.connect_timeout, float)


def test_values_are_normalised(paths: AppPaths) -> None:
    settings = Settings(paths, Policy())
    settings.default_country = "de"
    settings.card_method = "post"
    settings.connect_timeout = 3
    assert (settings.default_country, settings.card_method) == ("DE", "POST")
    assert settings.connect_timeout == 3.0


@pytest.mark.parametrize(
    ("name", "value", "sentence"),
    [
        ("clipboard_timeout", 2, "5 to 600 seconds"),
        ("idle_timeout", 5, "from 15 seconds to 24 hours, or 0 for never"),
        ("default_country", "India", "two-letter country code"),
        ("default_country", "XX", "two-letter country code"),
        ("card_method", "PUT", "GET or POST"),
        ("connect_timeout", 0.0, "from 0.5 to 60 seconds"),
        ("read_timeout", float("nan"), "from 1 to 300 seconds"),
        ("request_deadline", 2.0, "from 3 to 120 seconds"),
        ("request_deadline", 121, "from 3 to 120 seconds"),
        ("last_cluster", "eu cluster", "cluster name"),
        ("external_id_param", "card", "external_id or externalId"),
    ],
)
def test_bad_input_is_refused_with_a_sentence(
    paths: AppPaths, name: str, value: object, sentence: str
) -> None:
    settings = Settings(paths, Policy())
    with pytest.raises(InvalidInput, match=re.escape(sentence)):
        setattr(settings, name, value)
    assert getattr(settings, name) == DEFAULTS[name]


@pytest.mark.parametrize(
    ("name", "value"), [("kiosk", "yes"), ("clipboard_timeout", True), ("clipboard_timeout", 4.5)]
)
def test_wrong_types_are_programming_errors(paths: AppPaths, name: str, value: object) -> None:
    with pytest.raises(TypeError):
        setattr(Settings(paths, Policy()), name, value)


def test_bad_stored_values_fall_back_to_defaults(
    paths: AppPaths, caplog: pytest.LogCaptureFixture
) -> None:
    paths.settings_file.parent.mkdir(parents=True)
    paths.settings_file.write_text(
        "[General]\nlast_cluster=EU West!\ndefault_country=XX\nclipboard_timeout=abc\n"
        "card_method=PUT\nconnect_timeout=-1\nread_timeout=1e9\nkiosk=maybe\n"
        "idle_timeout=1, 2\nexternal_id_param=\n",
        encoding="utf-8",
    )
    settings = Settings(paths, Policy())
    assert values(settings) == DEFAULTS
    assert "clipboard_timeout" in caplog.text


def test_locked_policy_values_win_and_cannot_be_changed(paths: AppPaths) -> None:
    user = Settings(paths, Policy())
    user.kiosk = False
    user.last_cluster = "us"
    policy = policy_from(paths, "kiosk=1\ncluster=eu\nclipboard_timeout=90\n")
    settings = Settings(paths, policy)
    assert (settings.kiosk, settings.last_cluster, settings.clipboard_timeout) == (True, "eu", 90)
    assert settings.is_locked("kiosk") and settings.is_locked("last_cluster")
    assert settings.is_locked("cluster")  # the policy's name works too
    assert not settings.is_locked("card_method")
    with pytest.raises(SettingLocked) as caught:
        settings.last_cluster = "india"
    assert isinstance(caught.value, CapdeskError)
    assert caught.value.sentence == str(caught.value)
    assert str(caught.value) == (
        "This setting is managed by your IT department. Ask IT if it needs to change."
    )
    with pytest.raises(SettingLocked):
        settings.kiosk = True  # even "no change" is refused: the dialog disables it
    with pytest.raises(SettingLocked):
        settings.reset("kiosk")
    settings.card_method = "POST"  # unlocked settings still work
    assert Settings(paths, policy).card_method == "POST"


def test_unlocked_policy_values_are_defaults_staff_may_change(paths: AppPaths) -> None:
    policy = policy_from(paths, "cluster=eu\nclipboard_timeout=90\nlocked=none\n")
    settings = Settings(paths, policy)
    assert (settings.last_cluster, settings.clipboard_timeout) == ("eu", 90)
    assert not settings.is_locked("last_cluster")
    settings.last_cluster = "us"
    assert settings.last_cluster == "us"
    settings.reset("last_cluster")
    assert settings.last_cluster == "eu"


def test_a_locked_key_the_policy_does_not_set_stays_at_the_default(paths: AppPaths) -> None:
    Settings(paths, Policy()).card_method = "POST"
    policy = policy_from(paths, "kiosk=1\nlocked=kiosk, card_method\n")
    settings = Settings(paths, policy)
    assert settings.card_method == "GET"
    with pytest.raises(SettingLocked):
        settings.card_method = "POST"


def test_settings_load_the_machine_policy_when_not_given(paths: AppPaths) -> None:
    paths.policy_file.write_text("[capdesk]\ndefault_country=ae\n", encoding="utf-8")
    settings = Settings(paths, None)
    assert settings.default_country == "AE" and settings.is_locked("default_country")
    assert settings.policy.values == {"default_country": "AE"}


def test_the_admin_pin_hash_never_lands_in_the_settings_file(paths: AppPaths) -> None:
    stored = hash_pin("2468", iterations=MIN_ITERATIONS)
    policy = policy_from(paths, f"kiosk=1\nadmin_pin_hash={stored}\nlocked=none\n")
    settings = Settings(paths, policy)
    for name, value in CHANGED.items():
        setattr(settings, name, value)
    text = paths.settings_file.read_text(encoding="utf-8")
    assert stored not in text and "pbkdf2" not in text
    assert not hasattr(settings, "admin_pin_hash")
    assert sorted(line.split("=")[0] for line in text.splitlines()[1:] if line) == sorted(CHANGED)


def test_unknown_names_are_key_errors(paths: AppPaths) -> None:
    settings = Settings(paths, Policy())
    assert settings.is_locked("no_such_setting") is False
    with pytest.raises(KeyError):
        settings.reset("no_such_setting")

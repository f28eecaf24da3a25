"""Machine policy: policy.ini, the (injected) registry, locks, and never raising."""

from __future__ import annotations

import logging
from pathlib import Path
from unittest.mock import call, create_autospec

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capdesk.paths import AppPaths, default_paths
from capdesk.store.pin import MIN_ITERATIONS, hash_pin
from capdesk.store.policy import (
    KEYS,
    REGISTRY_KEY,
    Policy,
    WinregApi,
    load_policy,
    read_registry_policy,
)

FULL = """\
[capdesk]
cluster = EU
base_url = https://eu.intouch.capillarytech.com/
kiosk = yes
clipboard_timeout = 45
default_country = gb
card_method = post
connect_timeout = 3.5
read_timeout = 30
request_deadline = 25
idle_timeout = 300
external_id_param = externalId
"""


@pytest.fixture
def paths() -> AppPaths:
    return default_paths()


def write_policy(paths: AppPaths, text: str | bytes) -> None:
    data = text.encode("utf-8") if isinstance(text, str) else text
    paths.policy_file.write_bytes(data)


def no_registry() -> dict[str, str]:
    return {}


def test_no_file_is_an_empty_policy(paths: AppPaths) -> None:
    policy = load_policy(paths, registry_reader=no_registry)
    assert policy == Policy()
    assert policy.values == {} and policy.locked == frozenset() and policy.problems == []
    assert policy.kiosk is False and policy.admin_pin_hash is None


def test_full_file_is_parsed_typed_and_locked(paths: AppPaths) -> None:
    write_policy(paths, FULL)
    policy = load_policy(paths, registry_reader=no_registry)
    assert policy.problems == []
    assert policy.values == {
        "cluster": "eu",
        "base_url": "https://eu.intouch.capillarytech.com",
        "kiosk": True,
        "clipboard_timeout": 45,
        "default_country": "GB",
        "card_method": "POST",
        "connect_timeout": 3.5,
        "read_timeout": 30.0,
        "request_deadline": 25.0,
        "idle_timeout": 300,
        "external_id_param": "externalId",
    }
    assert policy.locked == frozenset(policy.values)
    assert policy.kiosk is True
    assert policy.get("cluster") == "eu" and policy.get("nothing", 7) == 7


def test_admin_pin_hash_is_kept_when_well_formed(paths: AppPaths) -> None:
    stored = hash_pin("2468", iterations=MIN_ITERATIONS)
    write_policy(paths, f"[capdesk]\nkiosk=1\nadmin_pin_hash = {stored}\n")
    policy = load_policy(paths, registry_reader=no_registry)
    assert policy.admin_pin_hash == stored
    write_policy(paths, "[capdesk]\nadmin_pin_hash = 2468\n")
    broken = load_policy(paths, registry_reader=no_registry)
    assert broken.admin_pin_hash is None
    assert any("admin_pin_hash" in p for p in broken.problems)
    assert all("2468" not in p for p in broken.problems)


@pytest.mark.parametrize(
    ("locked", "expected"),
    [
        ("kiosk, cluster", {"kiosk", "cluster"}),
        ("KIOSK;card_method", {"kiosk", "card_method"}),
        ("none", set()),
        ("", {"kiosk", "cluster", "card_method"}),
        ("all", set(KEYS)),
    ],
)
def test_locked_names_the_locked_keys(paths: AppPaths, locked: str, expected: set[str]) -> None:
    write_policy(paths, f"[capdesk]\nkiosk=1\ncluster=eu\ncard_method=GET\nlocked={locked}\n")
    policy = load_policy(paths, registry_reader=no_registry)
    assert policy.locked == expected
    assert policy.values == {"kiosk": True, "cluster": "eu", "card_method": "GET"}
    assert policy.problems == []


def test_unknown_locked_names_and_unknown_keys_are_problems(paths: AppPaths) -> None:
    write_policy(paths, "[capdesk]\nkiosk=1\nlocked=kiosk, colour\nfavourite=blue\n")
    policy = load_policy(paths, registry_reader=no_registry)
    assert policy.locked == {"kiosk"}
    assert len(policy.problems) == 2
    assert any("colour" in p for p in policy.problems)
    assert any("favourite" in p for p in policy.problems)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("kiosk", "maybe"),
        ("clipboard_timeout", "2"),
        ("clipboard_timeout", "ten"),
        ("clipboard_timeout", "-5"),
        ("idle_timeout", "5"),
        ("connect_timeout", "0"),
        ("connect_timeout", "nan"),
        ("read_timeout", "1e9"),
        ("request_deadline", "2"),
        ("request_deadline", "121"),
        ("default_country", "India"),
        ("default_country", "XX"),
        ("card_method", "PUT"),
        ("cluster", "eu cluster"),
        ("base_url", "http://eu.intouch.capillarytech.com"),
        ("base_url", "https://user:pw@eu.example.com"),
        ("base_url", "https://eu.example.com/?x=1"),
        ("base_url", "https://eu.example.com:99999"),
        ("base_url", "eu.example.com"),
        ("external_id_param", "card"),
    ],
)
def test_bad_values_are_dropped_with_a_problem(paths: AppPaths, key: str, value: str) -> None:
    write_policy(paths, f"[capdesk]\n{key} = {value}\n")
    policy = load_policy(paths, registry_reader=no_registry)
    assert key not in policy.values
    assert key not in policy.locked
    assert len(policy.problems) == 1 and key in policy.problems[0]


def test_good_edge_values(paths: AppPaths) -> None:
    write_policy(
        paths,
        "[capdesk]\nidle_timeout=0\nbase_url=http://127.0.0.1:8080\nclipboard_timeout=600\n"
        "kiosk=FALSE\nempty_means_unset=\ncard_method=\n",
    )
    policy = load_policy(paths, registry_reader=no_registry)
    assert policy.values == {
        "idle_timeout": 0,
        "base_url": "http://127.0.0.1:8080",
        "clipboard_timeout": 600,
        "kiosk": False,
    }
    assert len(policy.problems) == 1  # only the unknown key


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"kiosk=1\n", "no [capdesk] section"),
        (b"[other]\nkiosk=1\n", "no [capdesk] section"),
        (b"\x00\xff\xfe\x00garbage" * 10, "no [capdesk] section"),
        (b"", "no [capdesk] section"),
        (b"[capdesk]\n" + b"x" * 300_000, "larger than"),
    ],
)
def test_unreadable_files_give_an_empty_policy_that_fails_closed(
    paths: AppPaths, content: bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    write_policy(paths, content)
    with caplog.at_level(logging.WARNING, logger="capdesk.store.policy"):
        policy = load_policy(paths, registry_reader=no_registry)
    assert policy.values == {} and policy.locked == frozenset()
    assert policy.unreadable
    assert len(policy.problems) == 1 and reason in policy.problems[0]
    assert reason in caplog.text


@pytest.mark.parametrize(
    ("content", "values", "reason"),
    [
        (b"[capdesk]\nkiosk=1\nkiosk=0\n", {"kiosk": True}, "line 3 repeats 'kiosk'"),
        (
            b"[capdesk]\nthis line has no equals sign\nkiosk=1\n",
            {"kiosk": True},
            "line 2 is not key = value",
        ),
        (
            b"[capdesk]\nkiosk=1\n[other]\nkiosk=0\n[CAPDESK]\nkiosk=0\ncluster=eu\n",
            {"kiosk": True},
            "line 5 repeats the [capdesk] section",
        ),
    ],
)
def test_a_wrong_line_is_skipped_as_windows_skips_it(
    paths: AppPaths, content: bytes, values: dict[str, object], reason: str
) -> None:
    write_policy(paths, content)
    policy = load_policy(paths, registry_reader=no_registry)
    assert policy.values == values and not policy.unreadable
    assert len(policy.problems) == 1 and reason in policy.problems[0]


def test_utf16_file_from_the_installer_and_ansi_file_are_read(paths: AppPaths) -> None:
    write_policy(paths, "[capdesk]\r\nkiosk=1\r\ncluster=eu\r\n".encode("utf-16"))
    assert load_policy(paths, registry_reader=no_registry).values == {
        "kiosk": True,
        "cluster": "eu",
    }
    write_policy(paths, "; Politique gérée\n[capdesk]\nkiosk=1\n".encode("cp1252"))
    assert load_policy(paths, registry_reader=no_registry).values == {"kiosk": True}


def test_a_folder_in_place_of_the_file_is_a_problem(paths: AppPaths) -> None:
    paths.policy_file.mkdir()
    policy = load_policy(paths, registry_reader=no_registry)
    assert policy.values == {} and len(policy.problems) == 1


# --- the registry -------------------------------------------------------------------


def test_registry_values_win_over_the_file(paths: AppPaths) -> None:
    write_policy(paths, "[capdesk]\ncluster=eu\nkiosk=0\nclipboard_timeout=60\n")
    policy = load_policy(
        paths, registry_reader=lambda: {"cluster": "india", "kiosk": "1", "card_method": "POST"}
    )
    assert policy.values == {
        "cluster": "india",
        "kiosk": True,
        "clipboard_timeout": 60,
        "card_method": "POST",
    }
    assert policy.locked == frozenset(policy.values)


def test_registry_locked_replaces_the_files(paths: AppPaths) -> None:
    write_policy(paths, "[capdesk]\ncluster=eu\nkiosk=1\nlocked=cluster\n")
    assert load_policy(paths, registry_reader=no_registry).locked == {"cluster"}
    policy = load_policy(paths, registry_reader=lambda: {"locked": "kiosk"})
    assert policy.locked == {"kiosk"}


def test_registry_problems_never_stop_loading(paths: AppPaths) -> None:
    write_policy(paths, "[capdesk]\nkiosk=1\n")

    def broken_reader() -> dict[str, str]:
        raise PermissionError("access denied")

    policy = load_policy(paths, registry_reader=broken_reader)
    assert policy.values == {"kiosk": True}
    assert len(policy.problems) == 1 and "registry" in policy.problems[0]
    odd = load_policy(paths, registry_reader=lambda: {"cluster": None, "kiosk": "perhaps"})
    assert odd.values == {"kiosk": True}
    assert len(odd.problems) == 2


def _fake_winreg(values: list[tuple[str, object, int]]):
    api = create_autospec(WinregApi, instance=True, spec_set=True)
    for constant in ("HKEY_LOCAL_MACHINE", "KEY_READ", "KEY_WOW64_64KEY"):
        setattr(api, constant, getattr(WinregApi, constant))
    for constant in ("REG_SZ", "REG_EXPAND_SZ", "REG_DWORD", "REG_QWORD"):
        setattr(api, constant, getattr(WinregApi, constant))
    api.OpenKey.return_value = "handle"
    api.QueryInfoKey.return_value = (0, len(values), 0)
    api.EnumValue.side_effect = values
    return api


def test_read_registry_policy_reads_strings_and_dwords() -> None:
    api = _fake_winreg(
        [
            ("Kiosk", 1, WinregApi.REG_DWORD),
            ("Cluster", "eu", WinregApi.REG_SZ),
            ("Clipboard_Timeout", "45", WinregApi.REG_EXPAND_SZ),
            ("blob", b"\x00", 3),  # REG_BINARY
        ]
    )
    assert read_registry_policy(api) == {
        "kiosk": "1",
        "cluster": "eu",
        "clipboard_timeout": "45",
        "blob": None,
    }
    api.OpenKey.assert_called_once_with(
        WinregApi.HKEY_LOCAL_MACHINE,
        REGISTRY_KEY,
        0,
        WinregApi.KEY_READ | WinregApi.KEY_WOW64_64KEY,
    )
    assert api.EnumValue.call_args_list == [call("handle", i) for i in range(4)]
    api.CloseKey.assert_called_once_with("handle")


def test_read_registry_policy_without_the_key_is_empty() -> None:
    api = _fake_winreg([])
    api.OpenKey.side_effect = FileNotFoundError(2, "not found")
    assert read_registry_policy(api) == {}
    api.CloseKey.assert_not_called()


def test_read_registry_policy_closes_the_key_on_errors() -> None:
    api = _fake_winreg([])
    api.QueryInfoKey.side_effect = OSError(5, "access denied")
    with pytest.raises(OSError):
        read_registry_policy(api)
    api.CloseKey.assert_called_once_with("handle")


@pytest.mark.skipif(__import__("sys").platform == "win32", reason="no registry off Windows")
def test_default_registry_reader_is_empty_off_windows(paths: AppPaths) -> None:
    assert read_registry_policy() == {}
    write_policy(paths, FULL)
    assert load_policy(paths).values == load_policy(paths, registry_reader=no_registry).values


# --- never raises -------------------------------------------------------------------

_HYPOTHESIS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _check(policy: Policy) -> None:
    assert isinstance(policy, Policy)
    assert set(policy.values) <= set(KEYS)
    assert policy.locked <= set(KEYS)
    assert all(isinstance(problem, str) for problem in policy.problems)


@_HYPOTHESIS
@given(data=st.binary(max_size=2000))
def test_any_bytes_never_raise(paths: AppPaths, data: bytes) -> None:
    paths.policy_file.write_bytes(data)
    _check(load_policy(paths, registry_reader=no_registry))


_LINE = st.one_of(
    st.sampled_from([*KEYS, "locked", "[capdesk]", "[other]", "%(x)s", "="]).flatmap(
        lambda key: st.text(max_size=30).map(lambda value: f"{key}={value}")
    ),
    st.text(max_size=40),
)


@_HYPOTHESIS
@given(lines=st.lists(_LINE, max_size=15))
def test_any_capdesk_section_never_raises(paths: AppPaths, lines: list[str]) -> None:
    text = "[capdesk]\n" + "\n".join(lines)
    paths.policy_file.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    _check(load_policy(paths, registry_reader=no_registry))
    _check(
        load_policy(paths, registry_reader=lambda: dict(line.partition("=")[::2] for line in lines))
    )


def test_policy_file_path_is_in_the_machine_config_dir(paths: AppPaths, tmp_path: Path) -> None:
    assert paths.policy_file == tmp_path / "machine-config" / "policy.ini"

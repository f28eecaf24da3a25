"""Windows version resources generated from capdesk.__version__."""

from __future__ import annotations

from typing import Any

import pytest

from capdesk import __version__
from tests.installer.conftest import load

versioninfo = load("versioninfo")


class Node:
    """Stands in for PyInstaller's version-info classes (they need pefile, Windows-only)."""

    def __init__(self, kind: str, *args: Any, **kwargs: Any) -> None:
        self.kind, self.args, self.kwargs = kind, args, kwargs


def _namespace() -> dict[str, Any]:
    kinds = (
        "VSVersionInfo",
        "FixedFileInfo",
        "StringFileInfo",
        "StringTable",
        "StringStruct",
        "VarFileInfo",
        "VarStruct",
    )
    return {kind: (lambda *a, _k=kind, **kw: Node(_k, *a, **kw)) for kind in kinds}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.1.0", (0, 1, 0, 0)),
        ("1.2", (1, 2, 0, 0)),
        ("2.10.3rc1", (2, 10, 3, 0)),
        ("3.0.0+local.7", (3, 0, 0, 0)),
    ],
)
def test_version_tuple(text, expected):
    assert versioninfo.version_tuple(text) == expected


def test_version_tuple_refuses_nonsense():
    with pytest.raises(ValueError):
        versioninfo.version_tuple("dev")


def test_dotted4_is_what_nsis_wants():
    assert versioninfo.dotted4("0.1.0") == "0.1.0.0"


def test_rendered_file_evaluates_with_the_right_names_and_numbers(tmp_path):
    written = versioninfo.write_version_files(__version__, tmp_path)
    assert set(written) == {"capdesk", "capdesk-cli"}
    for stem, path in written.items():
        info = eval(path.read_text(encoding="utf-8"), _namespace())  # our own generated text
        assert info.kind == "VSVersionInfo"
        ffi = info.kwargs["ffi"]
        assert ffi.kwargs["filevers"] == versioninfo.version_tuple(__version__)
        table = info.kwargs["kids"][0].args[0][0]
        strings = dict(s.args for s in table.args[1])
        assert strings["OriginalFilename"] == f"{stem}.exe"
        assert strings["ProductVersion"] == __version__
        assert strings["ProductName"] == "capdesk"

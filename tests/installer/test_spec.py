"""The PyInstaller spec and its bundle rules: fast checks, no freezing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.installer.conftest import ROOT

SPEC = ROOT / "installer" / "capdesk.spec"


@pytest.fixture(scope="module")
def spec_tree() -> ast.Module:
    return ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name
    ]


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def test_spec_builds_two_exes_into_one_onedir_without_upx(spec_tree):
    (collect,) = _calls(spec_tree, "COLLECT")
    assert ast.literal_eval(_keyword(collect, "name")) == "capdesk"
    assert ast.literal_eval(_keyword(collect, "upx")) is False
    (exe,) = _calls(spec_tree, "EXE")
    assert ast.literal_eval(_keyword(exe, "upx")) is False
    assert ast.literal_eval(_keyword(exe, "exclude_binaries")) is True  # onedir
    made = {
        ast.literal_eval(c.args[0]): ast.literal_eval(_keyword(c, "console"))
        for c in _calls(spec_tree, "executable")
    }
    assert made == {"capdesk": False, "capdesk-cli": True}


def test_spec_collects_keyring_backends_and_metadata(spec_tree):
    source = ast.unparse(spec_tree)
    assert "copy_metadata('keyring')" in source
    assert "collect_submodules('keyring.backends')" in source
    assert "collect_submodules('capdesk')" in source


def test_spec_uses_the_rules_for_excludes_and_filtering(spec_tree):
    (analysis,) = _calls(spec_tree, "Analysis")
    excludes = ast.unparse(_keyword(analysis, "excludes"))
    assert "bundle_rules.EXCLUDED_MODULES" in excludes
    source = ast.unparse(spec_tree)
    assert "bundle_rules.filter_toc(a.binaries)" in source
    assert "bundle_rules.filter_toc(a.datas)" in source
    assert "QtLibraryInfo.collect_plugins = _wanted_plugins" in source


def test_excluded_modules_name_other_bindings_and_heavy_qt(rules):
    for name in (
        "PyQt5",
        "PyQt6",
        "PySide2",
        "tkinter",
        "PySide6.QtQml",
        "PySide6.QtQuick",
        "PySide6.Qt3DCore",
        "PySide6.QtWebEngineCore",
        "PySide6.QtMultimedia",
    ):
        assert name in rules.EXCLUDED_MODULES


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("PySide6/plugins/platforms/qwindows.dll", True),
        ("PySide6/plugins/platforms/qoffscreen.dll", True),
        ("PySide6/plugins/platforms/qminimal.dll", False),
        ("PySide6/plugins/platforms/qdirect2d.dll", False),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", False),
        ("PySide6/plugins/styles/qmodernwindowsstyle.dll", True),
        ("PySide6/plugins/imageformats/qico.dll", False),
        ("PySide6/plugins/imageformats/qjpeg.dll", False),
        ("PySide6/plugins/imageformats/qwebp.dll", False),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
        ("PySide6/plugins/tls/qschannelbackend.dll", False),
        ("PySide6/plugins/networkinformation/qnetworklistmanager.dll", False),
        ("PySide6/plugins/printsupport/windowsprintersupport.dll", True),
        (
            "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
            False,
        ),
        ("PySide6/Qt/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so", True),
        ("PySide6/opengl32sw.dll", False),
        ("PySide6/d3dcompiler_47.dll", False),
        ("PySide6/Qt6Quick.dll", False),
        ("PySide6/Qt6Qml.dll", False),
        ("PySide6/Qt6Pdf.dll", False),
        ("PySide6/Qt6Widgets.dll", True),
        ("PySide6/Qt6Network.dll", True),
        ("PySide6/Qt6PrintSupport.dll", True),
        ("PySide6/Qt/lib/libicudata.so.73", True),
        ("PySide6/translations/qtbase_de.qm", False),
        ("PySide6/translations/qtbase_ru.qm", False),
        ("PySide6/translations/qt_de.qm", False),
        ("PySide6/translations/qtwebengine_de.qm", False),
        ("keyring-25.7.0.dist-info/entry_points.txt", True),
        ("python311.dll", True),
    ],
)
def test_keep_rules(rules, dest, kept):
    assert rules.keep(dest) is kept
    assert rules.keep(dest.replace("/", "\\")) is kept  # Windows separators too


@pytest.mark.parametrize("language", ["ar", "de", "es", "fr", "ja", "zh_CN"])
@pytest.mark.parametrize("folder", ["PySide6/translations", "PySide6/Qt/translations"])
def test_no_qt_translation_ships_while_nothing_loads_it(rules, folder, language):
    """The six qtbase_*.qm once shipped were never loaded: capdesk installs no QTranslator."""
    assert rules.keep(f"{folder}/qtbase_{language}.qm") is False
    sources = (ROOT / "capdesk").rglob("*.py")
    assert not any("QTranslator" in path.read_text(encoding="utf-8") for path in sources), (
        "capdesk now loads translations: keep their languages in KEPT_TRANSLATIONS"
    )


@pytest.mark.parametrize("name", ["qico", "qjpeg", "qgif", "qsvg"])
def test_no_image_format_plugin_ships(rules, name):
    """The window icon is a PNG (built into QtGui); no Qt code reads an .ico at run time."""
    assert rules.keep(f"PySide6/plugins/imageformats/{name}.dll") is False
    assert rules.keep(f"PySide6/Qt/plugins/imageformats/lib{name}.so") is False
    app = (ROOT / "capdesk" / "app.py").read_text(encoding="utf-8")
    assert '"capdesk.png"' in app
    sources = (ROOT / "capdesk").rglob("*.py")
    assert not any(".ico" in path.read_text(encoding="utf-8") for path in sources), (
        "capdesk now reads an .ico: keep qico in KEPT_IMAGEFORMATS"
    )


def test_filter_toc_and_dropped_agree(rules):
    toc = [
        ("PySide6/plugins/platforms/qwindows.dll", "/src/a", "BINARY"),
        ("PySide6/opengl32sw.dll", "/src/b", "BINARY"),
    ]
    assert rules.filter_toc(toc) == toc[:1]
    assert rules.dropped(toc) == ["PySide6/opengl32sw.dll"]


LINUX_LIB = "/lib/x86_64-linux-gnu/"


@pytest.mark.parametrize(
    ("dest", "source", "platform", "dropped"),
    [
        # base libraries every desktop has, and the CUPS client stack: left to the host
        ("libstdc++.so.6", LINUX_LIB + "libstdc++.so.6", "linux", True),
        ("libX11.so.6", "/usr/lib64/libX11.so.6", "linux", True),
        ("libcups.so.2", LINUX_LIB + "libcups.so.2", "linux", True),
        ("libgnutls.so.30", LINUX_LIB + "libgnutls.so.30", "linux", True),
        # never on Windows or macOS, whatever the name
        ("libX11.so.6", LINUX_LIB + "libX11.so.6", "win32", False),
        ("libz.so.1", "/usr/lib/libz.so.1", "darwin", False),
        # what Python and Qt need that a desktop may lack stays bundled
        ("libssl.so.3", LINUX_LIB + "libssl.so.3", "linux", False),
        ("libsqlite3.so.0", LINUX_LIB + "libsqlite3.so.0", "linux", False),
        ("libxcb-cursor.so.0", LINUX_LIB + "libxcb-cursor.so.0", "linux", False),
        ("libdbus-1.so.3", LINUX_LIB + "libdbus-1.so.3", "linux", False),
        ("libgssapi_krb5.so.2", LINUX_LIB + "libgssapi_krb5.so.2", "linux", False),
        ("libpython3.11.so.1.0", "/usr/lib/libpython3.11.so.1.0", "linux", False),
        # a listed name that is not the host's own copy (venv, PySide6, a Python build)
        ("libz.so.1", "/work/.venv/lib/python3.11/site-packages/x/libz.so.1", "linux", False),
        ("libz.so.1", "/usr/lib/python3.11/lib-dynload/libz.so.1", "linux", False),
        ("PySide6/Qt/lib/libstdc++.so.6", LINUX_LIB + "libstdc++.so.6", "linux", False),
    ],
)
def test_host_libraries_are_left_out_on_linux_only(rules, dest, source, platform, dropped):
    entry = (dest, source, "BINARY")
    assert rules.is_host_library(dest, source, platform) is dropped
    assert rules.filter_toc([entry], platform) == ([] if dropped else [entry])
    assert rules.dropped([entry], platform) == ([dest] if dropped else [])


def test_host_libraries_never_name_python_or_qt(rules):
    for name in rules.HOST_LIBRARIES:
        assert "python" not in name.lower()
        assert not name.lower().startswith(("libqt", "libicu", "libshiboken", "libpyside"))
        assert not name.startswith(("libssl", "libcrypto", "libsqlite", "libffi"))


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_app_imports_nothing_the_bundle_leaves_out(rules):
    """Adding e.g. QtSvg to the app must come with a change to bundle_rules.py."""
    excluded = set(rules.EXCLUDED_MODULES)
    offenders = {}
    for path in sorted((ROOT / "capdesk").rglob("*.py")):
        for name in _imported_modules(path):
            hit = next((e for e in excluded if name == e or name.startswith(e + ".")), None)
            if hit:
                offenders[str(path.relative_to(ROOT))] = name
    assert offenders == {}

"""Cluster presets, admin TOML overrides, custom URLs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from capdesk.api.clusters import (
    PRESETS,
    TRAINING,
    Cluster,
    custom_cluster,
    load_clusters,
    resolve_cluster,
)
from capdesk.api.errors import InvalidInput


def test_presets_cover_new_and_old_hosts() -> None:
    for key in ("india", "apac2", "eu", "us"):
        new, old = PRESETS[key], PRESETS[f"{key}-legacy"]
        assert new.base_url and new.base_url.startswith("https://")
        assert "intouch" in new.base_url and ".api." in (old.base_url or "")
        assert old.label == new.label + " (older host)"
    assert PRESETS["eu"].label == "EU"
    assert PRESETS["apac2"].label == "Asia-2 (APAC2 / SEA)"
    assert PRESETS["china"].base_url == "https://api.capillarytech.cn.com"
    assert TRAINING.base_url is None and TRAINING.training
    assert all(not c.training and not c.base_url.endswith("/") for c in PRESETS.values())


def test_load_clusters_without_files_is_training_plus_presets() -> None:
    clusters = load_clusters([])
    assert next(iter(clusters)) == "training"
    assert {k: v for k, v in clusters.items() if k != "training"} == PRESETS


def test_admin_file_adds_relabels_and_hides(tmp_path: Path) -> None:
    admin = tmp_path / "clusters.toml"
    admin.write_text(
        """
[clusters.mybrand]
label = "MyBrand EU"
base_url = "https://mybrand.example.com/"

[clusters.eu]
label = "Europe"

[clusters.china]
hidden = true

[clusters.us-legacy]
base_url = "https://us-new.example.com"
""",
        encoding="utf-8",
    )
    clusters = load_clusters([admin])
    assert clusters["mybrand"] == Cluster("mybrand", "MyBrand EU", "https://mybrand.example.com")
    assert clusters["eu"].label == "Europe"
    assert clusters["eu"].base_url == PRESETS["eu"].base_url
    assert "china" not in clusters
    assert clusters["us-legacy"].base_url == "https://us-new.example.com"


def test_bad_files_and_entries_are_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[clusters.x\nlabel=", encoding="utf-8")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    missing = tmp_path / "missing.toml"
    mixed = tmp_path / "mixed.toml"
    mixed.write_text(
        """
clusters = "not a table here"
""",
        encoding="utf-8",
    )
    entries = tmp_path / "entries.toml"
    entries.write_text(
        """
[clusters.plain]
label = "Plain HTTP"
base_url = "http://capillary.example.com"
[clusters.nourl]
label = "No URL"
[clusters.badhidden]
hidden = "yes"
[clusters.creds]
base_url = "https://user:pw@example.com"
[clusters.good]
base_url = "https://good.example.com"
""",
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING, logger="capdesk.api.clusters"):
        clusters = load_clusters([broken, binary, missing, mixed, entries])
    for key in ("plain", "nourl", "badhidden", "creds"):
        assert key not in clusters
    assert clusters["good"].label == "good"
    assert len(caplog.records) >= 7  # every broken file and entry; a missing file is normal
    assert "missing.toml" not in caplog.text
    assert "pw" not in caplog.text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://eu.api.capillarytech.com/", "https://eu.api.capillarytech.com"),
        ("  https://host.example.com:8443/base/ ", "https://host.example.com:8443/base"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:1234/", "http://localhost:1234"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_custom_cluster_accepts(url: str, expected: str) -> None:
    cluster = custom_cluster(url)
    assert cluster.base_url == expected
    assert cluster.key == f"custom:{expected}" and cluster.custom and not cluster.training


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://eu.api.capillarytech.com", "https://"),
        ("ftp://eu.api.capillarytech.com", "isn't valid"),
        ("eu.api.capillarytech.com", "isn't valid"),
        ("https://user:secret@eu.api.capillarytech.com", "password"),
        ("https://eu.api.capillarytech.com/?x=1", "'?'"),
        ("https://eu.api.capillarytech.com/#frag", "'?'"),
        ("https://", "isn't valid"),
        ("https://host:99999", "isn't valid"),
        ("https://exa mple.com", "isn't valid"),
        ("", "Type"),
    ],
)
def test_custom_cluster_rejects(url: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        custom_cluster(url)
    assert words in caught.value.sentence
    assert "secret" not in caught.value.sentence


def test_resolve_cluster() -> None:
    clusters = load_clusters([])
    assert resolve_cluster("EU", None, clusters) is clusters["eu"]
    assert resolve_cluster("Asia-2 (APAC2 / SEA)", None, clusters) is clusters["apac2"]
    assert resolve_cluster(None, None, clusters) is clusters["training"]
    assert resolve_cluster("eu", "https://x.example.com", clusters).base_url == (
        "https://x.example.com"
    )
    with pytest.raises(InvalidInput) as caught:
        resolve_cluster("mars", None, clusters)
    assert "mars" in caught.value.sentence and "eu-legacy" in caught.value.sentence

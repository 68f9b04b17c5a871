from pathlib import Path

import pytest

from pipeline.config import config_from_dict, load_config
from pipeline.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_relative_paths_resolve_against_config_folder(tmp_path):
    cfg = load_config(_write(tmp_path, "corpus:\n  path: corpus\noutput: out\nseed: 7\n"))
    assert cfg.corpus.path == (tmp_path / "corpus").resolve()
    assert cfg.output == (tmp_path / "out").resolve()
    assert cfg.seed == 7


def test_unknown_key_is_named(tmp_path):
    path = _write(tmp_path, "corpus:\n  path: c\nsegment:\n  max_sentense: 3\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "segment.max_sentense" in str(err.value)
    assert str(path) in str(err.value)


def test_wrong_type_is_named(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, "corpus:\n  path: c\nembed:\n  batch_size: many\n"))
    assert "embed.batch_size" in str(err.value)


def test_missing_corpus_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="missing key 'corpus'"):
        load_config(_write(tmp_path, "seed: 1\n"))
    with pytest.raises(ConfigError, match="line"):
        load_config(_write(tmp_path, "corpus: [unclosed\n"))
    with pytest.raises(ConfigError, match="empty"):
        load_config(_write(tmp_path, ""))
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")


def test_negative_seed_rejected(tmp_path):
    with pytest.raises(ConfigError, match="seed"):
        config_from_dict({"seed": -1, "corpus": {"path": "x"}}, base=tmp_path)


def test_bundled_configs_validate(repo_root):
    for name in ("demo.yaml", "bluebook-example.yaml"):
        cfg = load_config(repo_root / "configs" / name)
        assert cfg.corpus.path.is_absolute()

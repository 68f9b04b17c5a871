"""Run configuration: one YAML file, validated strictly.

Unknown keys and wrong types are errors naming the key path. Relative paths are
resolved against the directory of the config file, so a config can be moved
together with its corpus.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from pipeline.classify.settings import ClassifySettings
from pipeline.clean.settings import CleanSettings
from pipeline.cluster.settings import ClusterSettings
from pipeline.corpus.settings import CorpusSettings
from pipeline.embed.settings import EmbedSettings
from pipeline.errors import ConfigError
from pipeline.segment.settings import SegmentSettings
from pipeline.settings_base import Section


class RaySettings(Section):
    address: str | None = None
    actors: int = 2
    batch_size: int = 256
    num_cpus_per_actor: float = 1.0


class SaturationSettings(Section):
    """Guest, Namey & Chen (2020) saturation measures over the coded cases."""

    base_size: int = Field(default=4, ge=1)
    run_length: int = Field(default=2, ge=1)
    threshold: float = Field(default=0.05, gt=0.0, lt=1.0)  # new-information threshold
    orders: int = Field(default=1000, ge=1)  # bootstrap case orders


class AgreementSettings(Section):
    """Human codings to audit against each other and the machine in every run."""

    codings: list[Path] = []  # CSV/XLSX/.qdpx files; empty = no agreement section
    level: Literal["initial", "main", "dimension"] = "initial"
    threshold: float | None = None  # machine score threshold; None = the coder's own
    bootstrap: int = Field(default=1000, ge=0)
    min_cover: float = Field(default=0.5, gt=0.0, le=1.0)


class RunConfig(Section):
    seed: int = 0
    corpus: CorpusSettings
    codebook: Path | None = None
    output: Path = Path("runs/latest")
    store: str | None = None  # SQLAlchemy URL; default sqlite in the output folder
    engine: Literal["local", "ray"] = "local"
    ray: RaySettings = RaySettings()
    clean: CleanSettings = CleanSettings()
    segment: SegmentSettings = SegmentSettings()
    embed: EmbedSettings = EmbedSettings()
    classify: ClassifySettings = ClassifySettings()
    cluster: ClusterSettings = ClusterSettings()
    saturation: SaturationSettings = SaturationSettings()
    agreement: AgreementSettings = AgreementSettings()
    checkpoint_passages: int = Field(default=512, ge=1)  # passages per store checkpoint

    @field_validator("seed")
    @classmethod
    def _seed_non_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("seed must be >= 0")
        return value

    @model_validator(mode="after")
    def _context_needs_neighbours(self) -> RunConfig:
        """Settings that read a passage's neighbours need segment.context_sentences >= 1
        (a clause unit always has its own sentence around it)."""
        if self.segment.context_sentences > 0 or self.segment.unit == "clause":
            return self
        readers = []
        if self.embed.context_weight > 0 and "context_weight" in self.embed.model_fields_set:
            readers.append("embed.context_weight")
        if max(self.classify.context_weights) > 0:
            readers.append("classify.context_weights")
        if readers:
            raise ValueError(
                f"{' and '.join(readers)} {'read' if len(readers) > 1 else 'reads'} each "
                "passage's neighbouring sentences, but "
                "segment.context_sentences is 0; set it to 1 or more, or the weights to 0"
            )
        return self


def _format_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "<root>"
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown key '{loc}'")
        elif err["type"] == "missing":
            parts.append(f"missing key '{loc}'")
        elif not err["loc"] and "error" in err.get("ctx", {}):  # a check across sections
            parts.append(str(err["ctx"]["error"]))
        else:
            parts.append(f"key '{loc}': {err['msg']}")
    return "; ".join(parts)


def _resolve_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make relative paths in known path fields absolute against ``base``."""

    def fix(value: Any) -> Any:
        if value is None:
            return None
        path = Path(str(value)).expanduser()
        return str(path if path.is_absolute() else (base / path).resolve())

    out = dict(data)
    for key in ("codebook", "output"):
        if key in out:
            out[key] = fix(out[key])
    nested = {
        "corpus": ("path", "manifest"),
        "segment": ("user_dict", "stopwords"),
        "embed": ("cache_dir",),
        "classify": ("codings",),
    }
    nested_lists = {"segment": ("extra_dicts",), "agreement": ("codings",)}
    for section, keys in nested.items():
        if isinstance(out.get(section), dict):
            sec = dict(out[section])
            for key in keys:
                if key in sec:
                    sec[key] = fix(sec[key])
            for key in nested_lists.get(section, ()):
                if isinstance(sec.get(key), list):
                    sec[key] = [fix(v) for v in sec[key]]
            out[section] = sec
    for section, keys in nested_lists.items():
        if isinstance(out.get(section), dict) and section not in nested:
            sec = dict(out[section])
            for key in keys:
                if isinstance(sec.get(key), list):
                    sec[key] = [fix(v) for v in sec[key]]
            out[section] = sec
    if isinstance(out.get("embed"), dict):
        model = out["embed"].get("model")
        if isinstance(model, str) and (model.startswith(".") or "/" in model):
            candidate = (base / model).resolve()
            if candidate.exists():
                out["embed"] = {**out["embed"], "model": str(candidate)}
    if isinstance(out.get("store"), str) and out["store"].startswith("sqlite:///"):
        db = out["store"][len("sqlite:///") :]
        if db and not db.startswith("/") and db != ":memory:":
            out["store"] = "sqlite:///" + str((base / db).resolve())
    return out


def config_from_dict(data: dict[str, Any], *, base: Path, source: str = "<dict>") -> RunConfig:
    if not isinstance(data, dict):
        raise ConfigError("the config must be a mapping of keys to values", file=source)
    try:
        return RunConfig.model_validate(_resolve_paths(data, base))
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc), file=source) from None


def load_config(path: str | Path) -> RunConfig:
    """Load and validate a YAML run config."""
    from pipeline.userfiles import check_yaml_shape, read_text

    cfg_path = Path(path)
    text = read_text(cfg_path, error=ConfigError, what="config file").text
    check_yaml_shape(text, cfg_path, error=ConfigError)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        unit = f"line {mark.line + 1}" if mark is not None else None
        raise ConfigError(
            f"invalid YAML: {getattr(exc, 'problem', exc)}", file=cfg_path, unit=unit
        ) from None
    if data is None:
        raise ConfigError("config file is empty", file=cfg_path)
    return config_from_dict(data, base=cfg_path.parent.resolve(), source=str(cfg_path))


def resolved_config_dict(config: RunConfig) -> dict[str, Any]:
    """The resolved config as plain JSON-able data (for run.json)."""
    return config.model_dump(mode="json")

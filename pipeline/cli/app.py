"""The Typer application every command module registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="groundcode",
    help=(
        "groundcode: code Chinese and English texts against a grounded-theory codebook, "
        "offline and auditable.\n\n"
        "Typical use: `groundcode run configs/demo.yaml`."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

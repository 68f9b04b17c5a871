"""Plotly figures for the run report, rendered as HTML fragments with fixed div ids
(so two identical runs give identical report bytes apart from the run's timings)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

_FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        margin={"l": 160, "r": 20, "t": 50, "b": 120},
        font={"family": _FONT, "size": 12},
        template="plotly_white",
    )
    return fig


def fragment(fig: go.Figure, div_id: str) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def bar(counts: pd.Series, title: str, labels: dict[str, str]) -> go.Figure:
    names = [labels.get(k, k) for k in counts.index]
    fig = go.Figure(go.Bar(x=counts.to_numpy().tolist(), y=names, orientation="h"))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, height=max(300, 24 * len(names) + 120))


def heatmap(table: pd.DataFrame, title: str, labels: dict[str, str]) -> go.Figure:
    rows = [labels.get(str(k), str(k)) for k in table.index]
    cols = [labels.get(str(k), str(k)) for k in table.columns]
    fig = go.Figure(
        go.Heatmap(z=table.to_numpy().tolist(), x=cols, y=rows, colorscale="Blues",
                   hovertemplate="%{y} × %{x}: %{z}<extra></extra>")
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, height=max(320, 26 * len(rows) + 160))


def line(x: list, ys: dict[str, list], title: str, x_title: str, y_title: str) -> go.Figure:
    fig = go.Figure()
    for name, values in ys.items():
        fig.add_trace(go.Scatter(x=x, y=values, mode="lines+markers", name=name))
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title)
    return _layout(fig, title)

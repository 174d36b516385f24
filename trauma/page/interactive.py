"""Interactive figures for the HTML book, as Plotly figure specifications: plain
JSON dictionaries (Plotly's `application/vnd.plotly.v1+json`), built from the same
summary and per-seed tables as a model's static figures (`trauma/<model>/figures.py`
builds both from these primitives), with no plotting library in the kernel. The
book draws them with the plotly.js that ships in the plotly wheel
(`trauma.book.extension`); the PDF and Jupyter without Plotly show the static PNG
that travels beside them (`trauma.page.glue.glue_figure`).

The contract every figure keeps:
- a mean is drawn with its 95 % interval over seeds (a band along a line, bars on
  a point), and hovering it shows the value, the interval and the seed count;
- every seed is a point, and hovering it names the seed;
- a mean, its interval and its seeds share one legend entry: clicking it hides or
  shows the whole group, in every panel;
- an axis is logarithmic where the static figure's is;
- `with_menu` joins one figure per variant into one figure with a menu: every
  variant's data is in the page, so switching needs no kernel and no network.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.colors import to_hex

MIME = "application/vnd.plotly.v1+json"


SEED_MARKER = {"size": 4, "opacity": 0.45}


def numbers(values, digits: int = 5) -> list:
    """Floats rounded to `digits` significant figures (the page stays small), NaN
    and infinities as None (JSON has no NaN)."""
    out = []
    for value in np.asarray(values, dtype=float).ravel():
        out.append(None if not math.isfinite(value) else float(f"{value:.{digits}g}"))
    return out


def axes(panel: int) -> dict:
    suffix = "" if panel == 0 else str(panel + 1)
    return {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def line(name, x, mean, low, high, n=None, *, panel, colour, value="%{y:.3g}", first=True) -> list[dict]:
    """A mean over seeds against x with its 95 % interval as a band: three traces in
    one legend group (the band's edges, then the mean, which carries the hover).
    Without seed counts `n` (a fitted curve), the hover shows no count."""
    colour = to_hex(colour)
    edge = {
        "type": "scatter",
        "mode": "lines",
        "x": numbers(x),
        "line": {"width": 0, "color": colour},
        "name": f"{name} (95 % CI)",
        "legendgroup": name,
        "showlegend": False,
        "hoverinfo": "skip",
        **axes(panel),
    }
    low_text, high_text = value.replace("%{y", "%{customdata[0]"), value.replace("%{y", "%{customdata[1]")
    count = "" if n is None else "<br>n = %{customdata[2]} seeds"
    n = np.zeros(len(mean)) if n is None else n
    return [
        {**edge, "y": numbers(low)},
        {**edge, "y": numbers(high), "fill": "tonexty", "fillcolor": _rgba(colour, 0.2)},
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "legendgroup": name,
            "showlegend": first,
            "x": numbers(x),
            "y": numbers(mean),
            "marker": {"size": 5, "color": colour},
            "line": {"color": colour, "width": 1.5},
            "customdata": [[lo, hi, int(k)] for lo, hi, k in zip(numbers(low), numbers(high), n)],
            "hovertemplate": f"<b>{name}</b><br>%{{x:.3g}}: {value} [{low_text}, {high_text}]{count}<extra></extra>",
            **axes(panel),
        },
    ]


def points(
    name,
    x,
    x_low,
    x_high,
    y,
    y_low,
    y_high,
    n,
    labels,
    *,
    panel,
    colour,
    symbol="circle",
    size=7,
    first=True,
) -> dict:
    """Means over seeds as points with 95 % interval bars in both directions, each
    labelled (for example by its strategy)."""
    colour = to_hex(colour)
    x, xl, xh = (numbers(v) for v in (x, x_low, x_high))
    drawn, dl, dh = (numbers(v) for v in (y, y_low, y_high))
    gap = lambda a, b: [None if p is None or q is None else abs(p - q) for p, q in zip(a, b)]  # noqa: E731
    return {
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "legendgroup": name,
        "showlegend": first,
        "x": x,
        "y": drawn,
        "marker": {"size": size, "color": colour, "symbol": symbol},
        "error_x": {
            "type": "data",
            "array": gap(xh, x),
            "arrayminus": gap(x, xl),
            "thickness": 1,
            "width": 2,
            "color": colour,
        },
        "error_y": {
            "type": "data",
            "array": gap(dh, drawn),
            "arrayminus": gap(drawn, dl),
            "thickness": 1,
            "width": 2,
            "color": colour,
        },
        "customdata": [
            [label, a, b, c, d, e, int(k)] for label, a, b, c, d, e, k in zip(labels, xl, xh, drawn, dl, dh, n)
        ],
        "hovertemplate": "<b>%{customdata[0]}</b><br>x: %{x:.3g} [%{customdata[1]:.3g}, %{customdata[2]:.3g}]"
        "<br>y: %{customdata[3]:.3g} [%{customdata[4]:.3g}, %{customdata[5]:.3g}]<br>n = %{customdata[6]} seeds"
        "<extra></extra>",
        **axes(panel),
    }


def seeds(name, x, y, seed, *, panel, colour, log_x=False, spread=0.0, labels=None) -> dict:
    """Every seed as a point, spread a little sideways around its x (in log units on
    a log axis) so that equal values stay visible; hover names the seed and shows
    its value. Seeds without a value (NaN:
    a diverged network) are not drawn."""
    x, y, seed = np.asarray(x, dtype=float), np.asarray(y, dtype=float), np.asarray(seed)
    offsets = np.zeros(len(x))
    if spread:  # the same offset for a seed wherever it appears, as in the static figures
        ranks = np.unique(seed, return_inverse=True)[1]
        offsets = np.linspace(-spread, spread, ranks.max() + 1)[ranks] if ranks.max() > 0 else offsets
    keep = np.isfinite(y)
    shown = (x * 10**offsets if log_x else x + offsets)[keep]
    labels = np.array([name] * len(x) if labels is None else list(labels), dtype=object)[keep]
    y, seed = y[keep], seed[keep]
    return {
        "type": "scatter",
        "mode": "markers",
        "name": f"{name}: seeds",
        "legendgroup": name,
        "showlegend": False,
        "x": numbers(shown),
        "y": numbers(y),
        "marker": {**SEED_MARKER, "color": to_hex(colour)},
        "customdata": [[int(s), label, value] for s, label, value in zip(seed, labels, numbers(y))],
        "hovertemplate": "%{customdata[1]}<br>seed %{customdata[0]}: %{customdata[2]:.3g}<extra></extra>",
        **axes(panel),
    }


def figure(traces: list[dict], panels: list[dict], height: int | None = None, columns: int = 2) -> dict:
    """Traces on a grid of panels; each panel a dict with `x` and `y` (axis titles),
    and optionally `title`, `log_x`, `log_y`, and `x_axis`, `y_axis` (more Plotly
    axis settings, such as the ticks)."""
    columns = min(columns, len(panels))
    rows = -(-len(panels) // columns)
    layout = {
        "grid": {"rows": rows, "columns": columns, "pattern": "independent", "xgap": 0.2, "ygap": 0.3},
        "height": height or 360 * rows + 60,
        "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
        "legend": {"orientation": "h", "y": -0.18 if rows == 1 else -0.08, "font": {"size": 11}},
        "hovermode": "closest",
        "template": {"layout": {"paper_bgcolor": "white", "plot_bgcolor": "white"}},
        "font": {"size": 11},
        "annotations": [],
    }
    for i, panel in enumerate(panels):
        suffix = "" if i == 0 else str(i + 1)
        grid = {"gridcolor": "#e5e5e5", "zeroline": False, "linecolor": "#444", "ticks": "outside", "mirror": True}
        layout[f"xaxis{suffix}"] = {
            **grid,
            "title": {"text": panel["x"]},
            "type": "log" if panel.get("log_x") else "linear",
            **panel.get("x_axis", {}),
        }
        layout[f"yaxis{suffix}"] = {
            **grid,
            "title": {"text": panel["y"]},
            "type": "log" if panel.get("log_y") else "linear",
            **panel.get("y_axis", {}),
        }
        if panel.get("title"):
            layout["annotations"].append(
                {
                    "text": panel["title"],
                    "xref": f"x{suffix} domain",
                    "yref": f"y{suffix} domain",
                    "x": 0.5,
                    "y": 1.02,
                    "xanchor": "center",
                    "yanchor": "bottom",
                    "showarrow": False,
                }
            )
    return {"data": traces, "layout": layout}


def with_menu(figures: dict[str, dict], label: str = "variant") -> dict:
    """One figure per variant (name -> figure) joined into one, with a menu that
    shows one variant at a time: the first is shown first. Switching also sets each
    axis's type and autorange, and its tick values and labels where the variant
    sets them, since variants may need different axes."""
    names = list(figures)
    data, owner = [], []
    for index, name in enumerate(names):
        for trace in figures[name]["data"]:
            data.append({**trace, "visible": index == 0})
            owner.append(index)
    buttons = []
    for index, name in enumerate(names):
        layout = figures[name]["layout"]
        axes = {
            f"{key}.{part}": value
            for key, axis in layout.items()
            if key.startswith(("xaxis", "yaxis"))
            for part, value in (
                ("type", axis["type"]),
                ("autorange", True),
                *((tick, axis.get(tick)) for tick in ("tickvals", "ticktext")),
            )
        }
        buttons.append({"label": name, "method": "update", "args": [{"visible": [o == index for o in owner]}, axes]})
    layout = dict(figures[names[0]]["layout"])
    layout["margin"] = {**layout["margin"], "t": 80}
    layout["updatemenus"] = [
        {
            "type": "dropdown",
            "buttons": buttons,
            "active": 0,
            "x": 0,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "bottom",
            "pad": {"b": 30},
            "showactive": True,
        }
    ]
    layout["annotations"] = layout["annotations"] + [
        {
            "text": f"{label}:",
            "xref": "paper",
            "yref": "paper",
            "x": 0,
            "y": 1.0,
            "xanchor": "right",
            "yanchor": "bottom",
            "yshift": 36,
            "showarrow": False,
        }
    ]
    return {"data": data, "layout": layout}


def labelled(ticks) -> dict:
    """Axis settings that put exactly `ticks` on an axis, each labelled with its value."""
    return {"tickvals": numbers(ticks), "ticktext": [f"{t:g}" for t in ticks]}

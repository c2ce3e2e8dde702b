"""Chart geometry for server-rendered SVG (no JavaScript): numbers in, coordinates out.

Templates draw the shapes from these dataclasses, so no markup is built from strings
here, and every chart's numbers are also given to the page as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# GOV.UK Frontend colour palette.
BLUE = "#1d70b8"
RED = "#d4351c"
ORANGE = "#f47738"
GREEN = "#00703c"
GREY = "#505a5f"
LIGHT_GREY = "#b1b4b6"


@dataclass(frozen=True)
class Tick:
    at: float  # a coordinate in the SVG
    label: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    points: str  # the polyline's "x,y x,y ..."
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    markers: list[Tick]  # vertical lines (a deadline, say)


def share_line(
    values: Sequence[float],
    *,
    x_labels: dict[int, str],
    markers: dict[int, str] | None = None,
    width: int = 640,
    height: int = 280,
) -> LineChart:
    """A line of shares (0..1) over evenly spaced steps, with 0-100% on the y axis."""
    left, top, right, bottom = 48, 16, width - 16, height - 40
    steps = max(len(values) - 1, 1)

    def x(index: int) -> float:
        return round(left + (right - left) * index / steps, 1)

    def y(share: float) -> float:
        return round(bottom - (bottom - top) * min(max(share, 0.0), 1.0), 1)

    return LineChart(
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        points=" ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values)),
        y_ticks=[Tick(y(p / 100), f"{p}%") for p in (0, 25, 50, 75, 100)],
        x_ticks=[Tick(x(i), label) for i, label in sorted(x_labels.items())],
        markers=[Tick(x(i), label) for i, label in sorted((markers or {}).items())],
    )


@dataclass(frozen=True)
class Bar:
    label: str
    value_label: str
    y: float
    length: float
    colour: str
    value_x: float  # where the value is written, just after the bar's end


@dataclass(frozen=True)
class Reference:
    x: float
    label: str
    label_y: float  # each reference's label on its own row below the bars


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    plot_width: int
    bars: list[Bar]
    references: list[Reference]  # vertical lines: a target, another council's figure


def bars(
    items: Sequence[tuple[str, float, str]],
    *,
    maximum: float,
    colour: str = BLUE,
    colours: dict[str, str] | None = None,
    references: Sequence[tuple[float, str]] = (),
    width: int = 640,
    label_width: int = 200,
    bar_height: int = 24,
) -> BarChart:
    """Horizontal bars: (label, value, value as shown) each, scaled to ``maximum``."""
    gap, label_row = 10, 18
    plot = width - label_width - 80
    scale = plot / maximum if maximum > 0 else 0.0
    drawn = []
    for index, (label, value, shown) in enumerate(items):
        length = round(max(value, 0.0) * scale, 1)
        drawn.append(
            Bar(
                label=label,
                value_label=shown,
                y=index * (bar_height + gap) + gap,
                length=length,
                colour=(colours or {}).get(label, colour),
                value_x=round(label_width + length + 6, 1),
            )
        )
    bars_end = len(drawn) * (bar_height + gap) + gap
    # One label row per reference line, so labels of close values do not overlap.
    height = bars_end + label_row * len(references)
    return BarChart(
        width=width,
        height=max(height, 40),
        label_width=label_width,
        bar_height=bar_height,
        plot_width=plot,
        bars=drawn,
        references=[
            Reference(round(label_width + v * scale, 1), text, bars_end + label_row * (i + 1) - 4)
            for i, (v, text) in enumerate(references)
        ],
    )

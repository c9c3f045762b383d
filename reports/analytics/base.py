"""What a dashboard is made of, and how its numbers are shown."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from crm.money import rub

# How a column's values are shown; the raw value is what Excel and the API get.
TEXT, INT, MONEY, PERCENT, DAYS, HOURS = "text", "int", "money", "percent", "days", "hours"

# Chart geometry in SVG viewBox units: labels, then bars, then room for the printed value.
BAR_LEFT, BAR_AREA, CHART_WIDTH = 160, 190, 470


@dataclass(frozen=True)
class Filters:
    """The filters every dashboard takes. `branch_id` is already narrowed to what the user may see."""

    date_from: date
    date_to: date
    branch_id: int | None = None
    manager_id: int | None = None
    source: str = ""
    pipeline: str = ""
    stuck_days: int = 30

    def describe(self) -> list[tuple[str, str]]:
        return [("Период", f"{self.date_from:%d.%m.%Y} — {self.date_to:%d.%m.%Y}")]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = INT


@dataclass
class Table:
    """One table of a dashboard. `chart` names the row label and up to two value columns drawn as bars."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict]
    chart: tuple[str, ...] | None = None
    note: str = ""
    totals: dict | None = None
    # The column whose cell links to the row's "url" (a deal, a manager's list), if any.
    link: str | None = None

    def display_rows(self) -> list[list[dict]]:
        """Cells as shown: text, right-aligned when a number, a link where the table has one."""
        return [
            [
                {
                    "text": show(row.get(c.key), c.kind),
                    "numeric": c.kind != TEXT,
                    "url": row.get("url") if c.key == self.link else None,
                }
                for c in self.columns
            ]
            for row in self.rows
        ]

    def display_totals(self) -> list[str] | None:
        if self.totals is None:
            return None
        return [show(self.totals.get(c.key), c.kind) if c.key in self.totals else "" for c in self.columns]

    def bars(self) -> dict | None:
        """The chart as SVG geometry (viewBox units): labels on the left, bars scaled to the largest value,
        the value printed after each bar. None when there is nothing to draw."""
        if not self.chart or not self.rows:
            return None
        label_key, *value_keys = self.chart
        columns = {c.key: c for c in self.columns}
        peak = max((float(row.get(k) or 0) for row in self.rows for k in value_keys), default=0)
        if peak <= 0:
            return None
        bar, gap = 12, 8
        row_height = bar * len(value_keys) + gap
        items = []
        for n, row in enumerate(self.rows):
            top = n * row_height
            series = []
            for s, key in enumerate(value_keys):
                value = max(float(row.get(key) or 0), 0)
                width = round(value / peak * BAR_AREA, 1)
                series.append(
                    {
                        "y": top + s * bar,
                        "width": width,
                        "text_x": BAR_LEFT + width + 4,
                        "text_y": top + s * bar + bar - 2,
                        "text": show(row.get(key), columns[key].kind),
                        "series": s,
                    }
                )
            label = str(row.get(label_key, ""))
            items.append(
                {
                    "label": label if len(label) <= 26 else label[:25] + "…",
                    "full_label": label,
                    "label_y": top + (bar * len(value_keys)) / 2 + 4,
                    "series": series,
                }
            )
        return {
            "items": items,
            "height": row_height * len(self.rows),
            "bar": bar,
            "bar_left": BAR_LEFT,
            # The longest bar's width: a page drawing each bar on its own track scales the track to this.
            "area": BAR_AREA,
            "width": CHART_WIDTH,
            "legend": [columns[k].label for k in value_keys] if len(value_keys) > 1 else [],
        }


@dataclass
class Dashboard:
    slug: str
    title: str
    filters: Filters
    tables: list[Table] = field(default_factory=list)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def show(value, kind: str) -> str:
    """A value as a Russian reader expects it: «1 234 567 ₽», «45,5 %», «3,2 дн.», «—» for none."""
    if value is None or value == "":
        return "—"
    if kind == MONEY:
        return rub(value)
    if kind == PERCENT:
        return f"{Decimal(str(value)):.1f} %".replace(".", ",")
    if kind in (DAYS, HOURS):
        unit = "дн." if kind == DAYS else "ч"
        # The comma goes in the number only: «3,2 дн.», not «3,2 дн,».
        return f"{Decimal(str(value)):.1f}".replace(".", ",") + f" {unit}"
    if kind == INT:
        return f"{int(value):,}".replace(",", "\u00a0")
    return str(value)


def percent(part, whole) -> float | None:
    """`part` of `whole` in per cent, one decimal; None when there is no whole."""
    return round(100 * float(part) / float(whole), 1) if whole else None

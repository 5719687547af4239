"""The impact graph of a CI: what it depends on and what depends on it, two levels in both
directions, laid out in columns and drawn as SVG on the server (no JavaScript).

Columns from left to right: what depends on what depends on the CI, what depends on it, the
CI, what it depends on, what that depends on. Only "depends on" links are followed (the
links incidents travel along by default); only CIs the agent may see are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import access
from .choices import Functionality, LinkType
from .models import ConfigItem, Link

# Presentation attributes, not CSS: the picture is also served alone (graph.svg) and the
# pages allow no inline styles. (fill, stroke) per state, the AA colours of agent.css.
COLOURS = {
    "incident": ("#fbe9e7", "#b3261e"),
    "warning": ("#fff3dc", "#8a5300"),
    "operational": ("#e4f3e9", "#1e6b3a"),
}
LEVELS = 2
PER_COLUMN = 12  # more are summarised as "+ n more"
BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 170, 44, 50, 14, 10


@dataclass
class Node:
    ci: ConfigItem
    column: int
    row: float = 0

    offset: int = LEVELS  # the left-most drawn column is at 0

    @property
    def x(self) -> int:
        return PAD + (self.column + self.offset) * (BOX_W + GAP_X)

    @property
    def y(self) -> int:
        return int(PAD + 24 + self.row * (BOX_H + GAP_Y))

    @property
    def cx_left(self) -> int:
        return self.x

    @property
    def cx_right(self) -> int:
        return self.x + BOX_W

    @property
    def cy(self) -> int:
        return self.y + BOX_H // 2

    @property
    def state_class(self) -> str:
        return {
            Functionality.INCIDENT: "incident",
            Functionality.WARNING: "warning",
        }.get(
            Functionality(self.ci.current_incident_state.functionality or "operational"),
            "operational",
        )

    @property
    def fill(self) -> str:
        return COLOURS[self.state_class][0]

    @property
    def stroke(self) -> str:
        return COLOURS[self.state_class][1]

    @property
    def label(self) -> str:
        name = self.ci.name
        return name if len(name) <= 22 else name[:21] + "\N{HORIZONTAL ELLIPSIS}"


@dataclass(frozen=True)
class Edge:
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass
class Graph:
    nodes: list[Node]
    edges: list[Edge]
    more: dict[int, int]
    width: int
    height: int
    offset: int = LEVELS

    def more_labels(self) -> list[tuple[int, int, int]]:
        """(x, y, count) of the "+ n more" notes under crowded columns."""
        result = []
        for column, count in self.more.items():
            x = PAD + (column + self.offset) * (BOX_W + GAP_X)
            result.append((x, self.height - PAD, count))
        return result


def build(user, configitem: ConfigItem) -> Graph:
    to_visible, from_visible = access.ci_conditions(user, "target", "source")
    placed: dict[int, Node] = {configitem.pk: Node(configitem, 0)}
    edges: list[tuple[int, int]] = []  # (dependent, dependency)
    more: dict[int, int] = {}
    frontier_left, frontier_right = {configitem.pk}, {configitem.pk}
    for level in range(1, LEVELS + 1):
        right = Link.objects.filter(
            to_visible, source_id__in=frontier_right, link_type=LinkType.DEPENDS_ON
        ).values_list("source_id", "target_id")
        left = Link.objects.filter(
            from_visible, target_id__in=frontier_left, link_type=LinkType.DEPENDS_ON
        ).values_list("source_id", "target_id")
        new_right = _place(right, 1, level, placed, edges, more)
        new_left = _place(left, 0, -level, placed, edges, more)
        frontier_right, frontier_left = new_right, new_left
    cis = ConfigItem.objects.filter(pk__in=[pk for pk in placed if pk != configitem.pk])
    for ci in cis.select_related("current_incident_state", "ci_class"):
        placed[ci.pk].ci = ci
    columns: dict[int, list[Node]] = {}
    for node in placed.values():
        columns.setdefault(node.column, []).append(node)
    for nodes in columns.values():
        nodes.sort(key=lambda n: n.ci.name if isinstance(n.ci, ConfigItem) else "")
        for row, node in enumerate(nodes):
            node.row = row
    tallest = max(len(nodes) for nodes in columns.values())
    # Centre each column vertically against the tallest.
    for nodes in columns.values():
        shift = (tallest - len(nodes)) / 2
        for node in nodes:
            node.row = node.row + shift
    # Only the columns in use are drawn (at least one each side, for the headings).
    left_most = min(min(columns), -1)
    right_most = max(max(columns), 1)
    for node in placed.values():
        node.offset = -left_most
    drawn = [
        Edge(placed[a].cx_right, placed[a].cy, placed[b].cx_left, placed[b].cy)
        for a, b in edges
        if a in placed and b in placed and placed[a].column < placed[b].column
    ]
    count = right_most - left_most + 1
    width = PAD * 2 + count * BOX_W + (count - 1) * GAP_X
    height = PAD * 2 + 24 + tallest * (BOX_H + GAP_Y) + (20 if more else 0)
    return Graph(list(placed.values()), drawn, more, width, height, -left_most)


def _place(pairs, side: int, column: int, placed, edges, more) -> set[int]:
    """Add the far ends of ``pairs`` to ``column`` (side 1: the dependency, 0: the dependent)."""
    new: set[int] = set()
    count = sum(1 for n in placed.values() if n.column == column)
    for pair in pairs:
        far = pair[side]
        edges.append(pair)
        if far in placed:
            continue
        if count >= PER_COLUMN:
            more[column] = more.get(column, 0) + 1
            continue
        placed[far] = Node(ConfigItem(pk=far), column)  # filled in with one query afterwards
        new.add(far)
        count += 1
    return new

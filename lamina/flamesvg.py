"""`lamina run --flame FILE.svg`: a flame graph drawn by Lamina itself, no tool needed.

An icicle chart of the folded stacks (lamina/flame.py): the roots at the top, each box
as wide as the guest instructions spent in it and its callees, coloured by the layer
whose code ran them (the same colours as the bloat study). Every box carries its
exact count in a hover title; the same run gives the same bytes.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from lamina.bloatreport import COLOURS

WIDTH = 1200
ROW = 17
OTHER = "#bab0ac"


@dataclass
class Node:
    """A frame of the tree: its weight, how much of it each layer ran, its callees."""

    name: str
    weight: int = 0
    layers: dict[str, int] = field(default_factory=dict)
    children: dict[str, "Node"] = field(default_factory=dict)

    @property
    def layer(self) -> str:
        """The layer that ran most of this frame's instructions."""
        return max(sorted(self.layers), key=lambda k: self.layers[k]) if self.layers else ""


def layer_of_stack(frames: list[str]) -> str:
    """The layer a folded stack was charged to: its first frame, or a final "[layer]"."""
    last = frames[-1]
    return last[1:-1] if last.startswith("[") and last.endswith("]") else frames[0]


def tree(stacks: dict[str, int]) -> Node:
    """The call tree of folded stacks."""
    root = Node("all")
    for stack, weight in sorted(stacks.items()):
        frames = stack.split(";")
        layer = layer_of_stack(frames)
        node = root
        for name in [None, *frames]:
            if name is not None:
                node = node.children.setdefault(name, Node(name))
            node.weight += weight
            node.layers[layer] = node.layers.get(layer, 0) + weight
    return root


def flame_svg(stacks: dict[str, int], title: str) -> str:
    """The flame graph of folded stacks, as one SVG document."""
    root = tree(stacks)
    rows: list[str] = []
    depth = [0]

    def draw(node: Node, x: float, level: int) -> None:
        width = WIDTH * node.weight / max(root.weight, 1)
        if width < 0.3:
            return
        depth[0] = max(depth[0], level)
        y = 30 + level * ROW
        share = 100 * node.weight / max(root.weight, 1)
        label = html.escape(node.name)
        rows.append(f'<g><rect x="{x:.2f}" y="{y}" width="{width:.2f}" height="{ROW - 1}" fill="'
                    f'{COLOURS.get(node.layer, OTHER)}" rx="2"><title>{label}: {node.weight:,} instructions '
                    f'({share:.1f}%), mostly {html.escape(node.layer)}</title></rect>')
        if width > 40:
            chars = int(width / 7)
            text = label if len(node.name) <= chars else html.escape(node.name[:max(chars - 1, 1)]) + "…"
            rows.append(f'<text x="{x + 3:.2f}" y="{y + 12}">{text}</text>')
        rows.append("</g>")
        for child in node.children.values():
            draw(child, x, level + 1)
            x += WIDTH * child.weight / max(root.weight, 1)

    draw(root, 0.0, 0)
    height = 30 + (depth[0] + 1) * ROW + 24
    legend = " ".join(f'<tspan fill="{colour}">■ {html.escape(name)}</tspan>' for name, colour in COLOURS.items())
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
            f'font-family="sans-serif" font-size="11">'
            f'<text x="0" y="14" font-size="14" font-weight="bold">{html.escape(title)}</text>'
            f'<text x="{WIDTH}" y="14" text-anchor="end">{legend} (colour: the layer that ran it)</text>'
            + "".join(rows)
            + f'<text x="0" y="{height - 6}" fill="#555">{root.weight:,} guest instructions in all; a box is as wide '
            f'as the instructions run in it and what it called</text></svg>\n')

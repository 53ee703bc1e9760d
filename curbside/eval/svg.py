"""Small inline-SVG charts for the reports (no plotting dependency)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def metric_bars(
    rows: Sequence[tuple[str, float, float | None, float | None]], width: int = 640
) -> str:
    """Horizontal bars in [0, 1], one per (label, mean, low, high), with CI whiskers."""
    label_w, bar_w, row_h = 300, width - 360, 22
    height = row_h * len(rows) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12" role="img">'
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + tick * bar_w
        parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 20}" stroke="#ddd"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle">{tick:g}</text>')
    for i, (label, mean, low, high) in enumerate(rows):
        y = i * row_h + 4
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{max(0.0, min(1.0, mean)) * bar_w:.1f}" '
            f'height="{row_h - 8}" fill="#4a7fb5"/>'
        )
        if low is not None and high is not None:
            x1, x2, cy = label_w + low * bar_w, label_w + high * bar_w, y + (row_h - 8) / 2
            parts.append(
                f'<line x1="{x1:.1f}" y1="{cy}" x2="{x2:.1f}" y2="{cy}" '
                'stroke="#222" stroke-width="1.5"/>'
            )
            for x in (x1, x2):
                parts.append(
                    f'<line x1="{x:.1f}" y1="{cy - 4}" x2="{x:.1f}" y2="{cy + 4}" stroke="#222"/>'
                )
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 13}">{mean:.3f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def histogram(
    values: Sequence[float],
    title: str,
    bins: int = 10,
    lo: float | None = None,
    hi: float | None = None,
    width: int = 420,
    height: int = 200,
) -> str:
    """A histogram of values with `bins` equal bins between lo and hi."""
    data = list(values)
    if not data:
        return f"<p><em>{escape(title)}: no values</em></p>"
    lo = min(data) if lo is None else lo
    hi = max(data) if hi is None else hi
    if hi <= lo:
        hi = lo + 1.0
    counts = [0] * bins
    for v in data:
        counts[min(bins - 1, max(0, int((v - lo) / (hi - lo) * bins)))] += 1
    top = max(counts)
    pad_l, pad_b, pad_t = 36, 34, 22
    plot_w, plot_h = width - pad_l - 10, height - pad_b - pad_t
    bw = plot_w / bins
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11" role="img">',
        f'<text x="{width / 2}" y="14" text-anchor="middle" font-size="12">{escape(title)}</text>',
    ]
    for i, count in enumerate(counts):
        h = plot_h * count / top if top else 0
        x = pad_l + i * bw
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{pad_t + plot_h - h:.1f}" width="{bw - 2:.1f}" '
            f'height="{h:.1f}" fill="#6a9a5b"><title>{count}</title></rect>'
        )
        if count:
            parts.append(
                f'<text x="{x + bw / 2:.1f}" y="{pad_t + plot_h - h - 2:.1f}" '
                f'text-anchor="middle">{count}</text>'
            )
    for i in range(bins + 1):
        if i % max(1, bins // 5) == 0 or i == bins:
            x = pad_l + i * bw
            value = lo + (hi - lo) * i / bins
            parts.append(
                f'<text x="{x:.1f}" y="{pad_t + plot_h + 14}" '
                f'text-anchor="middle">{value:.2g}</text>'
            )
    parts.append(
        f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{pad_l + plot_w}" '
        f'y2="{pad_t + plot_h}" stroke="#333"/>'
    )
    parts.append("</svg>")
    return "".join(parts)

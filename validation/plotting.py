"""matplotlib set-up shared by the report and the figure makers: headless backend, one way to save."""

from __future__ import annotations

from pathlib import Path


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend (reports are written on headless machines)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path: Path) -> Path:
    """Lay out, write and close ``fig``; return ``path``."""
    fig.tight_layout()
    fig.savefig(path)
    pyplot().close(fig)
    return path

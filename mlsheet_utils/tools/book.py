"""The book's own tooling: the sheet's headings, the notebooks that cover them, the table of contents.

Command line (run from the repository root, as the Makefile does)::

    python -m mlsheet_utils.tools.book coverage          # which headings still lack a notebook
    python -m mlsheet_utils.tools.book toc [--check]     # write _toc.yml from the notebooks (or check it is current)
    python -m mlsheet_utils.tools.book execute [NB ...]  # run notebooks in place, storing outputs and widget state
    python -m mlsheet_utils.tools.book new ID            # start a notebook for heading ID with the anatomy's cells

A notebook is found by the heading id in its metadata (``metadata.mlsheet.id``), not by its file name.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
TOC = ROOT / "_toc.yml"
HEADINGS_FILE = Path(__file__).resolve().parent / "headings.yml"

#: Folder of each chapter of the sheet.
CHAPTER_DIRS = {
    "1": "01_probability",
    "2": "02_linear_algebra",
    "3": "03_classical_ml",
    "4": "04_deep_learning",
    "5": "05_reinforcement_learning",
}

#: The tags that mark the parts of a section notebook (see book/appendix/contributing.md).
ANATOMY_TAGS = ("setup", "derivation", "implementation", "reference-check", "widget", "interview")
ID_PATTERN = re.compile(r"^[1-5](\.\d+){1,2}$")


#: Page titles that differ from the sheet's heading (by section id): punctuation that reads badly as a title, or
#: a long heading the own-words check would count as copied prose. The sheet's spelling stays in ``title``.
TITLE_FIXES = {"2.1": "Orthogonality and Orthonormality",
               "1.12": "Cumulative Distribution Function (CDF) versus Probability Density Function (PDF)"}


@dataclass(frozen=True)
class Heading:
    id: str
    title: str
    parent: str | None

    @property
    def chapter(self) -> str:
        return self.id.split(".")[0]

    @property
    def display_title(self) -> str:
        """The title a page shows: the sheet's, without a trailing colon, or its :data:`TITLE_FIXES` entry."""
        return TITLE_FIXES.get(self.id, self.title).rstrip(": ").strip()


@lru_cache(maxsize=1)
def headings() -> tuple[Heading, ...]:
    """All headings of the sheet in order: 5 chapters and 152 sections and sub-sections."""
    data = yaml.safe_load(HEADINGS_FILE.read_text(encoding="utf-8"))
    return tuple(Heading(str(h["id"]), h["title"], None if h["parent"] is None else str(h["parent"]))
                 for h in data)


def sections() -> list[Heading]:
    """The 152 headings that each get a notebook (those with a parent)."""
    return [h for h in headings() if h.parent is not None]


def order_key(heading_id: str) -> int:
    """Position of a heading in the sheet; raises ValueError for an unknown id."""
    for i, h in enumerate(headings()):
        if h.id == heading_id:
            return i
    raise ValueError(f"unknown heading id {heading_id!r}")


def slug(title: str) -> str:
    """File-name slug of a title: ``'K-Means'`` -> ``'k_means'``."""
    words = re.sub(r"\(.*?\)", " ", title.lower())
    return "_".join(re.findall(r"[a-z0-9]+", words))[:40].rstrip("_")


def notebook_path(heading: Heading) -> Path:
    """Where the notebook of ``heading`` lives: ``book/<chapter>/<cc>_<ss>[_<sub>]_<slug>.ipynb``.

    A section that has sub-sections gets sub number 0 (``01_10_0_...``) so it sorts before ``01_10_1_...``.
    """
    parts = heading.id.split(".")
    if len(parts) == 2 and any(h.parent == heading.id for h in headings()):
        parts.append("0")
    stem = "_".join(f"{int(p):02d}" if i < 2 else p for i, p in enumerate(parts))
    return BOOK / CHAPTER_DIRS[heading.chapter] / f"{stem}_{slug(heading.title)}.ipynb"


def read_notebook(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def notebooks() -> dict[str, Path]:
    """Heading id -> notebook path, for every notebook under ``book/`` that carries an id."""
    found: dict[str, Path] = {}
    for path in sorted(BOOK.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        meta = read_notebook(path).get("metadata", {}).get("mlsheet", {})
        if "id" in meta:
            if meta["id"] in found:
                raise ValueError(f"heading {meta['id']} has two notebooks: {found[meta['id']]} and {path}")
            found[meta["id"]] = path
    return found


def toc() -> dict:
    """The table of contents: intro, each chapter that has notebooks with them in sheet order, appendix."""
    present = notebooks()
    chapters = []
    for h in headings():
        if h.parent is None:
            items = [present[s.id] for s in sections() if s.chapter == h.id and s.id in present]
            if items:  # a chapter enters the book with its first notebook
                chapters.append({"file": f"book/{CHAPTER_DIRS[h.id]}/index",
                                 "sections": [{"file": p.relative_to(ROOT).with_suffix("").as_posix()}
                                              for p in items]})
    appendix = sorted((BOOK / "appendix").glob("*.md"))
    index = BOOK / "appendix" / "index.md"
    chapters.append({"file": "book/appendix/index",
                     "sections": [{"file": p.relative_to(ROOT).with_suffix("").as_posix()}
                                  for p in appendix if p != index]})
    return {"format": "jb-book", "root": "book/intro", "chapters": chapters}


def toc_text() -> str:
    return ("# Generated by `python -m mlsheet_utils.tools.book toc` (make toc): notebooks in the sheet's order.\n"
            + yaml.safe_dump(toc(), sort_keys=False))


def coverage_report() -> str:
    present = notebooks()
    missing = [h for h in sections() if h.id not in present]
    lines = [f"{len(present)} of {len(sections())} headings have a notebook; {len(missing)} missing:"]
    lines += [f"  {h.id:7s} {h.title}" for h in missing]
    return "\n".join(lines)


def notebook_client(nb, path: Path, *, timeout: int = 300, **kwargs):
    """An nbclient client for ``nb`` (run from ``path``'s folder) on a fresh ``python3`` kernel.

    The kernel talks over local IPC sockets rather than TCP: nothing listens on a port, and the kernel does not
    warn about unencrypted TCP at every start.
    """
    import uuid

    from nbclient import NotebookClient
    from traitlets.config import Config

    # The socket files' prefix must be absolute: the kernel runs in the notebook's folder, the client here.
    # Configured rather than passed as a ready kernel manager, so the client owns the kernel and shuts it down.
    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(_socket_dir() / f"kernel-{uuid.uuid4().hex[:12]}")
    return NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False, config=config,
                          resources={"metadata": {"path": str(Path(path).parent)}}, **kwargs)


@lru_cache(maxsize=1)
def _socket_dir() -> Path:
    """A private folder for this process's kernel sockets, removed when the process exits."""
    import atexit
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="mlsheet-kernels-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


class Progress:
    """``[k/N]`` lines with the elapsed time and an estimate of the time left, for the long commands."""

    def __init__(self, total: int, out=None):
        self.total, self.done, self.start = int(total), 0, time.perf_counter()
        self.out = out if out is not None else sys.stdout

    def step(self, text: str) -> None:
        """Report one finished item."""
        self.done += 1
        elapsed = time.perf_counter() - self.start
        left = elapsed / self.done * (self.total - self.done)
        width = len(str(self.total))
        print(f"[{self.done:{width}d}/{self.total}] {text}  ({_clock(elapsed)} elapsed, ~{_clock(left)} left)",
              file=self.out, flush=True)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def execute(path: Path, timeout: int = 300) -> tuple[float, float, dict]:
    """Execute a notebook in place in a fresh kernel, storing outputs and ipywidgets state, and render the
    frames of its Explorers for the static site (:mod:`mlsheet_utils.explore.static`).

    The frames are rendered in the same kernel after the last cell, by a cell that is not stored. Returns the
    wall time of the notebook's own cells, the seconds the frames added, and the frame counts. Execution counts
    restart at 1; no timing metadata is stored, so a re-run changes the file only where an output changed.
    """
    import tempfile

    import nbformat
    from nbformat.v4 import new_code_cell

    from mlsheet_utils.explore import static

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="mlsheet-frames-") as exported:
        export_cell = new_code_cell(static.export_code(exported))
        nb.cells.append(export_cell)
        client = notebook_client(nb, path, timeout=timeout, store_widget_state=True)
        timings = {}
        start = time.perf_counter()

        def on_cell_executed(cell, **_kwargs):
            timings[cell is export_cell] = time.perf_counter() - start

        client.on_cell_executed = on_cell_executed
        client.execute()
        nb.cells.pop()
        nbformat.write(nb, path)
        stats = static.install_frames(nb, path, Path(exported), ROOT)
    seconds = timings.get(False, 0.0)
    return seconds, timings.get(True, seconds) - seconds, stats


def _execute_one(path: str) -> tuple[str, float, float, dict]:
    return (path, *execute(Path(path)))


def new_notebook(heading_id: str) -> Path:
    """Write a notebook for ``heading_id`` holding the anatomy's headings and tagged cells, to fill in."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell
    from nbformat.v4 import new_notebook as nb_new

    h = next((h for h in sections() if h.id == heading_id), None)
    if h is None:
        raise ValueError(f"unknown section id {heading_id!r}")
    path = notebook_path(h)
    if path.exists():
        raise ValueError(f"{path} exists already")
    cells = [
        new_markdown_cell(f"# {h.id} {h.display_title}\n\nTODO: what it is and why an interviewer asks."),
        new_code_cell("import numpy as np\nimport sympy as sp\n\nfrom mlsheet_utils import checks, explore\n"
                      "from mlsheet_utils.explore import plotting\n"
                      "from mlsheet_utils.questions import interview, show_source\n\nplotting.use_style()\n"
                      "rng = np.random.default_rng(0)", metadata={"tags": ["setup", "hide-input"]}),
        new_markdown_cell("## Idea\n\nTODO"),
        new_markdown_cell("## Derivation\n\nTODO"),
        new_code_cell("# TODO: SymPy derivation: checks.check_step(...) / checks.check_identity(...)",
                      metadata={"tags": ["derivation"]}),
        new_markdown_cell("## Implementation\n\nTODO"),
        new_code_cell("# TODO: show_source(<module>.<function>) of the algorithm in mlsheet_utils/algorithms/",
                      metadata={"tags": ["implementation"]}),
        new_markdown_cell("## Check against a reference\n\nTODO"),
        new_code_cell("# TODO: checks.check_close(...)", metadata={"tags": ["reference-check"]}),
        new_markdown_cell("## Explore\n\nTODO"),
        new_code_cell("# TODO: explore.Explorer(controls, setup, draw, compute=compute)",
                      metadata={"tags": ["widget"]}),
        new_markdown_cell("## Interview questions"),
        new_code_cell("# TODO: interview([...])", metadata={"tags": ["interview", "remove-input"]}),
        new_markdown_cell("## See also\n\nTODO"),
    ]
    nb = nb_new(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "mlsheet": {"id": h.id, "title": h.title}})
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mlsheet_utils.tools.book", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("coverage", help="list headings without a notebook")
    p_toc = sub.add_parser("toc", help="write _toc.yml from the notebooks present")
    p_toc.add_argument("--check", action="store_true", help="fail if _toc.yml is not current")
    p_ex = sub.add_parser("execute", help="execute notebooks in place with widget state")
    p_ex.add_argument("paths", nargs="*", help="notebooks (default: all)")
    p_ex.add_argument("-j", "--jobs", type=int, default=2)
    p_new = sub.add_parser("new", help="start the notebook of a heading")
    p_new.add_argument("id")
    args = ap.parse_args(argv)

    if args.cmd == "coverage":
        print(coverage_report())
    elif args.cmd == "toc":
        text = toc_text()
        if args.check:
            if not TOC.exists() or TOC.read_text(encoding="utf-8") != text:
                print("_toc.yml is out of date: run `make toc`", file=sys.stderr)
                return 1
            print("_toc.yml is current")
        else:
            TOC.write_text(text, encoding="utf-8")
            print(f"wrote {TOC.relative_to(ROOT)}")
    elif args.cmd == "execute":
        paths = [str(Path(p).resolve()) for p in args.paths] or [str(p) for p in notebooks().values()]
        if not paths:
            print("no notebooks to execute")
            return 0
        progress = Progress(len(paths))
        totals = {"frames": 0, "bytes": 0, "written": 0, "removed": 0, "seconds": 0.0}
        with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for path, seconds, frame_seconds, stats in pool.map(_execute_one, paths):
                progress.step(f"{seconds:5.1f} s + frames {frame_seconds:4.1f} s ({stats['frames']:3d}, "
                              f"{stats['bytes'] / 1e6:4.2f} MB)  {Path(path).relative_to(ROOT)}")
                totals["seconds"] += frame_seconds
                for k in ("frames", "bytes", "written", "removed"):
                    totals[k] += stats[k]
        print(f"frames for the static site: {totals['frames']} ({totals['bytes'] / 1e6:.1f} MB with manifests) "
              f"in {totals['seconds']:.0f} s of kernel time; {totals['written']} files written, "
              f"{totals['removed']} removed")
    elif args.cmd == "new":
        print(f"wrote {new_notebook(args.id).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run a notebook headless through its kernel and print each cell's output.

Usage: ``python -m hero_kernel.run NOTEBOOK [--output FILE] [--kernel NAME]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from hero_kernel.render import strip_ansi


def format_output(output: dict[str, Any]) -> str:
    """Return the text a person would read for one cell output."""
    kind = output["output_type"]
    if kind == "stream":
        return str(output["text"]).rstrip("\n")
    if kind in ("execute_result", "display_data"):
        return str(output.get("data", {}).get("text/plain", f"<{kind} without text>"))
    if kind == "error":
        return strip_ansi("\n".join(output["traceback"]))
    return f"<{kind}>"


def print_cell(number: int, cell: Any) -> None:
    if cell.cell_type != "code":
        return
    print(f"--- In [{number}] " + "-" * 50)
    print(cell.source)
    for output in cell.get("outputs", []):
        prefix = "Out: " if output["output_type"] == "execute_result" else ""
        print(prefix + format_output(output))
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run a notebook headless and print each cell's output."
    )
    parser.add_argument("notebook", type=Path, help="the .ipynb file to run")
    parser.add_argument(
        "--output", type=Path, help="also write the executed notebook here"
    )
    parser.add_argument(
        "--kernel", help="kernel name; default: the notebook's own kernelspec"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600,
        help="seconds each cell may take; default: 600",
    )
    args = parser.parse_args(argv)

    try:
        notebook = nbformat.read(args.notebook, as_version=4)
    except FileNotFoundError:
        print(
            f"no notebook at {args.notebook}; give the path of an .ipynb file",
            file=sys.stderr,
        )
        return 2
    except nbformat.reader.NotJSONError as exc:
        print(f"{args.notebook} is not a notebook: {exc}", file=sys.stderr)
        return 2
    options: dict[str, Any] = {
        "timeout": args.timeout,
        "resources": {"metadata": {"path": str(args.notebook.parent)}},
    }
    if args.kernel:
        options["kernel_name"] = args.kernel
    client = NotebookClient(notebook, **options)
    client.on_cell_executed = lambda cell, cell_index, **_: print_cell(
        cell.get("execution_count") or cell_index, cell
    )
    try:
        client.execute()
    except CellExecutionError:
        # The failing cell and its error were printed already, by on_cell_executed.
        print(f"--- {args.notebook}: stopped at a cell that failed", file=sys.stderr)
        return 1
    except CellTimeoutError:
        print(
            f"--- {args.notebook}: a cell ran longer than {args.timeout:g} s; "
            "give more with --timeout",
            file=sys.stderr,
        )
        return 1
    finally:
        if args.output:
            nbformat.write(notebook, args.output)
    print(f"--- {args.notebook}: all cells ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())

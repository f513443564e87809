"""``python -m verify latex --out DIR [--pdf] [--format latex|text]``: export the machine-checked derivations as a
standalone amsmath document (DIR/derivations.tex, optionally built to PDF with pdflatex) or as plain text."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

from verify.commands import Command, UsageError, command
from verify.output_paths import output_dir, write_text


def build_pdf(tex: Path) -> Path:
    """Run pdflatex (twice, non-interactive, stopping at the first error) next to ``tex``; the PDF's path."""
    exe = shutil.which("pdflatex")
    if exe is None:
        raise UsageError("--pdf needs pdflatex on PATH (Debian: texlive-latex-base texlive-latex-recommended)")
    for _ in range(2):
        done = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", tex.name], cwd=tex.parent,
                              capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            errors = [ln for ln in done.stdout.splitlines() if ln.startswith("!")]
            where = errors[0] if errors else f"see {tex.with_suffix('.log')}"
            raise UsageError(f"pdflatex failed on {tex}: {where}")
    return tex.with_suffix(".pdf")


def _made(directory: Path) -> Path:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {directory}: cannot create it: {exc.strerror or exc}") from None
    return directory


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", help="directory to write derivations.tex into (required for latex)")
    parser.add_argument("--pdf", action="store_true", help="also build DIR/derivations.pdf with pdflatex")
    parser.add_argument("--claims", action="store_true", help="add the claims ledger as a section (runs its checks, "
                        "about 20 s)")
    parser.add_argument("--format", choices=("latex", "text"), default="latex",
                        help="latex (default) writes DIR/derivations.tex; text prints to the terminal")


def _run(args: argparse.Namespace) -> int:
    from derivations.catalog import all_derivations
    from derivations.export import to_latex, to_text

    if args.format == "text" and args.pdf:
        raise UsageError("--pdf needs --format latex")
    if args.format == "latex" and not args.out:
        raise UsageError("latex export needs --out DIR")
    if args.out:
        output_dir(args.out, "--out")
    if args.format == "text":
        text = to_text()
        print(text, end="")
        if args.out:
            write_text(_made(Path(args.out)) / "derivations.txt", text)
    else:
        extra = None
        if args.claims:
            from verify.checks import CheckOptions
            from verify.claims import evaluate, get_claims, latex_section

            extra = latex_section(evaluate(get_claims(), CheckOptions()))
        tex = write_text(_made(Path(args.out)) / "derivations.tex", to_latex(extra_sections=extra))
        print(f"wrote {tex}")
        if args.pdf:
            print(f"wrote {build_pdf(tex)}")
    failed = [dv.name for dv in all_derivations() if not dv.verified]
    if failed:
        print(f"FAILED derivations: {', '.join(failed)}")
        return 1
    return 0


command("latex", "export the machine-checked derivations (LaTeX document, PDF, or plain text)")(
    Command(_configure, _run))

"""``auditor fix``: safe copies of photos."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from auditor.cli.options import max_bytes_option
from auditor.cli.output import UserError, _echo
from auditor.errors import ConfigError, StoreError
from auditor.progress import RichProgress, for_terminal
from auditor.report.words import plural


@click.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the safe copies (same relative names); must be outside every source folder.",
)
@click.option(
    "--from-scan",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Fix the images a finished scan fetched (its --out folder); copies are named host/path.",
)
@click.option("--max-side", type=click.IntRange(64), help="Shrink so the longer side is at most this many pixels.")
@click.option(
    "--max-face-iod",
    type=click.FloatRange(8),
    help="Shrink until every face's eye distance is below this "
    "many pixels (60 is recognition grade; 30 keeps faces hard to recognise).",
)
@click.option(
    "--blur",
    type=click.Choice(["none", "minors", "all"], case_sensitive=False),
    default="none",
    show_default=True,
    help="Cover faces with a solid patch: those that look like possible minors (and faces too small to judge), or all.",
)
@click.option(
    "--minor-below",
    type=click.FloatRange(13, 40),
    default=29.0,
    show_default=True,
    help="With --blur minors: the same triage threshold as scan and check.",
)
@click.option(
    "--context",
    "face_context",
    type=click.Choice(["auto", "school", "general"], case_sensitive=False),
    default="auto",
    show_default=True,
    help="With --blur minors: the same triage context as scan and check (auto: school when the file's "
    "path speaks of pupils, classes or year groups).",
)
@max_bytes_option(
    200 * 1024 * 1024, "Largest file fixed; a larger one is listed as not fixed (files are read one at a time)."
)
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where fix-manifest.json goes [default: OUT-manifest.json beside OUT, never inside it].",
)
@click.option(
    "--reserve/--no-reserve",
    default=True,
    show_default=True,
    help="Write an AI-training reservation into each copy (XMP plus:DataMining: prohibited, IPTC 2023.1), "
    "without re-encoding.",
)
@click.option("--rights-holder", help="Copyright owner written with the reservation (the school, never a person).")
@click.option("--rights-url", help="Web statement of rights written with the reservation (your image-use page).")
@click.option(
    "--c2pa-sign",
    nargs=2,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    metavar="CERT KEY",
    help="Also add a C2PA manifest saying 'no AI training' (cawg.training-mining: notAllowed), signed with "
    "your organisation's certificate chain and key (PEM). Without one nothing is signed.",
)
def fix(
    sources: tuple[Path, ...],
    out: Path,
    from_scan: Path | None,
    max_side: int | None,
    max_face_iod: float | None,
    blur: str,
    minor_below: float,
    face_context: str,
    manifest: Path | None,
    max_bytes: int,
    reserve: bool,
    rights_holder: str | None,
    rights_url: str | None,
    c2pa_sign: tuple[Path, Path] | None,
) -> None:
    """Write safe copies of photos: metadata removed without re-encoding where the format allows (JPEG, PNG,
    WebP), shrunk and faces covered on request, and an AI-training reservation written in. Originals are never
    changed.

    Documents (PDF, Office) are not rewritten: they are listed as not fixed (exit status 1). Ends by checking
    every copy with the same reader the audit uses and prints what remains (exit status 1 if anything remains or
    a file could not be fixed).
    """
    from auditor.fix.run import Policy, local_sources, manifest_path, refuse_overlap, scan_sources
    from auditor.fix.run import fix as run_fix
    from auditor.fix.sign import C2paSigner

    if not sources and from_scan is None:
        raise UserError("give files or folders to fix, or --from-scan OUT")
    policy = Policy(
        max_side=max_side,
        max_face_iod=max_face_iod,
        blur=blur,  # type: ignore[arg-type]  # click.Choice has checked it
        minor_below=minor_below,
        context=face_context,  # type: ignore[arg-type]
        reserve=reserve,
        rights_holder=_plain_text("--rights-holder", rights_holder),
        rights_url=_rights_url(rights_url),
    )
    target = manifest or manifest_path(out)
    try:
        signer = C2paSigner.load(*c2pa_sign) if c2pa_sign else None
        refuse_overlap([*sources, *([from_scan] if from_scan else [])], out)
        items = (scan_sources(from_scan) if from_scan else []) + local_sources(list(sources))
        progress = for_terminal("fix", quiet=False)
        try:
            document = run_fix(items, out, policy, target, max_bytes=max_bytes, signer=signer, progress=progress)
        finally:
            if isinstance(progress, RichProgress):
                progress.stop()
    except (ConfigError, StoreError) as exc:
        raise UserError(str(exc)) from exc
    remaining = [(f["output"], r) for f in document["files"] for r in f["remaining"]]
    failed = [f for f in document["files"] if f["status"] == "failed"]
    lossless = sum(f["lossless"] for f in document["files"])
    _echo(
        f"{document['fixed']} fixed ({lossless} without re-encoding), {len(failed)} NOT fixed; manifest: {target}",
        err=True,
    )
    fixed = [f for f in document["files"] if f["status"] == "fixed"]
    if reserve:
        unreserved = [f["output"] for f in fixed if not f["reserved"]]
        _echo(
            f"AI-training reservation written into {len(fixed) - len(unreserved)} of {len(fixed)} copies"
            + (f" (not into: {', '.join(unreserved[:5])}{'...' if len(unreserved) > 5 else ''})" if unreserved else ""),
            err=True,
        )
    if c2pa_sign:
        signed = sum(f["c2pa_signed"] for f in fixed)
        _echo(
            f"C2PA manifest signed into {signed} of {len(fixed)} copies; verifiers show it as 'valid' with an "
            "untrusted signer unless your certificate chains to the C2PA trust list",
            err=True,
        )
    for f in failed:
        _echo(f"  not fixed (not copied): {f['source']}: {f['error']}", err=True)
    _echo(
        "remaining after fixing: nothing"
        if not remaining
        else f"remaining after fixing, in {plural(len(remaining), 'copy', 'copies')} (exit status 1):",
        err=True,
    )
    for output, what in remaining:
        _echo(f"  {output}: {what}", err=True)
    if remaining or failed:
        sys.exit(1)


def _plain_text(option: str, value: str | None) -> str | None:
    """A short line of text for a metadata field: no control characters, at most 200 characters."""
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > 200 or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise UserError(f"{option}: give one line of text of at most 200 characters")
    return text


def _rights_url(value: str | None, option: str = "--rights-url") -> str | None:
    text = _plain_text(option, value)
    if text is not None and not text.startswith(("https://", "http://")):
        raise UserError(f"{option} {text}: give an http:// or https:// address")
    return text

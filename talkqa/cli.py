"""The `talkqa` command: parse, import and check checklists (more commands register here)."""

from __future__ import annotations

import argparse
import filecmp
import json
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from talkqa import flakes, prove
from talkqa.checklist import Checklist, ChecklistError, parse_file
from talkqa.checklist.drift import check
from talkqa.checklist.importer import import_checklist
from talkqa.report import command as report_command
from talkqa.sandbox import command as sandbox_command

EXIT_DIFFERENCES = 1
EXIT_BAD_INPUT = 2


def _documents(paths: Sequence[str]) -> Iterator[Path | ChecklistError]:
    """The checklist files named: a directory stands for its `*.rst`, sorted."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(path.glob("*.rst"))
            if not found:
                yield ChecklistError(name, 0, "directory holds no checklist (*.rst)")
            yield from found
        elif path.exists():
            yield path
        else:
            yield ChecklistError(name, 0, "no such file or directory")


def _parsed(paths: Sequence[str]) -> Iterator[Checklist | ChecklistError]:
    for item in _documents(paths):
        if isinstance(item, ChecklistError):
            yield item
            continue
        try:
            yield parse_file(item)
        except ChecklistError as err:
            yield err


def _summary(checklist: Checklist) -> str:
    generated = checklist.generated.isoformat(sep=" ") if checklist.generated else "unknown"
    lines = [
        f"{checklist.path}: {checklist.title} (generated {generated}), "
        f"{len(checklist.sections)} section(s)"
    ]
    for s in checklist.sections:
        extra = f", {len(s.merge_criteria)} merge criteria" if s.merge_criteria else ""
        lines.append(
            f"  {s.kind:<11} {s.source} -> {s.target}: {len(s.properties)} properties{extra}"
        )
    return "\n".join(lines)


def cmd_parse(args: argparse.Namespace) -> int:
    status = 0
    for item in _parsed(args.paths):
        if isinstance(item, ChecklistError):
            print(f"error: {item}", file=sys.stderr)
            status = EXIT_BAD_INPUT
        elif args.format == "jsonl":
            print(json.dumps(item.as_json(), ensure_ascii=False))
        else:
            print(_summary(item))
    return status


def cmd_import(args: argparse.Namespace) -> int:
    features, checklists = Path(args.features), Path(args.checklists)
    status = 0
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for item in _parsed(args.checklists_in):
        if isinstance(item, ChecklistError):
            print(f"error: {item}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        if not _keep_copy(Path(item.path), checklists, args.replace):
            status = EXIT_BAD_INPUT
            continue
        for result in import_checklist(item, features):
            counts[result.action] = counts.get(result.action, 0) + 1
            if result.action == "failed":
                status = EXIT_BAD_INPUT
                print(f"error: {result.changes[0]}", file=sys.stderr)
            elif result.action != "unchanged" and not args.quiet:
                print(f"{result.action} {result.path}")
                for change in result.changes:
                    print(f"  {change}")
    print(", ".join(f"{n} {action}" for action, n in counts.items()) + " feature(s)")
    return status


def _keep_copy(source: Path, checklists: Path, replace: bool) -> bool:
    """Keep the document in the checklists folder, exactly as received."""
    target = checklists / source.name
    if target.exists() and target.resolve() == source.resolve():
        return True
    if target.exists() and not filecmp.cmp(source, target, shallow=False) and not replace:
        print(
            f"error: {target} differs from {source}; pass --replace to replace it "
            "with the new version (the features keep everything QA wrote)",
            file=sys.stderr,
        )
        return False
    checklists.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return True


def cmd_check(args: argparse.Namespace) -> int:
    findings = check(Path(args.checklists), Path(args.features))
    errors = [f for f in findings if f.is_error]
    differences = [f for f in findings if f.is_difference and not f.is_error]
    for finding in findings:
        if finding.is_error:
            print(f"error: {finding}", file=sys.stderr)
        else:
            print(f"{'differs' if finding.is_difference else 'added'}: {finding}")
    if errors:
        print(
            f"talkqa check could not compare {args.checklists}/ with {args.features}/: "
            "correct what is listed above, then run it again",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    if differences:
        print(
            f"{len(differences)} difference(s) between {args.checklists}/ and {args.features}/; "
            "`talkqa import` brings features up to date",
            file=sys.stderr,
        )
        return EXIT_DIFFERENCES
    print(f"features in step with {args.checklists}/ ({len(findings)} addition(s) by QA)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="talkqa", description="Sesam Talk QA checklists as executable Gherkin."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("parse", help="read checklists and print what they say")
    p.add_argument("paths", nargs="+", help="checklist files or directories of *.rst")
    p.add_argument("--format", choices=["summary", "jsonl"], default="summary")
    p.set_defaults(handler=cmd_parse)

    p = sub.add_parser("import", help="write or update the features of checklists")
    p.add_argument("checklists_in", nargs="+", metavar="CHECKLIST")
    p.add_argument("--features", default="features", help="features folder (%(default)s)")
    p.add_argument("--checklists", default="checklists", help="where checklists are kept")
    p.add_argument("--replace", action="store_true", help="replace a changed checklist")
    p.add_argument("--quiet", action="store_true", help="print only the totals")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("check", help="compare checklists/ with features/")
    p.add_argument("--features", default="features")
    p.add_argument("--checklists", default="checklists")
    p.set_defaults(handler=cmd_check)

    sandbox_command.add_parser(sub)
    report_command.add_parser(sub)
    prove.add_parser(sub)
    flakes.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""Hand-made checklist documents in the format Sesam generates (see checklist-format.md).

The corpus holds only the newest version of each checklist; these builders write the
older shapes and quirks it lacks (tabs in names, transformation fragments, wrapped
cells, 2-column property tables, `Introduction.`, no `Generated:` line), so the tests
pin the format rather than the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

INTRO = (
    "This technical document provides a detailed overview of the Sesam Talk data flow. "
    "It serves as a QA checklist for testing purposes."
)

Side = tuple[str, str]  # (system, entity); the system may be blank


def list_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for first, *rest in [header, *rows]:
        lines.append(f"   * - {first}")
        lines += [f"     - {cell}" for cell in rest]
    return lines


def section(
    source: Side,
    target: Side,
    *,
    statement: str | None = None,
    rows: Sequence[Sequence[str]] = (),
    merge: Sequence[Sequence[str]] | None = None,
    two_columns: bool = False,
    heading: str | None = None,
) -> list[str]:
    """One `<Src> <Entity> to <Tgt> <Entity>` section as Sesam writes it.

    `merge` adds the merge-criteria sentence and its 2-column table (after the
    "If a matching ..." paragraph when the statement is an `Every ...` one).
    """
    src, tgt = f"{source[0]} {source[1]}", f"{target[0]} {target[1]}"
    title = heading if heading is not None else f"{src} to {tgt}"
    lines = [title, "-" * len(title)]
    lines.append(
        statement if statement is not None else f"Every {src} will be synchronized with a {tgt}."
    )
    lines.append("")
    if merge is not None:
        if lines[-2].startswith("Every "):
            lines += [
                f"If a matching {tgt} already exists, the {src} will be merged with the "
                "existing one.",
                f"If no matching {tgt} is found, a new {tgt} will be created.",
                "",
            ]
        lines += [
            f"A {src} will merge with a {tgt} if one of the following property combinations match:",
            "",
            *list_table([f"{src} Property", f"{tgt} Property"], merge),
            "",
        ]
    lines += [
        f"Once a link between a {src} and a {tgt} is established, it will keep in sync "
        "between the two systems, regardless of where it is edited.",
        "",
        f"The following properties are synchronized between a {src} and a {tgt}:",
        "",
    ]
    header = [f"{src} Property", f"{tgt} Property"]
    if not two_columns:
        header.append(f"{target[0]} Data Type")
    lines += [*list_table(header, rows), "", ""]
    return lines


def document(
    source_system: str,
    target_system: str,
    sections: Sequence[list[str]],
    *,
    generated: str | None = "2024-09-10 15:43:43",
    intro: str = "Introduction",
    newline: str = "\n",
) -> str:
    title = f"{source_system} to {target_system} Dataflow"
    bar = "=" * len(title)
    lines = [bar, title, bar, ""]
    if generated is not None:
        lines += [f"Generated: {generated}", ""]
    lines += [intro, "-" * len(intro), "", INTRO, ""]
    for block in sections:
        lines += block
    return newline.join(lines)


def write(path: Path, text: str) -> Path:
    """Write a document byte for byte (no newline translation)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


# A ZohoCRM -> WebCRM checklist with one section of each kind; the tests change it to
# make "a new version" of it.
ZOHO: Side = ("ZohoCRM", "Account")
ORGS: Side = ("WebCRM", "Organisations")
CONDITIONAL = (
    "When a HubSpot Deal has a 100% probability of beeing sold, it  will be synchronized "
    "with a WebCRM Opportunities."
)
BEFORE = (
    "Before any synchronization can take place, a link between a ZohoCRM Contact and a "
    "WebCRM Persons must be established."
)
ACCOUNT_ROWS = [
    ("Account_Name", "OrganisationName", '"string"'),
    ("Billing_City", "OrganisationCity", '"string"'),
    ("Billing_City", "OrganisationDeliveryCity", '"string"'),
    ("id", "OrganisationId", '"string"'),
]


def zoho_webcrm(
    *,
    account_statement: str | None = None,
    account_rows: Sequence[Sequence[str]] = ACCOUNT_ROWS,
    merge: Sequence[Sequence[str]] = (("Email", "PersonEmail"),),
    deal_rows: Sequence[Sequence[str]] = (),
) -> str:
    return document(
        "ZohoCRM",
        "WebCRM",
        [
            section(ZOHO, ORGS, statement=account_statement, rows=account_rows),
            section(
                ("ZohoCRM", "Contact"),
                ("WebCRM", "Persons"),
                statement=BEFORE,
                merge=merge,
                rows=[("Email", "PersonEmail", '"string"'), ("Phone", "PersonPhone", "N/A")],
            ),
            section(
                ("ZohoCRM", "Deal"),
                ("WebCRM", "Opportunities"),
                statement=CONDITIONAL,
                rows=deal_rows,
            ),
        ],
    )

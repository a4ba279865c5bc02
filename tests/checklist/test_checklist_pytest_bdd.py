"""Imported features run through pytest-bdd with talkqa's plugin (in a pytester project)."""

from __future__ import annotations

import pytest
from checklist_docs import document, section

from talkqa.cli import main

CONFTEST = 'pytest_plugins = ["talkqa.pytest_plugin"]\n'
TEST_MODULE = 'from pytest_bdd import scenarios\n\nscenarios("features")\n'
# Steps that accept any text, so that the run shows what is run and what is skipped.
CATCH_ALL_STEPS = (
    "from pytest_bdd import given, parsers, scenarios, then, when\n\n"
    'scenarios("features")\n\n\n'
    '@given(parsers.re(".*"))\n'
    "def _given():\n    pass\n\n\n"
    '@when(parsers.re(".*"))\n'
    "def _when():\n    pass\n\n\n"
    '@then(parsers.re(".*"))\n'
    "def _then():\n    pass\n"
)
ODD_ROWS = [
    ("a|b", "pipe", '"string"'),
    ('say "hi"', "quote", '"string"'),
    ("back\\slash", "C:\\path\\", '"string"'),
    ("<angle>", "<source>", '["decimal", "_."]'),
]
THING, ITEM = ("Alpha", "Thing"), ("Beta", "Item")


def import_into(pytester: pytest.Pytester, text: str) -> None:
    source = pytester.path / "alpha-beta.rst"
    source.write_text(text)
    features, checklists = pytester.path / "features", pytester.path / "checklists"
    status = main(
        ["import", str(source), "--features", str(features), "--checklists", str(checklists)]
    )
    assert status == 0


def test_odd_property_names_collect_as_one_test_per_row_under_strict_markers(
    pytester: pytest.Pytester,
) -> None:
    import_into(pytester, document("Alpha", "Beta", [section(THING, ITEM, rows=ODD_ROWS)]))
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_features=TEST_MODULE)

    result = pytester.runpytest(
        "--collect-only", "-q", "--strict-markers", "-p", "no:cacheprovider"
    )

    assert result.ret == 0
    collected = [line for line in result.outlines if "::" in line]
    outline = "test_features.py::test_source_is_synchronized_with_target_as_data_type"
    assert sorted(collected) == sorted(
        [
            "test_features.py::test_a_new_alpha_thing_gets_a_linked_beta_item",
            "test_features.py::test_an_edit_to_the_alpha_thing_reaches_the_linked_beta_item",
            "test_features.py::test_an_edit_to_the_beta_item_reaches_the_linked_alpha_thing",
            f"{outline}[a|b-pipe-string]",
            f'{outline}[say "hi"-quote-string]',
            f"{outline}[back\\\\slash-C:\\\\path\\\\-string]",
            f'{outline}[<angle>-<source>-["decimal", "_."]]',
        ]
    )
    assert "error" not in result.stdout.str().lower()


def test_an_outline_with_no_rows_is_skipped_as_not_automated_not_run_with_placeholders(
    pytester: pytest.Pytester,
) -> None:
    # Systems talkqa serves: a section it cannot serve is skipped as such before this.
    sections = [
        section(("ZohoCRM", "Account"), ("Customerp", "Customer"), rows=ODD_ROWS[:1]),
        section(("ZohoCRM", "Contact"), ("Customerp", "Contact")),
    ]
    import_into(pytester, document("ZohoCRM", "Customerp", sections))
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_features=CATCH_ALL_STEPS)

    result = pytester.runpytest("-rs", "--strict-markers", "-p", "no:cacheprovider")

    # Account: created, source-edit, target-edit and one row; Contact: three and a
    # header-only properties outline.
    result.assert_outcomes(passed=7, skipped=1)
    result.stdout.fnmatch_lines(["*SKIPPED*not automated*"])

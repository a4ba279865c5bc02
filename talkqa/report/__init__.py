"""What a run shows: Allure results (labels, HTTP exchanges, comparison tables,
categories, environment), the Allure report, and the checklist filled in."""

"""Every feature under the features folder, bound as pytest tests."""

from pytest_bdd import scenarios

scenarios(".")

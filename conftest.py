"""Registers the talkqa plugin and the step library for every test under this folder."""

pytest_plugins = [
    "talkqa.pytest_plugin",
    "talkqa.pytest_allure",
    "talkqa.pytest_shard",
    "steps.records",
    "steps.sync",
    "steps.properties",
]

"""The README keeps up with the code: every command, option and content field is in it."""

from reportgen import schema
from reportgen.cli import main
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_and_option_is_documented():
    for name, command in main.commands.items():
        assert f"reportgen {name}" in README, name
        for param in command.params:
            for option in param.opts:
                assert option in README, f"{name} {option}"


def test_every_content_field_is_documented():
    kinds = [schema.SITE, schema.SOURCE, schema.REGION, schema.PROGRAM, schema.METRIC,
             schema.FACT, schema.CITATION]
    for specs in kinds:
        for spec in specs:
            assert f"| `{spec.name}` |" in README, spec.name


def test_readme_names_the_two_setup_commands_and_ci_uses_one():
    assert "./tasks site" in README and "./tasks test" in README
    assert "./tasks test" in (ROOT / ".ci" / "run").read_text()


def test_every_rule_id_is_explained_in_the_contributor_guide():
    from reportgen.errors import RULES

    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert f"| {rule} |" in guide, rule


def test_content_files_name_their_schema_and_schemas_exist():
    for path in sorted((ROOT / "content").rglob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        schema = (path.parent / first.split("=", 1)[1]).resolve()
        assert schema.is_file(), f"{path}: {schema}"

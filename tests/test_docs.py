"""The README keeps up with the code: every command, option and content field is in it."""

import re
import subprocess

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


TASKS_HELP = """\
Project tasks. Each one first makes sure .venv exists and holds exactly the pinned
dependencies of requirements.lock (re-installing when the lock or pyproject changes).

  ./tasks site            set up, then build the site into site/
  ./tasks test [ARGS]     set up, then run the test suite (ARGS go to pytest)
  ./tasks check           set up, then check the content without building
  ./tasks update-golden   rebuild tests/golden/ from tests/data/minimal/
  ./tasks i18n            extract interface strings, update the English catalog
  ./tasks lock            re-pin requirements.lock from pyproject.toml
"""


def test_tasks_alone_prints_its_comment_block_and_nothing_else():
    """`./tasks` (no task: nothing is set up) lists the tasks; an unknown one too, and fails."""
    script = ROOT / "tasks"
    alone = subprocess.run([str(script)], capture_output=True, text=True, timeout=60)
    assert (alone.returncode, alone.stdout, alone.stderr) == (0, TASKS_HELP, "")
    unknown = subprocess.run([str(script), "no-such-task"], capture_output=True, text=True,
                             timeout=60)
    assert (unknown.returncode, unknown.stdout) == (2, TASKS_HELP)
    # Every task the script runs is in its help.
    for names in re.findall(r"^  ([a-z|-]+)\)", script.read_text(), flags=re.M):
        assert f"./tasks {names.split('|')[0]} " in TASKS_HELP, names


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

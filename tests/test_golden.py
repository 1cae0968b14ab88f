"""The minimal fixture site, built, equals the checked-in golden copy byte for byte."""

from tests.golden import GOLDEN, compare


def test_minimal_site_matches_golden(minimal_site):
    differences = compare(GOLDEN, minimal_site)
    assert not differences, (
        "built site differs from tests/golden/minimal (if the change is intended, run "
        "./tasks update-golden and review the diff):\n" + "\n".join(differences))

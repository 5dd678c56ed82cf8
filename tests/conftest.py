import pytest

from tests.harness import Recording, run_stack

STACKS = ("dev", "staging", "prod")


@pytest.fixture(scope="session")
def stacks() -> dict[str, Recording]:
    """Each stack's program run once under the mock engine with its real config file."""
    return {stack: run_stack(stack) for stack in STACKS}

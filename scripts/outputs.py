"""One value of a stack's outputs, by its path: what the Makefile's verbs read addresses and credentials from.

Usage: python -m scripts.outputs --stack dev observability.grafanaUrl
"""

import argparse
import json
import sys
from typing import Any

from scripts.health import stack_outputs


def lookup(outputs: dict[str, Any], path: str) -> Any:
    value: Any = outputs
    for key in path.split("."):
        if not isinstance(value, dict) or value.get(key) is None:
            return None
        value = value[key]
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("path", help="e.g. catalogDsn or eventBus.bootstrapServers")
    options = parser.parse_args()
    value = lookup(stack_outputs(options.stack), options.path)
    if value is None:
        print(
            f"outputs: {options.path} is not an output of stack {options.stack}: is it up (make up), "
            "and is the component enabled?",
            file=sys.stderr,
        )
        return 1
    print(value if isinstance(value, str) else json.dumps(value))
    return 0


if __name__ == "__main__":
    sys.exit(main())

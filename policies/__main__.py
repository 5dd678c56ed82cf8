"""The DictaMesh guardrails, as `pulumi preview --policy-pack policies` loads them.

Only this file constructs the PolicyPack: constructing it starts the analyzer server.
"""

import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

# the CLI runs this file from policies/; the policies package lives one level up
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policies import docker, exposure, kubernetes, secrets, stack

PolicyPack(
    name="dictamesh-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[*kubernetes.POLICIES, *exposure.POLICIES, *docker.POLICIES, *secrets.POLICIES, *stack.POLICIES],
)

"""DictaMesh infrastructure: read the stack's settings, judge them against what it last deployed, build the
platform, export its endpoints."""

import pulumi

from components import deployed, platform
from components.config import load_settings

before = deployed.read()
for key, value in platform.build(load_settings(before), before).items():
    pulumi.export(key, value)

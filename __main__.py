"""DictaMesh infrastructure: read the stack's settings, build the platform, export its endpoints."""

import pulumi

from components import platform
from components.config import load_settings

for key, value in platform.build(load_settings()).items():
    pulumi.export(key, value)

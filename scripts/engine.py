"""Where the real Pulumi engine comes from: an installed CLI, or the one `../shared/engine/build.sh` builds.

On a machine with internet access the installed CLI downloads the provider plugins that the SDK pins
ask for. Where nothing can be downloaded, the shared build makes the CLI, the Python language host and
the providers at exactly those versions (cold: about 15 minutes; cached: seconds).
"""

import os
import shlex
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_BUILD = ROOT.parent / "shared" / "engine" / "build.sh"
# where that build leaves the engine: used as it is when a checkout has no shared/ beside it
BUILT = Path(os.environ.get("DICTAMESH_ENGINE_HOME", Path.home() / ".cache" / "dictamesh" / "engine"))


class EngineMissingError(Exception):
    """Neither an installed Pulumi CLI nor the shared engine build is there."""


def engine_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment in which `pulumi` is the real engine's CLI."""
    env = dict(os.environ if base is None else base)
    if shutil.which("pulumi", path=env.get("PATH")):
        return env
    if not SHARED_BUILD.is_file() and (BUILT / "bin" / "pulumi").is_file():
        return env | {
            "PATH": f"{BUILT / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "PULUMI_HOME": str(BUILT / "pulumi-home"),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        }
    if not SHARED_BUILD.is_file():
        raise EngineMissingError(
            "e2e needs the Pulumi CLI: install it (https://www.pulumi.com/docs/install/), "
            f"or provide {SHARED_BUILD} to build it"
        )
    # build.sh prints `export` lines for the shell; let bash apply them and report the result
    built = subprocess.run(
        ["bash", "-c", f'eval "$(bash {shlex.quote(str(SHARED_BUILD))})" && env -0'],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if built.returncode != 0:
        raise EngineMissingError(f"the engine build failed:\n{built.stderr[-3000:]}")
    built_env = dict(line.split("=", 1) for line in built.stdout.split("\0") if "=" in line)
    return built_env | {"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true"}  # nothing to download from

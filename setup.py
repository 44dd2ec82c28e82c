"""Builds libbolt.so with the Go toolchain and ships it inside a platform wheel.

Everything else about the package is in pyproject.toml.
"""

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
LIB = "libbolt.so"


class BuildLibbolt(build_ext):
    """`go build -buildmode=c-shared` instead of compiling C extensions."""

    def run(self) -> None:
        go = shutil.which("go")
        if go is None:
            raise SystemExit("building django-bolt-go from source needs Go 1.26+ on PATH (https://go.dev/dl)")
        target_dir = ROOT / "django_bolt" if self.inplace else Path(self.build_lib) / "django_bolt"
        target_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "CGO_ENABLED": "1"}
        cmd = [go, "build", "-buildmode=c-shared", "-trimpath", "-ldflags=-s -w",
               "-o", str(target_dir / LIB), "./libbolt/capi"]
        self.announce(" ".join(cmd), level=2)
        subprocess.run(cmd, cwd=ROOT, env=env, check=True)
        (target_dir / "libbolt.h").unlink(missing_ok=True)

    def get_outputs(self) -> list[str]:
        return [str(Path(self.build_lib) / "django_bolt" / LIB)]


class BinaryDistribution(Distribution):
    """Marks the wheel as platform-specific (it carries a native library)."""

    def has_ext_modules(self) -> bool:
        return True


class PlatformWheel(bdist_wheel):
    """Tag the wheel py3-none-<platform>: the library is loaded through cffi's ABI mode, so
    it depends on the platform but not on the Python version."""

    def get_tag(self) -> tuple[str, str, str]:
        _, _, plat = super().get_tag()
        return "py3", "none", plat


setup(
    cmdclass={"build_ext": BuildLibbolt, "bdist_wheel": PlatformWheel},
    distclass=BinaryDistribution,
)

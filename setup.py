"""Builds libbolt.so with the Go toolchain and ships it inside a platform wheel, with the
docs UIs' browser bundles (fetched from npm at build time, never committed).

Everything else about the package is in pyproject.toml.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
LIB = "libbolt.so"
ASSETS = ROOT / "docs-assets"  # package.json: the npm packages, and "files" to ship
STATIC = Path("django_bolt") / "openapi" / "static"


def install_docs_assets(target: Path) -> list[Path]:
    """Copy the docs UIs' files listed in docs-assets/package.json ("files": served name ->
    path under node_modules/) into target, fetching the packages from npm first when they are
    missing or older than the manifest. /docs then works with no internet (served by Go)."""
    manifest = ASSETS / "package.json"
    files: dict[str, str] = json.loads(manifest.read_text())["files"]
    modules, stamp = ASSETS / "node_modules", ASSETS / "node_modules" / ".fetched"
    stale = not stamp.is_file() or stamp.stat().st_mtime < manifest.stat().st_mtime
    if stale or not all((modules / src).is_file() for src in files.values()):
        if shutil.which("npm") is None:
            raise SystemExit(
                "building django-bolt-go from source needs npm (Node.js) on PATH: the docs UIs' "
                "assets (docs-assets/package.json) are fetched from the npm registry at build time"
            )
        subprocess.run([str(ASSETS / "fetch.sh")], check=True)
    target.mkdir(parents=True, exist_ok=True)
    out = []
    for name, src in files.items():
        shutil.copyfile(modules / src, target / name)
        out.append(target / name)
    return out


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
        self.assets = install_docs_assets(target_dir.parent / STATIC)

    def get_outputs(self) -> list[str]:
        return [str(Path(self.build_lib) / "django_bolt" / LIB), *map(str, getattr(self, "assets", []))]


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

"""Lets Mininet 2.3.0 (the Debian/Ubuntu package) import on Python 3.12 and later.

mininet/node.py does `from distutils.version import StrictVersion`, only to compare Open vSwitch's
version with "1.10". Python 3.12 removed distutils; without setuptools' replacement installed that
import fails and no topology can start. When (and only when) the import fails, this installs a
minimal `distutils.version.StrictVersion` that compares the numbers of a version string."""
import functools
import re
import sys
import types


@functools.total_ordering
class StrictVersion:
    def __init__(self, text):
        self.parts = tuple(int(n) for n in re.findall(r"\d+", str(text)))

    @staticmethod
    def _of(value):
        return value if isinstance(value, StrictVersion) else StrictVersion(value)

    def __eq__(self, other):
        return self.parts == self._of(other).parts

    def __lt__(self, other):
        return self.parts < self._of(other).parts

    def __hash__(self):
        return hash(self.parts)


def install():
    try:
        import distutils.version  # noqa: F401  (present: nothing to do)
    except ImportError:
        package = types.ModuleType("distutils")
        version = types.ModuleType("distutils.version")
        version.StrictVersion = StrictVersion
        package.version = version
        sys.modules["distutils"] = package
        sys.modules["distutils.version"] = version

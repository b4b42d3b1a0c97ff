"""ptm_backend - the PEP 517 build backend of `pip install ./python` (standard library only).

build_wheel compiles the C library of the enclosing source tree (`make shared` in the
repository root, into build/), and writes a wheel holding the `patchtsmixer` package with the
library bundled as patchtsmixer/libpatchtsmixer.so, which the binding loads first
(_capi._candidates). The wheel is tagged for this interpreter's platform (the library is
native code): py3-none-<platform>. The version comes from include/patchtsmixer.h.

PATCHTSMIXER_SRC names the source tree when the project is built away from it (pip builds a
local directory in place, so it is normally found as the parent of python/); PATCHTSMIXER_LIB
names a library already built, which is bundled instead of running make.
"""
import base64
import hashlib
import io
import os
import re
import subprocess
import sysconfig
import tarfile
import zipfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # python/
NAME = "patchtsmixer"


def _source_root():
    root = os.environ.get("PATCHTSMIXER_SRC") or os.path.dirname(HERE)
    if not os.path.exists(os.path.join(root, "include", "patchtsmixer.h")):
        raise RuntimeError("patchtsmixer: the C sources are not at %s (set PATCHTSMIXER_SRC to "
                           "the repository, or PATCHTSMIXER_LIB to a built library)" % root)
    return root


def _version():
    root = os.environ.get("PATCHTSMIXER_SRC") or os.path.dirname(HERE)
    header = os.path.join(root, "include", "patchtsmixer.h")
    if os.path.exists(header):
        m = re.search(r'PTM_VERSION_STRING "([0-9.]+)"', open(header).read())
        if m:
            return m.group(1)
    return "0.0.0"


def _library():
    """The shared library to bundle: PATCHTSMIXER_LIB, or built with make in the source tree."""
    lib = os.environ.get("PATCHTSMIXER_LIB")
    if lib:
        return os.path.realpath(lib)
    root = _source_root()
    subprocess.run(["make", "-C", root, "shared"], check=True, stdout=subprocess.DEVNULL)
    return os.path.realpath(os.path.join(root, "build", "libpatchtsmixer.so"))


def _metadata():
    readme = os.path.join(HERE, "README.md")
    desc = open(readme).read() if os.path.exists(readme) else ""
    lines = ["Metadata-Version: 2.1", "Name: " + NAME, "Version: " + _version(),
             "Summary: PatchTSMixer and TinyTimeMixer time-series models in C, from Python",
             "Requires-Python: >=3.8", "Requires-Dist: numpy",
             "Provides-Extra: pandas", "Requires-Dist: pandas; extra == \"pandas\""]
    if desc:
        lines.append("Description-Content-Type: text/markdown")
    return "\n".join(lines) + "\n\n" + desc


def _tag():
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return "py3-none-" + plat


def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (arcname, digest, len(data))


def _dist_info_files():
    di = "%s-%s.dist-info" % (NAME, _version())
    wheel = "Wheel-Version: 1.0\nGenerator: ptm_backend\nRoot-Is-Purelib: false\nTag: %s\n" % _tag()
    return di, {di + "/METADATA": _metadata().encode(), di + "/WHEEL": wheel.encode()}


# ---------------------------------------------------------------------- PEP 517 hooks


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    di, files = _dist_info_files()
    for arc, data in files.items():
        path = os.path.join(metadata_directory, arc)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    return di


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    lib = _library()
    di, files = _dist_info_files()
    pkg = os.path.join(HERE, NAME)
    for fname in sorted(os.listdir(pkg)):
        if fname.endswith(".py"):
            files["%s/%s" % (NAME, fname)] = open(os.path.join(pkg, fname), "rb").read()
    files[NAME + "/libpatchtsmixer.so"] = open(lib, "rb").read()
    wheel_name = "%s-%s-%s.whl" % (NAME, _version(), _tag())
    record = [_record_line(a, d) for a, d in files.items()] + [di + "/RECORD,,"]
    files[di + "/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w",
                         zipfile.ZIP_DEFLATED) as z:
        for arc, data in files.items():
            info = zipfile.ZipInfo(arc, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if arc.endswith(".so") else 0o644) << 16
            z.writestr(info, data, zipfile.ZIP_DEFLATED)
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    """The Python sources only; building a wheel from it needs PATCHTSMIXER_SRC (the C source
    tree) or PATCHTSMIXER_LIB (a built library)."""
    base = "%s-%s" % (NAME, _version())
    name = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as t:
        for rel in ["pyproject.toml", "README.md"] + \
                ["build_backend/ptm_backend.py"] + \
                ["%s/%s" % (NAME, f) for f in sorted(os.listdir(os.path.join(HERE, NAME)))
                 if f.endswith(".py")]:
            path = os.path.join(HERE, rel)
            if os.path.exists(path):
                t.add(path, arcname=base + "/" + rel)
        pkg_info = _metadata().encode()
        ti = tarfile.TarInfo(base + "/PKG-INFO")
        ti.size = len(pkg_info)
        t.addfile(ti, io.BytesIO(pkg_info))
    return name

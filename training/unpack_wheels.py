"""gpu_distill.sh's fallback where pip is missing or fails: unpack the carried wheels into a folder for PYTHONPATH.
One wheel per project: a pure or abi3 one, or the one for this Python (cpXY); a project with none for this Python
(PyYAML on an uncarried version) gets any of its wheels, whose pure-Python part is what runs (yaml falls back
from its C extension by itself).

    python3 training/unpack_wheels.py SITE WHEELS
"""
import glob
import os
import sys
import zipfile

site, wheels = sys.argv[1], sys.argv[2]
tag = "cp%d%d" % sys.version_info[:2]
chosen, fit = {}, {}
for w in sorted(glob.glob(os.path.join(wheels, "*.whl"))):
    parts = os.path.basename(w)[:-4].split("-")
    name, py, abi = parts[0].lower(), parts[-3], parts[-2]
    fits = abi in ("none", "abi3") or py == tag
    if name not in chosen or (fits and not fit[name]):
        chosen[name], fit[name] = w, fits
os.makedirs(site, exist_ok=True)
for w in chosen.values():
    zipfile.ZipFile(w).extractall(site)
print("unpacked", len(chosen), "wheels:", " ".join(sorted(os.path.basename(w) for w in chosen.values())))

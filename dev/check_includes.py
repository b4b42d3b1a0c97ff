#!/usr/bin/env python3
"""check_includes.py - the include graph of src/, cli/ and include/ obeys the layering rules.

  dev/check_includes.py            (CI runs it; exit status 1 and one line per violation)

Rules (docs/architecture.md, "Layout"):
  1. cli/ includes only the public header (patchtsmixer.h) and cli's own headers.
  2. A file in a folder under src/ never includes a header of a folder above it (src/*.h from
     src/layers/x.c, say): lower folders do not know the code that uses them.
  3. The folders under src/ form no cycle (x/ includes y/ and y/ includes x/, directly or
     through others), and no header includes itself through others (no include cycles).
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INC = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def resolve(path, name):
    """the file an #include "name" in path refers to (-Iinclude -Isrc, then the file's folder)"""
    for base in (os.path.dirname(path), os.path.join(ROOT, "src"), os.path.join(ROOT, "include")):
        p = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(p):
            return p
    return None


def rel(p):
    return os.path.relpath(p, ROOT)


def main():
    files = []
    for top in ("src", "cli", "include"):
        for d, _, names in os.walk(os.path.join(ROOT, top)):
            files += [os.path.join(d, n) for n in names if n.endswith((".c", ".h"))]
    errors = []
    edges = {}  # file -> included files
    for f in sorted(files):
        with open(f, encoding="utf-8") as fh:
            text = fh.read()
        edges[f] = []
        for name in INC.findall(text):
            t = resolve(f, name)
            if t is None:
                errors.append(f"{rel(f)}: #include \"{name}\" names no file of the tree")
                continue
            edges[f].append(t)
            rf, rt = rel(f), rel(t)
            if rf.startswith("cli/"):
                if not (rt == "include/patchtsmixer.h" or rt.startswith("cli/")):
                    errors.append(f"{rf}: includes {rt}; the CLI uses only the public header")
            elif rf.startswith("src/"):
                fd, td = os.path.dirname(rf), os.path.dirname(rt)
                if td.startswith("src") and fd != td and fd.startswith(td + "/"):
                    errors.append(f"{rf}: includes {rt} from a folder above its own")
    # cycles between files
    state = {}

    def visit(f, stack):
        state[f] = 1
        stack.append(f)
        for t in edges.get(f, []):
            if state.get(t) == 1:
                cyc = stack[stack.index(t):] + [t]
                errors.append("include cycle: " + " -> ".join(rel(x) for x in cyc))
            elif t not in state:
                visit(t, stack)
        stack.pop()
        state[f] = 2

    for f in sorted(edges):
        if f not in state:
            visit(f, [])
    # cycles between folders of src/
    fedges = {}
    for f, ts in edges.items():
        rf = rel(f)
        if not rf.startswith("src/"):
            continue
        for t in ts:
            rt = rel(t)
            a, b = os.path.dirname(rf), os.path.dirname(rt)
            if rt.startswith("src/") and a != b:
                fedges.setdefault(a, {}).setdefault(b, (rf, rt))
    fstate = {}

    def fvisit(a, stack):
        fstate[a] = 1
        stack.append(a)
        for b, why in sorted(fedges.get(a, {}).items()):
            if fstate.get(b) == 1:
                cyc = stack[stack.index(b):] + [b]
                errors.append("folder cycle: " + " -> ".join(cyc) + f" (e.g. {why[0]} includes {why[1]})")
            elif b not in fstate:
                fvisit(b, stack)
        stack.pop()
        fstate[a] = 2

    for a in sorted(fedges):
        if a not in fstate:
            fvisit(a, [])
    for e in errors:
        print(e)
    n = len(files)
    print(f"include graph: {n} files, {len(errors)} violation(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Import cycles between the files of src/: each file's `crate::…` paths
(comments and test modules left out) are edges to the files they name.
Prints each cycle and exits 1 if there is any.

    python3 .ci/cycles.py src
"""
import os, re, sys
root = sys.argv[1] if len(sys.argv) > 1 else "src"
mods = {}
for dp, _, fs in os.walk(root):
    for f in fs:
        if f.endswith(".rs"):
            p = os.path.join(dp, f)
            rel = os.path.relpath(p, root)[:-3]
            if rel in ("lib", "main"):
                continue
            name = rel.replace("/mod", "").replace("/", "::")
            mods[name] = open(p).read()
def top(m):  # compare at file level
    return m
names = set(mods)
edges = {m: set() for m in names}
for m, text in mods.items():
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"#\[cfg\(test\)\]\s*mod tests\s*\{.*", "", text, flags=re.S)
    for hit in re.findall(r"crate::([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*)", text):
        parts = hit.split("::")
        for i in range(len(parts), 0, -1):
            cand = "::".join(parts[:i])
            if cand in names:
                if cand != m and not m.startswith(cand + "::") and not cand.startswith(m + "::"):
                    edges[m].add(cand)
                break
index = {}; low = {}; stack = []; on = set(); sccs = []; c = [0]
sys.setrecursionlimit(10000)
def sc(v):
    index[v] = low[v] = c[0]; c[0] += 1; stack.append(v); on.add(v)
    for w in edges[v]:
        if w not in index:
            sc(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: sccs.append(comp)
for v in names:
    if v not in index: sc(v)
for s in sccs: print("cycle:", " ".join(sorted(s)))
print(f"{len(sccs)} cycles among {len(names)} files")
sys.exit(1 if sccs else 0)

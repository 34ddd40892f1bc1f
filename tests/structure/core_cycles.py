"""(Copied from the team tools, /work/shared/tools/core_cycles.py.) Folder-level include graph of core/ (src/<folder> and include/strata/<folder> merged); prints the strongly connected
components with more than one folder. Usage: core_cycles.py PROJECT_ROOT"""
import os, re, sys, collections
root = sys.argv[1]
inc = re.compile(r'#include\s+"strata/([a-z_0-9]+)/')
def folder(path):
    rel = os.path.relpath(path, root).split(os.sep)
    if rel[:2] == ["core", "src"] and len(rel) > 3: return rel[2]
    if rel[:3] == ["core", "include", "strata"] and len(rel) > 4: return rel[3]
    return None
g = collections.defaultdict(set)
for base in ("core/src", "core/include/strata"):
    for d, _, fs in os.walk(os.path.join(root, base)):
        for f in fs:
            p = os.path.join(d, f); a = folder(p)
            if not a or not f.endswith((".h", ".cpp", ".hpp", ".cc")): continue
            for b in inc.findall(open(p, errors="replace").read()):
                if b != a and b not in ("kernels",): g[a].add(b)
# Tarjan
idx, low, st, on, out, n = {}, {}, [], set(), [], [0]
def sc(v):
    idx[v] = low[v] = n[0]; n[0] += 1; st.append(v); on.add(v)
    for w in g.get(v, ()):
        if w not in idx: sc(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], idx[w])
    if low[v] == idx[v]:
        c = []
        while True:
            w = st.pop(); on.discard(w); c.append(w)
            if w == v: break
        if len(c) > 1: out.append(sorted(c))
for v in list(g): 
    if v not in idx: sc(v)
print(len(out), "cycles:", "; ".join("{" + ", ".join(c) + "}" for c in out) if out else "none")
sys.exit(1 if out else 0)

"""Proof that a layout seed moves code without changing it.

A configuration is linked several times, each with a padding object of another
size ahead of the kernel's objects (its layout seed).  For each seed's binary and
each variant this records where the hot function (and its split parts) and each
of its loops landed (address, mod 64, mod 4096), and the code_hash and data_hash
of the variant's closure computed on that binary.  A seed whose code_hash differs
from the main binary's gets `layout_error`, naming the first function that
differs: it changed instructions, not only their place.  A different data_hash
is a `layout_note` only (jump tables hold text-relative offsets, so a seed may
legitimately change them).

Cheap by construction: a seed's binary is read once and only the functions of
the main binary's closures are disassembled, all seeds in one llvm-objdump run.
"""
import os

from . import disasm, elf as elfmod, loops as loopmod, normalize


def place(addr):
    return {"addr": addr, "mod64": addr % 64, "mod4096": addr % 4096}


def describe(binary_path, fn, lps, closure):
    """The layout record of one variant in one binary."""
    d = {"binary": os.path.abspath(binary_path),
         "function": {"symbol": fn.symbols[0], **place(fn.parts[0].addr)}}
    if len(fn.parts) > 1:
        d["parts"] = [{"symbol": p.name, **place(p.addr)} for p in fn.parts[1:]]
    d["loops"] = []
    for n, lp in enumerate(lps, 1):
        rec = {"index": n, "start": place(fn.insns[lp.first].addr)}
        if lp.header != lp.first:
            rec["header"] = place(fn.insns[lp.header].addr)
        d["loops"].append(rec)
    d["code_hash"] = closure.code_hash
    d["data_hash"] = closure.data_hash
    return d


def _rank(binary, sym):
    """Position of sym among the symbols of its exact name, by address (static functions
    of one name in several files keep their order when code moves)."""
    same = sorted((s.addr for s in binary.functions if s.name == sym.name))
    return same.index(sym.addr) if sym.addr in same else 0


def _first_difference(main, seed):
    for a, b in zip(main.functions, seed.functions):
        if a.text != b.text:
            return a.symbols[0]
    if len(main.reachable) != len(seed.reachable):
        extra = [n for n in seed.reachable if n not in main.reachable] or \
                [n for n in main.reachable if n not in seed.reachable]
        return "reachable set (" + ", ".join(extra[:4]) + ")"
    return "roots"


def seed_layouts(paths, main_binary, captured, roots, reach_of, objdump=None):
    """{seed: {variant: record}} for the seeds' binaries {seed: path}.  captured:
    {variant: (fn, lps, closure)} of the main binary; roots: {variant: [extra root
    names]}.  The seeds' hot functions are disassembled in one objdump run."""
    out, opened = {}, {}
    for seed, path in paths.items():
        try:
            opened[seed] = disasm.Binary(path, objdump=objdump or main_binary.objdump,
                                         syntax=main_binary.syntax, partial=True)
        except (OSError, disasm.DisasmError, elfmod.ElfError) as e:
            out[seed] = _failed(path, captured, f"cannot read the seed's binary: {e}")
    wanted = {n for fn, _, cl in captured.values() for f in cl.functions for n in f.symbols}
    try:
        disasm.prefetch_together([(b, [s for s in b.functions if s.name in wanted])
                                  for b in opened.values()])
    except disasm.DisasmError as e:
        out.update({seed: _failed(b.path, captured, str(e)) for seed, b in opened.items()})
        opened = {}
    for seed, b in opened.items():
        out[seed] = _seed_records(b, main_binary, captured, roots, reach_of)
        out[seed]["_objdump_runs"] = b.objdump_runs
    return {seed: out[seed] for seed in paths}


def _failed(path, captured, why):
    return {v: {"binary": os.path.abspath(path), "layout_error": why} for v in captured}


def _seed_records(b, main_binary, captured, roots, reach_of):
    """{variant: record} for one seed's binary, its hot functions disassembled."""
    path = b.path
    by_name = {}
    for s in b.functions:
        by_name.setdefault(s.name, []).append(s)
    for syms in by_name.values():
        syms.sort(key=lambda s: s.addr)
    out = {}
    for v, (fn, _lps, cl) in captured.items():
        parts, missing = [], []
        for p in fn.parts:
            cands = by_name.get(p.name, [])
            k = _rank(main_binary, p)
            if k < len(cands):
                parts.append(cands[k])
            else:
                missing.append(p.name)
        if missing:
            out[v] = {"binary": os.path.abspath(path),
                      "layout_error": f"no symbol {', '.join(missing)} in the seed's binary"}
            continue
        try:
            sfn = normalize.normalize(b, disasm.Lookup(fn.name, parts=parts))
            scl = reach_of(b).closure(sfn, roots.get(v, []))
        except disasm.DisasmError as e:
            out[v] = {"binary": os.path.abspath(path), "layout_error": str(e)}
            continue
        rec = describe(path, sfn, loopmod.find_loops(sfn), scl)
        if scl.code_hash != cl.code_hash:
            rec["layout_error"] = (f"code_hash {scl.code_hash} differs from the main binary's {cl.code_hash} "
                                   f"(first difference: {_first_difference(cl, scl)}): the seed changed "
                                   "instructions, not only their place")
        elif scl.data_hash != cl.data_hash:
            rec["layout_note"] = f"data_hash {scl.data_hash} differs from the main binary's {cl.data_hash}"
        out[v] = rec
    return out

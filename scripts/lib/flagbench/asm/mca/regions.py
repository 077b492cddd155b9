"""llvm-mca input: a loop's lines of the normalized text between region markers.

Each innermost loop's lines go between `# LLVM-MCA-BEGIN name` /
`# LLVM-MCA-END name` markers (never inline asm in the C source: that changes
the code).  Local labels get a per-region suffix, because content-named labels
repeat across functions and the loops of several functions share one input.
"""
import re

LOCAL_LABEL_RE = re.compile(r"(\.L_[0-9A-Za-z_]+)")


def region_lines(fn, ranges, tag=""):
    """A loop's lines; with a tag, its local labels renamed so that regions of
    several functions can share one llvm-mca input."""
    lines = [line for a, b in ranges for line in fn.lines[a - 1:b]]
    if tag:
        lines = [LOCAL_LABEL_RE.sub(rf"\1_{tag}", line) for line in lines]
    return lines


def marked_text_multi(pieces, arch, syntax):
    """llvm-mca input for [(name, lines)] regions.  Labels outside a region
    stay undefined, which llvm-mca accepts; code outside the markers would be
    ignored anyway."""
    out = []
    if syntax == "intel" and arch == "x86_64":
        out.append("\t.intel_syntax noprefix")
    for name, lines in pieces:
        out.append(f"# LLVM-MCA-BEGIN {name}")
        out.extend(lines)
        out.append(f"# LLVM-MCA-END {name}")
    return "\n".join(out) + "\n"


def marked_text(fn, regions, arch):
    """llvm-mca input: for each (name, [[first, last] line ranges]) the loop's lines of fn."""
    return marked_text_multi([(name, region_lines(fn, ranges)) for name, ranges in regions], arch,
                             fn.syntax)

"""Assembly capture, normalization, summary and llvm-mca analysis of kernel variants.

Modules, one job each:
  elf        reads an ELF file's machine, sections and symbol table
  objdump    the disassembler, and one run of it over one or several files
  disasm     finds a variant's symbols (compiler suffixes folded) and disassembles the binary once
  insn       classifies one instruction (x86-64 AT&T/Intel, AArch64): memory, branches, vectors
  normalize  turns raw disassembly into stable, diffable text (labels by content, no addresses)
  summary    counts per function: instructions, bytes, vector width, FMAs, loads, stores, ...
  loops      back edges, innermost loops, items per loop iteration
  mca        (package) llvm-mca: CPU names per version, batched region runs, JSON parsing, soundness flags
  model      llvm-mca prediction against the harness's measured time per item
  reach      the code reachable from a hot function (code_hash) and the data it reads (data_hash)
  libraries  the shared libraries a binary loads, found as the loader does, with file identities
  layout     where a variant's code landed in each layout seed's binary, and that it is the same code
  identity   dedupe_key: when two cells may share one timing
  analyze    the command the sweep runs on a batch of kernel binaries (or on one)
  locate     resolves configuration ids, result dirs and build dirs for asm.sh / asmdiff.sh
  show, diff the commands behind scripts/asm.sh and scripts/asmdiff.sh
"""

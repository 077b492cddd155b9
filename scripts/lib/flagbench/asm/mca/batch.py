"""Many regions, one CPU: cached results first, the rest in as few llvm-mca runs as work.

A process start and a scheduling-model load cost more than a small region's
analysis, so the regions go in one run.  An llvm-mca older than 18 stops at
the first instruction it does not know: then the batch is re-run one region
at a time, so only the offending loop loses its numbers.
"""
from .parse import parse_regions
from .regions import marked_text_multi


def run_regions(tool, arch, cpu, regions, syntax, cache):
    """{name: (parsed region or None, skipped notes, errors)} and the scheduling
    model, for regions [(name, lines)]."""
    results, model = {}, ""
    todo = []
    for name, lines in regions:
        hit = cache.get(cache.key(tool, arch, cpu, lines)) if cache else None
        if hit is not None:
            results[name] = (hit["parsed"], hit["skipped"], hit["errors"])
            model = model or hit["model"]
        else:
            todo.append((name, lines))

    def store(name, lines, parsed, skipped, errors, model_name):
        results[name] = (parsed, skipped, errors)
        if cache and parsed is not None:
            cache.put(cache.key(tool, arch, cpu, lines),
                      {"parsed": parsed, "skipped": skipped, "errors": errors, "model": model_name})

    if todo:
        doc, skipped, errors = tool.invoke(arch, cpu, marked_text_multi(todo, arch, syntax))
        if doc is not None:
            parsed, model = parse_regions(doc)
            for name, lines in todo:
                store(name, lines, parsed.get(name), _skipped_in(skipped, lines), [], model)
        elif len(todo) == 1:
            results[todo[0][0]] = (None, [], errors)
        else:
            for name, lines in todo:
                d1, s1, e1 = tool.invoke(arch, cpu, marked_text_multi([(name, lines)], arch, syntax))
                if d1 is None:
                    results[name] = (None, [], e1)
                    continue
                parsed, model = parse_regions(d1)
                store(name, lines, parsed.get(name), s1, [], model)
    return results, model


def _skipped_in(skipped, lines):
    """The skipped-instruction notes that belong to a region's own lines (one
    run's notes cover all its regions)."""
    flat = {" ".join(line.split()) for line in lines}
    return [x for x in skipped if " ".join(x.split()) in flat]

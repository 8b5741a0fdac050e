"""The Python baseline for `scripts/bench ingest`: fastavro decode + JSON of every file given
(folders are walked), cutout bytes dropped as lasair-ingest drops them. Prints alerts/s."""
import json, os, sys, time
import fastavro

def files(args):
    for a in args:
        if os.path.isdir(a):
            for root, _, names in os.walk(a):
                for n in sorted(names):
                    if n.endswith(".avro"):
                        yield os.path.join(root, n)
        else:
            yield a

paths = list(files(sys.argv[1:]))
start = time.perf_counter()
n = 0
with open(os.devnull, "w") as out:
    for p in paths:
        with open(p, "rb") as f:
            for rec in fastavro.reader(f):
                for k in ("cutoutScience", "cutoutTemplate", "cutoutDifference"):
                    rec.pop(k, None)
                out.write(json.dumps(rec))
                out.write("\n")
                n += 1
secs = time.perf_counter() - start
print(f"{n} {secs:.3f}")

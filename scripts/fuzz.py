#!/usr/bin/env python3
"""A stable fuzzer of our own (no nightly compiler is needed, as cargo-fuzz would): mutates real
inputs as an attacker would, runs the release tools on each under memory and time limits, and
counts how each run ended. A crash (a signal, a panic's exit 101), a time-out or running out of
memory is a finding: its input is kept under var/fuzz/<target>/found/ to become a regression test.

    scripts/fuzz [TARGET ...] [--runs N] [--seed S]

Targets: avro (ZTF Avro containers -> lasair-ingest), wire (LSST Confluent wire messages ->
lasair-ingest), lines (JSON alert lines -> lasair-sherlock and lasair-filter), moc (watchmap files
-> lasair-filter watchmap add), sql (users' clauses -> lasair-query on SQLite), skymap (GW sky maps
-> lasair-sync gw add).
Exit 0 when nothing was found, 1 otherwise.
"""

import argparse
import glob
import json
import os
import random
import shutil
import subprocess
import sys
import time

BIN = "target/release"
DATA = "../shared/data"
WORK = "var/fuzz"
MEMORY = 2 << 30  # bytes of address space a tool may take
SECONDS = 30


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to four of: bit flips, byte sets to edge values, cuts, duplicated or deleted spans,
    a span spliced from elsewhere, a varint-looking run of 0xff."""
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not b:
            b = bytearray(b"\x00")
        kind = rng.randrange(7)
        i = rng.randrange(len(b))
        if kind == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif kind == 1:
            b[i] = rng.choice([0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF])
        elif kind == 2:
            del b[rng.randrange(len(b)):]
        elif kind == 3:
            j = min(len(b), i + rng.randint(1, 64))
            b[i:i] = b[i:j] * rng.randint(1, 8)
        elif kind == 4:
            del b[i:i + rng.randint(1, 64)]
        elif kind == 5:
            j = rng.randrange(len(b))
            b[i:i] = b[j:j + rng.randint(1, 32)]
        else:
            b[i:i] = b"\xff" * rng.randint(1, 10) + b"\x01"
    return bytes(b)


def mutate_text(line: str, rng: random.Random) -> str:
    """JSON-aware mutations of an alert line: values swapped for hostile ones, then bytes."""
    try:
        obj = json.loads(line)
    except ValueError:
        return mutate(line.encode(), rng).decode("utf-8", "replace")
    hostile = [None, -1, 1e308, -200, 1000, float("nan"), "", ".", "../../x", "a" * 5000, "ñandú",
               "x' OR '1'='1", [], {}, 7, True, "ZTF" + "9" * 70]
    keys = [k for k in obj if not isinstance(obj[k], (dict, list))] or list(obj)
    for _ in range(rng.randint(1, 3)):
        obj[rng.choice(keys)] = rng.choice(hostile)
    text = json.dumps(obj, allow_nan=True)
    return text if rng.random() < 0.8 else mutate(text.encode(), rng).decode("utf-8", "replace")


SQL_PIECES = ["objects.ncand", "objects.gmag", "objectId", "'a'", '"ncand"', "1e308", "-", "+", "*",
              "/", "(", ")", "AND", "OR", "NOT", "=", "<", ">=", "IS NULL", "IN (1, 2)", "LIKE 'Z%'",
              "sqrt(", "pow(", "exp(", ",", "jdnow()", "ORDER BY", "DESC", ";", "--", "/*", "UNION",
              "SELECT", "sleep(1)", "0x41", "\\", "`", "users.password", "9" * 40, "NULL", "CASE"]


def run(cmd, stdin=None):
    """(how it ended, stderr tail): ok/bad (exit 0/1), error (exit 2, reported), or a finding."""
    limit = f"ulimit -v {MEMORY // 1024}; exec \"$@\""
    start = time.time()
    try:
        p = subprocess.run(["bash", "-c", limit, "fuzz", *cmd], input=stdin, capture_output=True,
                           timeout=SECONDS)
    except subprocess.TimeoutExpired:
        return "timeout", f"over {SECONDS}s"
    tail = p.stderr.decode("utf-8", "replace")[-400:]
    if p.returncode in (0, 1):
        return "handled", tail
    if p.returncode == 2:
        return "error", tail
    if "memory allocation" in tail or "Cannot allocate" in tail:
        return "oom", tail
    return f"crash (exit {p.returncode}, {time.time() - start:.1f}s)", tail


def targets(rng, work):
    """Each target: a name and a function making one case (input files) and its command."""
    ztf = sorted(glob.glob(f"{DATA}/ztf/alerts/*/*.avro"))
    wire = sorted(glob.glob(f"{DATA}/lsst/alerts/rubin_v10_0/wire/*.bin"))
    mocs = sorted(glob.glob(f"{DATA}/mocs/*.fits")) + [None]
    skymaps = sorted(glob.glob(f"{DATA}/skymaps/*.fits")) + sorted(glob.glob("crates/lasair-sky/tests/fixtures/skymaps/*.fits*"))
    lines = []
    sample = f"{work}/lines.jsonl"
    if ztf and not os.path.exists(sample):
        subprocess.run([f"{BIN}/lasair-ingest", "--survey", "ztf", *ztf[:40], "--output", sample, "--quiet"],
                       check=True)
    if os.path.exists(sample):
        lines = open(sample).read().splitlines()
    db = f"sqlite:{work}/fuzz.db"
    subprocess.run([f"{BIN}/lasair-filter", "--survey", "ztf", "--db", db, "watchlist", "list"],
                   capture_output=True)

    def avro(case):
        path = f"{case}/alert.avro"
        open(path, "wb").write(mutate(open(rng.choice(ztf), "rb").read(), rng))
        return [f"{BIN}/lasair-ingest", "--survey", "ztf", path, "--lightcurves", f"sqlite:{case}/lc.db",
                "--cutouts", f"{case}/cutouts", "--output", f"{case}/out.jsonl", "--quiet"], None

    def wire_case(case):
        path = f"{case}/alert.bin"
        open(path, "wb").write(mutate(open(rng.choice(wire), "rb").read(), rng))
        return [f"{BIN}/lasair-ingest", "--survey", "lsst", path, "--schema", f"{DATA}/lsst/schema/10/0",
                "--output", f"{case}/out.jsonl", "--quiet"], None

    def lines_case(case):
        picked = [mutate_text(rng.choice(lines), rng) if rng.random() < 0.5 else rng.choice(lines)
                  for _ in range(rng.randint(1, 20))]
        path = f"{case}/lines.jsonl"
        open(path, "w").write("\n".join(picked) + "\n")
        if rng.random() < 0.5:
            return [f"{BIN}/lasair-filter", "--survey", "ztf", "--db", f"sqlite:{case}/main.db",
                    "--topics", f"{case}/streams", path, "--quiet"], None
        return [f"{BIN}/lasair-sherlock", "--store", f"{work}/cats.db", path, "--output", f"{case}/out.jsonl",
                "--quiet"], None

    def moc(case):
        src = rng.choice(mocs)
        data = open(src, "rb").read() if src else b'{"3":[1,2,3],"5":[100]}'
        path = f"{case}/area.fits"
        open(path, "wb").write(mutate(data, rng))
        return [f"{BIN}/lasair-filter", "--survey", "ztf", "--db", f"sqlite:{case}/main.db", "watchmap", "add",
                path, "--name", "fuzz", "--user", "1"], None

    def skymap(case):
        path = f"{case}/map.fits"
        open(path, "wb").write(mutate(open(rng.choice(skymaps), "rb").read(), rng))
        return [f"{BIN}/lasair-sync", "gw", "add", path, "--name", "fuzz", "--db", f"sqlite:{case}/main.db",
                "--survey", "ztf"], None

    def sql(case):
        where = " ".join(rng.choice(SQL_PIECES) for _ in range(rng.randint(1, 12)))
        select = ", ".join(rng.choice(SQL_PIECES[:6] + ["*", "objects.*"]) for _ in range(rng.randint(1, 3)))
        open(f"{case}/query.txt", "w").write(f"{select}\n{where}\n")
        return [f"{BIN}/lasair-query", "--db", db, "--select", select, "--where", where, "--timeout", "5"], None

    return {"avro": avro if ztf else None, "wire": wire_case if wire else None,
            "lines": lines_case if lines else None, "moc": moc, "sql": sql,
            "skymap": skymap if skymaps else None}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("targets", nargs="*", default=["avro", "wire", "lines", "moc", "sql", "skymap"])
    ap.add_argument("--runs", type=int, default=int(os.environ.get("FUZZ_RUNS", "200")))
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(WORK, exist_ok=True)
    # Sherlock needs a store: the real GCVS, once.
    if not os.path.exists(f"{WORK}/cats.db") and os.path.exists(f"{DATA}/catalogues/gcvs.csv"):
        subprocess.run([f"{BIN}/lasair-sherlock", "--store", f"{WORK}/cats.db", "catalogue", "add", "gcvs",
                        f"{DATA}/catalogues/gcvs.csv", "--map", "crates/lasair-context/catalogues.toml",
                        "--no-progress"], check=True, capture_output=True)
    makers = targets(rng, WORK)
    found = 0
    print(f"seed {args.seed}, {args.runs} runs a target, each under {MEMORY >> 30} GiB and {SECONDS} s")
    for name in args.targets:
        make = makers.get(name)
        if make is None:
            print(f"{name:6} skipped: its real inputs are not in {DATA}")
            continue
        counts = {}
        for i in range(args.runs):
            case = f"{WORK}/{name}/case"
            shutil.rmtree(case, ignore_errors=True)
            os.makedirs(case)
            cmd, stdin = make(case)
            how, tail = run(cmd, stdin)
            key = how.split(" ")[0]
            counts[key] = counts.get(key, 0) + 1
            if key not in ("handled", "error"):
                found += 1
                keep = f"{WORK}/{name}/found/{args.seed}-{i}"
                shutil.copytree(case, keep, dirs_exist_ok=True)
                open(f"{keep}/what.txt", "w").write(f"{how}\n{' '.join(cmd)}\n{tail}\n")
                print(f"  {name} #{i}: {how}: kept in {keep}")
        print(f"{name:6} {args.runs} runs: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()

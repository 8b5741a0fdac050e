#!/usr/bin/env python3
"""The reliability campaign's runs and comparisons; scripts/chaos starts the services and calls
this. For each seed, two runs of the production layout on fresh Kafka topics, a fresh main
database and a fresh lightcurve keyspace: a crash-free one (the reference), then one fed at
--rate alerts/s while a chaos loop SIGKILLs a random replica every --kill-every seconds (on
average) and restarts it. Then the chaos run is compared with the reference:

- the main database: every table's rows, less the columns that legitimately differ (LEFT_OUT
  below: staff's date stamps, the latest batch's figures, Sherlock's separations where its
  cache explains them); every alert's object must have its row; no
  table may hold a row twice;
- the users' filter results: each filter's final result for each object in the reference (the
  one from the object's latest alert, which every run must send) on the filter's topic at least
  once; any result the two runs both sent for the same alert of an object, identical;
- the lightcurve store: every object's stored lightcurve (read back by lasair-mine) identical,
  with no point twice.

Prints each seed's figures and exits 1 on anything lost, duplicated or different.
"""
import argparse
import collections
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET

from confluent_kafka import Consumer, TopicPartition

PARTITIONS = 4
STAGES = ("ingest", "sherlock", "filter")
USER = 7
# The users' filters: each selects objects.jdmax, the time of the latest detection, which tells
# which alert of an object a result came from. The watchlist's id is 1 (the first in a fresh
# database).
FILTERS = [
    ("everything", "objects.objectId, objects.jdmax, objects.ncand, objects.gmag, objects.rmag",
     "objects", ""),
    ("sne_in_galaxies",
     "objects.objectId, objects.jdmax, objects.gmag, sherlock_classifications.catalogue_object_id",
     "objects, sherlock_classifications",
     "sherlock_classifications.classification = 'SN' AND objects.ncandgp >= 2"),
    ("bright_risers", "objects.objectId, objects.jdmax, objects.gmag, objects.dmdt_g", "objects",
     "objects.dmdt_g < -0.05 AND objects.gmag < 19"),
    ("in_my_galaxies", "objects.objectId, objects.jdmax, watchlist_hits.name, watchlist_hits.arcsec",
     "objects, watchlist:1", ""),
]
# Columns that legitimately differ between two runs of the same alerts. None = the whole table.
STAMPS = ("date_created", "date_modified", "date_expire")
LEFT_OUT = {
    # The pipeline's figures: the latest batch's, stamped with its time.
    "statistics": None,
    # When staff made the users' filters and watchlist (before each run).
    "filters": STAMPS,
    "watchlists": STAMPS,
    "watchmaps": STAMPS,
    # Sherlock answers a position within 0.1" of one it has seen as that one was answered (its
    # cache, by design), so which of an object's alerts close together a replica classified
    # first decides the separations from the same host and the text quoting them; the host,
    # the classification and the rest must not differ. A row that differs here must have an
    # earlier alert of its object within 0.1" of the latest (see sherlock_explained).
    "sherlock_classifications": ("separationArcsec", "northSeparationArcsec",
                                 "eastSeparationArcsec", "physical_separation_kpc",
                                 "description", "summary"),
}
CACHE_ARCSEC = 0.1


def say(text):
    print(f"chaos: {text}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, what, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"chaos: {what} did not open port {port}")


class Broker:
    """A tansu Kafka broker of the run's own, in memory (as scripts/lib/services.sh starts one)."""

    def __init__(self, work):
        self.port = free_port()
        url = f"tcp://127.0.0.1:{self.port}"
        self.log = open(os.path.join(work, "tansu.log"), "ab")
        self.proc = subprocess.Popen(
            ["tansu", "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"], stdout=self.log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, "tansu")
        self.boot = f"127.0.0.1:{self.port}"

    def create(self, topic, partitions):
        subprocess.run(["tansu", "topic", "create", topic, "--partitions", str(partitions),
                        "--broker", f"tcp://{self.boot}"], stdout=self.log, stderr=subprocess.STDOUT,
                       check=True)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.log.close()


class Replica:
    """One replica of a stage: started, SIGKILLed, restarted; its stderr appended to a log."""

    def __init__(self, name, argv, log):
        self.name, self.argv, self.log = name, argv, log
        self.proc = None
        self.starts = 0

    def start(self):
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=log)
        self.starts += 1

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def tail(self, lines=5):
        with open(self.log, "rb") as f:
            return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")


class Groups:
    """What each stage's consumer group has still to do: its input's messages past its
    committed offsets."""

    def __init__(self, boot, run):
        self.boot, self.run = boot, run
        self.consumers = {}

    def lag(self, stage, topic):
        c = self.consumers.get(stage)
        if c is None:
            c = Consumer({"bootstrap.servers": self.boot, "group.id": group(self.run, stage),
                          "enable.auto.commit": False})
            self.consumers[stage] = c
        parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        total = 0
        for tp in c.committed(parts, timeout=10):
            low, high = c.get_watermark_offsets(TopicPartition(topic, tp.partition), timeout=10)
            total += max(0, high - (tp.offset if tp.offset >= 0 else low))
        return total

    def close(self):
        for c in self.consumers.values():
            c.close()


def group(run, stage):
    return f"{run}_{stage}"


def read_topic(boot, topic, partitions):
    """Every message of `topic`, from the start to its end: (key, value) pairs."""
    c = Consumer({"bootstrap.servers": boot, "group.id": f"reader_{topic}",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    ends = {}
    for p in range(partitions):
        low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        if high > low:
            ends[p] = high
    c.assign([TopicPartition(topic, p, 0) for p in ends])
    out, idle = [], time.time()
    while ends and time.time() - idle < 60:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        idle = time.time()
        out.append((m.key(), m.value()))
        if m.offset() + 1 >= ends.get(m.partition(), 0):
            ends.pop(m.partition(), None)
    c.close()
    if ends:
        raise SystemExit(f"chaos: topic {topic} could not be read to its end")
    return out


def topic_of(name):
    # lasair-service's topic_name: lasair_<user id><the name's letters, digits, _ - .>
    return f"lasair_{USER}" + "".join(ch for ch in name if ch.isalnum() or ch in "_-.")


class Run:
    """One run of the pipeline for one seed: `ref` (crash-free) or `chaos`."""

    def __init__(self, opts, seed, kind, seed_dir):
        self.opts, self.seed, self.kind = opts, seed, kind
        self.name = f"chaos_{seed}_{kind}"
        self.dir = os.path.join(seed_dir, kind)
        os.makedirs(self.dir, exist_ok=True)
        self.seed_dir = seed_dir
        self.bin = opts.bin
        url = urllib.parse.urlsplit(opts.mysql)
        self.db = urllib.parse.urlunsplit(url._replace(path="/" + self.name))
        self.lightcurves = f"scylla://{opts.cql}/{self.name}"
        self.figures = {"kills": 0, "restarts": 0, "unexpected_exits": [], "unclean_stops": [],
                        "killed": collections.Counter()}

    def tool(self, name):
        return os.path.join(self.bin, name)

    def mysql_root(self, sql):
        subprocess.run(["mariadb", "--no-defaults", f"--socket={self.opts.mysql_socket}", "-uroot"],
                       input=sql.encode(), check=True)

    def sim(self, boot, rate, catalogues):
        argv = [self.tool("lasair-sim"), "--survey", "ztf", "--alerts", str(self.opts.alerts),
                "--objects", str(max(1, self.opts.alerts // 6)), "--seed", str(self.seed),
                "--no-cutouts", "--out", f"kafka://{boot}/{self.name}_alerts", "--rate", str(rate)]
        argv += kafka_options(self.opts)
        if catalogues:
            argv += ["--catalogues", os.path.join(self.seed_dir, "catalogues")]
        return argv

    def create_topics(self, suffixes):
        """The pipeline's topics (4 partitions) and the users' filters' topics (one each)."""
        for suffix in suffixes:
            self.broker.create(f"{self.name}_{suffix}", PARTITIONS)
        if "sherlocked" in suffixes:
            for name, *_ in FILTERS:
                self.broker.create(topic_of(name), 1)

    def setup_db(self):
        """A fresh main database with the users' watchlist and filters, made by lasair-filter's
        staff commands."""
        self.mysql_root(f"DROP DATABASE IF EXISTS {self.name}; CREATE DATABASE {self.name}; "
                        f"GRANT ALL ON {self.name}.* TO 'lasair'@'127.0.0.1';")
        manage = [self.tool("lasair-filter"), "--survey", "ztf", "--db", self.db]
        run_quiet(manage + ["watchlist", "add", os.path.join(self.seed_dir, "watchlist.txt"),
                            "--name", "my galaxies", "--user", str(USER), "--radius", "10"])
        for name, select, tables, where in FILTERS:
            run_quiet(manage + ["filter", "add", "--name", name, "--user", str(USER),
                                "--select", select, "--tables", tables, "--where", where])

    def replicas(self, boot):
        common = ["--quiet"] + kafka_options(self.opts) + [
            # A killed member holds its partitions until its session times out: keep it short.
            "--kafka-option", "session.timeout.ms=6000",
            "--kafka-option", "max.poll.interval.ms=60000"]
        k = f"kafka://{boot}/{self.name}"
        out = []
        for i in (1, 2):
            stage_argv = {
                "ingest": [self.tool("lasair-ingest"), "--survey", "ztf", f"{k}_alerts",
                           "--output", f"{k}_ingested", "--lightcurves", self.lightcurves],
                "sherlock": [self.tool("lasair-sherlock"), "--store", self.catalogue_store(),
                             "--search", os.path.join(self.seed_dir, "search.toml"),
                             "--cache", os.path.join(self.dir, f"sherlock-cache-{i}.db"),
                             f"{k}_ingested", "--output", f"{k}_sherlocked"],
                "filter": [self.tool("lasair-filter"), "--survey", "ztf", "--db", self.db,
                           f"{k}_sherlocked", "--topics", f"kafka://{boot}"],
            }
            for stage in STAGES:
                argv = stage_argv[stage] + ["--group", group(self.name, stage)] + common
                out.append(Replica(f"{stage}-{i}", argv, os.path.join(self.dir, f"{stage}-{i}.log")))
        return out

    def catalogue_store(self):
        return os.path.join(self.seed_dir, "catalogues.db")

    def go(self):
        t0 = time.time()
        self.broker = Broker(self.dir)
        boot = self.broker.boot
        try:
            self.setup_and_run(boot)
            self.collect(boot)
        finally:
            self.broker.stop()
        self.figures["seconds"] = time.time() - t0

    def setup_and_run(self, boot):
        opts, chaos = self.opts, self.kind == "chaos"
        # The reference's alerts are all in Kafka before its pipeline starts (as fast as the
        # simulator goes); the chaos run's arrive at --rate while replicas die.
        if not chaos:
            self.create_topics(["alerts"])
            run_quiet(self.sim(boot, 0, catalogues=True))
            prepare_seed(self)
            self.create_topics(["ingested", "sherlocked"])
        else:
            self.create_topics(["alerts", "ingested", "sherlocked"])
        self.setup_db()
        replicas = self.replicas(boot)
        for r in replicas:
            r.start()
        sim = None
        if chaos:
            sim_log = open(os.path.join(self.dir, "sim.log"), "ab")
            sim = subprocess.Popen(self.sim(boot, opts.rate, catalogues=False),
                                   stdout=sim_log, stderr=subprocess.STDOUT)
        rng = random.Random(self.seed)
        groups = Groups(boot, self.name)
        started = time.time()
        next_kill = started + opts.kill_every * (0.5 + rng.random())
        produced_at = None if chaos else started
        drained_checks, next_check = 0, 0
        try:
            while True:
                now = time.time()
                for r in replicas:
                    code = r.proc.poll()
                    if code is not None:
                        self.figures["unexpected_exits"].append(f"{r.name} exited {code}: {r.tail()}")
                        say(f"{self.name}: {r.name} exited by itself ({code}); restarting it")
                        r.start()
                if sim is not None and produced_at is None and sim.poll() is not None:
                    if sim.returncode != 0:
                        raise SystemExit(f"chaos: lasair-sim failed; see {self.dir}/sim.log")
                    produced_at = now
                killing = chaos and (produced_at is None or now - produced_at < opts.chaos_tail)
                if killing and now >= next_kill:
                    victim = rng.choice(replicas)
                    victim.kill()
                    self.figures["kills"] += 1
                    self.figures["killed"][victim.name.split("-")[0]] += 1
                    time.sleep(opts.restart_after)
                    victim.start()
                    self.figures["restarts"] += 1
                    next_kill = time.time() + opts.kill_every * (0.5 + rng.random())
                if produced_at is not None and now >= next_check:
                    next_check = now + 1
                    idle = all(groups.lag(s, f"{self.name}_{t}") == 0 for s, t in
                               zip(STAGES, ("alerts", "ingested", "sherlocked")))
                    drained_checks = drained_checks + 1 if idle else 0
                    if drained_checks >= 3:
                        break
                if now - started > opts.timeout:
                    lags = {s: groups.lag(s, f"{self.name}_{t}") for s, t in
                            zip(STAGES, ("alerts", "ingested", "sherlocked"))}
                    raise SystemExit(f"chaos: {self.name} not drained after {opts.timeout} s: {lags}")
                time.sleep(0.1)
        finally:
            groups.close()
            self.figures["drained_s"] = time.time() - started
            # Every replica drains on SIGTERM and exits 0.
            for r in replicas:
                if r.proc.poll() is None:
                    r.proc.send_signal(signal.SIGTERM)
            for r in replicas:
                try:
                    code = r.proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    r.kill()
                    code = "still running 60 s after SIGTERM"
                if code != 0:
                    self.figures["unclean_stops"].append(f"{r.name}: {code}: {r.tail()}")
            if sim is not None and sim.poll() is None:
                sim.kill()
        self.figures["starts"] = sum(r.starts for r in replicas)

    def collect(self, boot):
        """What the run left: the alerts' objects, the filter results, the main database and the
        lightcurve store, written to files in the run's folder."""
        alerts = read_topic(boot, f"{self.name}_alerts", PARTITIONS)
        objects = sorted({k.decode() for k, _ in alerts})
        results = {}
        for name, *_ in FILTERS:
            results[name] = [json.loads(v) for _, v in read_topic(boot, topic_of(name), 1)]
        tables = dump_db(self.opts.mysql_socket, self.name)
        ids = os.path.join(self.dir, "objects.txt")
        with open(ids, "w") as f:
            f.write("".join(o + "\n" for o in objects))
        lc = os.path.join(self.dir, "lightcurves.jsonl")
        # It exits 1 when an object has no lightcurve: the comparison reports those.
        mine = subprocess.run([self.tool("lasair-mine"), "--survey", "ztf", "--ids", ids,
                               "--lightcurves", self.lightcurves, "--hosts", "local",
                               "--processes", "2", "--run", "cat", "--output", lc],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if mine.returncode not in (0, 1) or not os.path.exists(lc):
            raise SystemExit(f"chaos: lasair-mine failed: {mine.stderr.decode(errors='replace')}")
        lightcurves = {}
        with open(lc) as f:
            for line in f:
                alert = json.loads(line)
                lightcurves[alert["objectId"]] = alert
        self.state = {"alerts": len(alerts), "objects": objects, "results": results,
                      "tables": tables, "lightcurves": lightcurves}
        with open(os.path.join(self.dir, "state.json"), "w") as f:
            json.dump(self.state, f)


def prepare_seed(run):
    """The seed's Sherlock catalogue store (from the catalogues lasair-sim wrote for its sky),
    its searches and the users' watchlist (ten of its galaxies)."""
    d = run.seed_dir
    store = run.catalogue_store()
    search = os.path.join(d, "search.toml")
    with open(os.path.join(os.path.dirname(__file__), "lib", "sim-search.toml")) as src, \
            open(search, "w") as dst:
        dst.write(src.read())
    if os.path.exists(store):
        os.remove(store)
    sherlock = [run.tool("lasair-sherlock"), "--store", store, "--search", search, "catalogue", "add"]
    common = ["--ra", "ra", "--dec", "dec", "--id", "id", "--mag", "mag", "--mag-band", "r",
              "--no-progress"]
    cats = os.path.join(d, "catalogues")
    run_quiet(sherlock + ["sim_galaxies", f"{cats}/galaxies.csv", "--kind", "galaxy", "--z", "z",
                          "--major-axis", "major_axis_arcsec", "--major-axis-unit", "arcsec"] + common)
    run_quiet(sherlock + ["sim_stars", f"{cats}/stars.csv", "--kind", "variable"] + common)
    run_quiet(sherlock + ["sim_qsos", f"{cats}/qsos.csv", "--kind", "agn", "--z", "z"] + common)
    with open(f"{cats}/galaxies.csv") as f, open(os.path.join(d, "watchlist.txt"), "w") as w:
        for row in list(f)[1:11]:
            cols = row.strip().split(",")
            w.write(f"{cols[1]}|{cols[2]}|{cols[0]}\n")


def kafka_options(opts):
    # Two faults of the tansu 0.6 test broker, both about record batches of several messages
    # (seen with --producer-batch 0; Apache Kafka has neither): a group whose committed offset
    # falls inside a record batch resumes at the NEXT batch, skipping the rest of that one
    # (committed 50 in a batch of 0-99: the first message read is 100); and a partition's high
    # watermark is its last batch's first offset + 1, so the last batch's tail looks read
    # (lags and ends are judged by it). One message per record batch avoids both.
    if opts.producer_batch <= 0:
        return []
    return ["--kafka-option", f"batch.num.messages={opts.producer_batch}"]


def run_quiet(argv):
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise SystemExit(f"chaos: {' '.join(argv)} failed ({done.returncode}):\n"
                         f"{done.stderr.decode(errors='replace')}")
    return done.stdout


def dump_db(socket_path, name):
    """Every table of database `name` as a list of rows (column -> text or None), read with
    mariadb-dump's XML."""
    xml = subprocess.run(["mariadb-dump", "--no-defaults", f"--socket={socket_path}", "-uroot",
                          "--xml", "--no-create-info", "--skip-triggers", name],
                         stdout=subprocess.PIPE, check=True).stdout
    tables = {}
    for table in ET.fromstring(xml).iter("table_data"):
        rows = []
        for row in table.iter("row"):
            rows.append({f.get("name"): (None if f.get("{http://www.w3.org/2001/XMLSchema-instance}nil")
                                         == "true" else (f.text or "")) for f in row.iter("field")})
        tables[table.get("name")] = rows
    return tables


def compare(ref, chaos):
    """The differences between the two runs' states, and the figures compared."""
    problems, figures = [], collections.Counter()
    r, c = ref.state, chaos.state
    if r["objects"] != c["objects"]:
        problems.append(f"the alerts topics' objects differ: {len(r['objects'])} vs {len(c['objects'])}")
    # Main database.
    for name in sorted(set(r["tables"]) | set(c["tables"])):
        if name in LEFT_OUT and LEFT_OUT[name] is None:
            continue
        skip = set(LEFT_OUT.get(name) or ())
        for label, rows in (("reference", r["tables"].get(name, [])), ("chaos", c["tables"].get(name, []))):
            whole = collections.Counter(tuple(sorted(row.items())) for row in rows)
            twice = sum(n - 1 for n in whole.values() if n > 1)
            if twice:
                problems.append(f"table {name}: {twice} duplicate rows in the {label} run")
        key = lambda row: tuple(sorted((k, v) for k, v in row.items() if k not in skip))
        want = collections.Counter(key(row) for row in r["tables"].get(name, []))
        got = collections.Counter(key(row) for row in c["tables"].get(name, []))
        figures["rows"] += sum(want.values())
        missing, extra = want - got, got - want
        if missing or extra:
            problems.append(f"table {name}: {sum(missing.values())} reference rows missing or "
                            f"different, {sum(extra.values())} rows not in the reference; e.g. "
                            f"{first(missing)} vs {first(extra)}")
    unexplained = sherlock_explained(r, c, figures)
    if unexplained:
        problems.append(f"table sherlock_classifications: {len(unexplained)} objects' separations "
                        f"differ with no earlier alert within {CACHE_ARCSEC}\" of the latest to "
                        f"explain it (a stale row?), e.g. {unexplained[:3]}")
    # Every alert's object has its row, but known solar-system objects, which Lasair leaves out.
    ids = {row.get("objectId") for row in c["tables"].get("objects", [])}
    solar = {o for o, a in r["lightcurves"].items() if a.get("solarSystem")}
    lost = [o for o in c["objects"] if o not in ids and o not in solar]
    figures["objects"] = len(c["objects"])
    figures["solar_system"] = len(solar)
    if lost:
        problems.append(f"{len(lost)} alerts' objects have no objects row, e.g. {lost[:3]}")
    # Filter results. Each object's latest alert, by the filter that takes every object.
    latest = {}
    for rec in r["results"][FILTERS[0][0]]:
        latest[rec["objectId"]] = max(rec["jdmax"], latest.get(rec["objectId"], rec["jdmax"]))
    for name, *_ in FILTERS:
        strip = lambda rec: tuple(sorted((k, json.dumps(v)) for k, v in rec.items() if k != "UTC"))
        want_all = {}
        for rec in r["results"][name]:
            want_all.setdefault((rec["objectId"], rec["jdmax"]), set()).add(strip(rec))
        # An object's final result: from its latest alert, which every run evaluates (a result
        # from an earlier alert depends on whether a later one shared its batch).
        final = {obj: (jd, recs) for (obj, jd), recs in want_all.items() if jd == latest.get(obj)}
        got_all = {}
        for rec in c["results"][name]:
            got_all.setdefault((rec["objectId"], rec["jdmax"]), collections.Counter())[strip(rec)] += 1
        figures["results"] += len(c["results"][name])
        figures["final_results"] += len(final)
        figures["repeated_results"] += sum(n - 1 for recs in got_all.values() for n in recs.values())
        missing = [obj for obj, (jd, recs) in final.items()
                   if not recs <= set(got_all.get((obj, jd), ()))]
        if missing:
            problems.append(f"filter {name}: {len(missing)} final results missing from its topic, "
                            f"e.g. {missing[:3]}")
        differ = [k for k, recs in got_all.items() if k in want_all and set(recs) != want_all[k]]
        if differ:
            problems.append(f"filter {name}: {len(differ)} results differ from the reference's for "
                            f"the same alert, e.g. {differ[:3]}")
    # Lightcurve store.
    for label, run in (("reference", r), ("chaos", c)):
        missing = [o for o in run["objects"] if o not in run["lightcurves"]]
        if missing:
            problems.append(f"lightcurve store ({label}): {len(missing)} objects without a "
                            f"lightcurve, e.g. {missing[:3]}")
        for obj, alert in run["lightcurves"].items():
            keys = collections.Counter((p.get("kind"), p.get("id"), p.get("mjd"), p.get("band"))
                                       for p in alert.get("lightcurve") or [])
            twice = sum(n - 1 for n in keys.values() if n > 1)
            if twice:
                problems.append(f"lightcurve store ({label}): {obj} holds {twice} points twice")
    differ = [o for o in r["lightcurves"] if r["lightcurves"][o] != c["lightcurves"].get(o)]
    figures["lightcurves"] = len(r["lightcurves"])
    figures["points"] = sum(len(a.get("lightcurve") or []) for a in r["lightcurves"].values())
    if differ:
        problems.append(f"lightcurve store: {len(differ)} objects' lightcurves differ, e.g. {differ[:3]}")
    return problems, figures


def sherlock_explained(r, c, figures):
    """The objects whose Sherlock rows differ in the separations where no earlier alert of the
    object lies within the cache's reach of its latest: those the cache cannot explain."""
    ref = {row["objectId"]: row for row in r["tables"].get("sherlock_classifications", [])}
    unexplained = []
    for row in c["tables"].get("sherlock_classifications", []):
        obj = row["objectId"]
        if ref.get(obj) == row:
            continue
        figures["sherlock_cached"] += 1
        detections = [p["fields"] for p in r["lightcurves"].get(obj, {}).get("lightcurve", [])
                      if p.get("kind") == "detection"]
        if len(detections) < 2:
            unexplained.append(obj)
            continue
        last = detections[-1]
        cosd = math.cos(math.radians(last["dec"]))
        near = any(math.hypot((p["ra"] - last["ra"]) * cosd, p["dec"] - last["dec"]) * 3600
                   <= CACHE_ARCSEC for p in detections[:-1])
        if not near:
            unexplained.append(obj)
    return unexplained


def first(counter):
    for k in counter:
        return dict(k)
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", default="1", help="comma-separated seeds (default 1)")
    p.add_argument("--alerts", type=int, default=20000, help="alerts per run (default 20000)")
    p.add_argument("--rate", type=float, default=1000, help="alerts/s into the chaos run (default 1000)")
    p.add_argument("--kill-every", type=float, default=3,
                   help="seconds between kills, on average (uniform over 0.5x to 1.5x; default 3)")
    p.add_argument("--restart-after", type=float, default=0.5,
                   help="seconds a killed replica stays down (default 0.5)")
    p.add_argument("--chaos-tail", type=float, default=60,
                   help="the kills go on until every alert is processed, or at most this many "
                        "seconds after the last was produced (default 60)")
    p.add_argument("--timeout", type=float, default=900,
                   help="seconds a run may take to process every alert (default 900)")
    p.add_argument("--producer-batch", type=int, default=1,
                   help="batch.num.messages of every producer; 0 leaves librdkafka's default "
                        "(see kafka_options for why 1)")
    p.add_argument("--work", default="var/chaos", help="the runs' folders and logs (default var/chaos)")
    p.add_argument("--bin", required=True, help="the folder of the release tools")
    p.add_argument("--mysql", required=True, help="mysql://USER:PW@HOST:PORT/DB of the MariaDB server")
    p.add_argument("--mysql-socket", required=True, help="its socket, for root (databases are made per run)")
    p.add_argument("--cql", required=True, help="HOST:PORT of the CQL server")
    opts = p.parse_args()
    failed = False
    totals = collections.Counter()
    for seed in [int(s) for s in opts.seeds.split(",")]:
        seed_dir = os.path.abspath(os.path.join(opts.work, f"seed-{seed}"))
        os.makedirs(seed_dir, exist_ok=True)
        say(f"seed {seed}: the crash-free run")
        ref = Run(opts, seed, "ref", seed_dir)
        ref.go()
        say(f"seed {seed}: the chaos run ({opts.alerts} alerts at {opts.rate:g}/s, a kill every ~{opts.kill_every:g} s)")
        chaos = Run(opts, seed, "chaos", seed_dir)
        chaos.go()
        problems, figures = compare(ref, chaos)
        f = chaos.figures
        for run in (ref, chaos):
            for what in ("unexpected_exits", "unclean_stops"):
                for text in run.figures[what]:
                    problems.append(f"{run.kind} run: {what.replace('_', ' ')}: {text}")
        by_stage = ", ".join(f"{s} {n}" for s, n in sorted(f["killed"].items()))
        print(f"seed {seed}: {chaos.state['alerts']} alerts of {figures['objects']} objects at "
              f"{opts.rate:g}/s; {f['kills']} kills ({by_stage}), {f['restarts']} restarts, "
              f"{len(f['unexpected_exits'])} unexpected exits; drained in {f['drained_s']:.0f} s "
              f"(crash-free: {ref.figures['drained_s']:.0f} s)")
        print(f"  main database: {figures['rows']} rows compared (left out: statistics, staff's date "
              f"stamps; Sherlock's separations differ in {figures['sherlock_cached']}, each explained "
              f"by its cache); {figures['objects'] - figures['solar_system']} "
              f"objects ({figures['solar_system']} solar-system objects left out, as Lasair does)")
        print(f"  filter results: {figures['results']} records on {len(FILTERS)} topics "
              f"({figures['repeated_results']} repeats), {figures['final_results']} final results of "
              f"the crash-free run checked")
        print(f"  lightcurve store: {figures['lightcurves']} objects, {figures['points']} points compared")
        print(f"  differences: {len(problems)}" + "".join(f"\n    - {t}" for t in problems), flush=True)
        failed |= bool(problems)
        totals.update(kills=f["kills"], seeds=1, problems=len(problems))
    print(f"campaign: {totals['seeds']} seeds, {totals['kills']} kills survived"
          if not failed else f"campaign: {totals['seeds']} seeds, {totals['kills']} kills, "
          f"{totals['problems']} differences")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

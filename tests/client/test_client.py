#!/usr/bin/env python3
"""The official `lasair` client (0.1.4 from PyPI, unchanged) against a live lasair-serve.

The database is filled by the real pipeline: the real ZTF alerts of ../shared/data ->
lasair-ingest -> lasair-sherlock with the real GCVS -> lasair-filter, on SQLite or MariaDB.
Every answer of the client is compared with what the database and the stores hold, read
independently: lasair-query (the command line, straight on the database) and the alert lines
lasair-ingest wrote. Run by scripts/test, once per backend:

    python test_client.py --bin target/debug --data ../shared/data --work DIR [--db mysql://...]

Exits non-zero, saying which check failed, on the first failure.
"""

import argparse
import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request

import lasair
import requests
from lasair import LasairError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import CHECKS, check, free_port, run  # noqa: E402


def separation(ra1, dec1, ra2, dec2):
    """Arcseconds between two positions (haversine)."""
    r1, d1, r2, d2 = map(math.radians, (ra1, dec1, ra2, dec2))
    h = math.sin((d2 - d1) / 2) ** 2 + math.cos(d1) * math.cos(d2) * math.sin((r2 - r1) / 2) ** 2
    return math.degrees(2 * math.asin(min(1.0, math.sqrt(h)))) * 3600


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--db", help="mysql:// URL (default: a SQLite file in --work)")
    ap.add_argument("--readonly-db", help="the SELECT-only account's URL for --db")
    ap.add_argument("--kafka", help="HOST:PORT of a broker with the topic lasair_annotations_in: annotations then "
                    "go there, lasair-filter --annotations runs the annotation-triggered filter, and the "
                    "client's lasair_consumer reads its result")
    args = ap.parse_args()
    if not os.path.isdir(f"{args.data}/ztf/alerts"):
        print(f"skipped: {args.data}/ztf/alerts not found (the real alerts live in ../shared/data)")
        return
    b = lambda tool: os.path.join(args.bin, tool)  # noqa: E731
    work = args.work
    os.makedirs(work, exist_ok=True)
    db = args.db or f"sqlite:{work}/lasair.db"
    tag = str(os.getpid())  # names unique to this run: a MariaDB database may be reused
    print(f"== the lasair client {lasair.__version__ if hasattr(lasair, '__version__') else ''} against lasair-serve on {db.split('@')[-1]}")

    # The real pipeline.
    lc = f"sqlite:{work}/lightcurves.db"
    run(b("lasair-ingest"), "--survey", "ztf", f"{args.data}/ztf/alerts/*/*.avro", "--lightcurves", lc,
        "--cutouts", f"{work}/cutouts", "--output", f"{work}/ztf.jsonl", "--quiet")
    cats = f"{work}/catalogues.db"
    run(b("lasair-sherlock"), "--store", cats, "catalogue", "add", "gcvs", f"{args.data}/catalogues/gcvs.csv",
        "--map", "crates/lasair-context/catalogues.toml", "--no-progress")
    run(b("lasair-sherlock"), "--store", cats, f"{work}/ztf.jsonl", "--output", f"{work}/ztf-sherlock.jsonl", "--quiet")

    serve = lambda *a, stdin=None: run(b("lasair-serve"), "--survey", "ztf", "--db", db, *a, stdin=stdin)  # noqa: E731
    names = {k: f"{k}{tag}" for k in ("dummy", "ada", "eve")}
    demo = serve("user", "add", names["dummy"], "--demo").strip()
    token = serve("user", "add", names["ada"], "--email", "ada@example.org", "--first-name", "Ada",
                  "--last-name", "Lovelace", "--password-stdin", stdin="s3cret\n").strip()
    other = serve("user", "add", names["eve"]).strip()
    ada = json.loads(serve("user", "show", names["ada"]))
    topic = f"fast{tag}"
    serve("annotator", "add", topic, "--user", names["ada"], "--description", "fast risers")

    # Ada's private watchlist: five real objects' positions, from the alert lines.
    alerts = [json.loads(line) for line in open(f"{work}/ztf.jsonl")]
    by_object = {}
    for a in alerts:
        by_object.setdefault(a["objectId"], []).append(a)
    firsts = sorted(by_object)[:5]
    with open(f"{work}/watchlist.txt", "w") as f:
        for oid in firsts:
            c = by_object[oid][-1]
            f.write(f"{c['ra']}|{c['dec']}|{oid}\n")
    filt = lambda *a: run(b("lasair-filter"), "--survey", "ztf", "--db", db, *a)  # noqa: E731
    out = filt("watchlist", "add", f"{work}/watchlist.txt", "--name", f"mine{tag}", "--user", str(ada["id"]), "--radius", "2")
    wl_id = int(out.split(":")[0].split()[-1])  # "watchlist N: K cones"
    filt("watchlist", "activate", str(wl_id))
    # A filter run when Ada's annotator classifies an object, streamed to its Kafka topic.
    filt("filter", "add", "--name", f"ann{tag}", "--user", str(ada["id"]), "--mode", "kafka", "--on-annotation",
         "--select", f"objects.objectId, {topic}.classification", "--tables", f"objects, annotator:{topic}")
    annotations = f"kafka://{args.kafka}/lasair_annotations_in" if args.kafka else f"{work}/annotations.jsonl"
    run(b("lasair-filter"), "--survey", "ztf", "--db", db, "--topics", f"{work}/streams", f"{work}/ztf-sherlock.jsonl", "--quiet")

    def query_cli(select, tables="objects", where=""):
        """Rows read straight from the database by lasair-query, not through the server."""
        out = run(b("lasair-query"), "--db", args.readonly_db or db, "--select", select, "--tables", tables,
                  "--where", where, "--max-rows", "1000000", "--format", "json")
        return [json.loads(line) for line in out.splitlines()]

    # The server.
    port = free_port()
    log = open(f"{work}/serve.log", "w")
    server = subprocess.Popen([b("lasair-serve"), "--survey", "ztf", "--db", db,
                               *(["--readonly-db", args.readonly_db] if args.readonly_db else []),
                               "--lightcurves", lc, "--cutouts", f"{work}/cutouts", "--store", cats,
                               "--listen", f"127.0.0.1:{port}", "--annotations", annotations,
                               "--calls-user", "1000"], stdout=log, stderr=log)
    try:
        endpoint = f"http://127.0.0.1:{port}/api"
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        annotated = client_checks(endpoint, token, demo, other, ada, topic, wl_id, by_object, query_cli, work, args)
        if args.kafka:
            kafka_checks(args, b, db, tag, ada, annotated, work)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"== {len(CHECKS)} checks passed")


def client_checks(endpoint, token, demo, other, ada, topic, wl_id, by_object, query_cli, work, args):
    L = lasair.lasair_client(token, endpoint=endpoint)
    objects = query_cli("objects.objectId, objects.ramean, objects.decmean, objects.ncand")
    check("the pipeline filled the database", len(objects) > 100, f"{len(objects)} objects")
    known = {o["objectId"]: o for o in objects}

    # cone: every answer against a brute-force search of the database's positions.
    for o in objects[:: max(1, len(objects) // 8)]:
        ra, dec = o["ramean"], o["decmean"]
        for radius in (2, 60, 600):
            expect = sorted(
                (separation(ra, dec, p["ramean"], p["decmean"]), p["objectId"]) for p in objects
                if separation(ra, dec, p["ramean"], p["decmean"]) <= radius
            )
            got = L.cone(ra, dec, radius=radius, requestType="all")
            ids = [x["object"] for x in got["objects"]]
            check(f"cone {o['objectId']} {radius}\": {len(expect)} objects, nearest first",
                  ids == [e[1] for e in expect] and got["count"] == len(expect), f"{got} vs {expect}")
        near = L.cone(ra, dec, radius=2, requestType="nearest")
        check(f"cone nearest {o['objectId']}", near["nearest"]["object"] == o["objectId"]
              and abs(near["nearest"]["separation"]) < 1e-6, near)
    check("cone count", L.cone(objects[0]["ramean"], objects[0]["decmean"], 2, "count")["count"] >= 1)
    try:
        L.cone(10, 10, radius=5000)
        check("a radius over 1000\" is refused", False)
    except LasairError as e:
        check("a radius over 1000\" is refused", e.message.startswith("Bad Request:") and "Max radius" in e.message, e.message)

    # query: the same rows as lasair-query reads from the database.
    sel = "objects.objectId, objects.ncand, objects.ramean"
    got = L.query(sel, "objects", "objects.ncand >= 3 ORDER BY objects.objectId", limit=50, offset=5)
    want = query_cli(sel, "objects", "objects.ncand >= 3 ORDER BY objects.objectId")[5:55]
    check("query rows and offset as the database holds them", got == want, f"{got[:2]} vs {want[:2]}")
    sel = "objects.objectId, watchlist_hits.name, watchlist_hits.arcsec"
    got = L.query(sel, f"objects, watchlist:{wl_id}", "")
    want = query_cli(sel, f"objects, watchlist:{wl_id}")
    check("query with the owner's private watchlist", got == want and len(got) >= 5, f"{got} vs {want}")
    try:
        lasair.lasair_client(other, endpoint=endpoint).query(sel, f"objects, watchlist:{wl_id}", "")
        check("another user cannot read a private watchlist", False)
    except LasairError as e:
        check("another user cannot read a private watchlist",
              "you do not have permission to access watchlist" in e.message, e.message)
    for hostile in ("1=1; DROP TABLE objects", "objects.ncand > 0 UNION SELECT password FROM users",
                    "sleep(5) = 0", "objects.objectId IN (SELECT username FROM users)"):
        try:
            L.query("objects.objectId", "objects", hostile)
            check(f"hostile SQL refused: {hostile}", False)
        except LasairError as e:
            check(f"hostile SQL refused: {hostile}", e.message.startswith("Bad Request:"), e.message)

    # object: the lightcurve holds every candidate the alerts carried.
    oid = max(by_object, key=lambda k: len(by_object[k]) if k in known else -1)
    got = L.object(oid, lite=False, lasair_added=True)
    candids = {c["candid"] for c in got["candidates"] if c.get("candid")}
    alerted = {a["sourceId"] for a in by_object[oid]}
    check(f"object {oid}: every alert's candidate in its lightcurve", alerted <= candids, f"{alerted - candids}")
    check(f"object {oid}: the objects row", got["objectData"]["ncand"] == known[oid]["ncand"]
          and got["objectData"]["ramean"] == known[oid]["ramean"], got["objectData"])
    sher = query_cli("sherlock_classifications.classification", "objects, sherlock_classifications",
                     f"objects.objectId = '{oid}'")
    check(f"object {oid}: Sherlock's row", got["objectData"]["sherlock"].get("classification") ==
          (sher[0]["classification"] if sher else None), got["objectData"]["sherlock"])
    url = got["objectData"]["image_urls"][0]["Science"]
    data = requests.get(url, timeout=10).content  # gzipped FITS travel as Content-Encoding: gzip
    check(f"object {oid}: its science cutout is served", data[:6] == b"SIMPLE", data[:20])
    lite = L.object(oid)
    check("object lite has fewer fields", len(lite["candidates"][0]) < len(got["candidates"][0]))
    try:
        L.object("ZTF00aaaaaaa")
        check("an unknown object is 404", False)
    except LasairError as e:
        check("an unknown object is 404", "HTTP return code 404" in e.message, e.message)

    # Sherlock: the object's context as the pipeline stored it; a GCVS star's position is VS.
    s = L.sherlock_object(oid, lite=True)
    check(f"sherlock_object {oid} as stored", s["classifications"][oid][0] == (sher[0]["classification"] if sher else "ORPHAN"), s)
    with open(f"{args.data}/catalogues/gcvs.csv") as f:
        f.readline()
        ra, dec, vartype = f.readline().split(",")
    p = L.sherlock_position(float(ra), float(dec), lite=False)
    check("sherlock_position on a GCVS star: VS from gcvs", p["classifications"]["query0"][0] == "VS"
          and p["crossmatches"][0]["catalogue_table_name"] == "gcvs", p)

    # Annotations: one, then a list; read back through annotator:TOPIC and from the database.
    ids = sorted(known)[:3]
    r = L.annotate(topic, ids[0], "SN Ia", version="0.1", explanation="rises fast", classdict={"p": 0.9}, url="https://example.org")
    check("annotate", r["status"] == "success" and r["annotation_topic"] == topic, r)
    r = L.annotate_list([{"objectId": i, "topic": topic, "classification": "AGN"} for i in ids[1:]])
    check("annotate_list", r == {"status": "success", "n": 2}, r)
    sel = f"objects.objectId, {topic}.classification"  # as Lasair users write it
    got = L.query(sel, f"objects, annotator:{topic}", "ORDER BY objects.objectId")
    want = query_cli(sel, f"objects, annotator:{topic}", "ORDER BY objects.objectId")
    check("query with annotator:TOPIC", got == want and [g["classification"] for g in got] == ["SN Ia", "AGN", "AGN"], f"{got} vs {want}")
    try:
        lasair.lasair_client(other, endpoint=endpoint).annotate(topic, ids[0], "SN")
        check("only the annotator's owner annotates", False)
    except LasairError as e:
        check("only the annotator's owner annotates", "is not allowed to submit to topic" in e.message, e.message)
    if not args.kafka:
        stream = [json.loads(line) for line in open(f"{work}/annotations.jsonl")]
        check("annotations reach the annotation stream", [a["objectId"] for a in stream] == ids, stream)

    # Tokens and throttling.
    for bad in ("", "0" * 40):
        try:
            lasair.lasair_client(bad, endpoint=endpoint).cone(10, 10)
            check(f"token {bad!r} is unauthorized", False)
        except LasairError as e:
            check(f"token {bad!r} is unauthorized", e.message == "Unauthorized", e.message)
    D = lasair.lasair_client(demo, endpoint=endpoint)
    rows = D.query("objects.objectId", "objects", "", limit=5000)
    check("the demo user gets at most 1,000 rows", len(rows) == min(1000, len(objects)), len(rows))
    for _ in range(9):
        D.cone(10, 10, 5, "count")
    try:
        D.cone(10, 10, 5, "count")
        check("the demo user's 11th call is refused", False)
    except LasairError as e:
        check("the demo user's 11th call is refused",
              e.message == "Request limit exceeded. Either wait an hour, or see API documentation to increase your limits.",
              e.message)
    # auth-token, as DRF's (the client has no method for it).
    req = urllib.request.Request(f"{endpoint}/auth-token/", data=f"username={ada['username']}&password=s3cret".encode())
    check("auth-token gives the user's token", json.loads(urllib.request.urlopen(req).read()) == {"token": token})
    return {i: c for i, c in zip(ids, ["SN Ia", "AGN", "AGN"])}


def kafka_checks(args, b, db, tag, ada, annotated, work):
    """The annotations went to Kafka; lasair-filter --annotations runs Ada's on-annotation
    filter for the annotated objects and streams its rows to the filter's topic, where the
    client's own lasair_consumer (0.1.4, unchanged) reads them as astronomers read Lasair's."""
    from confluent_kafka.admin import AdminClient, NewTopic

    out_topic = f"lasair_{ada['id']}ann{tag}"
    admin = AdminClient({"bootstrap.servers": args.kafka})
    for f in admin.create_topics([NewTopic(out_topic, num_partitions=1, replication_factor=1)]).values():
        f.result(timeout=30)
    log = open(f"{work}/filter-annotations.log", "w")
    filt = subprocess.Popen([b("lasair-filter"), "--survey", "ztf", "--db", db, "--annotations",
                             "--topics", f"kafka://{args.kafka}", "--group", f"annotations{tag}", "--wait-ms", "100",
                             f"kafka://{args.kafka}/lasair_annotations_in"], stdout=log, stderr=log)
    try:
        consumer = lasair.lasair_consumer(args.kafka, f"reader{tag}", out_topic)
        got = {}
        deadline = time.time() + 90
        while len(got) < len(annotated) and time.time() < deadline:
            msg = consumer.poll(timeout=2)
            if msg is None or msg.error():
                continue
            record = json.loads(msg.value())
            got[record["objectId"]] = record["classification"]
        consumer.close()
        check("an annotation triggers its filter, read by lasair_consumer from Kafka", got == annotated,
              f"{got} vs {annotated}; {open(f'{work}/filter-annotations.log').read()[-2000:]}")
    finally:
        filt.terminate()
        filt.wait(timeout=30)


if __name__ == "__main__":
    main()

"""Latency of lasair-filter: alert lines are produced to its input topic at a steady rate
(confluent-kafka); a filter that passes every object sends its results to a topic; for each
result, latency = when it was read - when that object's latest alert was produced.

usage: filter_latency.py BOOTSTRAP INPUT_TOPIC RESULT_TOPIC ALERTS_JSONL RATE SECONDS
Prints p50, p90, p99 and max latency in ms.
"""
import json
import sys
import threading
import time

from confluent_kafka import Consumer, Producer

boot, in_topic, out_topic, path, rate, seconds = sys.argv[1:7]
rate, seconds = float(rate), float(seconds)
lines = [l for l in open(path, "rb").read().split(b"\n") if l.startswith(b"{")]
produced = {}  # objectId -> times its alerts were produced
lock = threading.Lock()
done = threading.Event()


def produce():
    p = Producer({"bootstrap.servers": boot, "linger.ms": 5})
    start = time.time()
    n = int(rate * seconds)
    for i in range(n):
        due = start + i / rate
        wait = due - time.time()
        if wait > 0:
            time.sleep(wait)
        line = lines[i % len(lines)]
        oid = json.loads(line[:200].split(b',"sourceId"')[0] + b"}")["objectId"]
        with lock:
            produced.setdefault(oid, []).append(time.time())
        p.produce(in_topic, line)
        p.poll(0)
    p.flush(30)
    done.set()


consumer = Consumer({"bootstrap.servers": boot, "group.id": f"latency-{time.time()}",
                     "auto.offset.reset": "latest", "enable.auto.commit": False,
                     "fetch.wait.max.ms": 10})
consumer.subscribe([out_topic])
# Wait for the assignment before producing, so no result is missed.
while not consumer.assignment():
    consumer.poll(0.2)
threading.Thread(target=produce, daemon=True).start()
lat = []
quiet_since = None
while True:
    msg = consumer.poll(0.2)
    now = time.time()
    if msg is None or msg.error():
        if done.is_set():
            quiet_since = quiet_since or now
            if now - quiet_since > 5:
                break
        continue
    quiet_since = None
    oid = json.loads(msg.value())["objectId"]
    with lock:
        times = [t for t in produced.get(oid, []) if t <= now]
    if times:
        lat.append((now - max(times)) * 1000)
consumer.close()
lat.sort()
if not lat:
    sys.exit("no results arrived")
pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"{len(lat)} results at {rate:.0f} alerts/s for {seconds:.0f} s: "
      f"p50 {pick(0.5):.0f} ms, p90 {pick(0.9):.0f} ms, p99 {pick(0.99):.0f} ms, max {lat[-1]:.0f} ms")

#!/usr/bin/env python3
"""lasair-serve's web pages in a real headless Chromium (Debian's chromium and chromedriver,
driven by Selenium over WebDriver), on a live server over a database the real pipeline filled
with the real ZTF alerts of ../shared/data.

What a page shows is checked against the API's answer for the same object (/api/object/), a
different path through the server that the official lasair client's tests hold to Lasair's:
- the object page's plot draws every point of every band (detections, limits, forced
  photometry), a range of MJD narrows it to the points inside, the flux scale relabels it;
- the CSV download holds every point; the search box finds an object, a position, and says
  what is wrong with nonsense (escaped, not run);
- the home page draws the newest objects on the sky.
Screenshots of the pages are kept in --work as artefacts, not compared.
"""

import argparse
import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHECKS = []


def check(what, ok, detail=""):
    if not ok:
        print(f"FAILED: {what} {detail}")
        sys.exit(1)
    CHECKS.append(what)
    print(f"ok: {what}")


def run(*cmd, stdin=None):
    out = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        print(out.stderr)
        raise SystemExit(f"{cmd[0]} failed with {out.returncode}")
    return out.stdout


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, r.read().decode()


def browser():
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1600",
                "--disable-dev-shm-usage"):
        options.add_argument(arg)
    driver_path = "/usr/bin/chromedriver"
    return webdriver.Chrome(service=Service(driver_path), options=options)


def drawn_points(driver):
    """{trace name: markers drawn} of the lightcurve, read from the SVG Plotly made."""
    return driver.execute_script("""
        const el = document.getElementById('lightcurve');
        const traces = el.querySelectorAll('g.scatterlayer g.trace');
        const names = el.data.map(d => d.name);
        const out = {};
        traces.forEach((t, i) => { out[names[i]] = t.querySelectorAll('path.point').length; });
        return out;
    """)


def wait_drawn(driver, element_id):
    WebDriverWait(driver, 30).until(
        lambda d: d.find_element(By.ID, element_id).get_attribute("data-drawn") == "1")


def expected_points(api_answer):
    """{trace name: points} the plot must draw, from the API's ZTF answer: detections
    (candidates with a candid), limits (without), forced photometry with a flux."""
    bands = {1: "g", 2: "r", 3: "i"}
    want = {}

    def add(name, mjd):
        want.setdefault(name, []).append(mjd)

    for c in api_answer["candidates"]:
        band = bands[c["fid"]]
        mjd = c["jd"] - 2400000.5
        if c.get("candid"):
            if c.get("magpsf") is not None:
                add(band, mjd)
        elif c.get("diffmaglim") is not None:
            add(f"{band} limit", mjd)
    for f in api_answer["forcedphot"]:
        flux = f.get("forcediffimflux")
        if flux is not None and flux > 0 and f.get("magzpsci") is not None and flux != -99999:
            add(f"{bands[f['fid']]} forced", f["jd"] - 2400000.5)
    return want


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--assets", default="web/node_modules")
    args = ap.parse_args()
    alerts_dir = f"{args.data}/ztf/alerts"
    if not os.path.isdir(alerts_dir):
        print(f"skipped: {alerts_dir} not found (the real alerts live in ../shared/data)")
        return
    if not os.path.exists(f"{args.assets}/plotly.js-dist-min/plotly.min.js"):
        raise SystemExit(f"{args.assets}: the browser libraries are not installed (npm ci in web/)")
    b = lambda tool: os.path.join(args.bin, tool)  # noqa: E731
    work = args.work
    os.makedirs(work, exist_ok=True)
    db = f"sqlite:{work}/lasair.db"
    lc = f"sqlite:{work}/lightcurves.db"

    # The real pipeline: ingest, Sherlock, filter.
    run(b("lasair-ingest"), "--survey", "ztf", f"{alerts_dir}/ZTF21abiuvdk/*.avro",
        f"{alerts_dir}/ztf_public_2021_mixed/*.avro", "--lightcurves", lc, "--cutouts", f"{work}/cutouts",
        "--output", f"{work}/ztf.jsonl", "--quiet")
    cats = f"{work}/catalogues.db"
    run(b("lasair-sherlock"), "--store", cats, "catalogue", "add", "gcvs", f"{args.data}/catalogues/gcvs.csv",
        "--map", "crates/lasair-context/catalogues.toml", "--no-progress")
    run(b("lasair-sherlock"), "--store", cats, f"{work}/ztf.jsonl", "--output", f"{work}/ztf-sherlock.jsonl", "--quiet")
    run(b("lasair-filter"), "--survey", "ztf", "--db", db, f"{work}/ztf-sherlock.jsonl", "--quiet")
    token = run(b("lasair-serve"), "--survey", "ztf", "--db", db, "user", "add", "ada").strip()

    port = free_port()
    log = open(f"{work}/serve.log", "w")
    server = subprocess.Popen([b("lasair-serve"), "--survey", "ztf", "--db", db, "--lightcurves", lc,
                               "--cutouts", f"{work}/cutouts", "--store", cats, "--web-assets", args.assets,
                               "--listen", f"127.0.0.1:{port}"], stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    driver = None
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        driver = browser()
        checks(driver, base, token, work)
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        server.wait(timeout=10)
    print(f"== {len(CHECKS)} checks passed")


def checks(driver, base, token, work):
    oid = "ZTF21abiuvdk"
    _, body = get(f"{base}/api/object/?objectId={oid}&token={token}")
    answer = json.loads(body)
    want = expected_points(answer)
    check("the object has detections in two bands and limits",
          len([k for k in want if " " not in k]) >= 2 and any(k.endswith("limit") for k in want), want.keys())

    # The object page: every point of every band drawn.
    driver.get(f"{base}/objects/{oid}/")
    wait_drawn(driver, "lightcurve")
    drawn = drawn_points(driver)
    check("the plot draws every band and kind the object has", set(drawn) == set(want),
          f"{sorted(drawn)} vs {sorted(want)}")
    for name, mjds in sorted(want.items()):
        check(f"trace {name!r} draws all {len(mjds)} points", drawn[name] == len(mjds), f"drew {drawn[name]}")
    check("the identity card names the object",
          driver.find_element(By.ID, "object-id").text.startswith(oid))
    check("the detection count is the API's",
          driver.find_element(By.ID, "n-detections").text == str(sum(len(v) for k, v in want.items() if " " not in k)))
    driver.save_screenshot(f"{work}/object.png")

    # A range of MJD narrows the plot to the points inside it.
    detections = sorted(m for k, v in want.items() if " " not in k for m in v)
    lo, hi = detections[len(detections) // 4], detections[3 * len(detections) // 4]
    driver.find_element(By.ID, "lc-from").send_keys(f"{lo:.6f}")
    driver.find_element(By.ID, "lc-to").send_keys(f"{hi:.6f}")
    driver.execute_script("document.getElementById('lightcurve').removeAttribute('data-drawn')")
    driver.find_element(By.ID, "lc-apply").click()
    wait_drawn(driver, "lightcurve")
    narrowed = drawn_points(driver)
    for name, mjds in sorted(want.items()):
        inside = sum(1 for m in mjds if lo - 1e-6 <= m <= hi + 1e-6)
        check(f"the range keeps the {inside} points of {name!r} inside it", narrowed.get(name, 0) == inside,
              f"drew {narrowed.get(name, 0)}")
    check("the range drew fewer points", sum(narrowed.values()) < sum(drawn.values()))

    # Flux instead of magnitude.
    driver.execute_script("document.getElementById('lightcurve').removeAttribute('data-drawn')")
    driver.find_element(By.CSS_SELECTOR, 'input[name="lc-scale"][value="flux"]').click()
    wait_drawn(driver, "lightcurve")
    title = driver.execute_script("return document.getElementById('lightcurve').layout.yaxis.title.text")
    check("the flux scale relabels the plot", title == "flux (nJy)", title)

    # The lightcurve to download holds every point the store has.
    _, text = get(f"{base}/objects/{oid}/lightcurve/?format=csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    n_api = len(answer["candidates"]) + len(answer["forcedphot"])
    check("the CSV download holds every point", len(rows) == n_api, f"{len(rows)} vs {n_api}")
    _, text = get(f"{base}/objects/{oid}/lightcurve/?format=json")
    check("the JSON download holds every point", len(json.loads(text)) == n_api)

    # The search box: an object, a position, nonsense.
    driver.get(f"{base}/")
    box = driver.find_element(By.CSS_SELECTOR, "header input[name=q]")
    box.send_keys(oid)
    box.submit()
    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith(f"/objects/{oid}/"))
    check("searching an object ID opens its page", True)
    c = answer["candidates"][-1]
    ra, dec = next((x["ra"], x["dec"]) for x in reversed(answer["candidates"]) if x.get("candid"))
    driver.get(f"{base}/search/?q={urllib.parse.quote(f'{ra} {dec} 5')}")
    found = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#results a")]
    check("searching its position finds it", oid in found, found)
    driver.get(f"{base}/search/?q={urllib.parse.quote('<script>window.hacked=1</script>')}")
    message = driver.find_element(By.ID, "error").text
    check("nonsense is refused, named, and not run",
          "<script>" in message and driver.execute_script("return window.hacked === undefined"), message)
    del c

    # The home page: the newest objects on the sky.
    driver.get(f"{base}/")
    wait_drawn(driver, "sky")
    recent = json.loads(driver.find_element(By.ID, "sky-data").get_attribute("textContent"))
    on_sky = driver.execute_script("""
        const el = document.getElementById('sky');
        let n = 0;
        el.querySelectorAll('g.scatterlayer g.trace').forEach((t, i) => {
            if (el.data[i].mode === 'markers') n += t.querySelectorAll('path.point').length;
        });
        return n;
    """)
    check("the home page draws every recent object on the sky", on_sky == len(recent) > 0, f"{on_sky} vs {len(recent)}")
    driver.save_screenshot(f"{work}/home.png")


if __name__ == "__main__":
    main()

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
from selenium.common.exceptions import (NoSuchElementException, StaleElementReferenceException,
                                        TimeoutException)
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import CHECKS, check, free_port, run  # noqa: E402


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


def settled(driver, condition, timeout=10):
    """Waits until `condition(driver)` holds, through the page being replaced under it (an
    element read as the next page loads goes stale)."""
    WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,
                                                       NoSuchElementException)).until(condition)


def submit(driver, by, selector, timeout=20):
    """Clicks what submits a form and waits for the page it loads: the old page's root goes
    stale, then the new one finishes loading. Without this, a check can read the old page,
    which often has the very element it looks for."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(by, selector).click()
    WebDriverWait(driver, timeout).until(staleness_of(old))
    WebDriverWait(driver, timeout).until(lambda d: d.execute_script("return document.readyState") == "complete")


def page_text(driver, wanted, timeout=10):
    """The text of the page's `main` once `wanted(text)` holds, or as it is after `timeout`
    seconds: a click does not wait for the page a form submitted, and the old page's element
    goes stale as the new one loads."""
    def text(d):
        try:
            return d.find_element(By.TAG_NAME, "main").text
        except (StaleElementReferenceException, NoSuchElementException):
            return ""
    try:
        WebDriverWait(driver, timeout).until(lambda d: wanted(text(d)))
    except TimeoutException:
        pass
    return text(driver)


def found(driver, element_id):
    """The element, once the page a form submitted has loaded (a click does not wait for it)."""
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, element_id))
    return driver.find_element(By.ID, element_id)


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
    ap.add_argument("--smtp", help="HOST:PORT of an SMTP server delivering into --maildir (accounts' codes)")
    ap.add_argument("--maildir", help="the maildir --smtp delivers into")
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
                               *(["--smtp", args.smtp] if args.smtp else []),
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
        query_checks(driver, base, work, lambda *a: run(b("lasair-query"), "--db", db, *a))
        status_checks(driver, base, sum(1 for _ in open(f"{work}/ztf-sherlock.jsonl")))
        if args.smtp and args.maildir:
            account_checks(driver, base, args.maildir, work)
            filter_checks(driver, base, work, lambda *a: run(b("lasair-filter"), "--survey", "ztf", "--db", db, *a))
            watchlist_checks(driver, base, work)
            watchmap_checks(driver, base, work, args.data,
                            lambda *a: run(b("lasair-filter"), "--survey", "ztf", "--db", db, *a),
                            lambda *a: run(b("lasair-query"), "--db", db, *a))
            staff_checks(driver, base, work, token, lambda *a, stdin=None: run(b("lasair-serve"), "--survey", "ztf",
                                                                           "--db", db, *a, stdin=stdin))
        else:
            print("skipped: accounts (no --smtp and --maildir: scripts/test starts aiosmtpd)")
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
    # The cutouts: every detection with them offered, the three images drawn (PNG from the
    # stored FITS), another detection's drawn when chosen.
    with_cutouts = answer["objectData"]["image_urls"]
    options = driver.find_elements(By.CSS_SELECTOR, "#cutout-choice option")
    check("every detection with cutouts is offered", len(options) == len(with_cutouts) > 1,
          f"{len(options)} vs {len(with_cutouts)}")
    loaded = lambda d: d.execute_script(  # noqa: E731
        "return [...document.querySelectorAll('img.cutout')].map(i => i.complete ? i.naturalWidth : 0)")
    WebDriverWait(driver, 20).until(lambda d: all(w > 0 for w in loaded(d)))
    widths = loaded(driver)
    check("the three cutout images load, drawn at the cutout's size", len(widths) == 3 and set(widths) == {63}, widths)
    first_src = driver.find_element(By.ID, "cutout-Science").get_attribute("src")
    driver.execute_script("const s=document.getElementById('cutout-choice'); s.value='1'; s.dispatchEvent(new Event('change'))")
    WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "cutout-Science").get_attribute("src") != first_src
                                    and all(w > 0 for w in loaded(d)))
    check("choosing another detection draws its cutouts", str(with_cutouts[1]["candid"]) in
          driver.find_element(By.ID, "cutout-Science").get_attribute("src"))
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


def query_checks(driver, base, work, query_cli):
    """The query builder: rows as lasair-query reads them from the database, sorting, the
    schema browser, an error that names its clause, downloads."""
    where = "objects.ncand >= 2 ORDER BY objects.ncand"
    want = [json.loads(line) for line in
            query_cli("--select", "objects.objectId, objects.ncand", "--tables", "objects", "--where", where,
                      "--max-rows", "1000", "--format", "json").splitlines()]
    driver.get(f"{base}/query/")
    select = driver.find_element(By.ID, "select")
    select.clear()
    select.send_keys("objects.objectId")
    driver.find_element(By.CSS_SELECTOR, 'a.column[data-column="objects.ncand"]').click()
    check("a column clicked in the schema joins the SELECT",
          select.get_attribute("value") == "objects.objectId, objects.ncand", select.get_attribute("value"))
    driver.find_element(By.ID, "where").send_keys(where)
    limit = driver.find_element(By.NAME, "limit")
    limit.clear()
    limit.send_keys("1000")
    submit(driver, By.CSS_SELECTOR, "#query-form button[type=submit]")
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.ID, "results"))
    rows = driver.find_elements(By.CSS_SELECTOR, "#results tbody tr")
    got = [[td.text for td in r.find_elements(By.TAG_NAME, "td")] for r in rows]
    check("the page's rows are lasair-query's", got == [[w["objectId"], str(w["ncand"])] for w in want] and len(got) > 3,
          f"{len(got)} rows vs {len(want)}")
    header = driver.find_elements(By.CSS_SELECTOR, "#results thead th")[1]
    header.click()
    header.click()
    ncand = [int(r.find_elements(By.TAG_NAME, "td")[1].text) for r in driver.find_elements(By.CSS_SELECTOR, "#results tbody tr")]
    check("a header clicked twice sorts its column down", ncand == sorted(ncand, reverse=True) and ncand != sorted(ncand),
          ncand[:5])
    driver.save_screenshot(f"{work}/query.png")
    csv_url = driver.find_element(By.ID, "download-csv").get_attribute("href")
    _, text = get(csv_url)
    check("the CSV download holds the rows", len(list(csv.DictReader(io.StringIO(text)))) == len(want))
    driver.get(f"{base}/query/?select={urllib.parse.quote('objects.objectId, sleep(1)')}&tables=objects")
    error = driver.find_element(By.ID, "error").text
    check("a refused query names its clause", error.startswith("SELECT:") and "sleep" in error, error)


def status_checks(driver, base, lines):
    """The status page: tonight's filter counts are the lines the filter read; the night
    before has nothing, and links back."""
    driver.get(f"{base}/status/")
    cells = driver.find_elements(By.CSS_SELECTOR, "#figure-filter_alerts td")
    check("tonight's status counts every alert the filter read", cells and cells[1].text == str(lines),
          [c.text for c in cells])
    steps = [r.find_elements(By.CSS_SELECTOR, "td")[0].text
             for r in driver.find_elements(By.CSS_SELECTOR, "#stages tr") if r.find_elements(By.CSS_SELECTOR, "td")]
    check("the filter's steps are timed",
          sorted(steps) == sorted(["read", "features", "batch tables", "filters", "results flush", "main upsert"]),
          steps)
    driver.find_element(By.ID, "previous").click()
    settled(driver, lambda d: "Nothing recorded" in d.find_element(By.ID, "night").text)
    check("the night before has nothing and links to the next", driver.find_elements(By.ID, "next") != [])


def mailed_code(maildir, address, before):
    """The six-digit code in the newest mail to `address` not among `before`."""
    import mailbox
    import re
    for _ in range(100):
        box = mailbox.Maildir(maildir, create=False)
        for key in box.keys():
            if key in before:
                continue
            msg = box[key]
            if address in (msg["To"] or ""):
                body = msg.get_payload(decode=True).decode()
                return re.search(r"\b(\d{6})\b", body).group(1)
        time.sleep(0.1)
    raise SystemExit(f"no mail reached {address}")


def post_form(url, fields, cookie=None):
    data = urllib.parse.urlencode(fields).encode()
    req = urllib.request.Request(url, data=data, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def account_checks(driver, base, maildir, work):
    """Register, the mailed code, activate, the profile's token on the API, log out and in;
    forms without the CSRF token refused; no redirect off the site."""
    import mailbox
    name = f"eve{os.getpid()}"
    email = f"{name}@example.org"
    password = "correct horse battery"
    before = set(mailbox.Maildir(maildir, create=False).keys())
    driver.get(f"{base}/accounts/register/")
    for field, value in [("username", name), ("email", email), ("first_name", "Eve"), ("last_name", "Tester"),
                         ("password", password), ("password2", password)]:
        driver.find_element(By.ID, field).send_keys(value)
    submit(driver, By.CSS_SELECTOR, "#register button[type=submit]")
    notice = found(driver, "notice").text
    check("registering mails a code", email in notice, notice)
    code = mailed_code(maildir, email, before)
    wrong = "000000" if code != "000000" else "111111"
    driver.find_element(By.ID, "code").send_keys(wrong)
    submit(driver, By.CSS_SELECTOR, "#activate button[type=submit]")
    check("a wrong code is refused", "wrong" in found(driver, "error").text)
    driver.find_element(By.ID, "username").clear()
    driver.find_element(By.ID, "username").send_keys(name)
    driver.find_element(By.ID, "code").send_keys(code)
    submit(driver, By.CSS_SELECTOR, "#activate button[type=submit]")
    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith("/accounts/profile/"))
    token = driver.find_element(By.ID, "api-token").text
    check("the right code activates the account and logs in", driver.find_element(By.ID, "whoami").text == name)
    status, _ = get(f"{base}/api/cone/?ra=0&dec=0&radius=1&requestType=count&token={token}")
    check("the profile's token works on the API", status == 200 and len(token) == 40, token)
    session = driver.get_cookie("lasair_session")
    check("the session cookie is HttpOnly and SameSite", session["httpOnly"] and session.get("sameSite") == "Lax", session)
    submit(driver, By.ID, "logout")
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "login-link"))
    check("logging out ends the session", driver.get_cookie("lasair_session") is None)
    driver.get(f"{base}/accounts/login/?next=https://evil.example/")
    driver.find_element(By.ID, "username").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.execute_script(
        "const f=document.getElementById('login'); const n=document.createElement('input');"
        "n.type='hidden'; n.name='next'; n.value='https://evil.example/'; f.appendChild(n);")
    submit(driver, By.CSS_SELECTOR, "#login button[type=submit]")
    WebDriverWait(driver, 10).until(lambda d: "/accounts/profile/" in d.current_url)
    check("logging in again works, and never leaves the site", d_host(driver.current_url) == d_host(base))
    driver.save_screenshot(f"{work}/profile.png")
    csrf = driver.get_cookie("lasair_csrf")["value"]
    check("a form without the CSRF token is refused",
          post_form(f"{base}/accounts/login/", {"username": name, "password": password}, f"lasair_csrf={csrf}") == 403)
    check("a form whose token is not the cookie's is refused",
          post_form(f"{base}/accounts/login/", {"username": name, "password": password, "csrf": csrf}) == 403)
    check("a form with the token is taken",
          post_form(f"{base}/accounts/login/", {"username": name, "password": "wrong password", "csrf": csrf},
                    f"lasair_csrf={csrf}") == 400)


def filter_checks(driver, base, work, run_filter):
    """Logged in: a query saved as a filter, its page with its topic; the pipeline run again
    fills the topic and the page counts today's results as the topic holds them; a private
    filter is no one else's; the owner deletes one."""
    where = "objects.ncand >= 2"
    driver.get(f"{base}/query/?select={urllib.parse.quote('objects.objectId, objects.ncand')}&tables=objects"
               f"&where={urllib.parse.quote(where)}")
    driver.find_element(By.CSS_SELECTOR, "#save-section summary").click()
    name = f"multi{os.getpid()}"
    driver.find_element(By.ID, "save-filter-name").send_keys(name)
    driver.find_element(By.ID, "save-filter-description").send_keys("objects seen twice or more")
    driver.find_element(By.CSS_SELECTOR, "#save-filter input[name=public]").click()
    submit(driver, By.CSS_SELECTOR, "#save-filter button[type=submit]")
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "topic"))
    topic = driver.find_element(By.ID, "topic").text
    check("a saved filter shows its topic", topic.startswith("lasair_") and topic.endswith(name), topic)
    check("its page says where results go and has the consumer snippet",
          driver.find_element(By.ID, "delivery").text == "a Kafka stream"
          and topic in driver.find_element(By.ID, "snippet-lasair").text)
    filter_url = driver.current_url
    run_filter("--topics", f"{work}/streams", f"{work}/ztf-sherlock.jsonl", "--quiet")
    records = sum(1 for _ in open(f"{work}/streams/{topic}.jsonl"))
    driver.get(filter_url)
    today = driver.find_element(By.ID, "today").text
    check("today's results are the records its topic got", records > 0 and today == str(records),
          f"{today} vs {records}")
    check("its page says when it stops unless saved again", found(driver, "expires").text > time.strftime("%Y-%m-%d"))
    # Its owner changes it: where results go, and its WHERE clause.
    driver.find_element(By.CSS_SELECTOR, "#edit-section summary").click()
    Select(driver.find_element(By.ID, "edit-filter-output")).select_by_value("email")
    clause = driver.find_element(By.ID, "edit-filter-where")
    clause.clear()
    clause.send_keys("objects.ncand >= 3")
    submit(driver, By.CSS_SELECTOR, "#edit-filter button[type=submit]")
    settled(driver, lambda d: d.find_element(By.ID, "delivery").text == "a daily email")
    check("its owner changes it, and the page shows the change",
          "objects.ncand >= 3" in driver.find_element(By.CSS_SELECTOR, "pre.query").text
          and driver.find_element(By.ID, "topic").text == topic)
    driver.find_element(By.CSS_SELECTOR, "#edit-section summary").click()
    clause = driver.find_element(By.ID, "edit-filter-where")
    clause.clear()
    clause.send_keys("objects.nosuchcolumn > 1")
    submit(driver, By.CSS_SELECTOR, "#edit-filter button[type=submit]")
    refused = page_text(driver, lambda text: "nosuchcolumn" in text)
    check("a change the compiler refuses is refused, saying why", "nosuchcolumn" in refused, refused[:300])
    driver.get(filter_url)
    check("and the filter is as it was", "objects.ncand >= 3" in driver.find_element(By.CSS_SELECTOR, "pre.query").text)
    submit(driver, By.CSS_SELECTOR, "#copy-filter button")
    WebDriverWait(driver, 10).until(lambda d: d.current_url != filter_url and d.find_elements(By.ID, "delivery"))
    check("a copy is a new filter of mine, private and saved only",
          driver.find_element(By.ID, "filter-name").text.startswith(f"{name} (copy)")
          and driver.find_element(By.ID, "delivery").text == "nowhere: saved only"
          and "objects.ncand >= 3" in driver.find_element(By.CSS_SELECTOR, "pre.query").text,
          driver.find_element(By.ID, "filter-name").text)
    submit(driver, By.CSS_SELECTOR, "#delete-filter button")
    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith("/filters/"))
    check("the filter is listed as mine and as public",
          name in driver.find_element(By.ID, "mine").text and name in driver.find_element(By.ID, "public").text)
    # A private one: another visitor (no cookies) is told it does not exist.
    driver.get(f"{base}/query/?select=objects.objectId&tables=objects")
    driver.find_element(By.CSS_SELECTOR, "#save-section summary").click()
    driver.find_element(By.ID, "save-filter-name").send_keys(f"secret{os.getpid()}")
    submit(driver, By.CSS_SELECTOR, "#save-filter button[type=submit]")
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "topic"))
    private_url = driver.current_url
    try:
        status, _ = get(private_url)
    except urllib.error.HTTPError as e:
        status = e.code
    check("a private filter is refused to another visitor", status == 404, status)
    submit(driver, By.CSS_SELECTOR, "#delete-filter button")
    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith("/filters/"))
    check("its owner deletes it", f"secret{os.getpid()}" not in driver.find_element(By.ID, "mine").text)
    driver.get(filter_url)
    driver.save_screenshot(f"{work}/filter.png")


def watchlist_checks(driver, base, work):
    """Logged in: a watchlist pasted with a bad line is refused with the line named; made,
    its page shows the known objects in its cones as hits; a private one is refused to
    another visitor."""
    positions = {}
    for line in open(f"{work}/ztf.jsonl"):
        a = json.loads(line)
        positions.setdefault(a["objectId"], (a["ra"], a["dec"]))
    chosen = sorted(positions)[:3]
    cones = "\n".join(f"{positions[o][0]}, {positions[o][1]}, cone-{o}" for o in chosen)
    driver.get(f"{base}/watchlists/")
    driver.find_element(By.CSS_SELECTOR, "#new-section summary").click()
    name = f"near{os.getpid()}"
    driver.find_element(By.ID, "wl-name").send_keys(name)
    radius = driver.find_element(By.ID, "wl-radius")
    radius.clear()
    radius.send_keys("3")
    driver.find_element(By.ID, "wl-cones").send_keys(cones + "\nnot a cone at all")
    submit(driver, By.CSS_SELECTOR, "#new-watchlist button[type=submit]")
    error = found(driver, "error").text
    check("a watchlist with a bad line is refused, the line named", ":4:" in error and "not a cone" in error, error)
    box = driver.find_element(By.ID, "wl-cones")
    box.clear()
    box.send_keys(cones)
    submit(driver, By.CSS_SELECTOR, "#new-watchlist button[type=submit]")
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "hits"))
    hits = sorted(a.text for a in driver.find_elements(By.CSS_SELECTOR, "#hits tbody a"))
    check("the watchlist's page shows the objects in its cones as hits", set(chosen) <= set(hits), f"{hits} vs {chosen}")
    check("its cones are counted", driver.find_element(By.ID, "cone-count").text.startswith("3"))
    watchlist_url = driver.current_url
    driver.get(f"{base}/objects/{chosen[0]}/")
    shown = found(driver, "hits").text
    check("the object's page names the watchlist it is in, to its owner", name in shown and "cone-" in shown, shown)
    driver.get(watchlist_url)
    driver.save_screenshot(f"{work}/watchlist.png")
    try:
        status, _ = get(driver.current_url)
    except urllib.error.HTTPError as e:
        status = e.code
    check("a private watchlist is refused to another visitor", status == 404, status)
    check("its page says when it stops unless saved again", found(driver, "expires").text > time.strftime("%Y-%m-%d"))
    driver.find_element(By.CSS_SELECTOR, "#edit-section summary").click()
    driver.find_element(By.ID, "edit-name").send_keys(" renamed")
    driver.find_element(By.CSS_SELECTOR, "#edit-settings input[name=public]").click()
    submit(driver, By.CSS_SELECTOR, "#edit-settings button[type=submit]")
    settled(driver, lambda d: "renamed" in d.find_element(By.ID, "watchlist-name").text)
    status, _ = get(driver.current_url)
    check("its owner renames it and makes it public: now anyone sees it",
          "public" in driver.find_element(By.ID, "watchlist-name").text and status == 200, status)


def watchmap_checks(driver, base, work, data, run_filter, query_cli):
    """Logged in: a file that is not a MOC is refused, named; a MOC uploaded makes a watchmap
    whose page draws its area and gives its size; the pipeline run again records the objects
    inside it, and the page lists the hits a query of `area:ID` finds; the MOC downloads as it
    was sent; a private watchmap is refused to another visitor; its owner deletes it."""
    driver.get(f"{base}/watchmaps/")
    driver.find_element(By.CSS_SELECTOR, "#new-section summary").click()
    name = f"north{os.getpid()}"
    driver.find_element(By.ID, "wm-name").send_keys(name)
    driver.find_element(By.ID, "wm-file").send_keys(os.path.abspath(f"{data}/mocs/bad/gbpusd.png"))
    submit(driver, By.CSS_SELECTOR, "#new-watchmap button[type=submit]")
    error = found(driver, "error").text
    check("a file that is not a MOC is refused, named", "gbpusd.png" in error and "not a MOC" in error, error)
    # The four northern base cells of HEALPix: about a third of the sky, some objects in, some out.
    moc = f"{work}/north.txt"
    with open(moc, "w") as f:
        f.write("0/0-3\n")
    driver.find_element(By.ID, "wm-file").send_keys(os.path.abspath(moc))
    submit(driver, By.CSS_SELECTOR, "#new-watchmap button[type=submit]")
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "watchmap-area"))
    area = driver.find_element(By.ID, "watchmap-area").text
    check("the page gives the area's size (a third of 41,253 deg²)", area.startswith("13751.") or area.startswith("13750."), area)
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return document.getElementById('watchmap-sky').naturalWidth") > 0)
    width = driver.execute_script("return document.getElementById('watchmap-sky').naturalWidth")
    check("the area is drawn on the sky", width == 720, width)
    url = driver.current_url
    ar_id = url.rstrip("/").rsplit("/", 1)[1]
    run_filter(f"{work}/ztf-sherlock.jsonl", "--quiet")
    want = sorted(json.loads(line)["objectId"] for line in
                  query_cli("--select", "objects.objectId", "--tables", f"objects, area:{ar_id}",
                            "--max-rows", "10000", "--format", "json").splitlines())
    everything = query_cli("--select", "objects.objectId", "--tables", "objects", "--max-rows", "10000",
                           "--format", "json").splitlines()
    driver.get(url)
    hits = sorted(a.text for a in driver.find_elements(By.CSS_SELECTOR, "#hits tbody a"))
    check("the page's hits are what a query of the area finds, some objects and not all",
          hits == want and 0 < len(hits) < len(everything), f"{len(hits)} hits, {len(want)} found, {len(everything)} objects")
    text = driver.execute_async_script(
        "const done = arguments[arguments.length - 1]; fetch(arguments[0]).then(r => r.text()).then(done);",
        f"{url}file/")
    check("the MOC downloads as it was sent", text == "0/0-3\n", text)
    driver.save_screenshot(f"{work}/watchmap.png")
    try:
        status, _ = get(url)
    except urllib.error.HTTPError as e:
        status = e.code
    check("a private watchmap is refused to another visitor", status == 404, status)
    driver.find_element(By.CSS_SELECTOR, "#edit-section summary").click()
    driver.find_element(By.CSS_SELECTOR, "#edit-settings input[name=active]").click()
    submit(driver, By.CSS_SELECTOR, "#edit-settings button[type=submit]")
    settled(driver, lambda d: "resting" in d.find_element(By.ID, "watchmap-name").text)
    check("its owner rests it: it no longer stops", driver.find_elements(By.ID, "expires") == [])
    submit(driver, By.CSS_SELECTOR, "#delete-watchmap button")
    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith("/watchmaps/"))
    check("its owner deletes it", name not in driver.find_element(By.ID, "mine").text)


def status_of(url, cookie):
    req = urllib.request.Request(url, headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def staff_checks(driver, base, work, ada_token, serve):
    """The staff's page is no one else's; staff register annotators, stop and start one, set a
    user's API class; an annotation sent through the API shows on its annotator's page and in
    its download; the resources gallery lists what staff make public and not what others do."""
    session = driver.get_cookie("lasair_session")["value"]
    check("the staff page does not exist for a user who is not staff",
          status_of(f"{base}/admin/", f"lasair_session={session}") == 404)
    driver.get(f"{base}/accounts/profile/")
    submit(driver, By.ID, "logout")
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "login-link"))
    boss, password = f"boss{os.getpid()}", "a staff password"
    serve("user", "add", boss, "--staff", "--password-stdin", stdin=password + "\n")
    driver.get(f"{base}/accounts/login/?next=/admin/")
    driver.find_element(By.ID, "username").send_keys(boss)
    driver.find_element(By.ID, "password").send_keys(password)
    submit(driver, By.CSS_SELECTOR, "#login button[type=submit]")
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "users"))
    check("staff reach their page from the bar", driver.find_elements(By.ID, "admin-link") != [])
    mine, curated = f"web{os.getpid()}", f"curated{os.getpid()}"
    for topic, owner in [(mine, "ada"), (curated, boss)]:
        driver.find_element(By.CSS_SELECTOR, "#new-annotator-section summary").click()
        driver.find_element(By.ID, "an-topic").send_keys(topic)
        driver.find_element(By.ID, "an-owner").send_keys(owner)
        driver.find_element(By.ID, "an-description").send_keys(f"{owner}'s classifier")
        driver.find_element(By.CSS_SELECTOR, "#new-annotator input[name=public]").click()
        submit(driver, By.CSS_SELECTOR, "#new-annotator button[type=submit]")
        WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, f"annotator-{topic}"))
    row = lambda: driver.find_element(By.ID, f"annotator-{mine}").text  # noqa: E731
    check("staff register annotators, active", "ada" in row() and "Stop" in row(), row())
    submit(driver, By.CSS_SELECTOR, f"#annotator-{mine} button")
    settled(driver, lambda d: "Start" in row())
    submit(driver, By.CSS_SELECTOR, f"#annotator-{mine} button")
    settled(driver, lambda d: "Stop" in row())
    check("staff stop an annotator and start it again", "Stop" in row(), row())
    ada = json.loads(serve("user", "show", "ada"))
    Select(driver.find_element(By.CSS_SELECTOR, f"#user-{ada['id']} select")).select_by_value("power")
    submit(driver, By.CSS_SELECTOR, f"#user-{ada['id']} button")
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "users"))
    after = json.loads(serve("user", "show", "ada"))
    check("staff make a user a power user", after.get("api_class") == "power", after)
    fields = {"topic": mine, "objectId": "ZTF21abiuvdk", "classification": "SN Ia",
              "explanation": "a test's", "classdict": json.dumps({"p": 0.9}), "url": "javascript:alert(1)"}
    req = urllib.request.Request(f"{base}/api/annotate/", data=urllib.parse.urlencode(fields).encode(),
                                 headers={"Authorization": f"Token {ada_token}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        check("an annotation is taken by the API", r.status == 200)
    driver.get(f"{base}/annotators/{mine}/")
    count = driver.find_element(By.ID, "annotation-count").text
    cells = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#annotations tbody td")]
    check("the annotator's page shows it", count == "1" and cells[:2] == ["ZTF21abiuvdk", "SN Ia"], f"{count} {cells}")
    _, text = get(driver.find_element(By.ID, "download-csv").get_attribute("href"))
    rows = list(csv.DictReader(io.StringIO(text)))
    check("its annotations download", [(r["object"], r["classification"]) for r in rows] == [("ZTF21abiuvdk", "SN Ia")],
          rows)
    driver.get(f"{base}/objects/ZTF21abiuvdk/")
    row = [tr for tr in driver.find_elements(By.CSS_SELECTOR, "#annotations tr") if mine in tr.text]
    check("the object's page shows the annotation, and never links an annotator's script",
          row and "SN Ia" in row[0].text and not row[0].find_elements(By.TAG_NAME, "a"), [r.text for r in row])
    driver.get(f"{base}/resources/")
    listed = driver.find_element(By.ID, "resource-annotators").text
    check("the gallery lists what staff make public, not what others do", curated in listed and mine not in listed,
          listed)
    driver.get(f"{base}/annotators/")
    check("both are listed as public annotators", mine in driver.find_element(By.ID, "public").text)
    driver.save_screenshot(f"{work}/admin.png")


def d_host(url):
    return urllib.parse.urlsplit(url).netloc


if __name__ == "__main__":
    main()

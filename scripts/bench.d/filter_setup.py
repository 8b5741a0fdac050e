"""Fills a main database (already created by lasair-filter) with the filter benchmark's load:
N filters written as Lasair users write them, W watchlists of C random cones each, and M
watchmaps (random MOCs of a few hundred order-6..8 cells). Deterministic for a seed.

usage: filter_setup.py DB_FILE FILTERS WATCHLISTS CONES_PER_LIST WATCHMAPS SEED
"""
import base64
import math
import random
import sqlite3
import sys

db, n_filters, n_lists, per_list, n_maps, seed = sys.argv[1], *map(int, sys.argv[2:7])
rng = random.Random(seed)
con = sqlite3.connect(db)
con.execute("INSERT OR REPLACE INTO users (id, username, email) VALUES (1, 'bench', 'bench@example.org')")

def template(i):
    """A filter like the ones in Lasair's documentation, with its own (selective) thresholds."""
    k = i % 8
    if k == 0:
        return ("objects.objectId, objects.gmag, objects.ncandgp", "objects",
                f"objects.gmag < {rng.uniform(15, 17):.2f} AND objects.ncandgp >= {rng.randint(3, 8)}")
    if k == 1:
        return ("objects.objectId, objects.dmdt_g", "objects",
                f"objects.dmdt_g < -{rng.uniform(0.1, 1.0):.3f} AND objects.gmag < {rng.uniform(17, 19):.2f}")
    if k == 2:
        return ("objects.objectId, sherlock_classifications.classification", "objects, sherlock_classifications",
                f"sherlock_classifications.classification IN ('SN', 'NT') AND objects.ncandgp > {rng.randint(2, 6)}")
    if k == 3:
        return ("objects.objectId, watchlist_hits.name, watchlist_hits.arcsec",
                f"objects, watchlist:{rng.randint(1, max(n_lists, 1))}", "")
    if k == 4:
        return ("objects.objectId", f"objects, area:{rng.randint(1, max(n_maps, 1))}",
                f"objects.rmag < {rng.uniform(17, 20):.2f}")
    if k == 5:
        return ("objects.objectId, objects.g_minus_r", "objects",
                f"objects.g_minus_r < {rng.uniform(-0.8, -0.2):.2f} AND objects.ncand > {rng.randint(4, 10)}")
    if k == 6:
        ra, dec = rng.uniform(0, 358), rng.uniform(-30, 80)
        return ("objects.objectId, objects.ramean, objects.decmean", "objects",
                f"objects.ramean BETWEEN {ra:.1f} AND {ra + 2:.1f} AND objects.decmean BETWEEN {dec:.1f} AND {dec + 2:.1f}")
    return ("objects.objectId, objects.jdmax", "objects",
            f"objects.ncandgp_7 >= {rng.randint(3, 6)} ORDER BY objects.jdmax DESC")

filters = []
for i in range(n_filters):
    select, tables, where = template(i)
    # Mostly plain records, a quarter with the lightcurve, a few with the whole alert.
    mode = 4 if i % 20 == 0 else 3 if i % 4 == 1 else 2
    filters.append((i + 1, 1, f"bench {i}", select, tables, where, mode, f"lasair_1bench{i}"))
con.executemany("INSERT OR REPLACE INTO filters (mq_id, user_id, name, selected, tables, conditions, active, topic_name) VALUES (?,?,?,?,?,?,?,?)", filters)

cone_id = 1
for wl in range(1, n_lists + 1):
    con.execute("INSERT OR REPLACE INTO watchlists (wl_id, user_id, name, radius, active) VALUES (?, 1, ?, ?, 1)", (wl, f"list {wl}", rng.choice([2.0, 5.0, 30.0])))
    rows = []
    for _ in range(per_list):
        ra = rng.uniform(0, 360)
        dec = math.degrees(math.asin(rng.uniform(-1, 1)))
        rows.append((cone_id, wl, f"c{cone_id}", ra, dec, None))
        cone_id += 1
    con.executemany("INSERT OR REPLACE INTO watchlist_cones (cone_id, wl_id, name, ra, decl, radius) VALUES (?,?,?,?,?,?)", rows)

for ar in range(1, n_maps + 1):
    depth = rng.choice([6, 7, 8])
    start = rng.randrange(12 * 4 ** depth - 500)
    cells = sorted({start + rng.randrange(500) for _ in range(300)})
    moc = f"{depth}/" + " ".join(map(str, cells))
    con.execute("INSERT OR REPLACE INTO watchmaps (ar_id, user_id, name, moc, active) VALUES (?, 1, ?, ?, 1)",
                (ar, f"map {ar}", base64.b64encode(moc.encode()).decode()))
con.commit()
print(f"{n_filters} filters, {n_lists} watchlists x {per_list} cones, {n_maps} watchmaps", file=sys.stderr)

#!/usr/bin/env python3
"""A SIMULATION of the full-size feeds, for benchmarks only (issue 14, item 2): never shipped,
never a test fixture, written under target/bench/full-size/.

    scripts/make-full-size-feeds.py SHARED_DATA OUT_DIR

Replicates the real records of ../shared/data under new ids and package names until each
ecosystem reaches its share of ~600,000 OSV records, NVD reaches 320,000 CVEs and EPSS
300,000 rows; the KEV catalog is copied as is. Copy k of a record keeps every field but:
  - CVE ids (id, aliases, related, NVD's id, EPSS's cve): CVE-YYYY-N becomes CVE-YYYY-kNNNNNNN,
    so an advisory's copy k and the NVD/EPSS copy k of its CVE still join;
  - other ids get the suffix `-SIMk` (GHSA-…-SIMk, DSA-5000-1-SIMk, MAL-2023-462-SIMk);
  - package names get `-simk` (Debian `linux-sim3`: each copy of a big source package is a
    new package with as many advisories as the real one).
Shares (OSV records): the upstream folder counts of ../shared/data/SOURCES.md scaled to 600k
(Ubuntu 28%, Debian 24%, npm 13% of which ~80% MAL-*, PyPI 10%, Red Hat 8%, the rest 17%).
"""
import gzip, json, os, re, sys, zipfile, glob, itertools

shared, out = sys.argv[1], sys.argv[2]
TOTAL_OSV = int(os.environ.get("FULL_OSV", 600_000))
TOTAL_NVD = int(os.environ.get("FULL_NVD", 320_000))
TOTAL_EPSS = int(os.environ.get("FULL_EPSS", 300_000))
# upstream record counts (SOURCES.md), the shares of the simulation
UPSTREAM = {"ubuntu": 51478, "debian": 44181, "npm-ghsa": 4227, "npm-mal": 19000, "pypi": 18216,
            "redhat": 15175, "alpine": 9000, "go": 4500, "maven": 5200, "almalinux": 3500,
            "rocky": 3000, "crates": 1700, "composer": 1800, "nuget": 900, "rubygems": 1500, "pub": 50}
scale = TOTAL_OSV / sum(UPSTREAM.values())

def records(path):
    if path.endswith(".gz"):
        text = gzip.open(path, "rt", encoding="utf-8").read()
    elif path.endswith(".json"):
        text = open(path, encoding="utf-8").read()
    else:
        return
    text = text.strip()
    if not text:
        return
    if text.startswith("{") and "\n{" in text:
        for line in text.splitlines():
            if line.strip():
                yield json.loads(line)
    else:
        v = json.loads(text)
        for r in (v if isinstance(v, list) else [v]):
            yield r

def group_of(folder, rec):
    if folder == "npm":
        return "npm-mal" if rec["id"].startswith("MAL-") else "npm-ghsa"
    return folder

groups = {}
for folder in sorted(os.listdir(f"{shared}/osv")):
    for path in sorted(glob.glob(f"{shared}/osv/{folder}/**/*", recursive=True)):
        try:
            for rec in records(path):
                if isinstance(rec, dict) and "id" in rec and "affected" in rec:
                    groups.setdefault(group_of(folder, rec), []).append(rec)
        except (ValueError, UnicodeDecodeError):
            pass  # not OSV (Ubuntu's tracker, YAML, ...): kevgate skips those too

CVE = re.compile(r"^CVE-(\d{4})-(\d+)$")
def cve_k(cve, k):
    m = CVE.match(cve)
    if not m or k == 0:
        return cve
    return f"CVE-{m[1]}-{k}{int(m[2]):07d}"
def id_k(i, k):
    if k == 0:
        return i
    return cve_k(i, k) if CVE.match(i) else f"{i}-SIM{k}"

def osv_copy(rec, k):
    if k == 0:
        return rec
    r = dict(rec)
    r["id"] = id_k(rec["id"], k)
    for f in ("aliases", "related", "upstream"):
        if f in rec:
            r[f] = [id_k(x, k) for x in rec[f]]
    aff = []
    for a in rec.get("affected", []):
        a = dict(a)
        if "package" in a:
            p = dict(a["package"])
            p["name"] = f"{p.get('name', '')}-sim{k}"
            p.pop("purl", None)
            a["package"] = p
        aff.append(a)
    r["affected"] = aff
    return r

os.makedirs(f"{out}/osv", exist_ok=True)
total = 0
for g, recs in sorted(groups.items()):
    want = round(UPSTREAM.get(g, len(recs)) * scale) if g in UPSTREAM else len(recs)
    # bundles of 20,000 records: each stays under kevgate's 256 MiB cap per document
    n, f = 0, None
    for k in itertools.count():
        for rec in recs:
            if n >= want:
                break
            if n % 20000 == 0:
                if f:
                    f.close()
                f = gzip.open(f"{out}/osv/{g}-{n // 20000:03d}.jsonl.gz", "wt", encoding="utf-8", compresslevel=1)
            f.write(json.dumps(osv_copy(rec, k), separators=(",", ":")) + "\n")
            n += 1
        if n >= want:
            break
    if f:
        f.close()
    print(f"osv {g}: {len(recs)} real -> {n}", file=sys.stderr)
    total += n
print(f"osv: {total} records", file=sys.stderr)

# NVD: the real items (1.1 feeds and API 2.0 pages), copies with mapped ids, as API 2.0 pages
# or 1.1 feeds (kevgate reads both), gzip'd.
items11, items20 = [], []
for path in sorted(glob.glob(f"{shared}/nvd/**/*", recursive=True)):
    try:
        if path.endswith(".zip"):
            with zipfile.ZipFile(path) as z:
                for name in z.namelist():
                    items11 += json.loads(z.read(name)).get("CVE_Items", [])
        elif path.endswith(".json") and "/schemas/" not in path and "/cve5/" not in path:
            v = json.load(open(path, encoding="utf-8"))
            if isinstance(v, dict):
                items11 += v.get("CVE_Items", [])
                items20 += [x for x in v.get("vulnerabilities", []) if "cve" in x]
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile):
        pass
seen = set()
def nvd_id(item):
    return item["cve"]["CVE_data_meta"]["ID"] if "CVE_data_meta" in item.get("cve", {}) else item["cve"]["id"]
real = []
for it in items20 + items11:
    i = nvd_id(it)
    if i not in seen:
        seen.add(i)
        real.append(it)
os.makedirs(f"{out}/nvd", exist_ok=True)
n, page, part = 0, ([], []), 0
def flush(page, part):
    p11, p20 = page
    if p11:
        with gzip.open(f"{out}/nvd/nvdcve-1.1-sim-{part:03d}.json.gz", "wt", compresslevel=1) as f:
            json.dump({"CVE_data_type": "CVE", "CVE_Items": p11}, f, separators=(",", ":"))
    if p20:
        with gzip.open(f"{out}/nvd/api2-sim-{part:03d}.json.gz", "wt", compresslevel=1) as f:
            json.dump({"resultsPerPage": len(p20), "startIndex": 0, "totalResults": len(p20),
                       "format": "NVD_CVE", "version": "2.0", "vulnerabilities": p20}, f,
                      separators=(",", ":"))
for k in itertools.count():
    for it in real:
        if n >= TOTAL_NVD:
            break
        c = json.loads(json.dumps(it))
        if "CVE_data_meta" in c["cve"]:
            c["cve"]["CVE_data_meta"]["ID"] = cve_k(c["cve"]["CVE_data_meta"]["ID"], k)
            page[0].append(c)
        else:
            c["cve"]["id"] = cve_k(c["cve"]["id"], k)
            page[1].append(c)
        n += 1
        if len(page[0]) + len(page[1]) >= 20000:
            flush(page, part)
            page, part = ([], []), part + 1
    if n >= TOTAL_NVD:
        break
flush(page, part)
print(f"nvd: {len(real)} real -> {n}", file=sys.stderr)

# EPSS: the real rows, copies with mapped CVE ids.
rows, header = {}, None
for path in sorted(glob.glob(f"{shared}/epss/epss_scores-*.csv*")):
    opener = gzip.open if path.endswith(".gz") else open
    for line in opener(path, "rt"):
        if line.startswith("#"):
            header = header or line
        elif line.startswith("CVE-"):
            rows.setdefault(line.split(",")[0], line.strip())
os.makedirs(f"{out}/epss", exist_ok=True)
with gzip.open(f"{out}/epss/epss_scores-sim.csv.gz", "wt", compresslevel=1) as f:
    f.write(header or "#model_version:v2025.03.14,score_date:2025-08-20T00:00:00+0000\n")
    f.write("cve,epss,percentile\n")
    n = 0
    for k in itertools.count():
        for cve, line in rows.items():
            if n >= TOTAL_EPSS:
                break
            f.write(cve_k(cve, k) + line[len(cve):] + "\n")
            n += 1
        if n >= TOTAL_EPSS:
            break
print(f"epss: {len(rows)} real -> {n}", file=sys.stderr)

#!/usr/bin/env python3
"""Regenerates tests/fixtures/trivy/{osv,kev.json,nvd,epss.csv} from the shared real data.

Run by hand (never by tests): it reads ../shared/data (or $KEVGATE_SHARED_DATA) and copies,
verbatim, the records that concern the packages of the trivy SBOM given as argument
(tests/fixtures/trivy/project scanned by real trivy):

  scripts/trim-trivy-fixtures.py SBOM.cdx.json

- osv/: every OSV record naming one of the SBOM's packages (affecting its version or not, so
  the fixed-before-our-version ones test the range logic), one source per record id:
  per-record files copied byte for byte where the data has them (go/selected, crates/selected),
  otherwise the record's line from the ecosystem's osv.dev .jsonl.gz bundle, unchanged.
- kev.json: the 2025-08-25 KEV catalog, header kept (count updated), vulnerabilities trimmed
  to the CVEs of those records plus the 20 most recently added entries.
- nvd/: NVD JSON 1.1 feed items / API 2.0 items for those CVEs, where the data has them.
- epss.csv: the EPSS 2025-08-20 KEV-subset rows of those CVEs, both header lines kept.
"""
import glob, gzip, io, json, os, re, shutil, sys, zipfile
from urllib.parse import unquote

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("KEVGATE_SHARED_DATA", os.path.join(REPO, "..", "shared", "data"))
OSV = os.path.join(DATA, "osv")
OUT = os.path.join(REPO, "tests", "fixtures", "trivy")
ECO = {"npm": "npm", "maven": "Maven", "golang": "Go", "pypi": "PyPI", "cargo": "crates.io",
       "composer": "Packagist", "gem": "RubyGems"}
# ecosystem -> bundles whose lines we take (in order of preference), and per-record folders.
BUNDLES = {
    "npm": ["npm/npm-osvdev-ghsa.jsonl.gz"],
    "Maven": ["maven/maven-osvdev-all.jsonl.gz"],
    "Go": ["go/go-vulndb-osv-all.jsonl.gz", "go/go-osvdev-ghsa.jsonl.gz"],
    "PyPI": ["pypi/pypi-pysec-osv-all.jsonl.gz", "pypi/pypi-osvdev-ghsa.jsonl.gz"],
    "crates.io": ["crates/cargo-osvdev-all.jsonl.gz"],
    "Packagist": ["composer/composer-osvdev-all.jsonl.gz"],
    "RubyGems": ["rubygems/rubygems-osvdev-ghsa.jsonl.gz"],
}
PER_RECORD = {"Go": "go/selected", "crates.io": "crates/selected"}
OUT_NAME = {"npm": "npm", "Maven": "maven", "Go": "go", "PyPI": "pypi", "crates.io": "crates",
            "Packagist": "composer", "RubyGems": "rubygems"}


def wanted(sbom_path):
    sbom = json.load(open(sbom_path))
    want = set()
    for c in sbom.get("components", []):
        m = re.match(r"pkg:([^/]+)/([^@?#]+)@", c.get("purl") or "")
        if not m or m.group(1) not in ECO:
            continue
        name = unquote(m.group(2))
        if m.group(1) == "maven":
            name = name.replace("/", ":")
        want.add((ECO[m.group(1)], name.lower()))
    return want


def names(rec):
    return {(a.get("package", {}).get("ecosystem"), a.get("package", {}).get("name", "").lower())
            for a in rec.get("affected", [])}


def main():
    want = wanted(sys.argv[1])
    short = {n.split(":")[-1].split("/")[-1] for _, n in want}
    for sub in ("osv", "nvd"):
        shutil.rmtree(os.path.join(OUT, sub), ignore_errors=True)
        os.makedirs(os.path.join(OUT, sub))
    taken = {}  # id -> record
    lines = {}  # out file -> [line]
    for eco, bundles in BUNDLES.items():
        ecowant = {n for e, n in want if e == eco}
        if not ecowant:
            continue
        folder = PER_RECORD.get(eco)
        if folder:
            for f in sorted(glob.glob(os.path.join(OSV, folder, "*.json"))):
                rec = json.load(open(f))
                if rec["id"] not in taken and {(eco, n) for n in ecowant} & names(rec):
                    taken[rec["id"]] = rec
                    dst = os.path.join(OUT, "osv", OUT_NAME[eco], os.path.basename(f))
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    shutil.copyfile(f, dst)
        for b in bundles:
            out = f"osv/{OUT_NAME[eco]}-{os.path.basename(b).removesuffix('.gz')}"
            with gzip.open(os.path.join(OSV, b), "rt", encoding="utf-8") as fh:
                for line in fh:
                    if not any(s in line.lower() for s in short):
                        continue
                    rec = json.loads(line)
                    if rec["id"] in taken or not ({(eco, n) for n in ecowant} & names(rec)):
                        continue
                    taken[rec["id"]] = rec
                    lines.setdefault(out, []).append(line if line.endswith("\n") else line + "\n")
    for out, ls in lines.items():
        with open(os.path.join(OUT, out), "w", encoding="utf-8") as fh:
            fh.writelines(ls)
    cves = set()
    for rec in taken.values():
        for i in [rec["id"]] + rec.get("aliases", []) + rec.get("related", []):
            if i.startswith("CVE-"):
                cves.add(i)

    # KEV
    kev = json.load(open(os.path.join(DATA, "kev", "known_exploited_vulnerabilities_2025-08-25.json")))
    vulns = kev["vulnerabilities"]
    keep = [v for v in vulns if v["cveID"] in cves]
    hits = [v["cveID"] for v in keep]
    recent = sorted(vulns, key=lambda v: (v["dateAdded"], v["cveID"]), reverse=True)[:20]
    keep_ids = {v["cveID"] for v in keep + recent}
    kev["vulnerabilities"] = [v for v in vulns if v["cveID"] in keep_ids]
    kev["count"] = len(kev["vulnerabilities"])
    with open(os.path.join(OUT, "kev.json"), "w", encoding="utf-8") as fh:
        json.dump(kev, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    nvd_cves = cves | keep_ids

    # NVD 1.1 feeds
    feeds = os.path.join(DATA, "nvd", "feed-1.1")
    for f in sorted(os.listdir(feeds)):
        p = os.path.join(feeds, f)
        if f.endswith(".zip"):
            with zipfile.ZipFile(p) as z:
                doc = json.loads(z.read(z.namelist()[0]))
        elif f.endswith(".json.gz"):
            doc = json.load(gzip.open(p, "rt", encoding="utf-8"))
        elif f.endswith(".json"):
            doc = json.load(open(p))
        else:
            continue
        items = [i for i in doc.get("CVE_Items", []) if i["cve"]["CVE_data_meta"]["ID"] in nvd_cves]
        if items:
            doc["CVE_Items"] = items
            doc["CVE_data_numberOfCVEs"] = str(len(items))
            name = re.sub(r"\.(zip|gz)$", "", f)
            with open(os.path.join(OUT, "nvd", name), "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=2, ensure_ascii=False)
                fh.write("\n")
    # NVD API 2.0: pages and single CVEs
    for f in sorted(glob.glob(os.path.join(DATA, "nvd", "api2-*", "*.json"))):
        doc = json.load(open(f))
        if "vulnerabilities" in doc:
            items = [v for v in doc["vulnerabilities"] if v["cve"]["id"] in nvd_cves]
            if items:
                doc["vulnerabilities"] = items
                doc["resultsPerPage"] = doc["totalResults"] = len(items)
                doc["startIndex"] = 0
                with open(os.path.join(OUT, "nvd", "api2-" + os.path.basename(f)), "w", encoding="utf-8") as fh:
                    json.dump(doc, fh, indent=2, ensure_ascii=False)
                    fh.write("\n")
        else:
            cid = (doc.get("cve") or doc).get("id")
            if cid in nvd_cves:
                shutil.copyfile(f, os.path.join(OUT, "nvd", "api2-" + os.path.basename(f)))

    # EPSS
    src = open(os.path.join(DATA, "epss", "epss_scores-2025-08-20-kev-subset.csv"), encoding="utf-8").read().splitlines()
    rows = src[:2] + [r for r in src[2:] if r.split(",")[0] in nvd_cves]
    with open(os.path.join(OUT, "epss.csv"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(rows) + "\n")

    print(f"osv records: {len(taken)}; cves: {len(cves)}; kev hits: {sorted(hits)}; "
          f"kev entries kept: {len(keep_ids)}; epss rows: {len(rows) - 2}", file=sys.stderr)
    for f in sorted(glob.glob(os.path.join(OUT, "nvd", "*"))):
        print("nvd:", os.path.basename(f), file=sys.stderr)


if __name__ == "__main__":
    main()

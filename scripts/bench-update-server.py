#!/usr/bin/env python3
"""A loopback server of SIMULATED full-size feeds for `scripts/bench-update.sh` (issue 14, item 4).
Benchmarks only: never shipped, never a test fixture.

    scripts/bench-update-server.py SHARED_DATA CACHE_DIR PORT

Serves what `kevgate db update` downloads, at the real feeds' size, built from the real records
of SHARED_DATA (../shared/data) replicated under new ids (copy k of a record: CVE-YYYY-N becomes
CVE-YYYY-kNNNNNNN, other ids get `-SIMk`, package names `-simk`):
  /kev.json                    the real KEV catalog
  /nvd                         NVD CVE API 2.0: FULL_NVD records (320,000) in pages of
                               `resultsPerPage` from `startIndex`; with `lastModStartDate` /
                               `lastModEndDate`, NVD_DAILY records (3,000) per day of the window.
                               Each page waits NVD_LATENCY s first (the real API's response time).
                               Enforces the published rate limit (5 requests in any 30 s, 50 with an
                               `apiKey` header): an excess request gets 403, as NVD answers, and is
                               counted as a violation.
  /osv/<ecosystem>/all.zip     FULL_OSV records (600,000) across the ecosystems kevgate matches,
                               in the upstream proportions (built once into CACHE_DIR; from day 2
                               with that day's revised records, built when first asked for)
  /osv/<ecosystem>/modified_id.csv   osv.dev's list: `<modified>,<id>` per record, newest first
  /osv/<ecosystem>/<id>.json   one record, as the bucket serves it
  /epss.csv.gz                 FULL_EPSS rows (300,000)
  /advance                     the next day: every file gets a new ETag (osv.dev's all.zip, EPSS
                               and KEV change daily), NVD's window answers NVD_DAILY records, and
                               OSV_DAILY OSV records (3,000, spread over the ecosystems by size)
                               are revised: a new `modified` (2025-09-<day>) and summary
  /stats                       JSON: bytes and requests per source, 403s, rate-limit violations
The network between a CI runner and the upstreams, modelled (a loopback has none):
  - RTT (default 0.04 s): each request waits one round trip before its response starts (the
    request's way there, the first byte's way back); the first request of a connection waits
    CONNECT_RTTS (default 2) more, its TCP and TLS 1.3 handshakes. /stats and /advance are
    exempt. NVD_LATENCY is the NVD API's own time per page, on top.
  - BANDWIDTH (default 20 MiB/s, a conservative runner download rate): the bytes/s of ALL
    responses together (one link shared by concurrent downloads), not of each connection.
`If-None-Match` with the current ETag gets `304 Not Modified`.
Environment: FULL_OSV, FULL_NVD, FULL_EPSS, NVD_DAILY, OSV_DAILY, NVD_LATENCY, BANDWIDTH, RTT,
CONNECT_RTTS.
"""
import glob, gzip, io, json, os, re, sys, threading, time, zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

shared, cache, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
FULL_OSV = int(os.environ.get("FULL_OSV", 600_000))
FULL_NVD = int(os.environ.get("FULL_NVD", 320_000))
FULL_EPSS = int(os.environ.get("FULL_EPSS", 300_000))
NVD_DAILY = int(os.environ.get("NVD_DAILY", 3_000))
OSV_DAILY = int(os.environ.get("OSV_DAILY", 3_000))
NVD_LATENCY = float(os.environ.get("NVD_LATENCY", 2.0))
BANDWIDTH = int(os.environ.get("BANDWIDTH", 20 << 20))
RTT = float(os.environ.get("RTT", 0.04))
CONNECT_RTTS = float(os.environ.get("CONNECT_RTTS", 2))
os.makedirs(cache, exist_ok=True)

# osv.dev folder -> shared folder, and upstream record counts (../shared/data/SOURCES.md).
ECOSYSTEMS = {"Ubuntu": ("ubuntu", 51478), "Debian": ("debian", 44181), "npm": ("npm", 23227),
              "PyPI": ("pypi", 18216), "Red Hat": ("redhat", 15175), "Alpine": ("alpine", 9000),
              "Maven": ("maven", 5200), "Go": ("go", 4500), "AlmaLinux": ("almalinux", 3500),
              "Rocky Linux": ("rocky", 3000), "Packagist": ("composer", 1800),
              "crates.io": ("crates", 1700), "RubyGems": ("rubygems", 1500),
              "NuGet": ("nuget", 900), "Pub": ("pub", 50)}
TOTAL_UPSTREAM = sum(n for _, n in ECOSYSTEMS.values())
CVE = re.compile(r"CVE-(\d{4})-(\d+)")

state = {"day": 1, "stats": {}, "nvd_times": {True: [], False: []}, "violations": 0}
lock = threading.Lock()
# The shared link: when it is next free (time.monotonic()).
link = {"free": 0.0}
link_lock = threading.Lock()


def send_paced(wfile, data):
    """Writes `data` when the shared link has carried it: each chunk takes its turn on a link of
    BANDWIDTH bytes/s shared by every response in flight."""
    with link_lock:
        start = max(time.monotonic(), link["free"])
        link["free"] = start + len(data) / BANDWIDTH
        done = link["free"]
    wait = done - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    wfile.write(data)


def json_records(folder):
    for path in sorted(glob.glob(os.path.join(shared, folder, "**", "*"), recursive=True)):
        if path.endswith(".jsonl.gz") or path.endswith(".jsonl"):
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if line.startswith("{"):
                        rec = json.loads(line)
                        if isinstance(rec, dict) and isinstance(rec.get("id"), str):
                            yield rec
        elif path.endswith(".json"):
            with open(path, encoding="utf-8") as f:
                try:
                    doc = json.load(f)
                except ValueError:
                    continue
            if isinstance(doc, dict) and isinstance(doc.get("id"), str):
                yield doc


def new_cve(k, m):
    return m.group(0) if k == 0 else f"CVE-{m.group(1)}-{k}{int(m.group(2)):07d}"


def osv_copy(text, rec_id, names, k):
    """Copy k of a serialised OSV record."""
    if k == 0:
        return text
    text = CVE.sub(lambda m: new_cve(k, m), text)
    if not rec_id.startswith("CVE-"):
        text = text.replace(f'"{rec_id}"', f'"{rec_id}-SIM{k}"')
    for name in names:
        text = text.replace(f'"name": "{name}"', f'"name": "{name}-sim{k}"')
    return text


OSV_REAL = {}


def osv_real(ecosystem):
    """The real records of an ecosystem: (json text, id, package names, modified), and how
    many copies the simulation serves."""
    if ecosystem in OSV_REAL:
        return OSV_REAL[ecosystem]
    folder, upstream = ECOSYSTEMS[ecosystem]
    want = max(1, round(FULL_OSV * upstream / TOTAL_UPSTREAM))
    real, seen = [], set()
    for rec in json_records(os.path.join("osv", folder)):
        if rec["id"] in seen:
            continue
        seen.add(rec["id"])
        names = sorted({a.get("package", {}).get("name", "") for a in rec.get("affected", [])} - {""})
        real.append((json.dumps(rec), rec["id"], names, str(rec.get("modified", ""))))
    if not real:
        real = [(json.dumps({"id": "SIM-0", "modified": "2025-01-01T00:00:00Z"}), "SIM-0", [], "2025-01-01T00:00:00Z")]
    OSV_REAL[ecosystem] = (real, want)
    return real, want


def member_id(real, i):
    """The id of record i, as osv_copy renames it: the CVE ids in it renumbered, else
    `-SIM<k>` appended."""
    rec_id = real[i % len(real)][1]
    k = i // len(real)
    if k == 0:
        return rec_id
    renamed = CVE.sub(lambda m: new_cve(k, m), rec_id)
    return renamed if renamed != rec_id else f"{rec_id}-SIM{k}"


def revised_on(ecosystem, i, day):
    """The last day (2..day) on which record i was revised, or None."""
    real, want = osv_real(ecosystem)
    daily = max(1, round(OSV_DAILY * want / FULL_OSV))
    period = max(1, want // daily)
    for d in range(day, 1, -1):
        if (i * 7919 + d * 104729) % period == 0:
            return d
    return None


MODIFIED = re.compile(r'"modified": "[^"]*"')
SUMMARY = re.compile(r'"summary": "')


def osv_record(ecosystem, i, day):
    """Record i of an ecosystem on `day`: (id, modified, json text)."""
    real, _ = osv_real(ecosystem)
    text, rec_id, names, modified = real[i % len(real)]
    text = osv_copy(text, rec_id, names, i // len(real))
    d = revised_on(ecosystem, i, day)
    if d is not None:
        modified = f"2025-09-{d:02d}T00:00:00Z"
        text = MODIFIED.sub(f'"modified": "{modified}"', text, count=1)
        text = SUMMARY.sub(f'"summary": "(revised on day {d}) ', text, count=1)
    return member_id(real, i), modified, text


def osv_zip(ecosystem, day=1):
    folder, _ = ECOSYSTEMS[ecosystem]
    real, want = osv_real(ecosystem)
    revised = day > 1 and any(revised_on(ecosystem, i, day) for i in range(want))
    suffix = f"-day{day}" if revised else ""
    path = os.path.join(cache, f"osv-{folder}-{want}{suffix}.zip")
    if os.path.exists(path):
        return path
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for i in range(want):
            member, _, text = osv_record(ecosystem, i, day)
            z.writestr(f"{member}.json", text)
    os.replace(tmp, path)
    return path


OSV_LISTS = {}


def osv_list(ecosystem, day):
    """modified_id.csv of `day` (newest first), and the index of each id."""
    key = (ecosystem, day)
    if key not in OSV_LISTS:
        real, want = osv_real(ecosystem)
        rows, index = [], {}
        for i in range(want):
            d = revised_on(ecosystem, i, day)
            modified = real[i % len(real)][3] if d is None else f"2025-09-{d:02d}T00:00:00Z"
            member = member_id(real, i)
            index[member] = i
            rows.append((modified, member))
        rows.sort(reverse=True)
        body = "".join(f"{m},{member}\n" for m, member in rows).encode()
        OSV_LISTS.clear()  # one ecosystem-day at a time: bounded memory
        OSV_LISTS[key] = (body, index)
    return OSV_LISTS[key]


def nvd_records():
    out, seen = [], set()
    for path in sorted(glob.glob(os.path.join(shared, "nvd", "api2-*", "*.json"))):
        try:
            doc = json.load(open(path, encoding="utf-8"))
        except ValueError:
            continue
        for v in doc.get("vulnerabilities", []) if isinstance(doc, dict) else []:
            cve_id = v.get("cve", {}).get("id", "")
            if CVE.fullmatch(cve_id) and cve_id not in seen:
                seen.add(cve_id)
                out.append((cve_id, json.dumps(v)))
    return out


NVD = nvd_records()


def nvd_page(start, per_page, total):
    items = []
    for i in range(start, min(start + per_page, total)):
        cve_id, text = NVD[i % len(NVD)]
        k = i // len(NVD)
        items.append(text if k == 0 else text.replace(cve_id, CVE.sub(lambda m: new_cve(k, m), cve_id)))
    head = {"resultsPerPage": len(items), "startIndex": start, "totalResults": total,
            "format": "NVD_CVE", "version": "2.0", "timestamp": "2025-08-26T00:00:00.000"}
    body = json.dumps(head)[:-1] + ', "vulnerabilities": [' + ",".join(items) + "]}"
    return body.encode()


def epss_file():
    path = os.path.join(cache, f"epss-{FULL_EPSS}.csv.gz")
    if not os.path.exists(path):
        with gzip.open(path + ".tmp", "wt") as f:
            f.write("#model_version:v2025.03.14,score_date:2025-08-20T00:00:00+0000\n")
            f.write("cve,epss,percentile\n")
            for i in range(FULL_EPSS):
                f.write(f"CVE-{1999 + i % 27}-{1000000 + i},{(i % 997) / 1000:.5f},{(i % 991) / 1000:.5f}\n")
        os.replace(path + ".tmp", path)
    return path


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle's algorithm on, each small
    # response then waits for the client's delayed ACK (~40 ms), which is this server's
    # artifact, not the network's (it made 3,000 OSV record requests take 137 s).
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def count(self, source, sent, status):
        with lock:
            s = state["stats"].setdefault(source, {"bytes": 0, "requests": 0, "status": {}})
            s["bytes"] += sent
            s["requests"] += 1
            s["status"][str(status)] = s["status"].get(str(status), 0) + 1

    def send_body(self, source, body_or_path, etag=None, status=200):
        if etag and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.count(source, 0, 304)
            return
        if isinstance(body_or_path, bytes):
            f, size = io.BytesIO(body_or_path), len(body_or_path)
        else:
            f, size = open(body_or_path, "rb"), os.path.getsize(body_or_path)
        self.send_response(status)
        self.send_header("Content-Length", str(size))
        if etag:
            self.send_header("ETag", etag)
        self.end_headers()
        sent = 0
        with f:
            while chunk := f.read(64 << 10):
                send_paced(self.wfile, chunk)
                sent += len(chunk)
        self.count(source, sent, status)

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = unquote(url.path)
        if path not in ("/advance", "/stats"):
            # One round trip per request, and the handshakes on a new connection (this
            # handler object lives as long as its connection).
            first = not getattr(self, "connected", False)
            self.connected = True
            time.sleep(RTT * (1 + (CONNECT_RTTS if first else 0)))
        day = state["day"]
        if path == "/advance":
            with lock:
                state["day"] += 1
            return self.send_body("control", b"ok\n")
        if path == "/stats":
            with lock:
                body = json.dumps({"day": day, "sources": state["stats"],
                                   "nvd_rate_limit_violations": state["violations"]}, indent=1)
            return self.send_body("control", body.encode())
        if path == "/kev.json":
            return self.send_body("kev", os.path.join(shared, "kev", "known_exploited_vulnerabilities_2025-08-25.json"), f'"kev-{day}"')
        if path == "/epss.csv.gz":
            return self.send_body("epss", epss_file(), f'"epss-{day}"')
        if path.startswith("/osv/") and path.count("/") == 3:
            eco, name = path[len("/osv/"):].split("/")
            if eco not in ECOSYSTEMS:
                return self.send_body("osv", b"not found\n", status=404)
            if name == "all.zip":
                with lock:
                    zip_path = osv_zip(eco, day)
                return self.send_body("osv", zip_path, f'"osv-{eco}-{day}"')
            with lock:
                body, index = osv_list(eco, day)
            if name == "modified_id.csv":
                return self.send_body("osv", body, f'"osv-list-{eco}-{day}"')
            i = index.get(name[:-len(".json")]) if name.endswith(".json") else None
            if i is None:
                return self.send_body("osv", b"not found\n", status=404)
            return self.send_body("osv", osv_record(eco, i, day)[2].encode())
        if path == "/nvd":
            with_key = self.headers.get("apiKey") is not None
            now = time.monotonic()
            with lock:
                times = [t for t in state["nvd_times"][with_key] if now - t < 30]
                times.append(now)
                state["nvd_times"][with_key] = times
                over = len(times) > (50 if with_key else 5)
                if over:
                    state["violations"] += 1
            if over:
                return self.send_body("nvd", b'{"message": "rate limit exceeded"}', status=403)
            time.sleep(NVD_LATENCY)
            start = int(query.get("startIndex", 0))
            per_page = min(int(query.get("resultsPerPage", 2000)), 2000)
            total = FULL_NVD
            if "lastModStartDate" in query:
                begin = query["lastModStartDate"][:19]
                end = query["lastModEndDate"][:19]
                fmt = "%Y-%m-%dT%H:%M:%S"
                days = max(1.0, (time.mktime(time.strptime(end, fmt)) - time.mktime(time.strptime(begin, fmt))) / 86400)
                total = int(NVD_DAILY * days)
            return self.send_body("nvd", nvd_page(start, per_page, total))
        self.send_body("other", b"not found\n", status=404)


if __name__ == "__main__":
    # Build the files before serving, so the first download measures the transfer only.
    for eco in ECOSYSTEMS:
        osv_zip(eco)
        osv_list(eco, 1)
    epss_file()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"serving on 127.0.0.1:{port}", flush=True)
    server.serve_forever()

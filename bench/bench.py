#!/usr/bin/env python3
"""ThreePay's ScanCode benchmark driver (python3 standard library only).

scripts/bench.sh builds, starts the stack and then runs this file; it can also be run by hand against a
stack that scripts/stack.sh started with the same THREEPAY_STATE_DIR and THREEPAY_HTTP_PORT. It measures
the floor (RSA signatures, the health route, one FastCGI trip through bench/fcgi-hello when scripts/bench.sh
started it, the procedures' CALL rate and the minimal durable pair), then every (gateway latency,
concurrency) point, reconciles each repetition against the database and the sandbox, measures what the
largest hostile body of each kind costs against a normal request (bench/hostile.py), and writes the report
with the goals' ratios to the floor (bench/report.py renders it). See bench/README.md.
"""

import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import contextlib
import threading
import time
import urllib.request
from datetime import datetime, timezone

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile  # noqa: E402  (bench/hostile.py)
import report  # noqa: E402  (bench/report.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LUA = os.path.join(ROOT, "bench", "scancode.lua")
# The committed report whose c64 / 0 ms point is goal 3's baseline (capacity with the gateway off this box).
BASELINE = os.path.join(ROOT, "bench", "results", "20261126T211730Z.json")
# Where scripts/bench.sh serves bench/fcgi-hello through the stack's nginx (the "one FastCGI trip" floor).
HELLO_PATH = "/bench/hello"
# Where scripts/bench.sh serves bench/scancode-floor (the floor line "a ScanCode without rules").
SCANCODE_FLOOR_PATH = "/bench/scancode-floor"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def env_int(name, default):
    text = os.environ.get(name, "").strip()
    return int(text) if text else default


def env_list(name, default):
    text = os.environ.get(name, "").strip()
    if not text:
        return list(default)
    return [int(item) for item in re.split(r"[\s,]+", text) if item]


class Settings:
    """Everything a run depends on, read from the environment (defaults: the issue's method)."""

    def __init__(self):
        self.seconds = env_int("BENCH_SECONDS", 20)
        self.reps = env_int("BENCH_REPS", 3)
        self.warmup = env_int("BENCH_WARMUP", 5)
        self.concurrency = env_list("BENCH_CONCURRENCY", [1, 16, 64, 256])
        self.latencies = env_list("BENCH_LATENCIES", [0, 50])
        self.floor_seconds = env_int("BENCH_FLOOR_SECONDS", min(self.seconds, 10))
        self.floor = os.environ.get("BENCH_FLOOR", "1") != "0"
        self.health_concurrency = env_int("BENCH_HEALTH_CONCURRENCY", 64)
        self.call_concurrency = env_list("BENCH_CALL_CONCURRENCY", [1, 16, 64])
        self.hello_concurrency = env_list("BENCH_HELLO_CONCURRENCY", [1, 16])
        self.scancode_floor_concurrency = env_list("BENCH_SCANCODE_FLOOR_CONCURRENCY", [1, 64])
        self.wrk_threads = env_int("BENCH_WRK_THREADS", os.cpu_count() or 2)
        self.wrk_timeout = env_int("BENCH_WRK_TIMEOUT", 30)
        self.state = os.environ["THREEPAY_STATE_DIR"]
        # BENCH_CLUSTER=1: the stack is scripts/cluster.sh's (Galera nodes and several responders in state/cluster).
        self.cluster = os.environ.get("BENCH_CLUSTER", "0") == "1"
        self.run_dir = os.path.join(self.state, "cluster") if self.cluster else self.state
        self.db_socket = os.path.join(self.run_dir, "node1" if self.cluster else "", "mariadb.sock")
        self.port = int(os.environ["THREEPAY_HTTP_PORT"])
        self.results_dir = os.environ.get("BENCH_RESULTS_DIR", os.path.join(ROOT, "bench", "results"))
        self.base = f"http://127.0.0.1:{self.port}"
        self.db_name = os.environ.get("THREEPAY_DB_NAME", "threepay")
        self.profile = os.environ.get("BENCH_PROFILE", "1") != "0"
        self.profile_seconds = env_int("BENCH_PROFILE_SECONDS", 10)
        self.keep_conn = os.environ.get("BENCH_KEEP_CONN", "0") == "1"
        self.baseline = os.environ.get("BENCH_BASELINE", BASELINE)
        # Set by scripts/bench.sh when it measured the baseline on this machine: the port of its second measurement.
        after_port = os.environ.get("BENCH_BASELINE_AFTER_PORT", "")
        self.baseline_after_port = int(after_port) if after_port.isdigit() and \
            os.environ.get("BENCH_BASELINE_MEASURED") else None
        self.hostile = os.environ.get("BENCH_HOSTILE", "1") != "0"
        # Paired rounds (after the points): ThreePay and the floors of goals 1, 2 and 4 measured in turn, round after
        # round, so that each round's ratios compare figures taken within a minute of each other.
        self.rounds = env_int("BENCH_ROUNDS", 5) if self.floor else 0
        self.round_seconds = env_int("BENCH_ROUND_SECONDS", min(self.seconds, 5))
        self.hostile_seconds = env_int("BENCH_HOSTILE_SECONDS", min(self.seconds, 10))
        self.is_default = (self.seconds, self.reps, self.warmup, self.concurrency, self.latencies) == (
            20, 3, 5, [1, 16, 64, 256], [0, 50])

    def as_dict(self):
        keys = ["BENCH_SECONDS", "BENCH_REPS", "BENCH_WARMUP", "BENCH_CONCURRENCY", "BENCH_LATENCIES",
                "BENCH_WORKERS", "BENCH_GATEWAY_CONCURRENCY", "BENCH_BUSY_WAIT_MS", "BENCH_KEEP_CONN",
                "BENCH_KEEPALIVE", "BENCH_HELLO_THREADS", "BENCH_DB_THREAD_HANDLING"]
        return {
            "seconds_per_point": self.seconds,
            "repetitions": self.reps,
            "warmup_seconds": self.warmup,
            "concurrency": self.concurrency,
            "gateway_latency_ms": self.latencies,
            "floor_seconds": self.floor_seconds,
            "profile_seconds": self.profile_seconds if self.profile else None,
            "hostile_seconds": self.hostile_seconds if self.hostile else None,
            "rounds": self.rounds,
            "round_seconds": self.round_seconds if self.rounds else None,
            "health_concurrency": self.health_concurrency,
            "call_concurrency": self.call_concurrency,
            "hello_concurrency": self.hello_concurrency,
            "hello_threads": os.environ.get("BENCH_HELLO_THREADS"),
            "scancode_floor_concurrency": self.scancode_floor_concurrency,
            "keep_conn": self.keep_conn,
            "upstream_keepalive": os.environ.get("BENCH_KEEPALIVE") if self.keep_conn else None,
            "wrk_threads": self.wrk_threads,
            "wrk_timeout_s": self.wrk_timeout,
            "http_port": self.port,
            "responder_workers": os.environ.get("THREEPAY_WORKERS", "64 (default)"),
            "sandbox_workers": os.environ.get("THREEPAY_SANDBOX_WORKERS", "64 (default)"),
            "gateway_concurrency": os.environ.get("THREEPAY_GATEWAY_CONCURRENCY", "3/4 of the workers (default)"),
            "busy_wait_ms": os.environ.get("THREEPAY_BUSY_WAIT_MS", "1000 (default)"),
            "build_config": os.environ.get("THREEPAY_BUILD_CONFIG", "release"),
            "issue_defaults": self.is_default,
            "cluster": {"nodes": os.environ.get("THREEPAY_CLUSTER_NODES", "3"),
                        "responders": os.environ.get("THREEPAY_CLUSTER_RESPONDERS", "2")} if self.cluster else None,
            "environment": {key: os.environ[key] for key in keys if key in os.environ},
        }


# --- processes ---------------------------------------------------------------------------------------

def read_pid(path):
    try:
        with open(path) as handle:
            text = handle.read().strip()
        pid = int(text)
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def cpu_ticks(pid):
    """utime + stime of a process, in clock ticks (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def children_of(pid):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return found


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def reset_peak_rss(pid):
    """Resets VmHWM (Linux: writing 5 to clear_refs); False when not permitted."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def machine_ticks():
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values[:8]), idle


def numbered_pids(folder, pattern):
    """The live pids of the numbered pid files `pattern % 1`, `pattern % 2`, … in `folder`."""
    pids, number = [], 1
    while os.path.exists(os.path.join(folder, pattern % number)):
        pid = read_pid(os.path.join(folder, pattern % number))
        if pid:
            pids.append(pid)
        number += 1
    return pids


class Stack:
    """The running stack's processes, found through the state folder's pid files. A component may be several
    processes (a cluster's responders and nodes): its CPU is theirs together, its RSS the first one's."""

    def __init__(self, settings):
        run = settings.run_dir
        if settings.cluster:
            responders = numbered_pids(run, "responder%d.pid")
            nodes = numbered_pids(run, "node%d/mariadb.pid")
        else:
            responders = [p for p in [read_pid(os.path.join(run, "threepay.pid"))] if p]
            nodes = [p for p in [read_pid(os.path.join(run, "mariadb.pid"))] if p]
        self.pids = {
            "responder": responders,
            "sandbox": [p for p in [read_pid(os.path.join(run, "sandbox.pid"))] if p],
            "mariadbd": nodes,
            "nginx": [p for p in [read_pid(os.path.join(run, "nginx.pid"))] if p],
        }
        if not responders:
            raise SystemExit(f"bench: no responder running for {run} (start it with scripts/stack.sh start)")
        self.responder = responders[0]
        # bench/fcgi-hello, when scripts/bench.sh started it: counted only for the FastCGI trip floor.
        hello = read_pid(os.path.join(settings.state, "fcgi-hello.pid"))
        self.hello_pids = [hello] if hello else []
        # bench/scancode-floor, likewise: counted only for the floor line "a ScanCode without rules".
        scancode_floor = read_pid(os.path.join(settings.state, "scancode-floor.pid"))
        self.scancode_floor_pids = [scancode_floor] if scancode_floor else []

    def cpu(self, hello=False, scancode_floor=False):
        """CPU ticks per component (nginx: master and workers), plus the machine's busy/total ticks. With
        `hello` or `scancode_floor`, that floor's responder too (the floor that loads it)."""
        result = {}
        components = dict(self.pids)
        if hello:
            components["hello"] = self.hello_pids
        if scancode_floor:
            components["scancode_floor"] = self.scancode_floor_pids
        for name, found in components.items():
            if not found:
                continue
            pids = found + [child for pid in found for child in (children_of(pid) if name == "nginx" else [])]
            result[name] = sum(cpu_ticks(p) or 0 for p in pids)
        result["_machine"] = machine_ticks()
        return result

    @staticmethod
    def cpu_delta(before, after, per, wrk_seconds=None):
        """Milliseconds of CPU per request per component (and wrk's), and the machine's busy share."""
        out = {}
        if wrk_seconds is not None:
            out["wrk"] = round(wrk_seconds * 1000 / per, 4) if per else None
        for name in before:
            if name == "_machine":
                continue
            seconds = (after[name] - before[name]) / CLK_TCK
            out[name] = round(seconds * 1000 / per, 4) if per else None
        total = after["_machine"][0] - before["_machine"][0]
        idle = after["_machine"][1] - before["_machine"][1]
        out["machine_busy_pct"] = round(100.0 * (total - idle) / total, 1) if total else None
        # CPU spent by anything outside the stack and wrk (other users of a shared machine): noise.
        ours = sum(after[n] - before[n] for n in before if n != "_machine") + (wrk_seconds or 0) * CLK_TCK
        out["others_busy_pct"] = round(max(0.0, 100.0 * (total - idle - ours) / total), 1) if total else None
        return out


class RSSSampler(threading.Thread):
    """Samples the responder's VmRSS every 100 ms while a point runs."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.is_set():
            value = status_kb(self.pid, "VmRSS")
            if value:
                self.peak_kb = max(self.peak_kb, value)
            self.stop_event.wait(0.1)

    def finish(self):
        self.stop_event.set()
        self.join()
        return self.peak_kb


# --- the services' front doors ------------------------------------------------------------------------

def http(settings, method, path, body=None, content_type=None, timeout=120):
    request = urllib.request.Request(settings.base + path, data=body, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read())


def sandbox_prepare(settings, latency_ms):
    """Empties the sandbox's trade book (which also clears faults), then sets the gateway latency."""
    http(settings, "POST", "/sandbox/reset?trades=1")
    answer = http(settings, "POST", "/sandbox/faults", json.dumps({"latency_ms": latency_ms}).encode(),
                  "application/json")
    if not answer.get("ok"):
        raise SystemExit(f"bench: the sandbox refused the latency setting: {answer}")


def sandbox_trades(settings):
    return http(settings, "GET", "/sandbox/trades", timeout=300)["trades"]


def sql(settings, query, database=True, script=False):
    """Runs SQL as the database administrator on the private instance; rows as lists of strings."""
    command = ["mariadb", "--no-defaults", f"--socket={settings.db_socket}",
               f"--user={os.environ.get('USER') or pwd_name()}", "--batch", "--skip-column-names",
               "--default-character-set=utf8mb4"]
    if database:
        command.append(f"--database={settings.db_name}")
    # A script (DELIMITER and all) goes in on standard input, as the mariadb client reads a file.
    done = subprocess.run(command if script else command + ["-e", query], input=query if script else None,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench: SQL failed: {done.stderr.strip()}")
    return [line.split("\t") for line in done.stdout.splitlines() if line]


def pwd_name():
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


def bill_rows(settings, prefix):
    """(billnum, out_trade_no, status) of every record whose bill number starts with `prefix`."""
    assert re.fullmatch(r"[A-Za-z0-9]+", prefix)
    return sql(settings, "SELECT billnum, COALESCE(out_trade_no, ''), status FROM T_3Pay_Offline_ReceiveMoney "
                         f"WHERE billtype = '1' AND billnum LIKE '{prefix}%'")


def bill_counts(settings, prefix, table=None):
    """(records, of them QR_ISSUED) whose bill number starts with `prefix`, in the payment table or `table` (a
    qualified name, such as the scratch copy bench/scancode-floor writes to)."""
    rows = sql(settings, "SELECT COUNT(*), COALESCE(SUM(status = 'QR_ISSUED'), 0) FROM "
                         f"{table or 'T_3Pay_Offline_ReceiveMoney'} WHERE billtype = '1' AND billnum LIKE '{prefix}%'",
               database=table is None)
    return int(rows[0][0]), int(rows[0][1])


def wait_quiet(settings, prefix, at_least_seconds, table=None):
    """Waits until requests still in the server when wrk stopped have finished (counts stop moving); returns
    the last counts (bill_counts)."""
    time.sleep(at_least_seconds)
    deadline = time.time() + 60
    last = bill_counts(settings, prefix, table)
    while time.time() < deadline:
        time.sleep(0.5)
        now = bill_counts(settings, prefix, table)
        if now == last:
            return now
        last = now
    log(f"records for {prefix} still changing after 60 s")
    return last


# --- wrk ----------------------------------------------------------------------------------------------

def run_wrk(settings, connections, seconds, mode, prefix, log_path):
    threads = max(1, min(settings.wrk_threads, connections))
    path = {"health": "/api/3Pay/health", "hello": HELLO_PATH, "floor": SCANCODE_FLOOR_PATH}.get(
        mode, "/api/3Pay/AliPay/ScanCode")
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", f"{settings.wrk_timeout}s", "--latency", "-s", LUA, settings.base + path,
               "--", mode, prefix]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_seconds = (used.ru_utime + used.ru_stime) - (usage.ru_utime + usage.ru_stime)
    with open(log_path, "w") as handle:
        handle.write("$ " + " ".join(command) + "\n" + done.stdout + done.stderr)
    if done.returncode != 0:
        raise SystemExit(f"bench: wrk failed ({log_path}): {done.stderr.strip()[:500]}")
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            result = json.loads(line[len("BENCH_JSON "):])
            for key in ("failures", "errors"):
                if isinstance(result.get(key), list):  # an empty Lua table prints as []
                    result[key] = {}
            result["threads"] = threads
            result["wrk_cpu_s"] = wrk_seconds
            return result
    raise SystemExit(f"bench: wrk printed no result ({log_path})")


def measured_wrk(settings, stack, concurrency, seconds, mode, prefix, log_path, **which):
    """run_wrk with the CPU of every process per request (`which`: a floor responder to count too, as Stack.cpu
    takes it): the run's summary, with its concurrency, and wrk's result."""
    before = stack.cpu(**which)
    result = run_wrk(settings, concurrency, seconds, mode, prefix, log_path)
    after = stack.cpu(**which)
    run = summarize(result, seconds)
    run["concurrency"] = concurrency
    run["cpu_ms_per_request"] = Stack.cpu_delta(before, after, result["requests"], result["wrk_cpu_s"])
    return run, result


def rows_match_answers(result, rows):
    """Every successful answer has its row; the bills cut off in flight may add at most one row each."""
    return result["counts"]["ok"] <= rows <= result["counts"]["ok"] + len(result["pending"])


# --- the floor ----------------------------------------------------------------------------------------

def openssl_speed(seconds, processes):
    command = ["openssl", "speed", "-seconds", str(seconds)]
    if processes > 1:
        command += ["-multi", str(processes)]
    done = subprocess.run(command + ["rsa2048"], capture_output=True, text=True)
    match = re.search(r"rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)", done.stdout)
    if not match:
        return None
    return {"sign_per_s": float(match.group(1)), "verify_per_s": float(match.group(2)), "processes": processes}


# Both database floors run the same four round trips per pair from mariadb-slap's clients: this line, then three
# statements. Bill numbers start with K: no ScanCode point uses that.
SLAP_SET_LINE = "SET @b = CONCAT('K', UUID_SHORT() % 1000000000000000000), @t = UUID()"
SLAP_SCHEMA = "threepay_bench_slap"
# scripts/bench.sh gives bench/scancode-floor the same name (FLOOR_DB_SCHEMA): it calls the procedure floor there.
PAIR_SCHEMA = os.environ.get("FLOOR_DB_SCHEMA") or "threepay_bench_pair"
RECEIVE_MONEY = "T_3Pay_Offline_ReceiveMoney"


def slap_pairs(settings, concurrency, pairs, mariadbd, statements, schema, recorded):
    """Runs `pairs` pairs (`statements`, one round trip each) over `concurrency` mariadb-slap clients on the
    socket, with `schema` as the clients' default database. `recorded()` counts the pairs the database holds
    (records in QR_ISSUED, before and after). Returns pairs/s, the mean wall time of one pair as one client
    sees it, and mariadbd's CPU per pair (every node's, on a cluster: the calls go to node 1, which
    replicates)."""
    # mariadb-slap gives each client number-of-queries / concurrency statements: whole pairs only.
    pairs = max(1, -(-pairs // concurrency)) * concurrency
    before = recorded()
    cpu_before = sum(cpu_ticks(p) or 0 for p in mariadbd) if mariadbd else None
    command = ["mariadb-slap", "--no-defaults", f"--socket={settings.db_socket}",
               f"--user={pwd_name()}", f"--create-schema={schema}", "--no-drop",
               f"--concurrency={concurrency}", "--iterations=1", "--delimiter=;",
               f"--number-of-queries={pairs * len(statements)}", "--query=" + ";".join(statements)]
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    cpu_after = sum(cpu_ticks(p) or 0 for p in mariadbd) if mariadbd else None
    # mariadb-slap exits 0 even when its clients fail, so its error output decides.
    if done.returncode != 0 or "Error" in done.stderr:
        raise SystemExit(f"bench: mariadb-slap failed: {done.stderr.strip()[:500]}")
    made = recorded() - before
    if made != pairs:
        raise SystemExit(f"bench: mariadb-slap left {made} records in QR_ISSUED instead of {pairs}")
    cpu_ms = None
    if cpu_before is not None and cpu_after is not None and made:
        cpu_ms = round((cpu_after - cpu_before) / CLK_TCK * 1000 / made, 4)
    return {"concurrency": concurrency, "pairs": made, "seconds": round(elapsed, 3),
            "pairs_per_s": round(made / elapsed, 1) if elapsed else None,
            "ms_per_pair_per_client": round(elapsed * 1000 * concurrency / made, 4) if made else None,
            "mariadbd_cpu_ms_per_pair": cpu_ms}


def call_rate(settings, concurrency, pairs, mariadbd):
    """Begin + QrIssued pairs per second (what one ScanCode asks of the database), straight over the socket.

    mariadb-slap connects to a scratch schema (so nothing it might drop is ThreePay's); the procedures are
    named with their database. Begin's record id reaches QrIssued through LAST_INSERT_ID(), which the CALL
    leaves set, in the pair's third round trip. Also reports mariadbd's CPU per pair.
    """
    db = settings.db_name
    statements = [
        SLAP_SET_LINE,
        f"CALL `{db}`.Sp_3Pay_Offline_ReceiveMoney_Begin(@b, '1', 'Bench ticket', '01', 0.01, NULL, "
        "'127.0.0.1', NULL, 900, @t, 20000)",
        "SET @a = LAST_INSERT_ID()",
        f"CALL `{db}`.Sp_3Pay_Offline_ReceiveMoney_QrIssued(@a, 'https://qr.alipay.com/benchfloor', 900, @t)",
    ]
    sql(settings, f"CREATE DATABASE IF NOT EXISTS {SLAP_SCHEMA}", database=False)
    try:
        result = slap_pairs(settings, concurrency, pairs, mariadbd, statements, SLAP_SCHEMA,
                            lambda: bill_counts(settings, "K")[1])
    finally:
        sql(settings, f"DROP DATABASE IF EXISTS {SLAP_SCHEMA}", database=False)
    result["calls_per_s"] = round(2 * result["pairs_per_s"], 1) if result["pairs_per_s"] else None
    return result


def pair_rate(settings, concurrency, pairs, mariadbd):
    """The minimal durable pair: the same durable writes as Begin + QrIssued without stored programs.

    On a scratch copy of the payment table (CREATE TABLE ... LIKE: same columns, keys and CHECK constraints),
    each pair is the procedure floor's SET line, one INSERT ... RETURNING of the new row (out_trade_no set in
    the INSERT), one UPDATE by primary key to QR_ISSUED, and a SELECT of the row (the procedure path returns
    it too): four round trips, as in call_rate, and two autocommit transactions, each with its own redo-log
    flush (innodb_flush_log_at_trx_commit as configured). Also reports mariadbd's CPU per pair.
    """
    table = f"`{PAIR_SCHEMA}`.{RECEIVE_MONEY}"
    statements = [
        SLAP_SET_LINE,
        f"INSERT INTO {table} (billnum, billtype, body, paytype, paymentvalue, detail, clientip, cardno, "
        "out_trade_no) VALUES (@b, '1', 'Bench ticket', '01', 0.01, NULL, '127.0.0.1', NULL, @b) RETURNING *",
        f"UPDATE {table} SET codeurl = 'https://qr.alipay.com/benchfloor', status = 'QR_ISSUED', "
        "qr_expires_at = UTC_TIMESTAMP() + INTERVAL 900 SECOND, updated_at = UTC_TIMESTAMP(3) "
        "WHERE autoid = LAST_INSERT_ID() AND status = 'INITIATED'",
        f"SELECT * FROM {table} WHERE autoid = LAST_INSERT_ID()",
    ]
    return scratch_pairs(settings, concurrency, pairs, mariadbd, statements)


@contextlib.contextmanager
def scratch_schema(settings, script=None):
    """PAIR_SCHEMA with a copy of the payment table (and `script`, SQL run in it first), for the duration of the
    `with` block, then dropped; yields the table's qualified name."""
    table = f"`{PAIR_SCHEMA}`.{RECEIVE_MONEY}"
    sql(settings, f"DROP DATABASE IF EXISTS {PAIR_SCHEMA}; CREATE DATABASE {PAIR_SCHEMA}; "
                  f"CREATE TABLE {table} LIKE `{settings.db_name}`.{RECEIVE_MONEY}", database=False)
    try:
        if script:
            sql(settings, f"USE {PAIR_SCHEMA};\n{script}", database=False, script=True)
        yield table
    finally:
        sql(settings, f"DROP DATABASE IF EXISTS {PAIR_SCHEMA}", database=False)


def scratch_pairs(settings, concurrency, pairs, mariadbd, statements, script=None):
    """slap_pairs on a scratch_schema made for the measurement."""
    with scratch_schema(settings, script) as table:
        return slap_pairs(settings, concurrency, pairs, mariadbd, statements, PAIR_SCHEMA,
                          lambda: int(sql(settings, f"SELECT COUNT(*) FROM {table} WHERE status = 'QR_ISSUED'",
                                          database=False)[0][0]))


# The procedure floor: the minimal durable pair's statements, each step inside a stored procedure that takes the
# parameters of Begin and QrIssued, and nothing else. It is what any service that calls procedures pays.
FLOOR_PROCEDURES = """
DELIMITER $$
CREATE PROCEDURE Floor_Begin(
    IN p_billnum VARCHAR(255), IN p_billtype VARCHAR(255), IN p_body TEXT, IN p_paytype VARCHAR(255),
    IN p_paymentvalue DECIMAL(65,30), IN p_detail TEXT, IN p_clientip VARCHAR(255), IN p_cardno VARCHAR(255),
    IN p_qr_validity_seconds INT, IN p_lease_token VARCHAR(64), IN p_lease_ms INT)
MODIFIES SQL DATA
INSERT INTO T_3Pay_Offline_ReceiveMoney (billnum, billtype, body, paytype, paymentvalue, detail, clientip, cardno,
                                         out_trade_no)
VALUES (p_billnum, p_billtype, p_body, p_paytype, p_paymentvalue, p_detail, p_clientip, p_cardno, p_billnum)
RETURNING *$$
CREATE PROCEDURE Floor_QrIssued(
    IN p_autoid BIGINT UNSIGNED, IN p_codeurl TEXT, IN p_qr_validity_seconds INT, IN p_lease_token VARCHAR(64))
MODIFIES SQL DATA
BEGIN
    UPDATE T_3Pay_Offline_ReceiveMoney
       SET codeurl = p_codeurl, status = 'QR_ISSUED',
           qr_expires_at = UTC_TIMESTAMP() + INTERVAL p_qr_validity_seconds SECOND, updated_at = UTC_TIMESTAMP(3)
     WHERE autoid = p_autoid AND status = 'INITIATED';
    SELECT * FROM T_3Pay_Offline_ReceiveMoney WHERE autoid = p_autoid;
END$$
DELIMITER ;
"""


def procedure_floor_rate(settings, concurrency, pairs, mariadbd):
    """The minimal durable pair inside two CALLs (FLOOR_PROCEDURES), in the round trips of call_rate: the SET
    line, CALL, the record id from LAST_INSERT_ID(), CALL. On a scratch copy of the payment table, as
    pair_rate. Also reports mariadbd's CPU per pair."""
    statements = [
        SLAP_SET_LINE,
        f"CALL `{PAIR_SCHEMA}`.Floor_Begin(@b, '1', 'Bench ticket', '01', 0.01, NULL, '127.0.0.1', NULL, 900, @t, "
        "20000)",
        "SET @a = LAST_INSERT_ID()",
        f"CALL `{PAIR_SCHEMA}`.Floor_QrIssued(@a, 'https://qr.alipay.com/benchfloor', 900, @t)",
    ]
    return scratch_pairs(settings, concurrency, pairs, mariadbd, statements, script=FLOOR_PROCEDURES)


def database_floor(settings, name, rate, concurrency, mariadbd):
    """A short probe sizes the measurement to about BENCH_FLOOR_SECONDS, then `rate` measures it."""
    probe = rate(settings, concurrency, 20 * concurrency, mariadbd)
    pairs = max(50 * concurrency, int((probe["pairs_per_s"] or 100) * settings.floor_seconds))
    log(f"floor: {name}, concurrency {concurrency}, {pairs} pairs")
    return rate(settings, concurrency, pairs, mariadbd)


def hello_floor(settings, stack, run_dir):
    """One FastCGI trip: wrk → nginx → bench/fcgi-hello (a fixed body) at each BENCH_HELLO_CONCURRENCY, with
    the CPU of the hello responder and nginx per request. None when scripts/bench.sh did not start it."""
    if not stack.hello_pids:
        log("floor: no FastCGI hello responder running (scripts/bench.sh starts it): skipped")
        return None
    trips = []
    for concurrency in settings.hello_concurrency:
        log(f"floor: GET {HELLO_PATH} (fcgi-hello) through nginx, c{concurrency}, {settings.floor_seconds} s")
        trips.append(measured_wrk(settings, stack, concurrency, settings.floor_seconds, "hello", "F",
                                  os.path.join(run_dir, f"hello-c{concurrency}.txt"), hello=True)[0])
    return trips


def scancode_floor(settings, stack, run_dir):
    """A ScanCode without rules: the bench's ScanCode bodies → nginx → bench/scancode-floor, which does one
    ScanCode's trips and crypto straight on libfcgi, libmariadb, libcurl and OpenSSL (the procedure floor's two
    CALLs on a scratch copy of the payment table, one signed precreate to the sandbox at 0 ms, the reply's
    signature checked). Per BENCH_SCANCODE_FLOOR_CONCURRENCY, after a warm-up: the CPU of every process per
    request, and the count of QR_ISSUED rows against the successful answers. None when scripts/bench.sh did not
    start it."""
    if not stack.scancode_floor_pids:
        log("floor: no bench/scancode-floor running (scripts/bench.sh starts it): skipped")
        return None
    runs = []
    sandbox_prepare(settings, 0)
    for index, concurrency in enumerate(settings.scancode_floor_concurrency):
        with scratch_schema(settings, FLOOR_PROCEDURES) as table:
            if settings.warmup > 0:
                run_wrk(settings, concurrency, settings.warmup, "floor", f"V{BASE36[index % 36]}",
                        os.path.join(run_dir, f"scancode-floor-warmup-c{concurrency}.txt"))
            log(f"floor: ScanCode without rules (bench/scancode-floor), c{concurrency}, {settings.seconds} s")
            run, result = measured_wrk(settings, stack, concurrency, settings.seconds, "floor",
                                       f"U{BASE36[index % 36]}",
                                       os.path.join(run_dir, f"scancode-floor-c{concurrency}.txt"), scancode_floor=True)
            # Requests still in flight when wrk stopped finish on their own.
            rows = wait_quiet(settings, f"U{BASE36[index % 36]}", 0, table)[1]
            # Where its CPU goes, in the same terms as the ScanCode profile (after the measurement, not during it).
            profiled = perf_shares(settings, run_dir, "floor", f"T{BASE36[index % 36]}", "scancode-floor-profile") \
                if settings.profile and concurrency == PROFILE_CONCURRENCY else None
        if profiled:
            shares, record_seconds, profile_result = profiled
            run["profile"] = {"concurrency": PROFILE_CONCURRENCY, "gateway_latency_ms": 0,
                              "record_seconds": record_seconds, "shares": shares,
                              "requests_per_s": summarize(profile_result, settings.profile_seconds)["requests_per_s"]}
        run["qr_issued_rows"] = rows
        run["rows_match_answers"] = rows_match_answers(result, rows)
        runs.append(run)
    return runs


def measure_floor(settings, stack, run_dir):
    floor = {}
    log(f"floor: openssl speed rsa2048 ({settings.floor_seconds} s, 1 process and {os.cpu_count()})")
    floor["rsa2048_one_core"] = openssl_speed(settings.floor_seconds, 1)
    floor["rsa2048_all_cores"] = openssl_speed(settings.floor_seconds, os.cpu_count() or 1)

    log(f"floor: GET api/3Pay/health through nginx, c{settings.health_concurrency}, {settings.floor_seconds} s")
    floor["health"] = measured_wrk(settings, stack, settings.health_concurrency, settings.floor_seconds, "health",
                                   "H", os.path.join(run_dir, "health.txt"))[0]

    floor["fastcgi_hello"] = hello_floor(settings, stack, run_dir)
    floor["scancode_floor"] = scancode_floor(settings, stack, run_dir)

    # The procedure pair, the minimal pair and the procedure floor back to back at each concurrency, so that all
    # three see the same box.
    floor["procedure_calls"] = []
    floor["minimal_pairs"] = []
    floor["procedure_floor_pairs"] = []
    mariadbd = stack.pids["mariadbd"]
    for concurrency in settings.call_concurrency:
        floor["procedure_calls"].append(database_floor(settings, "Begin+QrIssued CALLs", call_rate, concurrency,
                                                       mariadbd))
        floor["minimal_pairs"].append(database_floor(settings, "minimal durable pair (INSERT ... RETURNING, "
                                                     "UPDATE, SELECT)", pair_rate, concurrency, mariadbd))
        floor["procedure_floor_pairs"].append(database_floor(settings, "procedure floor (the minimal pair inside "
                                                             "two CALLs)", procedure_floor_rate, concurrency,
                                                             mariadbd))
    return floor


# --- points -------------------------------------------------------------------------------------------

def summarize(result, seconds):
    counts = result["counts"]
    errors = result["errors"]
    socket_errors = sum(errors.get(k, 0) for k in ("connect", "read", "write", "timeout"))
    duration = result["duration_s"] or seconds
    return {
        "requests": result["requests"],
        "requests_per_s": round(result["requests"] / duration, 1),
        "ok_per_s": round(counts["ok"] / duration, 1),
        "latency_ms": {
            "p50": round(result["latency_ms"]["percentiles"]["p50"], 2),
            "p90": round(result["latency_ms"]["percentiles"]["p90"], 2),
            "p99": round(result["latency_ms"]["percentiles"]["p99"], 2),
            "p99.9": round(result["latency_ms"]["percentiles"]["p99.9"], 2),
            "mean": round(result["latency_ms"]["mean"], 2),
            "max": round(result["latency_ms"]["max"], 2),
        },
        "socket_errors": errors,
        "errors": socket_errors + errors.get("status", 0),
        "ok": counts["ok"],
        "nonzero_errcode": counts["failed"],
        "failures": result["failures"],
        "ok_without_qr": counts["ok_without_qr"],
        "unparsed": counts["unparsed"],
        "sent": counts["sent"],
        "duration_s": round(duration, 3),
    }


def reconcile(settings, prefix, result):
    """Successful answers = new initiation records = trades the sandbox issued, bill by bill.

    wrk stops with up to `connections` requests still in the server; those bills are listed by the Lua
    script (sent, never answered) and are accounted for separately: the server may have recorded them.
    """
    rows = bill_rows(settings, prefix)
    trades = sandbox_trades(settings)
    pending = set(result["pending"])
    record_trades = {row[1] for row in rows if row[1]}
    sandbox_set = {trade["out_trade_no"] for trade in trades}
    answered_rows = [row for row in rows if row[0] not in pending]
    cut_rows = [row for row in rows if row[0] in pending]
    ok = result["counts"]["ok"]
    checks = {
        "ok_answers_equal_answered_records": ok == len(answered_rows),
        "answered_records_all_qr_issued": all(row[2] == "QR_ISSUED" for row in answered_rows),
        "records_equal_sandbox_trades": record_trades == sandbox_set and len(rows) == len(trades),
        "one_precreate_per_trade": all(int(t.get("precreate_count", 1)) == 1 for t in trades),
        # A failed answer that names its bill left the pending list, so the two checks above hold it to having no
        # record. One that does not (the doorman's "busy", nginx's error pages) stays on the pending list: there
        # must be at least as many pending bills without a record as such answers. Every failure still counts
        # against the "zero errors" target.
        "failed_answers_left_no_record": len(pending) - len(cut_rows) >= result["counts"]["unparsed"],
        "every_success_names_its_bill": result["counts"]["unparsed"] <= result["counts"]["failed"],
    }
    return {
        "ok_answers": ok,
        "records": len(rows),
        "records_answered": len(answered_rows),
        "sandbox_trades": len(trades),
        "in_flight_at_cutoff": len(pending),
        "in_flight_recorded": len(cut_rows),
        "in_flight_qr_issued": sum(1 for row in cut_rows if row[2] == "QR_ISSUED"),
        "checks": checks,
        "exact": all(checks.values()),
    }


def run_point(settings, stack, run_dir, token, index, latency, connections):
    reps = []
    sandbox_prepare(settings, latency)
    if settings.warmup > 0:
        prefix = f"W{token}{BASE36[index % 36]}"
        run_wrk(settings, connections, settings.warmup, "scancode", prefix,
                os.path.join(run_dir, f"warmup-{latency}ms-c{connections}.txt"))
        wait_quiet(settings, prefix, latency / 1000)
    responder = stack.responder
    for rep in range(1, settings.reps + 1):
        prefix = f"B{token}{BASE36[index % 36]}{BASE36[rep % 36]}"
        sandbox_prepare(settings, latency)
        hwm_reset = reset_peak_rss(responder)
        sampler = RSSSampler(responder)
        before = stack.cpu()
        sampler.start()
        result = run_wrk(settings, connections, settings.seconds, "scancode", prefix,
                         os.path.join(run_dir, f"point-{latency}ms-c{connections}-r{rep}.txt"))
        after = stack.cpu()
        sampled = sampler.finish()
        wait_quiet(settings, prefix, 1 + latency / 1000)
        hwm = status_kb(responder, "VmHWM") if hwm_reset else None
        summary = summarize(result, settings.seconds)
        summary["reconciliation"] = reconcile(settings, prefix, result)
        summary["cpu_ms_per_request"] = Stack.cpu_delta(before, after, result["requests"], result["wrk_cpu_s"])
        summary["responder_peak_rss_mb"] = round(max(sampled, hwm or 0) / 1024, 1)
        summary["responder_peak_rss_method"] = "VmHWM after clear_refs, and VmRSS every 100 ms" if hwm_reset \
            else "VmRSS every 100 ms"
        summary["prefix"] = prefix
        reps.append(summary)
        rec = summary["reconciliation"]
        log(f"  {latency:>3} ms c{connections:<3} rep {rep}: {summary['requests_per_s']:.0f} req/s, "
            f"p99 {summary['latency_ms']['p99']:.1f} ms, errors {summary['errors']}, "
            f"errcode≠0 {summary['nonzero_errcode']}, RSS {summary['responder_peak_rss_mb']} MB, "
            f"reconciled {'exact' if rec['exact'] else 'NOT exact'} ({rec['ok_answers']} ok, "
            f"{rec['records']} records, {rec['sandbox_trades']} trades, {rec['in_flight_at_cutoff']} unanswered at cut-off)")
    return {"gateway_latency_ms": latency, "concurrency": connections, "repetitions": reps,
            "median": medians(reps)}


def medians(reps):
    def median(getter):
        values = [getter(r) for r in reps if getter(r) is not None]
        return round(statistics.median(values), 4) if values else None

    cpu_keys = reps[0]["cpu_ms_per_request"].keys()
    return {
        "requests_per_s": median(lambda r: r["requests_per_s"]),
        "ok_per_s": median(lambda r: r["ok_per_s"]),
        "latency_ms": {k: median(lambda r, k=k: r["latency_ms"][k]) for k in reps[0]["latency_ms"]},
        "cpu_ms_per_request": {k: median(lambda r, k=k: r["cpu_ms_per_request"][k]) for k in cpu_keys},
        "responder_peak_rss_mb_max": max(r["responder_peak_rss_mb"] for r in reps),
        "errors_total": sum(r["errors"] for r in reps),
        "nonzero_errcode_total": sum(r["nonzero_errcode"] for r in reps),
        "reconciled_exact": all(r["reconciliation"]["exact"] for r in reps),
    }


# --- paired rounds -----------------------------------------------------------------------------------

# One round: every run below once, in this order in odd rounds and the reverse in even ones, so that a machine that
# speeds up or slows down during the rounds moves both sides of a ratio alike. Goal 1 and 2 take the c64 runs, goal
# 4 the c1 runs (bench/report.py, round_ratios).
ROUND_RUNS = [("threepay", 64), ("floor", 64), ("minimal", 64), ("threepay", 1), ("floor", 1), ("hello", 1),
              ("minimal", 1)]


def _round_run(settings, stack, run_dir, token, number, kind, concurrency, floor):
    """One run of a paired round: ThreePay's ScanCode (reconciled like a point's repetition), the ScanCode without
    rules (its rows counted against its answers), the FastCGI hello, or the minimal durable pair (sized from the
    floor's rate at that concurrency to about BENCH_ROUND_SECONDS)."""
    log_path = os.path.join(run_dir, f"round{number}-{kind}-c{concurrency}.txt")
    seconds = settings.round_seconds
    tag = BASE36[number % 36] + ("a" if concurrency == 1 else "b")
    if kind == "threepay":
        prefix = f"R{token}{tag}"
        sandbox_prepare(settings, 0)
        run, result = measured_wrk(settings, stack, concurrency, seconds, "scancode", prefix, log_path)
        run["prefix"] = prefix
        wait_quiet(settings, prefix, 1)
        run["reconciled_exact"] = reconcile(settings, prefix, result)["exact"]
        return run
    if kind == "floor":
        prefix = f"S{tag}"
        with scratch_schema(settings, FLOOR_PROCEDURES) as table:
            run, result = measured_wrk(settings, stack, concurrency, seconds, "floor", prefix, log_path,
                                       scancode_floor=True)
            rows = wait_quiet(settings, prefix, 0, table)[1]
        run["prefix"] = prefix
        run["qr_issued_rows"] = rows
        run["rows_match_answers"] = rows_match_answers(result, rows)
        return run
    if kind == "hello":
        return measured_wrk(settings, stack, concurrency, seconds, "hello", "F", log_path, hello=True)[0]
    measured = report._by_concurrency(floor.get("minimal_pairs"), concurrency) or {}
    pairs = max(20 * concurrency, int((measured.get("pairs_per_s") or 100) * seconds))
    return pair_rate(settings, concurrency, pairs, stack.pids["mariadbd"])


def paired_rounds(settings, stack, run_dir, token, floor):
    """BENCH_ROUNDS rounds of ROUND_RUNS, BENCH_ROUND_SECONDS each, after the points. None when the floor's
    responders are not running (scripts/bench.sh starts them)."""
    if not stack.hello_pids or not stack.scancode_floor_pids:
        log("rounds: bench/fcgi-hello or bench/scancode-floor is not running (scripts/bench.sh starts them): skipped")
        return None
    rounds = []
    for number in range(1, settings.rounds + 1):
        order = ROUND_RUNS if number % 2 else list(reversed(ROUND_RUNS))
        log(f"rounds: round {number} of {settings.rounds}, {settings.round_seconds} s per run: "
            + ", ".join(f"{kind} c{concurrency}" for kind, concurrency in order))
        entry = {"round": number, "order": [f"{kind}_c{concurrency}" for kind, concurrency in order]}
        for kind, concurrency in order:
            entry[f"{kind}_c{concurrency}"] = _round_run(settings, stack, run_dir, token, number, kind, concurrency,
                                                         floor)
        rounds.append(entry)
    return {"seconds": settings.round_seconds, "rounds": rounds}


# --- hostile bodies ----------------------------------------------------------------------------------

# The responder's default THREEPAY_MAX_BODY, which the benchmark's stack runs with (bench.sh sets no other).
HOSTILE_BODY_LIMIT = 65_536


# --- profile -----------------------------------------------------------------------------------------

# Where the profiles are taken; the report reads the floor's profile by it.
PROFILE_CONCURRENCY = report.PROFILE_CONCURRENCY


def perf_shares(settings, run_dir, mode, prefix, name):
    """`perf record -a` (no call graphs) while wrk runs `mode` at PROFILE_CONCURRENCY for BENCH_PROFILE_SECONDS:
    the shares of all samples by process and library, the seconds recorded and wrk's result. None (and says why)
    when perf is missing or not permitted."""
    if not shutil.which("perf"):
        log("profile: perf is not installed (Debian package linux-perf): skipped")
        return None
    data_path = os.path.join(run_dir, f"{name}.perf.data")
    record_seconds = max(2, settings.profile_seconds - 4)
    holder = {}

    def load():
        holder["result"] = run_wrk(settings, PROFILE_CONCURRENCY, settings.profile_seconds, mode, prefix,
                                   os.path.join(run_dir, f"{name}-wrk.txt"))

    log(f"profile: perf record -a for {record_seconds} s during {settings.profile_seconds} s of {mode} "
        f"at c{PROFILE_CONCURRENCY}, 0 ms")
    thread = threading.Thread(target=load)
    thread.start()
    time.sleep(2)
    recorded = subprocess.run(["perf", "record", "-a", "-F", "499", "-o", data_path, "--", "sleep",
                               str(record_seconds)], capture_output=True, text=True)
    thread.join()
    result = holder.get("result")
    if recorded.returncode != 0 or result is None:
        log(f"profile: perf record failed: {recorded.stderr.strip()[:300]}")
        return None
    reported = subprocess.run(["perf", "report", "-i", data_path, "--no-children", "--sort", "comm,dso",
                               "--stdio", "--percent-limit", "0.5"], capture_output=True, text=True)
    shares = []
    for line in reported.stdout.splitlines():
        match = re.match(r"\s*([\d.]+)%\s+(\S+)\s+(\S+)", line)
        if match and not line.lstrip().startswith("#"):
            shares.append({"percent": float(match.group(1)), "process": match.group(2),
                           "library": match.group(3)})
    try:
        os.remove(data_path)
    except OSError:
        pass
    return shares, record_seconds, result


def profile(settings, stack, run_dir, token):
    """Where the CPU goes during ScanCode at c64 with 0 ms gateway latency (perf_shares). The bills are
    reconciled too."""
    prefix = f"P{token}"
    sandbox_prepare(settings, 0)
    profiled = perf_shares(settings, run_dir, "scancode", prefix, "profile")
    wait_quiet(settings, prefix, 1)
    if profiled is None:
        return None
    shares, record_seconds, result = profiled
    summary = summarize(result, settings.profile_seconds)
    return {"concurrency": PROFILE_CONCURRENCY, "gateway_latency_ms": 0, "record_seconds": record_seconds,
            "requests_per_s": summary["requests_per_s"], "shares": shares,
            "reconciled_exact": reconcile(settings, prefix, result)["exact"]}


# --- the machine --------------------------------------------------------------------------------------

def first_line(command):
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        text = (done.stdout or done.stderr).strip()
        return text.splitlines()[0] if text else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def dpkg_version(*packages):
    """The installed version of the first of `packages` that is installed."""
    for package in packages:
        done = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip():
            return f"{package} {done.stdout.strip()}"
    return None


def git_dirs():
    """The checkout's git folder and the folder that holds its refs: the same for a clone; for a worktree
    (.git is a file naming its folder), that folder and the main repository's (its `commondir`)."""
    git = os.path.join(ROOT, ".git")
    if os.path.isfile(git):
        with open(git) as handle:
            line = handle.read().strip()
        if not line.startswith("gitdir: "):
            return git, git
        git = os.path.join(ROOT, line[len("gitdir: "):])
    common = git
    if os.path.exists(os.path.join(git, "commondir")):
        with open(os.path.join(git, "commondir")) as handle:
            common = os.path.normpath(os.path.join(git, handle.read().strip()))
    return git, common


def commit():
    """The checked-out commit, read from .git (the working tree may have changes on top)."""
    try:
        git, common = git_dirs()
        with open(os.path.join(git, "HEAD")) as handle:
            head = handle.read().strip()
        if not head.startswith("ref: "):
            return head
        ref = head[5:]
        for folder in (git, common):
            path = os.path.join(folder, ref)
            if os.path.exists(path):
                with open(path) as handle:
                    return handle.read().strip()
        with open(os.path.join(common, "packed-refs")) as handle:
            for line in handle:
                if line.strip().endswith(" " + ref):
                    return line.split()[0]
    except OSError:
        pass
    return None


def machine(settings):
    cpu_model = None
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    memory = status_like("/proc/meminfo", "MemTotal")
    os_name = None
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as handle:
            for line in handle:
                if line.startswith("PRETTY_NAME="):
                    os_name = line.split("=", 1)[1].strip().strip('"')
    variables = dict(sql(settings, "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('version', 'max_connections', "
                                   "'innodb_flush_log_at_trx_commit', 'innodb_buffer_pool_size', 'sync_binlog', "
                                   "'log_bin', 'thread_handling')", database=False))
    return {
        "cpu_model": cpu_model,
        "cpus": os.cpu_count(),
        "memory_mb": round(memory / 1024) if memory else None,
        "kernel": platform.release(),
        "os": os_name,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "versions": {
            "threepay_commit": commit(),
            "swift": first_line(["swift", "--version"]),
            "nginx": first_line(["nginx", "-v"]),
            "mariadb": variables.get("version"),
            "openssl": first_line(["openssl", "version"]),
            "wrk": first_line(["wrk", "-v"]),
            "libfcgi": dpkg_version("libfcgi0t64", "libfcgi0ldbl", "libfcgi-dev"),
            "libcurl": dpkg_version("libcurl4t64", "libcurl4", "libcurl4-openssl-dev"),
            "libmariadb": dpkg_version("libmariadb3", "libmariadb-dev"),
            "python": platform.python_version(),
        },
        "mariadb_settings": {k: v for k, v in variables.items() if k != "version"},
    }


def status_like(path, key):
    with open(path) as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def load_baseline(path):
    """Goal 3's baseline: the c64 / 0 ms point and the one-core signing rate of a report, either the one
    scripts/bench.sh just measured on this machine from BENCH_BASELINE_COMMIT, or a committed one."""
    try:
        with open(path) as handle:
            source = json.load(handle)
        baseline = report.baseline_figures(source)
    except (OSError, ValueError) as error:
        log(f"baseline {path} unreadable ({error}): goal 3 has no baseline")
        return None
    if baseline is None:
        log(f"baseline {path} has no c64 / 0 ms point or no RSA floor: goal 3 has no baseline")
        return None
    baseline["report"] = os.path.relpath(os.path.abspath(path), ROOT)
    # Measured by this run (scripts/bench.sh, from a source export without git: it names the commit).
    measured = os.environ.get("BENCH_BASELINE_MEASURED")
    baseline["this_run"] = bool(measured)
    baseline["commit"] = measured or source["machine"]["versions"].get("threepay_commit")
    return baseline


def keep_baseline(settings, figures, path, name):
    """A baseline report this run measured (scripts/bench-baseline.sh) is kept beside this run's report as `name`
    (…-baseline before ThreePay's stack started, …-baseline-after), and its figures name that copy."""
    if figures and figures["this_run"]:
        for extension in (".json", ".md"):
            source = os.path.splitext(path)[0] + extension
            if os.path.exists(source):
                shutil.copyfile(source, os.path.join(settings.results_dir, name + extension))
        figures["report"] = os.path.relpath(os.path.join(settings.results_dir, name + ".json"), ROOT)
    return figures


def measure_baseline_after(settings):
    """Runs the baseline's bench a second time (scripts/bench-baseline.sh after, on its own port while this
    stack stands idle) and returns its report's path, or None when it fails: goal 3 then uses the first one."""
    log(f"goal 3's baseline again, on port {settings.baseline_after_port}")
    done = subprocess.run([os.path.join(ROOT, "scripts", "bench-baseline.sh"), "after",
                           str(settings.baseline_after_port)], stdout=subprocess.PIPE, text=True)
    path = done.stdout.strip().splitlines()[-1] if done.returncode == 0 and done.stdout.strip() else None
    if path is None:
        log("the baseline's second measurement failed: goal 3 compares with the first one only")
    return path


# --- main ---------------------------------------------------------------------------------------------

def main():
    settings = Settings()
    for tool in ("wrk", "mariadb", "mariadb-slap", "openssl"):
        if not shutil.which(tool):
            raise SystemExit(f"bench: {tool} is not installed (make bench installs it)")
    stack = Stack(settings)
    started = datetime.now(timezone.utc)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    run_dir = os.path.join(ROOT, "bench", "tmp", stamp)
    os.makedirs(run_dir, exist_ok=True)
    # A short run token keeps this run's bill numbers apart from any earlier run's.
    token = "".join(BASE36[(int(time.time()) // 36 ** i) % 36] for i in range(4))

    data = {"started_at": started.isoformat(timespec="seconds"), "settings": settings.as_dict(),
            "machine": machine(settings), "floor": None, "points": []}
    if settings.floor:
        data["floor"] = measure_floor(settings, stack, run_dir)

    index = 0
    baseline_after = None
    for latency in settings.latencies:
        for connections in settings.concurrency:
            index += 1
            log(f"point: gateway latency {latency} ms, concurrency {connections}: warm-up {settings.warmup} s, "
                f"{settings.reps} × {settings.seconds} s")
            data["points"].append(run_point(settings, stack, run_dir, token, index, latency, connections))
        # Goal 3's baseline again, now that ThreePay's c64 / 0 ms point and the floors are measured: the two
        # baseline measurements bracket them, so a machine that speeds up or slows down meanwhile moves both sides.
        if latency == report.GOAL_POINT[0] and report.GOAL_POINT[1] in settings.concurrency \
                and settings.baseline_after_port:
            baseline_after = measure_baseline_after(settings)

    if settings.rounds and data["floor"]:
        data["rounds"] = paired_rounds(settings, stack, run_dir, token, data["floor"])

    if settings.hostile:
        sandbox_prepare(settings, 0)
        data["hostile"] = hostile.measure(settings.port, stack.responder, settings.hostile_seconds, token,
                                          HOSTILE_BODY_LIMIT, lambda prefix: bill_counts(settings, prefix)[0], log)

    if settings.profile:
        data["profile"] = profile(settings, stack, run_dir, token)

    data["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    data["responder_lifetime_peak_rss_mb"] = round((status_kb(stack.responder, "VmHWM") or 0) / 1024, 1)
    data["targets"] = report.evaluate_targets(data)
    os.makedirs(settings.results_dir, exist_ok=True)
    name = stamp + ("-cluster" if settings.cluster else "") + ("" if settings.is_default else "-custom")
    json_path = os.path.join(settings.results_dir, name + ".json")
    md_path = os.path.join(settings.results_dir, name + ".md")
    data["baseline"] = report.bracketed_baseline(
        keep_baseline(settings, load_baseline(settings.baseline), settings.baseline, name + "-baseline"),
        keep_baseline(settings, load_baseline(baseline_after), baseline_after, name + "-baseline-after")
        if baseline_after else None)
    data["goals"] = report.evaluate_goals(data)
    data["raw_dir"] = os.path.relpath(run_dir, ROOT)

    with open(json_path, "w") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    with open(md_path, "w") as handle:
        handle.write(report.markdown(data))
    print(report.table(data))
    print(f"\nreport: {os.path.relpath(md_path, ROOT)} and {os.path.relpath(json_path, ROOT)}"
          f" (raw wrk output: {data['raw_dir']})")
    failed = [t for t in data["targets"] if t["status"] == "FAIL"]
    missed = [g for g in data["goals"] if g["status"] == report.NOT_MET]
    return 1 if (failed or missed) and os.environ.get("BENCH_ENFORCE", "0") == "1" else 0


if __name__ == "__main__":
    sys.exit(main())

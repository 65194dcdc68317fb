#!/usr/bin/env python3
"""ThreePay's soak driver (python3 standard library only).

scripts/soak.sh builds, starts a private stack and runs this file; it can also be run by hand against a
stack that scripts/stack.sh started with the same THREEPAY_STATE_DIR and THREEPAY_HTTP_PORT (with empty
payment tables and an empty sandbox book, or the reconciliation will count what was there before).

For SOAK_MINUTES it sends SOAK_RATE requests per second, open loop (one every 1/rate seconds, whatever the
answers take), each the next step of some bill's life:

  ScanCode (a new bill) -> for SOAK_PAY_SHARE of the bills: Query (waiting, learns out_trade_no)
                           -> sandbox pay (the buyer pays; the sandbox notifies ThreePay, which records
                              the payment, writes the receipt and calls the business system back: the
                              sandbox's recording sink) -> Query (must say paid)
                        -> for SOAK_QUERY_SHARE of the others: Query (must say waiting)
                        -> for SOAK_RESEND_SHARE of the others: ScanCode again (same autoid and QR code)

Every SOAK_SAMPLE_SECONDS it samples the responder's resident memory (and the other processes', the
callback outbox, the request rate and latency). After the load it waits until every payment is recorded
and every callback delivered, then reconciles the answers, the records, the sandbox's trades, the
receipts, the card credits, the outbox and the sink. Results: soak/results/<UTC time>.{json,md}.
Exit status 0 only with zero errors, an exact reconciliation and a flat RSS curve.
"""

import heapq
import http.client
import json
import os
import queue
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from decimal import Decimal

sys.dont_write_bytecode = True

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf("SC_CLK_TCK")
RECEIPT_TABLES = {
    "1": "T_3Pay_Receipt_Scenic", "2": "T_3Pay_Receipt_Pos", "3": "T_3Pay_Receipt_CarRental",
    "4": "T_3Pay_Receipt_EcoCar", "5": "T_3Pay_Receipt_EquipmentRental", "6": "T_3Pay_Receipt_JointRetail",
    "7": "T_3Pay_Receipt_StoredValueCard",
}


def log(message):
    print(f"[soak] {message}", file=sys.stderr, flush=True)


def env_number(name, default, kind=float):
    text = os.environ.get(name, "").strip()
    return kind(text) if text else default


class Settings:
    """Everything a run depends on, from the environment."""

    def __init__(self):
        self.minutes = env_number("SOAK_MINUTES", 10.0)
        self.seconds = self.minutes * 60
        self.rate = env_number("SOAK_RATE", 760.0)
        self.pay_share = env_number("SOAK_PAY_SHARE", 0.3)
        self.query_share = env_number("SOAK_QUERY_SHARE", 0.2)
        self.resend_share = env_number("SOAK_RESEND_SHARE", 0.1)
        self.sample_seconds = env_number("SOAK_SAMPLE_SECONDS", 10.0)
        self.warmup_seconds = env_number("SOAK_WARMUP_SECONDS", min(60.0, self.seconds / 5))
        self.drain_seconds = env_number("SOAK_DRAIN_SECONDS", 180.0)
        self.rss_tolerance_mb = env_number("SOAK_RSS_TOLERANCE_MB", 5.0)
        self.clients = env_number("SOAK_CLIENTS", 32, int)
        self.seed = env_number("SOAK_SEED", int(time.time()), int)
        self.state = os.environ["THREEPAY_STATE_DIR"]
        # SOAK_CLUSTER=1: scripts/cluster.sh's stack, and its faults under the load (ClusterFaults).
        self.cluster = os.environ.get("SOAK_CLUSTER", "0") == "1"
        self.run_dir = os.path.join(self.state, "cluster") if self.cluster else self.state
        self.db_socket = os.path.join(self.run_dir, "node1" if self.cluster else "", "mariadb.sock")
        self.port = int(os.environ["THREEPAY_HTTP_PORT"])
        self.db_name = os.environ.get("THREEPAY_DB_NAME", "threepay")
        self.results_dir = os.environ.get("SOAK_RESULTS_DIR", os.path.join(ROOT, "soak", "results"))
        if not 0 <= self.pay_share + self.query_share + self.resend_share <= 1:
            raise SystemExit("SOAK_PAY_SHARE + SOAK_QUERY_SHARE + SOAK_RESEND_SHARE must be between 0 and 1")

    def as_dict(self):
        return {
            "minutes": self.minutes, "rate_per_second": self.rate, "pay_share": self.pay_share,
            "query_share": self.query_share, "resend_share": self.resend_share,
            "sample_seconds": self.sample_seconds, "warmup_seconds": self.warmup_seconds,
            "drain_seconds": self.drain_seconds, "rss_tolerance_mb": self.rss_tolerance_mb,
            "clients": self.clients, "seed": self.seed, "port": self.port,
            "responder_workers": os.environ.get("THREEPAY_WORKERS", "64"),
            "callback_posters": os.environ.get("THREEPAY_CALLBACK_POSTERS", "1"),
            "cluster": {"nodes": os.environ.get("THREEPAY_CLUSTER_NODES", "3"),
                        "responders": os.environ.get("THREEPAY_CLUSTER_RESPONDERS", "2")} if self.cluster else None,
        }


# --- the stack's processes and database ------------------------------------------------------------

def read_pid(path):
    try:
        with open(path) as handle:
            pid = int(handle.read().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def proc_status(pid):
    """VmRSS, VmHWM (kB) and Threads of a process, or None when it is gone."""
    try:
        values = {}
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM", "Threads"):
                    values[key] = int(rest.split()[0])
        return values
    except OSError:
        return None


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def children_of(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    if int(handle.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


class Database:
    """The stack's MariaDB through the `mariadb` command-line client (unix socket, login = OS user)."""

    def __init__(self, settings):
        self.command = [
            "mariadb", "--no-defaults", f"--socket={settings.db_socket}", f"--user={login_name()}",
            f"--database={settings.db_name}", "--batch", "--skip-column-names", "--default-character-set=utf8mb4",
        ]

    def rows(self, sql):
        """Tab-separated rows of `sql` (constant text: no value is ever spliced in); NULL is None."""
        output = subprocess.run(self.command + ["-e", sql], check=True, capture_output=True, text=True).stdout
        rows = []
        for line in output.splitlines():
            rows.append([None if value == "NULL" else value for value in line.split("\t")])
        return rows


def login_name():
    """The effective user's login (unix_socket authentication), also without a terminal."""
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


# --- HTTP ----------------------------------------------------------------------------------------------

class Client:
    """One keep-alive connection to nginx; one per worker thread."""

    def __init__(self, port):
        self.port = port
        self.connection = None

    def request(self, method, path, payload=None):
        """(status, body bytes). A failure is raised, never retried (a retried payment would hide it); the
        broken connection is replaced for the next request."""
        body = None if payload is None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = None
            raise


def envelope(status, body):
    try:
        value = json.loads(body)
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("errcode"), int):
        return None
    return value


# --- the run -------------------------------------------------------------------------------------------

class Bill:
    __slots__ = ("billnum", "billtype", "amount", "cardno", "plan", "autoid", "codeurl", "out_trade_no", "paid")

    def __init__(self, billnum, billtype, amount, cardno, plan):
        self.billnum, self.billtype, self.amount, self.cardno, self.plan = billnum, billtype, amount, cardno, plan
        self.autoid = self.codeurl = self.out_trade_no = None
        self.paid = False

    def json(self):
        members = {"billnum": self.billnum, "billtype": self.billtype, "body": "soak", "paytype": "01",
                   "paymentvalue": self.amount, "clientip": "10.0.0.10"}
        if self.cardno:
            members["cardno"] = self.cardno
        return members


class Run:
    """The load: an open-loop scheduler, worker threads, and what they saw."""

    def __init__(self, settings):
        self.settings = settings
        self.random = random.Random(settings.seed)
        self.lock = threading.Lock()
        self.bills = {}
        self.counter = 0
        self.run_id = self._run_id()
        self.followups = []  # heap of (due, sequence, kind, billnum)
        self.sequence = 0
        self.work = queue.Queue()
        self.errors = {}  # kind -> count
        self.error_samples = []
        self.latencies = {}  # op -> [(t since start, ms)]
        self.sent = {}  # op -> count
        self.scancode_answers = []  # (billnum, autoid, codeurl) of every errcode-0 ScanCode answer
        self.recent = []  # latencies (ms from the scheduled time) since the sampler last looked
        self.start = None
        self.stopped = threading.Event()

    @staticmethod
    def _run_id():
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"
        value, text = int(time.time()) % (36 ** 5), ""
        for _ in range(5):
            value, rest = divmod(value, 36)
            text = digits[rest] + text
        return text

    # Bills and follow-ups.

    def new_bill(self):
        with self.lock:
            self.counter += 1
            number = self.counter
            draw = self.random.random()
        billnum = f"S{self.run_id}{number}"
        billtype = str(1 + number % 7)
        amount = f"{1 + number % 89}.{(number * 7) % 100:02d}"
        share = self.settings
        if draw < share.pay_share:
            plan = "pay"
        elif draw < share.pay_share + share.query_share:
            plan = "query"
        elif draw < share.pay_share + share.query_share + share.resend_share:
            plan = "resend"
        else:
            plan = "none"
        bill = Bill(billnum, billtype, amount, "C" + billnum if billtype == "7" else None, plan)
        with self.lock:
            self.bills[billnum] = bill
        return bill

    def follow(self, kind, bill, low, high):
        due = time.monotonic() + self.random.uniform(low, high)
        with self.lock:
            self.sequence += 1
            heapq.heappush(self.followups, (due, self.sequence, kind, bill.billnum))

    def next_task(self, now):
        with self.lock:
            if self.followups and self.followups[0][0] <= now:
                _, _, kind, billnum = heapq.heappop(self.followups)
                return kind, billnum
        return "scancode", None

    # Recording.

    def error(self, kind, detail):
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if len(self.error_samples) < 30:
                self.error_samples.append(f"{kind}: {detail}"[:300])

    def timed(self, op, scheduled, started, finished):
        with self.lock:
            self.sent[op] = self.sent.get(op, 0) + 1
            self.latencies.setdefault(op, []).append(
                (started - self.start, (finished - scheduled) * 1000, (finished - started) * 1000))
            self.recent.append((finished - scheduled) * 1000)

    # Steps.

    def step(self, client, kind, billnum, scheduled):
        bill = self.new_bill() if kind == "scancode" else self.bills[billnum]
        started = time.monotonic()
        op = {"scancode": "ScanCode", "resend": "ScanCode again", "pay": "sandbox pay"}.get(kind, "Query")
        try:
            if kind in ("scancode", "resend"):
                status, body = client.request("POST", "/api/3Pay/AliPay/ScanCode", bill.json())
            elif kind == "pay":
                status, body = client.request("POST", "/sandbox/pay", {"out_trade_no": bill.out_trade_no})
            else:
                status, body = client.request("POST", "/api/3Pay/AliPay/Query", {"autoid": bill.autoid})
        except (OSError, http.client.HTTPException) as failure:
            self.timed(op, scheduled, started, time.monotonic())
            self.error(f"{op} transport", f"{bill.billnum}: {failure!r}")
            return
        self.timed(op, scheduled, started, time.monotonic())
        if kind == "pay":
            if status != 200:
                self.error("sandbox pay", f"{bill.billnum} HTTP {status} {body[:120]!r}")
                return
            with self.lock:
                bill.paid = True
            self.follow("query-paid", bill, 2.0, 3.0)
            return
        answer = envelope(status, body)
        if status != 200 or answer is None or answer["errcode"] != 0:
            code = answer["errcode"] if answer else "-"
            self.error(f"{op} errcode {code}", f"{bill.billnum} HTTP {status} {body[:160]!r}")
            return
        tag = answer.get("tag") or {}
        if kind == "scancode":
            with self.lock:
                bill.autoid, bill.codeurl = tag.get("autoid"), tag.get("codeurl")
                self.scancode_answers.append((bill.billnum, bill.autoid, bill.codeurl))
            if bill.plan == "pay":
                self.follow("query-for-pay", bill, 1.0, 2.0)
            elif bill.plan == "query":
                self.follow("query-waiting", bill, 1.0, 3.0)
            elif bill.plan == "resend":
                self.follow("resend", bill, 0.5, 2.0)
        elif kind == "resend":
            with self.lock:
                self.scancode_answers.append((bill.billnum, tag.get("autoid"), tag.get("codeurl")))
            if tag.get("autoid") != bill.autoid or tag.get("codeurl") != bill.codeurl:
                self.error("ScanCode again: another QR code", f"{bill.billnum}: {tag}")
        elif kind == "query-for-pay":
            if tag.get("status") != "waiting" or not tag.get("outtradeno"):
                self.error("Query before pay", f"{bill.billnum}: {tag}")
                return
            bill.out_trade_no = tag["outtradeno"]
            self.follow("pay", bill, 0.1, 0.5)
        elif kind == "query-waiting":
            if tag.get("status") != "waiting":
                self.error("Query of an unpaid bill", f"{bill.billnum}: {tag}")
        elif kind == "query-paid":
            if tag.get("status") != "paid":
                self.error("Query of a paid bill", f"{bill.billnum}: {tag}")

    def worker(self):
        client = Client(self.settings.port)
        while True:
            item = self.work.get()
            if item is None:
                self.work.task_done()
                return
            scheduled, kind, billnum = item
            try:
                self.step(client, kind, billnum, scheduled)
            except Exception as failure:  # a driver bug must show, not silently stop a worker
                self.error("driver", repr(failure))
            finally:
                self.work.task_done()

    def schedule(self):
        """One task every 1/rate seconds until the end; a late scheduler catches up (the load stays fixed)."""
        interval = 1.0 / self.settings.rate
        end = self.start + self.settings.seconds
        due = self.start
        while due < end:
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            kind, billnum = self.next_task(due)
            self.work.put((due, kind, billnum))
            due += interval
        self.stopped.set()


class Sampler(threading.Thread):
    """Every SOAK_SAMPLE_SECONDS: memory and CPU of the stack's processes, the outbox, rate and latency."""

    def __init__(self, settings, load, database):
        super().__init__(daemon=True)
        self.settings, self.load, self.database = settings, load, database
        self.samples = []
        self.done = threading.Event()
        run = settings.run_dir
        # On a cluster: the responder and the node the faults leave alone (responder 2, node 1).
        self.pid_files = {
            "threepay": f"{run}/responder2.pid" if settings.cluster else f"{run}/threepay.pid",
            "sandbox": f"{run}/sandbox.pid",
            "mariadbd": f"{run}/node1/mariadb.pid" if settings.cluster else f"{run}/mariadb.pid",
            "nginx": f"{run}/nginx.pid",
        }

    def take(self, phase):
        now = time.monotonic() - self.load.start
        sample = {"t": round(now, 1), "phase": phase}
        for name, path in self.pid_files.items():
            pid = read_pid(path)
            if pid is None:
                continue
            if name == "nginx":
                workers = children_of(pid)
                sample["nginx_rss_mb"] = round(sum((proc_status(p) or {}).get("VmRSS", 0) for p in workers) / 1024, 1)
                continue
            status = proc_status(pid)
            if status is None:
                sample[f"{name}_alive"] = False
                continue
            sample[f"{name}_rss_mb"] = round(status["VmRSS"] / 1024, 1)
            if name == "threepay":
                sample["threepay_threads"] = status["Threads"]
                sample["threepay_hwm_mb"] = round(status["VmHWM"] / 1024, 1)
                sample["threepay_cpu_s"] = cpu_seconds(pid)
        try:
            outbox = dict((row[0], int(row[1])) for row in self.database.rows(
                "SELECT status, COUNT(*) FROM T_3Pay_Callback_Outbox GROUP BY status"))
            sample["outbox_pending"] = outbox.get("PENDING", 0)
            sample["outbox_delivered"] = outbox.get("DELIVERED", 0)
        except subprocess.CalledProcessError:
            sample["outbox_pending"] = None
        with self.load.lock:
            window, self.load.recent = self.load.recent, []
            sample["errors_total"] = sum(self.load.errors.values())
        elapsed = now - (self.samples[-1]["t"] if self.samples else 0.0)
        sample["requests_per_s"] = round(len(window) / elapsed, 1) if elapsed > 0 else None
        if window:
            latencies = sorted(window)
            sample["p50_ms"] = round(latencies[len(latencies) // 2], 1)
            sample["p99_ms"] = round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1)
        self.samples.append(sample)
        return sample

    def run(self):
        next_time = self.load.start + self.settings.sample_seconds
        while not self.done.is_set():
            self.done.wait(max(0.0, next_time - time.monotonic()))
            if self.done.is_set():
                break
            phase = "load" if not self.load.stopped.is_set() else "drain"
            sample = self.take(phase)
            log(f"t={sample['t']:6.0f}s {phase}: responder RSS {sample.get('threepay_rss_mb')} MB, "
                f"{sample['requests_per_s']} req/s, p99 {sample.get('p99_ms')} ms, "
                f"errors {sample['errors_total']}, callbacks pending {sample.get('outbox_pending')}")
            next_time += self.settings.sample_seconds


class ClusterFaults(threading.Thread):
    """On a cluster (SOAK_CLUSTER=1), under the load: `kill -9` of the last Galera node at 30 % of the run, that node
    started again at 45 % as an operator would (`mariadbd --defaults-file=…/mariadb.cnf`, nothing else; it rejoins
    by IST or SST), `kill -9` of responder 1 at 65 % (its supervisor starts another). Every request must still be
    answered and the books must still reconcile; at the end every node must hold the same rows."""

    def __init__(self, settings, load):
        super().__init__(daemon=True)
        self.settings, self.load = settings, load
        self.node = int(os.environ.get("THREEPAY_CLUSTER_NODES", "3"))
        self.events = []
        self.done = threading.Event()

    def note(self, text):
        at = round(time.monotonic() - self.load.start, 1)
        self.events.append({"t": at, "event": text})
        log(f"t={at:6.0f}s fault: {text}")

    def wait_until(self, share):
        self.done.wait(max(0.0, self.load.start + share * self.settings.seconds - time.monotonic()))
        return not self.done.is_set()

    def kill(self, pid_file, what):
        """`kill -9` of the process the pid file names; its pid (None when none was running)."""
        pid = read_pid(pid_file)
        if pid:
            os.kill(pid, signal.SIGKILL)
            self.note(f"kill -9 {what} (pid {pid})")
        return pid

    def run(self):
        run = self.settings.run_dir
        node = f"{run}/node{self.node}"
        if not self.wait_until(0.30):
            return
        self.kill(f"{node}/mariadb.pid", f"node {self.node}")
        if not self.wait_until(0.45):
            return
        subprocess.run(["setsid", "--fork", "mariadbd", f"--defaults-file={node}/mariadb.cnf"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        self.note(f"node {self.node} started again: mariadbd --defaults-file={node}/mariadb.cnf")
        if not self.wait_until(0.65):
            return
        pid = self.kill(f"{run}/responder1.pid", "responder 1")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and read_pid(f"{run}/responder1.pid") in (None, pid):
            time.sleep(0.1)
        self.note(f"responder 1 runs again as pid {read_pid(f'{run}/responder1.pid')}")

    def finish(self):
        self.done.set()
        self.join()


def node_contents(settings, node):
    """Every table's row count and checksum on one node, read over its own socket."""
    command = ["mariadb", "--no-defaults", f"--socket={settings.run_dir}/node{node}/mariadb.sock",
               f"--user={login_name()}", f"--database={settings.db_name}", "--batch", "--skip-column-names"]
    done = subprocess.run(command + ["-e", "SELECT TABLE_NAME FROM information_schema.TABLES "
                                           "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        return None
    tables = done.stdout.split()
    if not tables:
        return None
    statement = "CHECKSUM TABLE " + ", ".join(f"`{table}`" for table in tables)
    done = subprocess.run(command + ["-e", statement], capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else None


def nodes_identical(settings, seconds=120):
    """Waits until every node of the cluster holds the same rows; returns the verdict and what was last read."""
    nodes = int(os.environ.get("THREEPAY_CLUSTER_NODES", "3"))
    deadline = time.monotonic() + seconds
    while True:
        contents = [node_contents(settings, node) for node in range(1, nodes + 1)]
        if contents[0] is not None and all(c == contents[0] for c in contents):
            return True, contents[0]
        if time.monotonic() >= deadline:
            return False, contents
        time.sleep(2.0)


class SinkReader(threading.Thread):
    """Reads the sandbox's recording sink every 2 s, only the entries after the last one it saw (each is numbered
    from 1, in the order received). The sink keeps its last 20,000; a read whose first entry is not the next
    number means some were pushed out unread."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.last = 0
        self.per_autoid = {}
        self.amounts = {}
        self.overflow = False
        self.done = threading.Event()
        self.lock = threading.Lock()

    def skip_existing(self):
        """Starts after whatever the sink already holds (a run with SOAK_FRESH=0 finds the last run's callbacks)."""
        status, body = Client(self.port).request("GET", "/sandbox/sink")
        if status != 200:
            raise RuntimeError(f"sink: HTTP {status}")
        self.last = max((int(entry["seq"]) for entry in json.loads(body)["received"]), default=0)

    def read_once(self):
        client = Client(self.port)
        with self.lock:
            status, body = client.request("GET", f"/sandbox/sink?after={self.last}")
            if status != 200:
                raise RuntimeError(f"sink: HTTP {status}")
            entries = json.loads(body)["received"]
            if entries and int(entries[0]["seq"]) != self.last + 1:
                self.overflow = True
            for entry in entries:
                self.last = max(self.last, int(entry["seq"]))
                try:
                    fields = json.loads(entry.get("body") or "")
                except ValueError:
                    continue
                autoid = fields.get("autoid")
                self.per_autoid[autoid] = self.per_autoid.get(autoid, 0) + 1
                self.amounts[autoid] = fields.get("amount")

    def run(self):
        while not self.done.wait(2.0):
            try:
                self.read_once()
            except Exception as failure:
                log(f"reading the sink failed: {failure!r}")


# --- after the load ------------------------------------------------------------------------------------

def drain(settings, run, database, sink):
    """Waits until every payment made is recorded and every paid record's callback delivered."""
    deadline = time.monotonic() + settings.drain_seconds
    paid = {bill.billnum for bill in run.bills.values() if bill.paid}
    started = time.monotonic()
    while True:
        rows = database.rows(
            "SELECT r.billnum, r.status, o.status FROM T_3Pay_Offline_ReceiveMoney r "
            "LEFT JOIN T_3Pay_Callback_Outbox o ON o.autoid = r.autoid WHERE r.status = 'PAID'")
        recorded = {row[0] for row in rows}
        undelivered = sum(1 for row in rows if row[2] != "DELIVERED")
        missing = len(paid - recorded)
        if missing == 0 and undelivered == 0:
            sink.read_once()
            return {"seconds": round(time.monotonic() - started, 1), "unrecorded_payments": 0, "undelivered_callbacks": 0}
        if time.monotonic() >= deadline:
            sink.read_once()
            return {"seconds": round(time.monotonic() - started, 1), "unrecorded_payments": missing,
                    "undelivered_callbacks": undelivered}
        time.sleep(2.0)


def reconcile(settings, run, database, sink):
    """Answers, records, trades, receipts, credits, outbox and sink must agree exactly."""
    problems = []
    kinds = {}

    def problem(text):
        # Counted by kind (the text with its numbers blanked out); the first 200 are kept word for word.
        kind = "".join("#" if c.isdigit() else c for c in text)
        while "##" in kind:
            kind = kind.replace("##", "#")
        kinds[kind] = kinds.get(kind, 0) + 1
        if len(problems) < 200:
            problems.append(text)

    records = {}
    for row in database.rows(
            "SELECT autoid, billnum, billtype, paymentvalue, cardno, out_trade_no, codeurl, status, trade_no, "
            "paid_amount FROM T_3Pay_Offline_ReceiveMoney"):
        records[row[0]] = dict(zip(
            ["autoid", "billnum", "billtype", "amount", "cardno", "out_trade_no", "codeurl", "status", "trade_no",
             "paid_amount"], row))
    by_trade = {record["out_trade_no"]: record for record in records.values()}
    receipts = {}
    for billtype, table in RECEIPT_TABLES.items():
        for autoid, amount in database.rows(f"SELECT autoid, amount FROM {table}"):  # constant table names
            receipts.setdefault(autoid, []).append((billtype, amount))
    credits = {}
    for autoid, cardno, amount in database.rows("SELECT autoid, cardno, amount FROM T_3Pay_StoredValueCard_Credit"):
        credits.setdefault(autoid, []).append((cardno, amount))
    cards = dict((row[0], row[1]) for row in database.rows("SELECT cardno, balance FROM T_3Pay_StoredValueCard"))
    outbox = {}
    for autoid, status, attempts in database.rows("SELECT autoid, status, attempts FROM T_3Pay_Callback_Outbox"):
        outbox.setdefault(autoid, []).append((status, int(attempts)))
    client = Client(settings.port)
    status, body = client.request("GET", "/sandbox/trades")
    if status != 200:
        raise RuntimeError(f"sandbox trades: HTTP {status}")
    trades = {trade["out_trade_no"]: trade for trade in json.loads(body)["trades"]}

    # Every errcode-0 ScanCode answer has its record and its trade with that QR code.
    for billnum, autoid, codeurl in run.scancode_answers:
        record = records.get(autoid)
        bill = run.bills[billnum]
        if record is None:
            problem(f"ScanCode {billnum} answered autoid {autoid}: no such record")
            continue
        if record["billnum"] != billnum or record["billtype"] != bill.billtype or record["amount"] != bill.amount:
            problem(f"record {autoid} is {record['billtype']}/{record['billnum']} {record['amount']}, answered for {billnum}")
        if record["codeurl"] != codeurl:
            problem(f"record {autoid} code URL differs from the answer")
        trade = trades.get(record["out_trade_no"])
        if trade is None or trade["qr_code"] != codeurl:
            problem(f"no sandbox trade with the QR code answered for {billnum}")
    # One record per bill sent, no record of a bill never sent; records = trades.
    per_bill = {}
    for record in records.values():
        per_bill.setdefault(record["billnum"], []).append(record)
        if record["billnum"] not in run.bills:
            problem(f"record {record['autoid']} of unknown bill {record['billnum']}")
    for billnum, bill in run.bills.items():
        count = len(per_bill.get(billnum, []))
        if bill.autoid is not None and count != 1:
            problem(f"bill {billnum} has {count} records")
    if set(trades) != set(by_trade):
        problem(f"sandbox trades ({len(trades)}) and records ({len(by_trade)}) differ: "
                f"{len(set(trades) - set(by_trade))} trades without a record, "
                f"{len(set(by_trade) - set(trades))} records without a trade")
    # Payments: PAID exactly when the trade is paid, once: receipt, credit, callback.
    paid_total = Decimal(0)
    for autoid, record in records.items():
        trade = trades.get(record["out_trade_no"]) or {}
        paid = record["status"] == "PAID"
        if paid != (trade.get("status") == "TRADE_SUCCESS"):
            problem(f"record {autoid} is {record['status']}, its trade {trade.get('status')}")
        if trade and trade.get("total_amount") != record["amount"]:
            problem(f"trade {record['out_trade_no']} amount {trade.get('total_amount')} ≠ record {record['amount']}")
        own_receipts = receipts.get(autoid, [])
        own_credits = credits.get(autoid, [])
        own_outbox = outbox.get(autoid, [])
        if paid:
            paid_total += Decimal(record["amount"])
            if record["trade_no"] != trade.get("trade_no") or record["paid_amount"] != record["amount"]:
                problem(f"record {autoid} trade_no/paid_amount differ from the sandbox's")
            if own_receipts != [(record["billtype"], record["amount"])]:
                problem(f"paid record {autoid} (billtype {record['billtype']}) has receipts {own_receipts}")
            expected_credits = [(record["cardno"], record["amount"])] if record["billtype"] == "7" else []
            if own_credits != expected_credits:
                problem(f"paid record {autoid} has card credits {own_credits}")
            if len(own_outbox) != 1 or own_outbox[0][0] != "DELIVERED":
                problem(f"paid record {autoid} callback outbox {own_outbox}")
            received = sink.per_autoid.get(autoid, 0)
            if received != 1:
                problem(f"paid record {autoid}: the sink received {received} callbacks")
            elif sink.amounts.get(autoid) != record["amount"]:
                problem(f"paid record {autoid}: the callback's amount {sink.amounts.get(autoid)} ≠ {record['amount']}")
        elif own_receipts or own_credits or own_outbox:
            problem(f"unpaid record {autoid} ({record['status']}) has receipts/credits/callbacks")
    for bill in run.bills.values():
        if bill.paid:
            record = records.get(bill.autoid)
            if record is None or record["status"] != "PAID":
                problem(f"bill {bill.billnum} was paid at the sandbox; its record is {record and record['status']}")
    for autoid in sink.per_autoid:
        if autoid not in records or records[autoid]["status"] != "PAID":
            problem(f"the sink received a callback for record {autoid}, which is not paid")
    credit_per_card = {}
    for entries in credits.values():
        for cardno, amount in entries:
            credit_per_card[cardno] = credit_per_card.get(cardno, Decimal(0)) + Decimal(amount)
    for cardno, balance in cards.items():
        if Decimal(balance) != credit_per_card.get(cardno, Decimal(0)):
            problem(f"card {cardno} balance {balance} ≠ its credits {credit_per_card.get(cardno)}")
    if sink.overflow:
        problem("the sink overflowed between two reads: callbacks may have been missed")
    totals_by_kind = dict(sorted(kinds.items(), key=lambda item: -item[1]))

    totals = {
        "bills": len(run.bills),
        "records": len(records),
        "sandbox_trades": len(trades),
        "paid_records": sum(1 for r in records.values() if r["status"] == "PAID"),
        "paid_trades": sum(1 for t in trades.values() if t["status"] == "TRADE_SUCCESS"),
        "paid_by_driver": sum(1 for b in run.bills.values() if b.paid),
        "receipts": sum(len(v) for v in receipts.values()),
        "card_credits": sum(len(v) for v in credits.values()),
        "callbacks_in_outbox": sum(len(v) for v in outbox.values()),
        "callbacks_delivered": sum(1 for v in outbox.values() for s, _ in v if s == "DELIVERED"),
        "callbacks_at_sink": sum(sink.per_autoid.values()),
        "paid_amount": str(paid_total),
        "sandbox_paid_amount": str(sum((Decimal(t["total_amount"]) for t in trades.values()
                                        if t["status"] == "TRADE_SUCCESS"), Decimal(0))),
        "receipt_amount": str(sum((Decimal(a) for v in receipts.values() for _, a in v), Decimal(0))),
    }
    totals["problem_kinds"] = totals_by_kind
    return problems, totals


def rss_verdict(settings, samples):
    """Flat: the responder's RSS at the end of the load is within the tolerance of its level after warm-up."""
    curve = [(s["t"], s["threepay_rss_mb"]) for s in samples
             if s["phase"] == "load" and s.get("threepay_rss_mb") is not None and s["t"] >= settings.warmup_seconds]
    if len(curve) < 2:
        return {"flat": False, "reason": "fewer than two samples after warm-up"}
    head = statistics.median(v for _, v in curve[:3])
    tail = statistics.median(v for _, v in curve[-3:])
    times = [t for t, _ in curve]
    values = [v for _, v in curve]
    mean_t, mean_v = statistics.fmean(times), statistics.fmean(values)
    spread = sum((t - mean_t) ** 2 for t in times)
    slope = sum((t - mean_t) * (v - mean_v) for t, v in curve) / spread * 60 if spread else 0.0
    growth = tail - head
    return {"flat": growth <= settings.rss_tolerance_mb, "after_warmup_mb": head, "end_mb": tail,
            "growth_mb": round(growth, 1), "slope_mb_per_min": round(slope, 2), "min_mb": min(values),
            "max_mb": max(values), "tolerance_mb": settings.rss_tolerance_mb}


def percentiles(entries):
    values = sorted(ms for _, ms, _ in entries)
    if not values:
        return {}
    pick = lambda q: round(values[min(len(values) - 1, int(len(values) * q))], 1)  # noqa: E731
    return {"count": len(values), "p50_ms": pick(0.5), "p90_ms": pick(0.9), "p99_ms": pick(0.99), "max_ms": round(values[-1], 1)}


# --- report ----------------------------------------------------------------------------------------------

def machine():
    info = {"cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as handle:
            info["memory_mb"] = int(handle.readline().split()[1]) // 1024
        info["load_average_at_start"] = open("/proc/loadavg").read().split()[:3]
        info["kernel"] = os.uname().release
    except OSError:
        pass
    return info


def commit():
    """The checked-out commit, read from .git without running git."""
    git = os.path.join(ROOT, ".git")
    try:
        with open(os.path.join(git, "HEAD")) as handle:
            head = handle.read().strip()
        if head.startswith("ref: "):
            ref = head[5:]
            path = os.path.join(git, ref)
            if os.path.exists(path):
                return open(path).read().strip()
            with open(os.path.join(git, "packed-refs")) as handle:
                for line in handle:
                    if line.strip().endswith(ref):
                        return line.split()[0]
        return head
    except OSError:
        return None


def markdown(result):
    s = result["settings"]
    lines = [
        f"# Soak run {result['started']}",
        "",
        f"{s['minutes']} min at {s['rate_per_second']:.0f} requests/s (open loop), pay share {s['pay_share']}, "
        f"query share {s['query_share']}, resend share {s['resend_share']}; responder workers {s['responder_workers']}"
        f"{', callback posters ' + s['callback_posters'] if s.get('callback_posters') else ''}; "
        f"commit `{result['commit']}`; {result['machine'].get('cpus')} CPUs "
        f"({result['machine'].get('cpu_model', '?')}), load average at start {result['machine'].get('load_average_at_start')}.",
        "",
        f"**Verdict: {'PASS' if result['passed'] else 'FAIL'}** — errors {result['errors_total']}, "
        f"reconciliation {'exact' if not result['reconciliation']['problems'] else str(result['reconciliation']['problem_count']) + ' problem(s)'}, "
        f"responder RSS {'flat' if result['rss']['flat'] else 'NOT flat'} "
        f"({result['rss'].get('growth_mb')} MB from {result['rss'].get('after_warmup_mb')} MB after warm-up, "
        f"slope {result['rss'].get('slope_mb_per_min')} MB/min, tolerance {s['rss_tolerance_mb']} MB).",
        "",
    ]
    if result.get("cluster_faults") is not None:
        c = s.get("cluster") or {}
        lines += [f"Cluster (`SOAK_CLUSTER=1`): {c.get('responders')} responders behind one nginx upstream, a Galera "
                  f"cluster of {c.get('nodes')} nodes on this machine. Faults under the load:", ""]
        lines += [f"- t={event['t']} s: {event['event']}" for event in result["cluster_faults"]]
        lines += ["- at the end: every node holds the same rows (row counts and checksums of every table)"
                  if not any("nodes do not hold" in p for p in result["reconciliation"]["problems"])
                  else "- at the end: the nodes did NOT hold the same rows", ""]
    lines += [
        "## Requests",
        "",
        "| request | count | p50 ms | p90 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for op, stats in sorted(result["latency"].items()):
        lines.append(f"| {op} | {stats.get('count', 0)} | {stats.get('p50_ms')} | {stats.get('p90_ms')} | "
                     f"{stats.get('p99_ms')} | {stats.get('max_ms')} |")
    lines += [
        "",
        f"Achieved {result['achieved_rate']} requests/s over the load. Latency is from the scheduled send time "
        "(open loop: a late answer delays nothing, so queueing shows).",
        "",
        "## Responder RSS and the rest, every sample",
        "",
        "| t s | phase | responder RSS MB | threads | sandbox MB | mariadbd MB | nginx workers MB | req/s | p99 ms | errors | callbacks pending |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for x in result["samples"]:
        lines.append(
            f"| {x['t']:.0f} | {x['phase']} | {x.get('threepay_rss_mb')} | {x.get('threepay_threads')} | "
            f"{x.get('sandbox_rss_mb')} | {x.get('mariadbd_rss_mb')} | {x.get('nginx_rss_mb')} | "
            f"{x.get('requests_per_s')} | {x.get('p99_ms')} | {x.get('errors_total')} | {x.get('outbox_pending')} |")
    totals = dict(result["reconciliation"]["totals"])
    kinds = totals.pop("problem_kinds", {})
    lines += ["", "## Reconciliation", "", "| quantity | value |", "|---|---:|"]
    for key, value in totals.items():
        lines.append(f"| {key} | {value} |")
    lines += ["", f"Drain after the load: {result['drain']}", ""]
    if kinds:
        lines += ["Problems by kind:", "", "| kind | count |", "|---|---:|"]
        lines += [f"| {kind} | {count} |" for kind, count in kinds.items()] + [""]
    if result["reconciliation"]["problems"]:
        lines += ["Problems (first 20):", ""] + [f"- {p}" for p in result["reconciliation"]["problems"][:20]] + [""]
    if result["error_samples"]:
        lines += ["Errors by kind: " + ", ".join(f"{k} ×{v}" for k, v in result["errors"].items()), ""]
        lines += ["First errors:", ""] + [f"- `{e}`" for e in result["error_samples"]] + [""]
    return "\n".join(lines)


def main():
    settings = Settings()
    database = Database(settings)
    run = Run(settings)
    sink = SinkReader(settings.port)
    sink.skip_existing()
    started = datetime.now(timezone.utc)
    log(f"{settings.minutes} min at {settings.rate:.0f} requests/s, {settings.clients} client threads, "
        f"bills S{run.run_id}…, stack on 127.0.0.1:{settings.port}")
    threads = [threading.Thread(target=run.worker, daemon=True) for _ in range(settings.clients)]
    for thread in threads:
        thread.start()
    run.start = time.monotonic()
    sampler = Sampler(settings, run, database)
    driver_cpu = time.process_time()
    sampler.start()
    sink.start()
    faults = ClusterFaults(settings, run) if settings.cluster else None
    if faults:
        faults.start()
    run.schedule()
    if faults:
        faults.finish()
    for _ in threads:
        run.work.put(None)
    run.work.join()
    load_seconds = time.monotonic() - run.start
    driver_cpu = time.process_time() - driver_cpu
    log(f"load done after {load_seconds:.0f} s; waiting for payments and callbacks (at most {settings.drain_seconds:.0f} s)")
    drained = drain(settings, run, database, sink)
    sampler.take("end")
    sampler.done.set()
    sink.done.set()
    problems, totals = reconcile(settings, run, database, sink)
    problem_count = sum(totals["problem_kinds"].values())
    if drained["unrecorded_payments"] or drained["undelivered_callbacks"]:
        problems.insert(0, f"after {drained['seconds']} s of drain: {drained['unrecorded_payments']} payments not "
                           f"recorded, {drained['undelivered_callbacks']} callbacks not delivered")
        problem_count += 1
    if settings.cluster:
        identical, contents = nodes_identical(settings)
        if not identical:
            problems.append(f"the cluster's nodes do not hold the same rows after 120 s: {contents}")
            problem_count += 1
    rss = rss_verdict(settings, sampler.samples)
    measured = [entry for entries in run.latencies.values() for entry in entries if entry[0] >= settings.warmup_seconds]
    errors_total = sum(run.errors.values())
    result = {
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit(),
        "machine": machine(),
        "settings": settings.as_dict(),
        "load_seconds": round(load_seconds, 1),
        "driver_cpu_seconds": round(driver_cpu, 1),
        "achieved_rate": round(sum(run.sent.values()) / load_seconds, 1),
        "requests": run.sent,
        "latency": {op: percentiles([e for e in entries if e[0] >= settings.warmup_seconds])
                    for op, entries in run.latencies.items()},
        "latency_all_after_warmup": percentiles(measured),
        "errors": run.errors,
        "errors_total": errors_total,
        "error_samples": run.error_samples,
        "drain": drained,
        "rss": rss,
        "samples": sampler.samples,
        "reconciliation": {"problem_count": problem_count, "problems": problems, "totals": totals},
        "cluster_faults": faults.events if faults else None,
    }
    result["passed"] = errors_total == 0 and not problems and rss["flat"]
    os.makedirs(settings.results_dir, exist_ok=True)
    name = started.strftime("%Y%m%dT%H%M%SZ")
    if settings.cluster:
        name += "-cluster"
    if (settings.minutes, settings.rate) != (10.0, 760.0):
        name += "-custom"
    base = os.path.join(settings.results_dir, name)
    with open(base + ".json", "w") as handle:
        json.dump(result, handle, indent=1)
    with open(base + ".md", "w") as handle:
        handle.write(markdown(result))
    print(markdown(result))
    log(f"results: {base}.md and .json — {'PASS' if result['passed'] else 'FAIL'}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())

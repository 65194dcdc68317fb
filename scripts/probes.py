#!/usr/bin/env python3
"""The seven probes of ThreePay's edge (python3 standard library only; docs/reliability.md reports them).

Each probe starts the stack the way `make run` does (`THREEPAY_BUILD_CONFIG=release scripts/stack.sh run`, in a
process group of its own, as a terminal runs it), in its own state folder and on its own port, sends steady
ScanCode load through nginx (a new bill per request, open loop: one request every 1/rate seconds whatever the
answers take; every tenth issued bill is looked up with Query and paid at the sandbox), injects a fault from
outside, reconciles what clients saw with the payment database and the sandbox's book, resolves what the fault
left open (the same bill sent again, or `threepay sweep` once the record is aged past its validity), and stops
the stack with SIGINT to its process group (Ctrl-C), which must exit 0. Every probe prints Markdown tables.

    python3 scripts/probes.py all                     # the seven, in order (about 20 minutes)
    python3 scripts/probes.py responder-kill db-freeze # some of them, by name or number (1-7)
    python3 scripts/probes.py --list

The probes: 1 responder-kill, 2 db-freeze, 3 row-lock, 4 gateway-hang, 5 slow-peers, 6 hostile-bodies,
7 nginx-errors.

Settings (environment): PROBES_STATE_DIR (var/probes), PROBES_PORT (18191), PROBES_RATE (50 ScanCode/s),
PROBES_SKIP_BUILD (1: use the release binaries as they are). The payment tables of the probes' own database and
the sandbox's book are emptied at the start of every probe; nothing outside the state folder is touched.
Results are also written to <state>/results/probes-<UTC time>.md.
"""

import asyncio
import json
import os
import re
import resource
import select
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from decimal import Decimal
from types import SimpleNamespace

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "soak"))
import soak as shared  # noqa: E402  (the soak driver's bill, process, database and receipt helpers)

STATE = os.path.abspath(os.environ.get("PROBES_STATE_DIR") or os.path.join(ROOT, "var", "probes"))
PORT = int(os.environ.get("PROBES_PORT") or 18191)
RATE = float(os.environ.get("PROBES_RATE") or 50)
PAY_EVERY = 10
SCANCODE = "/api/3Pay/AliPay/ScanCode"
QUERY = "/api/3Pay/AliPay/Query"
HEALTH = "/api/3Pay/health"
LIVE = ("INITIATED", "QR_ISSUED", "UNKNOWN", "PAID")
XML_NS = "http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer.Tour.V5.Parm.Pay"


def log(message):
    print(f"[probes] {message}", file=sys.stderr, flush=True)


def guard_settings():
    """Other people's stacks use the defaults (var, 8080; var/test, 18080): never those."""
    shared_dirs = {os.path.join(ROOT, "var"), os.path.join(ROOT, "var", "test"), os.path.join(ROOT, "var", "soak")}
    if STATE in shared_dirs or PORT in (8080, 18080, 18680):
        raise SystemExit(f"refusing the shared defaults (state {STATE}, port {PORT}): set PROBES_STATE_DIR and PROBES_PORT")


# --- HTTP over a plain socket -------------------------------------------------------------------------

class Reply:
    """One exchange as the client saw it: an HTTP answer, or a transport failure (`error`)."""

    __slots__ = ("status", "headers", "body", "latency_ms", "error", "sent")

    def __init__(self, sent, latency_ms, status=None, headers=None, body=b"", error=None):
        self.sent, self.latency_ms, self.status = sent, latency_ms, status
        self.headers, self.body, self.error = headers or {}, body, error

    @property
    def content_type(self):
        return self.headers.get("content-type", "")

    @property
    def html(self):
        head = self.body[:200].lstrip().lower()
        return "html" in self.content_type.lower() or head.startswith(b"<html") or head.startswith(b"<!doctype")

    @property
    def envelope(self):
        """The envelope's members when the body is ThreePay's envelope in JSON or XML, else None."""
        kind = self.content_type.split(";")[0].strip().lower()
        if kind.endswith("/json"):
            try:
                value = json.loads(self.body)
            except ValueError:
                return None
            if isinstance(value, dict) and isinstance(value.get("errcode"), int):
                return value
            return None
        if kind.endswith("/xml"):
            text = self.body.decode("utf-8", "replace")
            code = re.search(r"<errcode>(\d+)</errcode>", text)
            if not code:
                return None
            tag = {name: value for name, value in re.findall(r"<d2p1:(\w+)>([^<]*)</d2p1:\1>", text)}
            return {"errcode": int(code.group(1)), "tag": tag or None}
        return None

    @property
    def errcode(self):
        value = self.envelope
        return value["errcode"] if value else None

    @property
    def tag(self):
        value = self.envelope
        return (value or {}).get("tag") or {}

    @property
    def label(self):
        """What a client saw, for counting: status, errcode, content type (HTML and non-envelopes called out)."""
        if self.error:
            return self.error
        media = self.content_type or "no Content-Type"
        if self.html:
            return f"HTTP {self.status} · HTML page · {media}"
        code = self.errcode
        if code is None:
            return f"HTTP {self.status} · not an envelope · {media}"
        return f"HTTP {self.status} · {code} · {media}"

    @property
    def ok(self):
        return self.error is None and self.status == 200 and self.errcode == 0


def parse_answer(data):
    """(status, headers, body) of a whole HTTP/1.1 answer; chunked bodies are decoded."""
    head, separator, rest = data.partition(b"\r\n\r\n")
    if not separator:
        raise ValueError("incomplete answer")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            body += rest[:size]
            rest = rest[size + 2:]
        rest = bytes(body)
    return status, headers, rest


def request_bytes(method, path, body=b"", headers=()):
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def exchange(method, path, body=b"", headers=(), raw=None, timeout=60.0, started_at=None):
    """One request on a connection of its own (a cash register's POST), read to the end."""
    sent = time.monotonic() if started_at is None else started_at
    clock = time.monotonic()
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", PORT), timeout)
        writer.write(raw if raw is not None else request_bytes(method, path, body, headers))
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), timeout)
        elapsed = (time.monotonic() - clock) * 1000
        if not data:
            return Reply(sent, elapsed, error="connection closed without an answer")
        status, answer_headers, answer_body = parse_answer(data)
        return Reply(sent, elapsed, status, answer_headers, answer_body)
    except ConnectionRefusedError:
        return Reply(sent, (time.monotonic() - clock) * 1000, error="connection refused")
    except (ConnectionResetError, BrokenPipeError):
        return Reply(sent, (time.monotonic() - clock) * 1000, error="connection reset")
    except asyncio.TimeoutError:
        return Reply(sent, (time.monotonic() - clock) * 1000, error=f"no answer within {timeout:.0f} s")
    except (OSError, ValueError) as failure:
        return Reply(sent, (time.monotonic() - clock) * 1000, error=f"transport: {failure.__class__.__name__}")
    finally:
        if writer is not None:
            writer.close()


async def post_json(path, payload, timeout=60.0):
    return await exchange("POST", path, json.dumps(payload).encode(), [("Content-Type", "application/json")],
                          timeout=timeout)


def blocking_connection(source=None):
    """A blocking TCP connection to nginx, from `source` (another loopback address) when given."""
    connection = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if source:
        connection.bind((source, 0))
    connection.connect(("127.0.0.1", PORT))
    return connection


def read_to_end(connection, seconds):
    """Bytes until the peer closes (True) or `seconds` pass (False)."""
    connection.settimeout(seconds)
    data = b""
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            chunk = connection.recv(65536)
            if not chunk:
                return data, "closed"
            data += chunk
    except socket.timeout:
        return data, "open"
    except ConnectionResetError:
        return data, "reset"
    return data, "open"


# --- statistics and tables ----------------------------------------------------------------------------

def utc_text():
    """Now in UTC as MariaDB writes DATETIME(3) (the procedures stamp rows with UTC_TIMESTAMP(3))."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def pct(values, q):
    values = sorted(values)
    if not values:
        return None
    return values[min(len(values) - 1, int(len(values) * q))]


def ms(value):
    if value is None:
        return "–"
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def latency_cells(replies):
    values = [r.latency_ms for r in replies]
    return [str(len(values)), ms(pct(values, 0.5)), ms(pct(values, 0.9)), ms(pct(values, 0.99)), ms(max(values) if values else None)]


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def answer_table(replies, phases):
    """Counts of what clients saw, one column per phase: [(name, start, end)] in seconds of the probe."""
    counts = {}
    for reply in replies:
        for index, (_, start, end) in enumerate(phases):
            if start <= reply.sent < end:
                counts.setdefault(reply.label, [0] * len(phases))[index] += 1
    rows = [[label] + values for label, values in sorted(counts.items(), key=lambda item: -sum(item[1]))]
    return table(["what the client got (HTTP status · errcode · Content-Type)"] + [p[0] for p in phases], rows)


def latency_table(replies, phases):
    rows = []
    for name, start, end in phases:
        rows.append([name] + latency_cells([r for r in replies if start <= r.sent < end]))
    return table(["phase", "requests", "p50", "p90", "p99", "max"], rows)


def recovery(replies, since):
    """Seconds from `since` until the requests are answered errcode 0 again: the send time of the first errcode-0
    answer after which every request sent got errcode 0."""
    later = sorted((r for r in replies if r.sent >= since), key=lambda r: r.sent)
    bad = [r for r in later if not r.ok]
    if not bad:
        return 0.0
    after = [r for r in later if r.sent > bad[-1].sent]
    return (after[0].sent - since) if after else None


# --- the stack ----------------------------------------------------------------------------------------

class Stack:
    """`scripts/stack.sh run` in a process group of its own, with the probes' state folder and port."""

    def __init__(self, name):
        self.name = name
        self.environment = {k: v for k, v in os.environ.items() if not k.startswith("THREEPAY_")}
        self.environment.update({
            "THREEPAY_STATE_DIR": STATE, "THREEPAY_HTTP_PORT": str(PORT), "THREEPAY_BUILD_CONFIG": "release",
        })
        self.process = None
        self.terminal = os.path.join(STATE, "logs", f"run-{name}.txt")
        self.database = shared.Database(SimpleNamespace(state=STATE, db_name="threepay"))
        self.started_pids = {}

    def pid(self, name):
        return shared.read_pid(os.path.join(STATE, f"{name}.pid"))

    def pids(self):
        return {name: self.pid(name) for name in ("threepay", "supervisor", "sandbox", "mariadb", "nginx")}

    def start(self):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", PORT)) == 0:
                raise SystemExit(f"port {PORT} is in use: stop what runs there or choose PROBES_PORT")
        os.makedirs(os.path.join(STATE, "logs"), exist_ok=True)
        output = open(self.terminal, "w")
        self.process = subprocess.Popen(
            [os.path.join(ROOT, "scripts", "stack.sh"), "run"], cwd=ROOT, env=self.environment,
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"scripts/stack.sh run exited {self.process.returncode}: see {self.terminal}")
            if "Press Ctrl-C to stop everything" in self.terminal_text():
                break
            time.sleep(0.2)
        else:
            raise SystemExit(f"the stack did not start within 240 s: see {self.terminal}")
        self.started_pids = self.pids()
        log(f"{self.name}: stack up on 127.0.0.1:{PORT} ({STATE}), pids {self.started_pids}")

    def terminal_text(self):
        try:
            with open(self.terminal, errors="replace") as handle:
                return handle.read()
        except OSError:
            return ""

    def interrupt(self):
        """Ctrl-C: SIGINT to the run's process group. Returns what the stop looked like."""
        before = self.terminal_text()
        log_before = os.path.getsize(os.path.join(STATE, "logs", "stack.log"))
        pids = {k: v for k, v in self.pids().items() if v}
        clock = time.monotonic()
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            status = self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGTERM)
            status = self.process.wait(timeout=30)
        seconds = time.monotonic() - clock
        after = self.terminal_text()[len(before):]
        with open(os.path.join(STATE, "logs", "stack.log"), errors="replace") as handle:
            handle.seek(log_before)
            logged = handle.read()
        alive = [name for name, pid in pids.items() if shared.proc_status(pid) is not None]
        with socket.socket() as probe:
            port_open = probe.connect_ex(("127.0.0.1", PORT)) == 0
        said_exited = [line for line in (after + logged).splitlines() if "exited" in line or "killed by signal" in line]
        return {"status": status, "seconds": seconds, "alive": alive, "port_open": port_open, "said_exited": said_exited}

    # The payment database and the sandbox.

    def rows(self, sql):
        return self.database.rows(sql)

    def empty_books(self):
        """Empty payment tables and sandbox book: the reconciliation counts everything in them."""
        tables = [row[0] for row in self.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'")]
        statements = ["SET FOREIGN_KEY_CHECKS = 0"]
        statements += [f"TRUNCATE TABLE `{name}`" for name in tables if re.fullmatch(r"\w+", name)]
        statements.append("SET FOREIGN_KEY_CHECKS = 1")
        self.rows("; ".join(statements))

    def responder_environment(self):
        """The live responder's environment (what `threepay sweep` needs to reach the same database and gateway)."""
        with open(f"/proc/{self.pid('threepay')}/environ", "rb") as handle:
            pairs = [item.split(b"=", 1) for item in handle.read().split(b"\0") if b"=" in item]
        return {k.decode(): v.decode() for k, v in pairs}

    def sweep(self):
        """One `threepay sweep` pass (the binary the supervisor runs, with the responder's settings)."""
        binary = os.readlink(f"/proc/{self.pid('threepay')}/exe")
        outcome = subprocess.run([binary, "sweep"], env=self.responder_environment(), capture_output=True, text=True)
        return outcome.returncode, (outcome.stdout + outcome.stderr).strip().splitlines()[-1:]


def build():
    if os.environ.get("PROBES_SKIP_BUILD") == "1":
        return
    log("building the release binaries (as make run does)")
    for product in ("threepay", "threepay-sandbox"):
        subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)


# --- the load -----------------------------------------------------------------------------------------

class Bill(shared.Bill):
    """The soak's bill (billtypes 1-7 in turn, type 7 with its own card, exact amounts), numbered by the probe."""

    __slots__ = ("number", "reply", "kind")

    def __init__(self, billnum, number, kind="load"):
        billtype = str(1 + number % 7)
        super().__init__(billnum, billtype, f"{1 + number % 89}.{(number * 7) % 100:02d}",
                         "C" + billnum if billtype == "7" else None, None)
        self.number, self.kind, self.reply = number, kind, None

    def members(self):
        return dict(self.json(), body="probe")

    def payload(self):
        return json.dumps(self.members()).encode()


class Probe:
    """One probe's clock, bills, answers and background chores."""

    def __init__(self, stack, number):
        self.stack = stack
        self.number = number
        self.start = time.monotonic()
        self.bills = {}
        self.replies = []  # ScanCode answers of the load
        self.counter = 0
        self.prefix = f"P{number}{int(time.time()) % 36 ** 4:04x}"[:8]
        self.tasks = set()
        self.payments = []  # (billnum, outcome)
        self.resends = []  # every Reply of a bill sent again
        self.notes = []

    def now(self):
        return time.monotonic() - self.start

    def new_bill(self, kind="load"):
        self.counter += 1
        bill = Bill(f"{self.prefix}{self.counter:05d}", self.counter, kind)
        self.bills[bill.billnum] = bill
        return bill

    def spawn(self, coroutine):
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def scancode(self, bill, body=None, headers=None, scheduled=None):
        reply = await exchange("POST", SCANCODE, body if body is not None else bill.payload(),
                               headers or [("Content-Type", "application/json")], started_at=scheduled)
        reply.sent -= self.start
        bill.reply = reply
        self.replies.append(reply)
        reply_bill[id(reply)] = bill
        if reply.ok:
            bill.autoid, bill.codeurl = str(reply.tag.get("autoid")), reply.tag.get("codeurl")
            if bill.kind == "load" and bill.number % PAY_EVERY == 0:
                self.spawn(self.pay(bill))
        return reply

    async def pay(self, bill):
        """The buyer scans and pays a second later: Query (learns out_trade_no), then the sandbox's pay action."""
        await asyncio.sleep(1.0)
        query = await post_json(QUERY, {"autoid": bill.autoid})
        trade = query.tag.get("outtradeno") if query.ok else None
        if not trade:
            self.payments.append((bill.billnum, f"not paid: Query {query.label}"))
            return
        paid = await post_json("/sandbox/pay", {"out_trade_no": trade})
        if paid.status == 200:
            bill.paid = True
            self.payments.append((bill.billnum, "paid"))
        else:
            self.payments.append((bill.billnum, f"sandbox pay {paid.label}"))

    async def load(self, seconds, rate=RATE, make=None):
        """Open loop: one new bill every 1/rate s for `seconds`; waits for the answers."""
        begin = time.monotonic()
        count = int(seconds * rate)
        for index in range(count):
            due = begin + index / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if make is None:
                self.spawn(self.scancode(self.new_bill(), scheduled=due))
            else:
                self.spawn(make(due))
        await self.settle()

    async def settle(self):
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def poll(self, path, every, until_event, payload=None, timeout=60.0):
        """Sends a request every `every` s (each on its own, not waiting for the last) until the event is set."""
        samples = []

        async def one():
            if payload is None:
                reply = await exchange("GET", path, timeout=timeout)
            else:
                reply = await post_json(path, payload, timeout=timeout)
            reply.sent -= self.start
            samples.append(reply)

        pending = set()
        while not until_event.is_set():
            task = asyncio.ensure_future(one())
            pending.add(task)
            task.add_done_callback(pending.discard)
            try:
                await asyncio.wait_for(until_event.wait(), every)
            except asyncio.TimeoutError:
                pass
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        return samples


reply_bill = {}


async def in_thread(function, *arguments):
    return await asyncio.to_thread(function, *arguments)


# --- reconciliation -----------------------------------------------------------------------------------

def records_of(stack):
    rows = stack.rows(
        "SELECT autoid, billnum, billtype, paymentvalue, cardno, out_trade_no, codeurl, status, trade_no, paid_amount "
        "FROM T_3Pay_Offline_ReceiveMoney")
    names = ["autoid", "billnum", "billtype", "amount", "cardno", "out_trade_no", "codeurl", "status", "trade_no", "paid_amount"]
    return {row[0]: dict(zip(names, row)) for row in rows}


async def trades_of():
    reply = await exchange("GET", "/sandbox/trades")
    return {trade["out_trade_no"]: trade for trade in json.loads(reply.body)["trades"]}


async def sink_counts():
    reply = await exchange("GET", "/sandbox/sink")
    counts = {}
    for entry in json.loads(reply.body)["received"]:
        try:
            autoid = json.loads(entry.get("body") or "").get("autoid")
        except ValueError:
            continue
        counts[autoid] = counts.get(autoid, 0) + 1
    return counts


async def drain_payments(probe, seconds=90):
    """Waits until every bill paid at the sandbox is recorded PAID and every callback delivered."""
    paid = {bill.billnum for bill in probe.bills.values() if bill.paid}
    clock = time.monotonic()
    while True:
        rows = await in_thread(probe.stack.rows,
                               "SELECT r.billnum, o.status FROM T_3Pay_Offline_ReceiveMoney r "
                               "LEFT JOIN T_3Pay_Callback_Outbox o ON o.autoid = r.autoid WHERE r.status = 'PAID'")
        missing = paid - {row[0] for row in rows}
        undelivered = [row for row in rows if row[1] != "DELIVERED"]
        if (not missing and not undelivered) or time.monotonic() - clock > seconds:
            return len(missing), len(undelivered), time.monotonic() - clock
        await asyncio.sleep(1.0)


async def send_again(bills):
    """The same bills again, 8 at a time (a cashier pressing the button again); their replies in order."""
    gate = asyncio.Semaphore(8)

    async def one(bill):
        async with gate:
            reply = await exchange("POST", SCANCODE, bill.payload(), [("Content-Type", "application/json")])
            reply_bill[id(reply)] = bill
            return reply

    return await asyncio.gather(*(one(bill) for bill in bills))


async def resolve_and_reconcile(probe, exclude=()):
    """What the fault left open is resolved (the same bill again for every other failed bill with a live record,
    `threepay sweep` after aging for the others, the same bill again for every bill that left no record), then
    the answers, records, sandbox trades, receipts, credits and callbacks must agree. Returns Markdown."""
    stack = probe.stack
    drain = await drain_payments(probe)
    records = records_of(stack)
    trades = await trades_of()
    by_bill = {}
    for record in records.values():
        by_bill.setdefault(record["billnum"], []).append(record)
    failed = [b for b in probe.bills.values() if b.reply is not None and not b.reply.ok and b.billnum not in exclude]
    left = {}
    with_code = 0
    for bill in failed:
        own = [r for r in by_bill.get(bill.billnum, []) if r["status"] in LIVE]
        state = own[0]["status"] if own else "no record"
        left[state] = left.get(state, 0) + 1
        if own and own[0]["out_trade_no"] in trades:
            with_code += 1
    # The resolution.
    to_resend, to_sweep, no_record = [], [], []
    for bill in failed:
        own = [r for r in by_bill.get(bill.billnum, []) if r["status"] in ("INITIATED", "QR_ISSUED", "UNKNOWN")]
        if own:
            (to_resend if len(to_resend) <= len(to_sweep) else to_sweep).append((bill, own[0]))
        elif not by_bill.get(bill.billnum):
            no_record.append(bill)
    resent_ok = resent_same_code = no_record_ok = 0
    violations = []
    for (bill, record), reply in zip(to_resend, await send_again([bill for bill, _ in to_resend])):
        probe.resends.append(reply)
        if reply.ok:
            resent_ok += 1
            trade = trades.get(record["out_trade_no"])
            if str(reply.tag.get("autoid")) == record["autoid"] and (trade is None or trade["qr_code"] == reply.tag.get("codeurl")):
                resent_same_code += 1
            else:
                violations.append(f"{bill.billnum} sent again: autoid {reply.tag.get('autoid')} (record {record['autoid']}), "
                                  f"another code than the trade Alipay kept")
        else:
            violations.append(f"{bill.billnum} sent again: {reply.label}")
    for bill, reply in zip(no_record, await send_again(no_record)):
        probe.resends.append(reply)
        if reply.ok:
            no_record_ok += 1
        else:
            violations.append(f"{bill.billnum} (no record) sent again: {reply.label}")
    swept_closed, sweep_passes, sweep_lines = 0, 0, []
    if to_sweep:
        autoids = ",".join(str(int(record["autoid"])) for _, record in to_sweep)
        stack.rows("UPDATE T_3Pay_Offline_ReceiveMoney SET created_at = created_at - INTERVAL 20 MINUTE, "
                   "updated_at = updated_at - INTERVAL 20 MINUTE, "
                   "qr_expires_at = IF(qr_expires_at IS NULL, NULL, UTC_TIMESTAMP() - INTERVAL 1 MINUTE) "
                   f"WHERE autoid IN ({autoids})")
        while sweep_passes < 6:
            sweep_passes += 1
            status, last = await in_thread(stack.sweep)
            sweep_lines.append(f"exit {status}: {' '.join(last)}")
            statuses = {row[0]: row[1] for row in stack.rows(
                f"SELECT autoid, status FROM T_3Pay_Offline_ReceiveMoney WHERE autoid IN ({autoids})")}
            if not any(statuses.get(record["autoid"]) in ("INITIATED", "QR_ISSUED", "UNKNOWN") for _, record in to_sweep):
                break
        swept_closed = sum(1 for _, record in to_sweep if statuses.get(record["autoid"]) == "CLOSED")
    drain_after = await drain_payments(probe)

    # The reconciliation.
    records = records_of(stack)
    trades = await trades_of()
    sink = await sink_counts()
    receipts = {}
    for billtype, name in shared.RECEIPT_TABLES.items():
        for autoid, amount in stack.rows(f"SELECT autoid, amount FROM {name}"):  # constant table names
            receipts.setdefault(autoid, []).append((billtype, amount))
    credits = {}
    for autoid, amount in stack.rows("SELECT autoid, amount FROM T_3Pay_StoredValueCard_Credit"):
        credits.setdefault(autoid, []).append(amount)
    outbox = {}
    for autoid, status in stack.rows("SELECT autoid, status FROM T_3Pay_Callback_Outbox"):
        outbox.setdefault(autoid, []).append(status)
    by_bill = {}
    for record in records.values():
        by_bill.setdefault(record["billnum"], []).append(record)
        if record["billnum"] not in probe.bills:
            violations.append(f"record {record['autoid']} of a bill never sent ({record['billnum']})")
    by_trade = {record["out_trade_no"]: record for record in records.values()}
    for trade in trades:
        if trade not in by_trade:
            violations.append(f"sandbox trade {trade} has no record")
    for reply in probe.replies + probe.resends:
        if not reply.ok:
            continue
        bill = reply_bill[id(reply)]
        record = records.get(str(reply.tag.get("autoid")))
        if record is None or record["billnum"] != bill.billnum or record["codeurl"] != reply.tag.get("codeurl"):
            violations.append(f"{bill.billnum} answered 0 (autoid {reply.tag.get('autoid')}) without its record")
            continue
        if bill.kind == "load" and record["amount"] != bill.amount:
            violations.append(f"{bill.billnum}: record amount {record['amount']}, sent {bill.amount}")
        trade = trades.get(record["out_trade_no"])
        if trade is None or trade["qr_code"] != record["codeurl"]:
            violations.append(f"{bill.billnum} answered 0 without a sandbox trade holding its code")
    for billnum, own in by_bill.items():
        live = [r for r in own if r["status"] in LIVE]
        if len(live) > 1:
            violations.append(f"{billnum} has {len(live)} live records")
        payable = [r for r in own if trades.get(r["out_trade_no"], {}).get("status") in ("WAIT_BUYER_PAY", "TRADE_SUCCESS")]
        if len(payable) > 1:
            violations.append(f"{billnum} has {len(payable)} payable trades")
    paid_records = paid_receipts = doubled_callbacks = 0
    paid_amount = Decimal(0)
    for autoid, record in records.items():
        trade = trades.get(record["out_trade_no"], {})
        is_paid = record["status"] == "PAID"
        if is_paid != (trade.get("status") == "TRADE_SUCCESS"):
            violations.append(f"record {autoid} is {record['status']}, its trade {trade.get('status')}")
        own_receipts = receipts.get(autoid, [])
        if is_paid:
            paid_records += 1
            paid_amount += Decimal(record["amount"])
            if own_receipts != [(record["billtype"], record["amount"])]:
                violations.append(f"paid record {autoid} has receipts {own_receipts}")
            else:
                paid_receipts += 1
            if credits.get(autoid, []) != ([record["amount"]] if record["billtype"] == "7" else []):
                violations.append(f"paid record {autoid} has card credits {credits.get(autoid)}")
            if outbox.get(autoid) != ["DELIVERED"]:
                violations.append(f"paid record {autoid}: callback outbox {outbox.get(autoid)}")
            if sink.get(autoid, 0) == 0:
                violations.append(f"paid record {autoid}: no callback reached the business system")
            doubled_callbacks += max(0, sink.get(autoid, 0) - 1)
        elif own_receipts or credits.get(autoid) or outbox.get(autoid):
            violations.append(f"unpaid record {autoid} ({record['status']}) has a receipt, credit or callback")
    paid_at_sandbox = [bill for bill in probe.bills.values() if bill.paid]
    for bill in paid_at_sandbox:
        if not any(r["status"] == "PAID" for r in by_bill.get(bill.billnum, [])):
            violations.append(f"{bill.billnum} was paid at the sandbox and is not recorded PAID")
    open_left = sum(1 for r in records.values() if r["status"] in ("INITIATED", "UNKNOWN"))
    statuses = {}
    for record in records.values():
        statuses[record["status"]] = statuses.get(record["status"], 0) + 1

    sent = [b for b in probe.bills.values() if b.reply is not None]
    with_one_record = sum(1 for b in sent if len(by_bill.get(b.billnum, [])) == 1)
    lines = [table(
        ["bills sent", "answered 0", "records", "failed: left as", "of them QR code issued at the sandbox",
         "sent again → 0 (same trade)", "aged + `threepay sweep` → CLOSED", "no record, sent again → 0"],
        [[len(sent), sum(1 for b in sent if b.reply.ok), len(records),
          ", ".join(f"{k} {v}" for k, v in sorted(left.items())) or "none", with_code,
          f"{resent_ok} of {len(to_resend)} ({resent_same_code})", f"{swept_closed} of {len(to_sweep)}"
          + (f" in {sweep_passes} pass(es)" if to_sweep else ""),
          f"{no_record_ok} of {len(no_record)}"]])]
    lines.append("")
    lines.append(table(
        ["bills with exactly one record", "paid at the sandbox", "PAID records", "with one receipt", "paid amount",
         "callbacks at the sink (extra)", "records at the end", "INITIATED/UNKNOWN left", "violations"],
        [[f"{with_one_record} of {len(sent)}", len(paid_at_sandbox), paid_records, paid_receipts, str(paid_amount),
          f"{sum(sink.values())} ({doubled_callbacks})", ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
          open_left, len(violations)]]))
    if drain[0] or drain[1] or drain_after[0] or drain_after[1]:
        lines.append(f"\nNot settled within the drain: {drain[0]} payments unrecorded, {drain[1]} callbacks undelivered "
                     f"(after the resolution: {drain_after[0]}, {drain_after[1]}).")
    if sweep_lines:
        lines.append(f"\n`threepay sweep`: {'; '.join(sweep_lines)}")
    not_paid = [outcome for _, outcome in probe.payments if outcome != "paid"]
    if not_paid:
        kinds = {}
        for outcome in not_paid:
            kinds[outcome] = kinds.get(outcome, 0) + 1
        lines.append("\nPayments not made (the Query before paying failed): "
                     + "; ".join(f"{v} × {k}" for k, v in kinds.items()))
    if violations:
        lines.append("\nViolations (first 20):\n" + "\n".join(f"- {v}" for v in violations[:20]))
    probe.notes.append(("violations", len(violations)))
    return "\n".join(lines)


async def with_reconciliation(probe, lines, exclude=(), heading="Reconciliation:"):
    """A probe's Markdown: its lines, then the reconciliation once the fault is over."""
    return "\n".join(lines + [heading, "", await resolve_and_reconcile(probe, exclude), ""])


def stop_report(stop):
    parts = [f"SIGINT to the process group (Ctrl-C): exit status {stop['status']} after {stop['seconds']:.1f} s"]
    parts.append("every process gone" if not stop["alive"] else f"still running: {', '.join(stop['alive'])}")
    parts.append("port closed" if not stop["port_open"] else "port still open")
    parts.append("no 'exited' line" if not stop["said_exited"] else f"logged: {stop['said_exited'][:2]}")
    return "; ".join(parts) + "."


# --- the probes ---------------------------------------------------------------------------------------

def run_probe(number, title, issue_saw, body):
    """Starts the stack, runs `body(probe)` (a coroutine function returning Markdown), stops with Ctrl-C."""
    stack = Stack(PROBES[number][0])
    stack.start()
    try:
        stack.empty_books()
        asyncio.run(exchange("POST", "/sandbox/reset?trades=1"))
        probe = Probe(stack, number)
        load = open("/proc/loadavg").read().split()[:3]
        text = asyncio.run(body(probe))
    finally:
        stop = stack.interrupt()
    head = [f"### Probe {number}: {title}", "",
            f"Issue #14 saw: {issue_saw}", "",
            f"Load average at the start: {', '.join(load)} ({os.cpu_count()} cores, shared with other work).", ""]
    return "\n".join(head) + text + "\nStopped as a terminal stops it: " + stop_report(stop) + "\n", stop


async def probe_responder_kill(probe):
    stack = probe.stack
    before = stack.pids()
    killed = before["threepay"]
    events = {}

    async def fault():
        await asyncio.sleep(10)
        events["kill"] = probe.now()
        os.kill(killed, signal.SIGKILL)
        while True:
            pid = stack.pid("threepay")
            if pid and pid != killed and shared.proc_status(pid):
                events["new_pid"] = probe.now()
                break
            await asyncio.sleep(0.02)
        while True:
            reply = await exchange("GET", HEALTH, timeout=5)
            if reply.ok:
                events["healthy"] = probe.now()
                break
            await asyncio.sleep(0.05)

    log_start = os.path.getsize(os.path.join(STATE, "logs", "stack.log"))
    await asyncio.gather(probe.load(30), fault())
    after = stack.pids()
    with open(os.path.join(STATE, "logs", "stack.log"), errors="replace") as handle:
        handle.seek(log_start)
        said = [line.strip() for line in handle if "responder" in line]
    kill = events["kill"]
    phases = [("before the kill (10 s)", 0, kill), ("first 2 s after it", kill, kill + 2), ("then (18 s)", kill + 2, 1e9)]
    same = [name for name in ("supervisor", "sandbox", "mariadb", "nginx") if before[name] == after[name] and shared.proc_status(after[name])]
    lines = [
        f"What was done: {RATE:.0f} new bills/s to ScanCode for 30 s; `kill -9` of the responder (pid {killed}) at "
        f"+{kill:.1f} s.", "",
        answer_table(probe.replies, phases), "",
        latency_table(probe.replies, phases), "",
        table(["new responder pid in threepay.pid", "health answers 0 again", "ScanCode answers 0 again",
               "still running, same pid", "stack.sh run still running"],
              [[f"{events['new_pid'] - kill:.2f} s", f"{events['healthy'] - kill:.2f} s",
                f"{recovery(probe.replies, kill):.2f} s" if recovery(probe.replies, kill) is not None else "never",
                ", ".join(same), "yes" if stack.process.poll() is None else "no"]]), "",
        "The supervisor's lines in `stack.log` (also on the terminal):", "",
        "\n".join(f"    {line}" for line in said), "",
    ]
    return await with_reconciliation(probe, lines)


async def probe_db_freeze(probe):
    stack = probe.stack
    mariadbd = stack.pid("mariadb")
    events = {}
    stop_health = asyncio.Event()

    async def fault():
        await asyncio.sleep(10)
        events["stop"] = probe.now()
        events["stop_utc"] = utc_text()
        os.kill(mariadbd, signal.SIGSTOP)
        try:
            await asyncio.sleep(35)
        finally:
            # Taken before the thaw: a row stamped later was written after it.
            events["cont_utc"] = utc_text()
            os.kill(mariadbd, signal.SIGCONT)
        events["cont"] = probe.now()

    async def load_then_stop():
        await probe.load(65)
        stop_health.set()

    health_task = asyncio.ensure_future(probe.poll(HEALTH, 0.5, stop_health))
    await asyncio.gather(load_then_stop(), fault())
    health = await health_task
    stop, cont = events["stop"], events["cont"]
    phases = [("before (10 s)", 0, stop), ("frozen (35 s)", stop, cont), ("after the thaw (20 s)", cont, 1e9)]
    frozen_health = [r for r in health if stop <= r.sent < cont]
    first_4001 = next((r.sent + r.latency_ms / 1000 - stop for r in sorted(health, key=lambda r: r.sent)
                       if r.sent >= stop and r.errcode == 4001), None)
    late = [r for r in probe.replies if r.latency_ms > 30000]
    # Records the database wrote when it thawed: statements a worker had sent before it gave up.
    failed = [b.billnum for b in probe.bills.values() if b.reply is not None and not b.reply.ok]
    when = {row[0]: (row[1], row[2]) for row in stack.rows(
        f"SELECT billnum, status, CASE WHEN created_at < '{events['stop_utc']}' THEN 'before' "
        f"WHEN created_at >= '{events['cont_utc']}' THEN 'after' ELSE 'during' END FROM T_3Pay_Offline_ReceiveMoney")}
    failed_records = [when[b] for b in failed if b in when]
    written = {moment: sum(1 for _, m in failed_records if m == moment) for moment in ("before", "during", "after")}
    lines = [
        f"What was done: {RATE:.0f} new bills/s to ScanCode for 65 s; `kill -STOP` of mariadbd at +{stop:.1f} s, "
        f"`kill -CONT` 35 s later; `GET {HEALTH}` every 0.5 s throughout.", "",
        answer_table(probe.replies, phases), "",
        "ScanCode latency:", "", latency_table(probe.replies, phases), "",
        "Health while frozen:", "", answer_table(health, phases[1:2]), "",
        table(["health requests while frozen", "p50", "p99", "max", "first 4001 answered after the freeze",
               "ScanCode answered 0 again after the thaw", "answers slower than nginx's 30 s"],
              [[len(frozen_health), ms(pct([r.latency_ms for r in frozen_health], 0.5)),
                ms(pct([r.latency_ms for r in frozen_health], 0.99)),
                ms(max((r.latency_ms for r in frozen_health), default=None)),
                f"{first_4001:.2f} s" if first_4001 is not None else "never",
                f"{recovery(probe.replies, cont):.2f} s" if recovery(probe.replies, cont) is not None else "never",
                len(late)]]), "",
        f"Failed bills with a record: {len(failed_records)} ("
        + ", ".join(f"{status} {sum(1 for s, _ in failed_records if s == status)}"
                    for status in sorted({s for s, _ in failed_records}))
        + f"); created before the freeze {written['before']}, after the thaw {written['after']} (a call the worker "
        f"had sent before it answered, run when the database woke up), in between {written['during']}.", "",
    ]
    return await with_reconciliation(probe, lines)


async def probe_row_lock(probe):
    stack = probe.stack
    held = probe.new_bill("held")
    held.billtype, held.amount, held.cardno = "4", "1.00", None
    first = await probe.scancode(held)
    if not first.ok:
        return f"The held bill could not be issued: {first.label}\n"
    probe.replies.clear()
    held_replies = []
    events = {}

    async def on_held_bill(due, amount):
        body = json.dumps(dict(held.members(), paymentvalue=amount)).encode()
        reply = await exchange("POST", SCANCODE, body, [("Content-Type", "application/json")], started_at=due)
        reply.sent -= probe.start
        held_replies.append(reply)

    async def fault():
        await asyncio.sleep(10)
        command = shared.Database(SimpleNamespace(state=STATE, db_name="threepay")).command + ["--unbuffered"]
        holder = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        holder.stdin.write(
            (f"START TRANSACTION;\nSELECT current_autoid FROM T_3Pay_Offline_Bill WHERE billtype = '4' AND billnum = "
             f"'{held.billnum}' FOR UPDATE;\nSELECT SLEEP(40);\nCOMMIT;\n").encode())  # billnum: [A-Za-z0-9] only
        await holder.stdin.drain()
        holder.stdin.close()
        await holder.stdout.readline()
        events["locked"] = probe.now()
        # 1 request a second on the held bill for 20 s, the amount alternating (each would void and re-issue).
        begin = time.monotonic()
        for index in range(20):
            await asyncio.sleep(max(0, begin + index - time.monotonic()))
            probe.spawn(on_held_bill(time.monotonic(), "2.00" if index % 2 == 0 else "1.00"))
        # Just before the lock goes: every held request answered? any statement still waiting for a lock?
        await asyncio.sleep(max(0, events["locked"] + 38 - probe.now()))
        events["answered_before_release"] = len(held_replies)
        events["waiting"] = (await in_thread(stack.rows,
                                             "SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'"))[0][0]
        events["records_before"] = await in_thread(stack.rows,
                                                   "SELECT autoid, status, updated_at FROM T_3Pay_Offline_ReceiveMoney "
                                                   f"WHERE billnum = '{held.billnum}' ORDER BY autoid")
        await holder.wait()
        events["released"] = probe.now()
        await asyncio.sleep(10)
        events["records_after"] = await in_thread(stack.rows,
                                                  "SELECT autoid, status, updated_at FROM T_3Pay_Offline_ReceiveMoney "
                                                  f"WHERE billnum = '{held.billnum}' ORDER BY autoid")

    await asyncio.gather(probe.load(65), fault())
    locked, released = events["locked"], events["released"]
    # Sent again once the lock is gone, the changed amount goes through: the old code voided, a new one issued.
    again = await exchange("POST", SCANCODE, json.dumps(dict(held.members(), paymentvalue="2.00")).encode(),
                           [("Content-Type", "application/json")])
    reply_bill[id(again)] = held
    probe.resends.append(again)
    phases = [("before (10 s)", 0, locked), ("lock held (40 s)", locked, released), ("after (15 s)", released, 1e9)]
    in_time = [r for r in held_replies if r.error is None and r.sent + r.latency_ms / 1000 < released]
    lines = [
        f"What was done: {RATE:.0f} new bills/s to ScanCode for 65 s; from +{locked:.1f} s another connection holds "
        f"`SELECT … FOR UPDATE` on bill {held.billnum}'s `T_3Pay_Offline_Bill` row for 40 s; during its first 20 s, "
        "1 ScanCode/s for that bill (amount alternating 2.00 / 1.00, so each would void and re-issue its code).", "",
        "The held bill's requests:", "",
        answer_table(held_replies, phases[1:2]), "",
        table(["requests", "answered before the lock went", "p50", "max", "statements waiting for a lock 2 s before the release",
               "the bill's records before the release → 10 s after", "sent again after the release"],
              [[len(held_replies), len(in_time), ms(pct([r.latency_ms for r in held_replies], 0.5)),
                ms(max((r.latency_ms for r in held_replies), default=None)), events["waiting"],
                f"{' '.join(r[1] for r in events['records_before'])} → {' '.join(r[1] for r in events['records_after'])}"
                + (" (unchanged)" if events["records_before"] == events["records_after"] else " (CHANGED)"),
                again.label]]), "",
        "Every other bill:", "",
        answer_table(probe.replies, phases), "",
        latency_table(probe.replies, phases), "",
    ]
    return await with_reconciliation(probe, lines, exclude={held.billnum},
                                     heading="Reconciliation (the held bill's own records are checked above; it is "
                                             "left out of the resolution):")


async def probe_gateway_hang(probe):
    stack = probe.stack
    # Two bills to look up meanwhile: one paid (Query answers from the record) and one waiting (Query asks Alipay).
    paid = probe.new_bill("lookup")
    waiting = probe.new_bill("lookup")
    for bill in (paid, waiting):
        await probe.scancode(bill)
    query = await post_json(QUERY, {"autoid": paid.autoid})
    await post_json("/sandbox/pay", {"out_trade_no": query.tag.get("outtradeno")})
    paid.paid = True
    while (await post_json(QUERY, {"autoid": paid.autoid})).tag.get("status") != "paid":
        await asyncio.sleep(0.2)
    probe.replies.clear()
    events = {}
    stop = asyncio.Event()
    faults = await exchange("GET", "/sandbox/faults")
    hang_ms = json.loads(faults.body).get("hang_ms")

    async def fault():
        await asyncio.sleep(10)
        answer = await post_json("/sandbox/faults", {"mode": "hang", "failure_rate": 0.2, "applied": True})
        events["on"] = probe.now()
        if answer.status != 200:
            raise RuntimeError(f"the sandbox refused the fault: {answer.label} {answer.body[:200]!r}")
        await asyncio.sleep(60)
        await exchange("POST", "/sandbox/reset")
        events["off"] = probe.now()

    async def load_then_stop():
        await probe.load(85)
        stop.set()

    polls = [asyncio.ensure_future(probe.poll(HEALTH, 0.5, stop)),
             asyncio.ensure_future(probe.poll(QUERY, 0.5, stop, payload={"autoid": paid.autoid})),
             asyncio.ensure_future(probe.poll(QUERY, 0.5, stop, payload={"autoid": waiting.autoid}))]
    await asyncio.gather(load_then_stop(), fault())
    health, paid_queries, waiting_queries = [await task for task in polls]
    on, off = events["on"], events["off"]
    phases = [("before (10 s)", 0, on), ("hanging (60 s)", on, off), ("after (15 s)", off, 1e9)]
    during = [r for r in probe.replies if on <= r.sent < off]
    busy_from = next((r.sent - on for r in sorted(during, key=lambda r: r.sent) if r.errcode in (4002, 4003)), None)
    lookups = []
    for name, samples in (("health", health), ("Query, paid bill", paid_queries), ("Query, waiting bill", waiting_queries)):
        window = [r for r in samples if on <= r.sent < off]
        codes = {}
        for r in window:
            codes[r.label] = codes.get(r.label, 0) + 1
        lookups.append([name] + latency_cells(window) + ["; ".join(f"{v} × {k}" for k, v in codes.items())])
    lines = [
        f"What was done: {RATE:.0f} new bills/s to ScanCode for 85 s; from +{on:.1f} s for 60 s the sandbox hangs on 20 % "
        f"of its replies (`POST /sandbox/faults {{\"mode\":\"hang\",\"failure_rate\":0.2,\"applied\":true}}`, hang "
        f"{hang_ms} ms; the trade is booked, the answer lost); health, Query of a paid bill and Query of a waiting "
        "bill every 0.5 s.", "",
        answer_table(probe.replies, phases), "",
        "ScanCode latency:", "", latency_table(probe.replies, phases), "",
        f"First 4002/4003 answer: {f'+{busy_from:.1f} s into the fault' if busy_from is not None else 'none'}.", "",
        "Meanwhile (requests sent while the gateway hangs):", "",
        table(["request", "count", "p50", "p90", "p99", "max", "answers"], lookups), "",
    ]
    return await with_reconciliation(probe, lines)


class HalfOpenPeers(threading.Thread):
    """Keeps `count` connections from `source` open, each with half a request header, re-opening what nginx cuts."""

    def __init__(self, count, source="127.0.0.2"):
        super().__init__(daemon=True)
        self.count, self.source = count, source
        self.partial = f"POST {SCANCODE} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Le".encode()
        self.stop = threading.Event()
        self.open = {}
        self.opened = self.refused = self.cut = 0
        self.samples = []  # (time, connections held)
        self.first_full = None

    def top_up(self):
        while len(self.open) < self.count and not self.stop.is_set():
            try:
                connection = blocking_connection(self.source)
                connection.sendall(self.partial)
                connection.setblocking(False)
                self.open[connection.fileno()] = connection
                self.opened += 1
            except OSError:
                self.refused += 1
                return

    def run(self):
        poller = select.poll()
        registered = set()
        while not self.stop.is_set():
            self.top_up()
            if self.first_full is None and len(self.open) >= self.count:
                self.first_full = time.monotonic()
            for fd in self.open:
                if fd not in registered:
                    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
                    registered.add(fd)
            for fd, _ in poller.poll(200):
                connection = self.open.pop(fd, None)
                poller.unregister(fd)
                registered.discard(fd)
                if connection is not None:
                    connection.close()
                    self.cut += 1
            self.samples.append((time.monotonic(), len(self.open)))
        for connection in self.open.values():
            connection.close()


async def probe_slow_peers(probe):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < min(hard, 12000):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 12000), hard))
    count = 8000
    peers = HalfOpenPeers(count)
    events = {}

    async def fault():
        await asyncio.sleep(10)
        events["on"] = probe.now()
        peers.start()
        await asyncio.sleep(30)
        peers.stop.set()
        await in_thread(peers.join)
        events["off"] = probe.now()

    await asyncio.gather(probe.load(50), fault())
    on, off = events["on"], events["off"]
    held = [n for _, n in peers.samples]
    phases = [("before (10 s)", 0, on), ("8,000 half-open peers (30 s)", on, off), ("after (10 s)", off, 1e9)]
    full = f"{peers.first_full - probe.start - on:.1f} s" if peers.first_full else "never"
    lines = [
        f"What was done: {RATE:.0f} new bills/s to ScanCode from 127.0.0.1 for 50 s; from +{on:.1f} s for 30 s, "
        f"{count:,} connections from 127.0.0.2, each with half a request header, kept open (what nginx cuts is "
        "opened again).", "",
        table(["connections opened", "refused at connect", "cut by nginx", "held at once (max)", "held (median)",
               f"{count:,} held after"],
              [[f"{peers.opened:,}", peers.refused, f"{peers.cut:,}", f"{max(held, default=0):,}",
                f"{int(statistics.median(held)) if held else 0:,}", full]]), "",
        answer_table(probe.replies, phases), "",
        latency_table(probe.replies, phases), "",
    ]
    return await with_reconciliation(probe, lines)


def hostile_members():
    members = Bill("unused", 1).members()
    del members["billnum"]
    return members


def at_the_cap(kind):
    """The most extra items the responder still reads in full (ContentNegotiation's DecodingLimits: 64 attributes on
    an element, the namespace declaration included; 256 members in an object or fields in a form)."""
    return 64 - 1 if kind == "XML attributes" else 256 - len(hostile_members())


def hostile_body(kind, count):
    """A bill without its billnum (answered 1002 once read, so that nothing but reading it costs) carrying `count`
    extra XML root attributes, JSON members or form fields."""
    members = hostile_members()
    if kind == "XML attributes":
        attributes = "".join(f' a{i}="x"' for i in range(count))
        elements = "".join(f"<{name}>{value}</{name}>" for name, value in sorted(members.items()))
        return (f'<AliScanCodeParm xmlns="{XML_NS}"{attributes}>{elements}</AliScanCodeParm>'.encode(),
                "application/xml")
    if kind == "JSON members":
        extra = "".join(f',"m{i}":0' for i in range(count))
        return (json.dumps(members)[:-1] + extra + "}").encode(), "application/json"
    fields = "&".join(f"{name}={value}" for name, value in members.items())
    return (fields + "".join(f"&f{i}=" for i in range(count))).encode(), "application/x-www-form-urlencoded"


HOSTILE_KINDS = ("XML attributes", "JSON members", "form fields")
HOSTILE_SIZES = (0, 1350, 2700, 5400)  # the issue's sizes


def cpu_nanoseconds(pid):
    """CPU time of all of a process's threads, in ns (the scheduler's own count: finer than /proc/<pid>/stat)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as handle:
                total += int(handle.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


async def probe_hostile_bodies(probe):
    stack = probe.stack

    async def measure(make):
        """50 requests one after another: latencies and the responder's CPU time per request."""
        responder = stack.pid("threepay")
        cpu_before = cpu_nanoseconds(responder)
        replies = [await make() for _ in range(50)]
        cpu = (cpu_nanoseconds(responder) - cpu_before) / len(replies) / 1e6
        codes = {}
        for reply in replies:
            codes[reply.label] = codes.get(reply.label, 0) + 1
        return statistics.median(r.latency_ms for r in replies), cpu, "; ".join(f"{v} × {k}" for k, v in codes.items())

    async def normal_scancode():
        bill = probe.new_bill("cost")
        reply = await exchange("POST", SCANCODE, bill.payload(), [("Content-Type", "application/json")])
        reply_bill[id(reply)] = bill
        bill.reply = reply
        probe.resends.append(reply)  # reconciled with the rest, not counted in the load's tables
        return reply

    normal_latency, normal_cpu, normal_codes = await measure(normal_scancode)
    rows = [["normal ScanCode (a valid JSON bill, issued)", "–", f"{len(Bill('x', 1).payload())} B", ms(normal_latency),
             "1.0×", f"{normal_cpu:.1f} ms", "1.0×", normal_codes]]
    bodies = {}
    for kind in HOSTILE_KINDS:
        for size in (0, at_the_cap(kind)) + HOSTILE_SIZES[1:]:
            body, media = bodies[(kind, size)] = hostile_body(kind, size)
            latency, cpu, codes = await measure(
                lambda: exchange("POST", SCANCODE, body, [("Content-Type", media)]))
            rows.append([kind, f"{size:,}", f"{len(body):,} B", ms(latency), f"{latency / normal_latency:.2f}×",
                         f"{cpu:.2f} ms", f"{cpu / normal_cpu:.2f}×" if normal_cpu else "–", codes])
    cost = table(["body", "extra items", "size", "latency p50", "vs normal", "responder CPU / request", "vs normal",
                  "answers"], rows)

    # Normal load while 16 clients send the largest hostile bodies, one after another each.
    events = {}
    hostile = []

    async def hostile_client(index, until, interval):
        """Back to back (interval 0), or one request every `interval` s."""
        turn = index
        while probe.now() < until:
            due = time.monotonic() + interval
            body, media = bodies[(HOSTILE_KINDS[turn % len(HOSTILE_KINDS)], HOSTILE_SIZES[-1])]
            turn += 1
            reply = await exchange("POST", SCANCODE, body, [("Content-Type", media)])
            reply.sent -= probe.start
            hostile.append(reply)
            await asyncio.sleep(max(0, due - time.monotonic()))

    async def fault():
        await asyncio.sleep(10)
        events["on"] = probe.now()
        await asyncio.gather(*(hostile_client(i, events["on"] + 20, 0) for i in range(16)))
        events["paced"] = probe.now()
        # The rate the issue's 16 clients reached at 160 ms a request: 100/s in all.
        await asyncio.gather(*(hostile_client(i, events["paced"] + 20, 0.16) for i in range(16)))
        events["off"] = probe.now()

    start_load = probe.now()
    await asyncio.gather(probe.load(60), fault())
    on, paced, off = events["on"], events["paced"], events["off"]
    phases = [("before (10 s)", start_load, on), ("16 clients back to back (20 s)", on, paced),
              ("16 clients, 100/s in all (20 s)", paced, off), ("after (10 s)", off, 1e9)]
    codes = {}
    for reply in hostile:
        codes[reply.label] = codes.get(reply.label, 0) + 1
    fast = [r for r in hostile if on <= r.sent < paced]
    slow = [r for r in hostile if paced <= r.sent < off]
    lines = [
        "What was done: 50 requests one after another of each body, the responder's CPU time read from /proc before "
        "and after: a normal ScanCode, and a bill without its billnum (so that reading it is all it costs) with 0, "
        "as many as the caps allow, 1,350, 2,700 or 5,400 extra items (root attributes ` aN=\"x\"`, members `\"mN\":0`, fields `&fN=`); then "
        f"{RATE:.0f} normal bills/s (JSON) for 60 s; from +10 s 16 clients send the 5,400-item bodies (the three "
        "kinds in turn) back to back for 20 s, then for 20 s more at 100 requests/s in all (each client one every "
        "160 ms: the rate the issue's clients reached). The load generator shares the 2 cores.", "",
        cost, "",
        "Normal ScanCode while the 16 clients send:", "",
        answer_table(probe.replies, phases), "",
        latency_table(probe.replies, phases), "",
        f"The hostile requests: back to back {len(fast):,} in {paced - on:.0f} s ({len(fast) / (paced - on):.0f}/s, p50 "
        f"{ms(pct([r.latency_ms for r in fast], 0.5))}, p99 {ms(pct([r.latency_ms for r in fast], 0.99))}), paced "
        f"{len(slow):,} in {off - paced:.0f} s ({len(slow) / (off - paced):.0f}/s, p50 "
        f"{ms(pct([r.latency_ms for r in slow], 0.5))}, p99 {ms(pct([r.latency_ms for r in slow], 0.99))}); "
        + "; ".join(f"{v:,} × {k}" for k, v in codes.items()) + ".", "",
    ]
    return await with_reconciliation(probe, lines)


async def probe_nginx_errors(probe):
    stack = probe.stack
    rows = []
    accepts = (("JSON", "application/json"), ("XML", "application/xml"))

    def row(case, negotiation, reply, status_expected):
        if reply.error:
            rows.append([case, negotiation, "–", "–", reply.error, "–", "–"])
            return
        body = reply.body.decode("utf-8", "replace").replace("|", "\\|")
        if len(body) > 60:
            body = body[:57] + "…"
        static = os.path.join(ROOT, "nginx", "errors", f"{reply.errcode}.{reply.content_type.split(';')[0].split('/')[-1]}")
        if os.path.exists(static) and open(static, "rb").read() == reply.body:
            body = f"= nginx/errors/{os.path.basename(static)}"
        else:
            body = f"`{body}`"
        envelope = "HTML page" if reply.html else ("envelope" if reply.errcode is not None else "not an envelope")
        rows.append([case, negotiation, f"{reply.status}" + ("" if reply.status == status_expected else f" (expected {status_expected})"),
                     reply.content_type or "–", f"{envelope} {reply.errcode if reply.errcode is not None else ''}".strip(),
                     reply.headers.get("x-threepay-errcode", "–"), body])

    async def raw(data, timeout=40.0):
        return await exchange(None, None, raw=data, timeout=timeout)

    for name, accept in accepts:
        row("400 broken request line", name, await raw(f"GET /api/3Pay/health x HTTP/1.1\r\nHost: localhost\r\nAccept: {accept}\r\n\r\n".encode()), 400)
        row("400 HTTP/1.1 without Host", name, await raw(f"GET {HEALTH} HTTP/1.1\r\nAccept: {accept}\r\nConnection: close\r\n\r\n".encode()), 400)
        row("400 header line over 8 KB", name, await exchange("GET", HEALTH, headers=[("Accept", accept), ("X-Long", "a" * 9000)]), 400)
        row("405 TRACE", name, await exchange("TRACE", HEALTH, headers=[("Accept", accept)]), 405)
        # nginx 1.22 refuses CONNECT while parsing the request line (400); later versions answer 405.
        row("405 CONNECT", name, await raw(f"CONNECT localhost:443 HTTP/1.1\r\nHost: localhost\r\nAccept: {accept}\r\n\r\n".encode()), 400)
        row("413 body of 100 KB", name, await exchange("POST", SCANCODE, b"{" + b" " * 100_000 + b"}",
                                                       [("Accept", accept), ("Content-Type", "application/json")]), 413)
        row("413 body of 2 MB", name, await exchange("POST", SCANCODE, b"{" + b" " * 2_000_000 + b"}",
                                                     [("Accept", accept), ("Content-Type", "application/json")]), 413)
        row("414 URI of 9 KB", name, await exchange("GET", HEALTH + "?x=" + "a" * 9000, headers=[("Accept", accept)]), 414)

    # 408: half a header, half a body; nginx's client_header_timeout / client_body_timeout are 10 s.
    for label, data in (("408 half a header", f"POST {SCANCODE} HTTP/1.1\r\nHost: localhost\r\nAccept: application/xml\r\nContent-Ty"),
                        ("408 half a body", f"POST {SCANCODE} HTTP/1.1\r\nHost: localhost\r\nAccept: application/xml\r\n"
                                            "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"billnum\":")):
        connection = await in_thread(blocking_connection)
        clock = time.monotonic()
        connection.sendall(data.encode())
        answer, ending = await in_thread(read_to_end, connection, 30)
        connection.close()
        if answer:
            reply = Reply(0, 0, *parse_answer(answer))
            row(label, "XML", reply, 408)
        else:
            rows.append([label, "XML", "–", "–", f"no answer: connection {ending} after {time.monotonic() - clock:.1f} s", "–", "–"])

    # 429: limit_conn (256 requests in progress per address; loopback is exempt): 256 requests from 127.0.0.2
    # whose bodies never come, then one more of each format.
    held = []
    try:
        for _ in range(256):
            connection = blocking_connection("127.0.0.2")
            connection.sendall(f"POST {SCANCODE} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                               "Content-Length: 100\r\n\r\n".encode())
            held.append(connection)
        await asyncio.sleep(0.5)
        for name, accept in accepts:
            connection = blocking_connection("127.0.0.2")
            connection.sendall(request_bytes("GET", HEALTH, headers=[("Accept", accept)]))
            answer, _ = await in_thread(read_to_end, connection, 10)
            connection.close()
            row("429 257th request in progress from one address", name,
                Reply(0, 0, *parse_answer(answer)) if answer else Reply(0, 0, error="no answer"), 429)
    finally:
        for connection in held:
            connection.close()

    # 502: the responder gone and nobody to restart it yet (its supervisor stopped for the moment).
    supervisor, responder = stack.pid("supervisor"), stack.pid("threepay")
    os.kill(supervisor, signal.SIGSTOP)
    try:
        os.kill(responder, signal.SIGKILL)
        await asyncio.sleep(0.3)
        for name, accept in accepts:
            row("502 responder down", name, await exchange("POST", SCANCODE, Bill(probe.prefix + "X", 1).payload(),
                                                          [("Accept", accept), ("Content-Type", "application/json")]), 502)
    finally:
        os.kill(supervisor, signal.SIGCONT)
    while not (await exchange("GET", HEALTH, timeout=5)).ok:
        await asyncio.sleep(0.1)

    # 503: nginx's own 503 is not configured (limit_*_status 429); the responder's 503s: health with the database frozen.
    mariadbd = stack.pid("mariadb")
    os.kill(mariadbd, signal.SIGSTOP)
    try:
        for name, accept in accepts:
            row("503 database frozen (health)", name, await exchange("GET", HEALTH, headers=[("Accept", accept)]), 503)
    finally:
        os.kill(mariadbd, signal.SIGCONT)

    # 504: the responder stopped (kill -STOP): nginx waits fastcgi_read_timeout (30 s).
    responder = stack.pid("threepay")
    os.kill(responder, signal.SIGSTOP)
    try:
        answers = await asyncio.gather(*(exchange("GET", HEALTH, headers=[("Accept", accept)], timeout=60) for _, accept in accepts))
    finally:
        os.kill(responder, signal.SIGCONT)
    for (name, _), reply in zip(accepts, answers):
        row(f"504 responder stopped ({reply.latency_ms / 1000:.1f} s)", name, reply, 504)

    # 500: nginx's own internal error needs a broken nginx (its body folder gone: EdgeNginxFaultTests); with the
    # shipped body buffer equal to the body limit no body reaches the disk, so no request provokes it.
    rows.append(["500 nginx internal error", "–", "–", "–", "not reachable from a client with the shipped settings", "–", "–"])
    html = sum(1 for r in rows if r[4].startswith("HTML"))
    lines = [
        "What was done: each error provoked from outside, with `Accept: application/json` and `Accept: application/xml` "
        "(raw requests over a socket; the responder killed with its supervisor stopped for 502, the database frozen "
        "for the responder's 503, the responder stopped with `kill -STOP` for 504).", "",
        table(["case", "asked", "status", "Content-Type", "body is", "X-ThreePay-Errcode", "body"], rows), "",
        f"HTML pages: {html}.", ""]
    return "\n".join(lines)


PROBES = {
    1: ("responder-kill", "`kill -9` of the responder under `make run`",
        "66 × nginx's HTML 502, then stack.sh tore the stack down 1.3 s later: 934 × connection refused; nothing "
        "restarted the responder.", probe_responder_kill),
    2: ("db-freeze", "MariaDB frozen for 35 s (`kill -STOP`)",
        "requests waited 30 s for nginx's HTML 504 (287), then HTML 502 at once (665) when the listen queue filled; "
        "health 504 then 502, never 4001; 286 of the 504'd bills had a QR code issued that the client never saw.",
        probe_db_freeze),
    3: ("row-lock", "a row lock held from another connection",
        "three retry layers kept one worker about two minutes under a held lock; nginx gave up after 30 s and the "
        "worker went on and could still write.", probe_row_lock),
    4: ("gateway-hang", "the sandbox gateway hanging on 20 % of its replies",
        "all 64 workers busy within about 6 s; ScanCode p50 7 s, p90 12.8 s; health (which never calls the gateway) "
        "10.5 s.", probe_gateway_hang),
    5: ("slow-peers", "8,000 half-open connections from 127.0.0.2",
        "about 8,200 idle connections with half-sent headers used up nginx's 2 × 4,096 connections: every real "
        "ScanCode was reset for 25 s.", probe_slow_peers),
    6: ("hostile-bodies", "hostile bodies: 1,350 / 2,700 / 5,400 attributes, members, fields",
        "XML root attributes cost quadratic time: 1,350 → 16 ms, 2,700 → 40 ms, 5,400 (53 KB) → 160 ms per request; "
        "16 clients sending them moved normal ScanCode from 10 ms to 55 ms.", probe_hostile_bodies),
    7: ("nginx-errors", "nginx's own errors",
        "HTML pages without an envelope for 413 (bodies over 1 MB), 414, several 400s, 405 (TRACE, CONNECT), 502 and "
        "504.", probe_nginx_errors),
}


def main(arguments):
    if not arguments or arguments[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    if arguments[0] == "--list":
        for number, (name, title, _, _) in PROBES.items():
            print(f"{number} {name}: {title}")
        return 0
    chosen = []
    for argument in arguments:
        if argument == "all":
            chosen += list(PROBES)
            continue
        match = [n for n, p in PROBES.items() if argument in (str(n), p[0])]
        if not match:
            raise SystemExit(f"no probe named {argument!r} (--list)")
        chosen += match
    guard_settings()
    build()
    os.makedirs(os.path.join(STATE, "results"), exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    report = os.path.join(STATE, "results", f"probes-{stamp}.md")
    revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    machine = shared.machine()
    preamble = (f"Run {stamp} of `scripts/probes.py {' '.join(arguments)}` at commit {revision or 'unknown'}, "
                f"{machine.get('cpu_model', 'unknown CPU')}, {machine.get('cpus')} cores, {machine.get('memory_mb')} MB; "
                f"stack in {os.path.relpath(STATE, ROOT)} on 127.0.0.1:{PORT}, release build.\n")
    print(preamble, flush=True)
    with open(report, "a") as handle:
        handle.write(preamble + "\n")
    failed = False
    for number in chosen:
        name, title, issue_saw, body = PROBES[number]
        log(f"probe {number} ({name})")
        reply_bill.clear()
        text, stop = run_probe(number, title, issue_saw, body)
        print(text, flush=True)
        with open(report, "a") as handle:
            handle.write(text + "\n")
        failed = failed or stop["status"] != 0 or bool(stop["alive"])
    log(f"report: {report}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Renders a ThreePay benchmark result (the JSON bench/bench.py writes) as a text table and as Markdown,
and checks it against the targets of the performance issue.

    python3 bench/report.py bench/results/<run>.json         print the table
    python3 bench/report.py --markdown bench/results/<run>.json
"""

import json
import statistics
import sys

# (label, gateway latency ms, concurrency, metric, comparison, limit)
TARGETS = [
    ("c64 / 0 ms: requests/s ≥ 2,000", 0, 64, "rps", ">=", 2000),
    ("c256 / 50 ms: requests/s ≥ 2,000", 50, 256, "rps", ">=", 2000),
    ("c64 / 50 ms: requests/s ≥ 1,150", 50, 64, "rps", ">=", 1150),
    ("c64 / 50 ms: p99 ≤ 60 ms", 50, 64, "p99", "<=", 60),
    ("c16 / 0 ms: p99 ≤ 10 ms", 0, 16, "p99", "<=", 10),
]
RSS_LIMIT_MB = 100


def point(data, latency, concurrency):
    for entry in data.get("points", []):
        if entry["gateway_latency_ms"] == latency and entry["concurrency"] == concurrency:
            return entry
    return None


def evaluate_targets(data):
    """One entry per target: status PASS, FAIL or NOT MEASURED, with the measured value."""
    results = []
    for label, latency, concurrency, metric, comparison, limit in TARGETS:
        entry = point(data, latency, concurrency)
        if entry is None:
            results.append({"target": label, "status": "NOT MEASURED", "value": None})
            continue
        median = entry["median"]
        value = median["requests_per_s"] if metric == "rps" else median["latency_ms"]["p99"]
        passed = value >= limit if comparison == ">=" else value <= limit
        results.append({"target": label, "status": "PASS" if passed else "FAIL", "value": value})

    wide = [e for e in data.get("points", []) if e["concurrency"] >= 256]
    if wide:
        peak = max(e["median"]["responder_peak_rss_mb_max"] for e in wide)
        results.append({"target": f"responder RSS ≤ {RSS_LIMIT_MB} MB with 256 in flight",
                        "status": "PASS" if peak <= RSS_LIMIT_MB else "FAIL", "value": peak})
    else:
        results.append({"target": f"responder RSS ≤ {RSS_LIMIT_MB} MB with 256 in flight",
                        "status": "NOT MEASURED", "value": None})

    points = data.get("points", [])
    # ThreePay's runs in the paired rounds count as the points do.
    rounds = [entry[key] for entry in (data.get("rounds") or {}).get("rounds") or []
              for key in ("threepay_c64", "threepay_c1") if entry.get(key)]
    errors = sum(e["median"]["errors_total"] + e["median"]["nonzero_errcode_total"] for e in points) \
        + sum(run["errors"] + run["nonzero_errcode"] for run in rounds)
    results.append({"target": "zero errors (socket, HTTP, errcode ≠ 0)",
                    "status": ("PASS" if errors == 0 else "FAIL") if points else "NOT MEASURED", "value": errors})
    exact = all(e["median"]["reconciled_exact"] for e in points) and all(run["reconciled_exact"] for run in rounds)
    results.append({"target": "reconciliation exact at every point" + (" and paired round" if rounds else ""),
                    "status": ("PASS" if exact else "FAIL") if points else "NOT MEASURED", "value": exact})
    return results


def _fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def point_rows(data):
    header = ["gw ms", "conc", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors", "errcode≠0",
              "RSS MB", "responder CPU ms/req", "stack CPU ms/req", "machine busy", "reconciled"]
    rows = []
    for entry in data.get("points", []):
        median = entry["median"]
        cpu = median["cpu_ms_per_request"]
        stack = sum(v for k, v in cpu.items() if not k.endswith("_pct") and v is not None)
        rows.append([
            str(entry["gateway_latency_ms"]), str(entry["concurrency"]), _fmt(median["requests_per_s"], 0),
            _fmt(median["latency_ms"]["p50"], 2), _fmt(median["latency_ms"]["p90"], 2),
            _fmt(median["latency_ms"]["p99"], 2), _fmt(median["errors_total"]),
            _fmt(median["nonzero_errcode_total"]), _fmt(median["responder_peak_rss_mb_max"]),
            _fmt(cpu.get("responder"), 3), _fmt(stack, 3), _fmt(cpu.get("machine_busy_pct")) + " %",
            "exact" if median["reconciled_exact"] else "NOT exact",
        ])
    return header, rows


def cpu_rows(data):
    names = ["responder", "sandbox", "mariadbd", "nginx", "wrk"]
    header = ["gw ms", "conc"] + [f"{n} ms/req" for n in names] + ["machine busy", "of it others"]
    rows = []
    for entry in data.get("points", []):
        cpu = entry["median"]["cpu_ms_per_request"]
        rows.append([str(entry["gateway_latency_ms"]), str(entry["concurrency"])]
                    + [_fmt(cpu.get(n), 3) for n in names]
                    + [_fmt(cpu.get("machine_busy_pct")) + " %", _fmt(cpu.get("others_busy_pct")) + " %"])
    return header, rows


def reconciliation_rows(data):
    header = ["gw ms", "conc", "rep", "ok answers", "records", "sandbox trades", "unanswered at cut-off",
              "of them recorded", "exact"]
    rows = []
    for entry in data.get("points", []):
        for number, rep in enumerate(entry["repetitions"], 1):
            rec = rep["reconciliation"]
            failed = [name for name, good in rec["checks"].items() if not good]
            rows.append([str(entry["gateway_latency_ms"]), str(entry["concurrency"]), str(number),
                         _fmt(rec["ok_answers"]), _fmt(rec["records"]), _fmt(rec["sandbox_trades"]),
                         _fmt(rec["in_flight_at_cutoff"]), _fmt(rec["in_flight_recorded"]),
                         "yes" if rec["exact"] else "NO: " + ", ".join(failed)])
    return header, rows


def _wrk_run(run, digits):
    """`c16: 1,234 req/s, p50 …, p99 …, errors n` for one wrk run of a floor (latencies to `digits` places)."""
    return (f"c{run['concurrency']}: {_fmt(run['requests_per_s'], 0)} req/s, p50 "
            f"{_fmt(run['latency_ms']['p50'], digits)} ms, p99 {_fmt(run['latency_ms']['p99'], digits)} ms, errors "
            f"{run['errors'] + run['nonzero_errcode']}")


def floor_lines(data):
    floor = data.get("floor")
    if not floor:
        return ["(floor not measured: BENCH_FLOOR=0)"]
    lines = []
    one, every = floor.get("rsa2048_one_core"), floor.get("rsa2048_all_cores")
    if one:
        lines.append(f"RSA-2048 signatures/s, one core: {_fmt(one['sign_per_s'], 0)}"
                     + (f"; all {every['processes']} cores: {_fmt(every['sign_per_s'], 0)}" if every else "")
                     + f"; one signature + one verification on one core: {_fmt(1000 / one['sign_per_s'], 3)} + "
                     f"{_fmt(1000 / one['verify_per_s'], 3)} = "
                     f"{_fmt(1000 / one['sign_per_s'] + 1000 / one['verify_per_s'], 3)} ms")
    health = floor.get("health")
    if health:
        cpu = health["cpu_ms_per_request"]
        lines.append(f"GET api/3Pay/health through nginx (FastCGI + one procedure CALL), "
                     f"c{data['settings']['health_concurrency']}: {_fmt(health['requests_per_s'], 0)} req/s, "
                     f"p99 {_fmt(health['latency_ms']['p99'], 2)} ms, errors {health['errors']}, "
                     f"responder {_fmt(cpu.get('responder'), 3)} ms CPU/req, "
                     f"machine busy {_fmt(cpu.get('machine_busy_pct'))} %")
    for trip in floor.get("fastcgi_hello") or []:
        cpu = trip["cpu_ms_per_request"]
        lines.append(f"One FastCGI trip (GET bench/hello: nginx → bench/fcgi-hello, a fixed body), "
                     f"{_wrk_run(trip, 3)}; CPU per request: hello {_fmt(cpu.get('hello'), 3)} + "
                     f"nginx {_fmt(cpu.get('nginx'), 3)} ms (wrk {_fmt(cpu.get('wrk'), 3)} ms)")
    for run in floor.get("scancode_floor") or []:
        cpu = run["cpu_ms_per_request"]
        lines.append(f"ScanCode without rules (the bench's ScanCode bodies → nginx → bench/scancode-floor: the procedure "
                     f"floor's two CALLs, one signed precreate to the sandbox, its signature checked, on libfcgi, "
                     f"libmariadb, libcurl and OpenSSL), {_wrk_run(run, 2)}; CPU per request: scancode-floor "
                     f"{_fmt(cpu.get('scancode_floor'), 3)} + mariadbd {_fmt(cpu.get('mariadbd'), 3)} + nginx "
                     f"{_fmt(cpu.get('nginx'), 3)} ms (sandbox {_fmt(cpu.get('sandbox'), 3)} ms); "
                     f"{run['qr_issued_rows']} QR_ISSUED rows for {run['ok']} successful answers "
                     f"({'matching' if run['rows_match_answers'] else 'NOT matching'})")
    pairs = {p["concurrency"]: p for p in floor.get("minimal_pairs") or []}
    for call in floor.get("procedure_calls", []):
        lines.append(f"Begin + QrIssued over the socket, concurrency {call['concurrency']}: "
                     f"{_fmt(call['pairs_per_s'], 0)} pairs/s ({_fmt(call['calls_per_s'], 0)} CALLs/s, "
                     f"{call['pairs']} pairs in {call['seconds']} s; mariadbd "
                     f"{_fmt(call.get('mariadbd_cpu_ms_per_pair'), 3)} ms CPU per pair"
                     f"{_pair_latency(call)})")
        pair = pairs.get(call["concurrency"])
        if pair:
            lines.append(f"Minimal durable pair (INSERT ... RETURNING, UPDATE by primary key, SELECT; two autocommit "
                         f"transactions), concurrency {pair['concurrency']}: {_fmt(pair['pairs_per_s'], 0)} pairs/s "
                         f"({pair['pairs']} pairs in {pair['seconds']} s; mariadbd "
                         f"{_fmt(pair.get('mariadbd_cpu_ms_per_pair'), 3)} ms CPU per pair{_pair_latency(pair)})")
        wrapped = _by_concurrency(floor.get("procedure_floor_pairs"), call["concurrency"])
        if wrapped:
            lines.append(f"Procedure floor (the minimal pair's statements inside two CALLs with Begin's and "
                         f"QrIssued's parameters), concurrency {wrapped['concurrency']}: "
                         f"{_fmt(wrapped['pairs_per_s'], 0)} pairs/s ({wrapped['pairs']} pairs in "
                         f"{wrapped['seconds']} s; mariadbd {_fmt(wrapped.get('mariadbd_cpu_ms_per_pair'), 3)} ms "
                         f"CPU per pair{_pair_latency(wrapped)})")
    ceiling = floor_ceiling(data)
    if ceiling:
        lines.append(
            f"Ceiling from these figures: a ScanCode costs at least {_fmt(ceiling['signatures_ms'], 3)} ms for two "
            f"RSA signatures (ThreePay's request and the gateway's answer) + {_fmt(ceiling['procedures_ms'], 3)} ms "
            f"of procedures + {_fmt(ceiling['fastcgi_trips_ms'], 3)} ms for two trips through nginx and FastCGI "
            f"(client → ThreePay, ThreePay → gateway) = {_fmt(ceiling['total_ms'], 3)} ms of CPU, so "
            f"{ceiling['cores']} cores answer at most {_fmt(ceiling['requests_per_s'], 0)} requests/s "
            f"(2,000 requests/s needs ≤ {_fmt(ceiling['cores'] * 1000 / 2000, 3)} ms per request)")
        best = max((e["median"]["requests_per_s"] for e in data.get("points", [])), default=None)
        if best:
            lines.append(f"Best measured point: {_fmt(best, 0)} requests/s = "
                         f"{_fmt(100 * best / ceiling['requests_per_s'], 0)} % of that ceiling")
    return lines


def _pair_latency(pair):
    """At concurrency 1, the wall time of one pair: two durable commits (the latency floor of goal 4)."""
    if pair["concurrency"] != 1 or not pair.get("ms_per_pair_per_client"):
        return ""
    return (f"; {_fmt(pair['ms_per_pair_per_client'], 3)} ms per pair, "
            f"{_fmt(pair['ms_per_pair_per_client'] / 2, 3)} ms per commit")


def floor_ceiling(data):
    """The most requests/s the machine can answer, from the floor alone: the CPU a ScanCode cannot avoid.

    Everything runs on one machine (the benchmark's method), so the parts add up: the client's signature and
    the gateway's (from `openssl speed`), the cheapest measured Begin+QrIssued pair (mariadbd CPU), and twice
    the health route's nginx + responder CPU (each FastCGI trip through nginx, without its procedure CALL).
    """
    floor = data.get("floor") or {}
    one, health, calls = floor.get("rsa2048_one_core"), floor.get("health"), floor.get("procedure_calls") or []
    pair_ms = [c["mariadbd_cpu_ms_per_pair"] for c in calls if c.get("mariadbd_cpu_ms_per_pair")]
    cpu = (health or {}).get("cpu_ms_per_request") or {}
    if not one or not one.get("sign_per_s") or not pair_ms or cpu.get("nginx") is None \
            or cpu.get("responder") is None:
        return None
    signatures = 2 * 1000 / one["sign_per_s"]
    procedures = min(pair_ms)
    trips = 2 * (cpu["nginx"] + cpu["responder"])
    total = signatures + procedures + trips
    cores = (floor.get("rsa2048_all_cores") or {}).get("processes") or 1
    return {"signatures_ms": signatures, "procedures_ms": procedures, "fastcgi_trips_ms": trips,
            "total_ms": total, "cores": cores, "requests_per_s": cores * 1000 / total}


# ── Issue #16's goals: ratios against floors measured in the same run ─────────────────────────────────
MET, NOT_MET, NOT_MEASURED = "met", "not met", "not measured"
# A floor row is no goal: it is a ratio of two floors, and says whether the goal's limit is reachable at all.
FLOOR_ABOVE, FLOOR_BELOW = "floor above the limit", "floor within the limit"
# The same for goal 3, a lower bound: a floor that reaches no higher than the target.
FLOOR_SHORT = "floor short of the target"
# The point the CPU goals read: ScanCode at c64 with 0 ms gateway latency.
GOAL_POINT = (0, 64)
# The concurrency bench/bench.py takes its profiles at (it reads it from here).
PROFILE_CONCURRENCY = 64
GOAL_LIMITS = {1: 1.3, 2: 1.6, 3: 2.0, 4: 1.5}


def _by_concurrency(entries, concurrency):
    return next((e for e in entries or [] if e.get("concurrency") == concurrency), None)


def _goal(goal, label, value, comparison, detail):
    limit = GOAL_LIMITS[goal]
    if value is None:
        status = NOT_MEASURED
    else:
        status = MET if (value <= limit if comparison == "<=" else value >= limit) else NOT_MET
    return {"goal": goal, "label": label, "value": None if value is None else round(value, 3),
            "comparison": comparison, "limit": limit, "status": status, "detail": detail}


def _floor_row(goal, label, value, detail, comparison="<="):
    """A ratio of floors under a goal: beyond the goal's limit, no change to ThreePay can meet the goal."""
    row = _goal(goal, label, value, comparison, detail)
    if value is not None:
        row["status"] = FLOOR_BELOW if row["status"] == MET else FLOOR_ABOVE if comparison == "<=" else FLOOR_SHORT
    return row


def capacity(cpu, cores):
    """ScanCode/s that `cores` carry with the gateway off the box: responder + mariadbd + nginx CPU only."""
    parts = [cpu.get(name) for name in ("responder", "mariadbd", "nginx")]
    if None in parts or not sum(parts) or not cores:
        return None, None
    return cores * 1000 / sum(parts), sum(parts)


def baseline_figures(data):
    """What goal 3 needs from a report (today's or the baseline's): the c64 / 0 ms CPU per ScanCode, the
    capacity it gives on that report's cores, and that box's one-core RSA-2048 signing rate."""
    entry = point(data, *GOAL_POINT)
    one = (data.get("floor") or {}).get("rsa2048_one_core") or {}
    if entry is None or not one.get("sign_per_s"):
        return None
    cpu = entry["median"]["cpu_ms_per_request"]
    cores = data["machine"]["cpus"]
    per_s, ms = capacity(cpu, cores)
    if per_s is None:
        return None
    return {"started_at": data.get("started_at"), "cpus": cores, "cpu_model": data["machine"].get("cpu_model"),
            "cpu_ms_per_request": {k: cpu[k] for k in ("responder", "mariadbd", "nginx")},
            "cpu_ms_total": round(ms, 4), "capacity_per_s": round(per_s, 1),
            "sign_per_s_one_core": one["sign_per_s"], "requests_per_s": entry["median"]["requests_per_s"]}


def bracketed_baseline(before, after):
    """Goal 3's baseline from its measurement before ThreePay's stack started and, when there is one, its second
    measurement after ThreePay's 0 ms points: the mean of the two CPU figures per ScanCode (and of the two one-core
    signing rates) and the capacity that mean gives. The first measurement's figures stay at the top level when
    there is no second one; both are kept as measured under "before" and "after"."""
    if before is None or after is None:
        return before
    combined = dict(before)
    combined["before"] = dict(before)
    combined["after"] = after
    parts = before["cpu_ms_per_request"]
    combined["cpu_ms_per_request"] = {k: round((parts[k] + after["cpu_ms_per_request"][k]) / 2, 4) for k in parts}
    ms = (before["cpu_ms_total"] + after["cpu_ms_total"]) / 2
    combined["cpu_ms_total"] = round(ms, 4)
    combined["capacity_per_s"] = round(before["cpus"] * 1000 / ms, 1)
    combined["sign_per_s_one_core"] = round((before["sign_per_s_one_core"] + after["sign_per_s_one_core"]) / 2, 1)
    combined["requests_per_s"] = round((before["requests_per_s"] + after["requests_per_s"]) / 2, 1)
    return combined


def _baseline_measurements(base):
    """How a measured baseline's capacity came about, for goal 3's row and the headline."""
    if base.get("after"):
        first, second = base["before"], base["after"]
        return (f"the mean of {_fmt(first['cpu_ms_total'], 3)} ms measured before ThreePay's stack started "
                f"({_fmt(first['capacity_per_s'], 0)}/s) and {_fmt(second['cpu_ms_total'], 3)} ms after its 0 ms "
                f"points ({_fmt(second['capacity_per_s'], 0)}/s)")
    return "measured once, before ThreePay's stack started"


# ── Paired rounds: ThreePay and the floors of goals 1, 2 and 4 in turn, round after round ─────────────────────

def _ratio(numerator, denominator):
    return numerator / denominator if numerator is not None and denominator else None


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def round_ratios(data):
    """Per paired round (bench/bench.py, paired_rounds): goals 1, 2 and 4's ratios for ThreePay and for the
    ScanCode without rules, each against the floor measured in that same round (the RSA figures, which hardly
    move, are the run's). Keys: (goal, "threepay" | "floor")."""
    rounds = (data.get("rounds") or {}).get("rounds") or []
    one = (data.get("floor") or {}).get("rsa2048_one_core") or {}
    crypto = 1000 / one["sign_per_s"] + 1000 / one["verify_per_s"] \
        if one.get("sign_per_s") and one.get("verify_per_s") else None
    sign_ms = 1000 / one["sign_per_s"] if one.get("sign_per_s") else None
    out = []
    for entry in rounds:
        cpu = {key: (entry.get(key) or {}).get("cpu_ms_per_request") or {} for key in ("threepay_c64", "floor_c64")}
        pair64 = (entry.get("minimal_c64") or {}).get("mariadbd_cpu_ms_per_pair")
        pair1 = (entry.get("minimal_c1") or {}).get("ms_per_pair_per_client")
        hello1 = ((entry.get("hello_c1") or {}).get("latency_ms") or {}).get("p50")
        floors4 = sign_ms + pair1 + hello1 if None not in (sign_ms, pair1, hello1) else None
        p50 = {key: ((entry.get(key) or {}).get("latency_ms") or {}).get("p50") for key in ("threepay_c1", "floor_c1")}
        out.append({
            "round": entry["round"], "pair64_ms": pair64,
            (1, "threepay"): _ratio(cpu["threepay_c64"].get("mariadbd"), pair64),
            (1, "floor"): _ratio(cpu["floor_c64"].get("mariadbd"), pair64),
            (2, "threepay"): _ratio(cpu["threepay_c64"].get("responder"), crypto),
            (2, "floor"): _ratio(cpu["floor_c64"].get("scancode_floor"), crypto),
            (4, "threepay"): _ratio(p50["threepay_c1"], floors4),
            (4, "floor"): _ratio(p50["floor_c1"], floors4),
            "reconciled": all((entry.get(key) or {}).get(check, True) for key, check in (
                ("threepay_c64", "reconciled_exact"), ("threepay_c1", "reconciled_exact"),
                ("floor_c64", "rows_match_answers"), ("floor_c1", "rows_match_answers"))),
        })
    return out


ROUND_GOALS = {
    1: ("mariadbd CPU per ScanCode (c64) ÷ minimal durable pair (c64)",
        "mariadbd CPU per ScanCode without rules (c64) ÷ minimal durable pair (c64)"),
    2: ("responder CPU per ScanCode (c64) ÷ sign + verify",
        "CPU per ScanCode without rules (c64) ÷ sign + verify"),
    4: ("ScanCode p50 at c1 ÷ (sign + 2 minimal durable commits + FastCGI hello p50, c1)",
        "ScanCode without rules p50 at c1 ÷ the same floors"),
}


def round_goal_rows(data, goal):
    """Goal `goal`'s rows from the paired rounds: the median of the per-round ratios, for ThreePay (a goal row) and
    for the ScanCode without rules (a floor row). Nothing when the run has no rounds."""
    ratios = round_ratios(data)
    if not ratios:
        return []
    label, floor_label = ROUND_GOALS[goal]
    limit = GOAL_LIMITS[goal]
    ours = [r[(goal, "threepay")] for r in ratios]
    bare = [r[(goal, "floor")] for r in ratios]
    per_round = lambda values: ", ".join(_fmt(v, 2) for v in values)  # noqa: E731
    beyond = lambda values: sum(1 for v in values if v is not None and v > limit)  # noqa: E731
    against = [_ratio(a, b) for a, b in zip(ours, bare)]
    count = len(ratios)
    return [
        _goal(goal, f"{label} ≤ {limit}: median of {count} paired rounds", _median(ours), "<=",
              f"per round {per_round(ours)}; beyond the limit in {beyond(ours)} of {count}"),
        _floor_row(goal, f"floor: {floor_label}: median of the same {count} rounds", _median(bare),
                   f"per round {per_round(bare)}; beyond the limit in {beyond(bare)} of {count}; ThreePay ÷ this "
                   f"floor per round {per_round(against)} (median {_fmt(_median(against), 2)})"),
    ]


def round_rows(data):
    """One row per paired round: the figures goals 1, 2 and 4 take from it, and their ratios."""
    rounds = (data.get("rounds") or {}).get("rounds") or []
    if not rounds:
        return None
    header = ["round", "first run", "mariadbd ms: ThreePay / floor / minimal pair (c64)", "goal 1: ThreePay / floor",
              "CPU ms: responder / scancode-floor (c64)", "goal 2: ThreePay / floor",
              "p50 ms at c1: ThreePay / floor / hello; pair ms", "goal 4: ThreePay / floor", "reconciled"]
    rows = []
    ratios = round_ratios(data)
    for entry, ratio in zip(rounds, ratios):
        cpu = {key: (entry.get(key) or {}).get("cpu_ms_per_request") or {} for key in ("threepay_c64", "floor_c64")}
        p50 = lambda key: ((entry.get(key) or {}).get("latency_ms") or {}).get("p50")  # noqa: E731
        both = lambda goal: f"{_fmt(ratio[(goal, 'threepay')], 2)} / {_fmt(ratio[(goal, 'floor')], 2)}"  # noqa: E731
        rows.append([str(entry["round"]), entry["order"][0].replace("_", " "),
                     f"{_fmt(cpu['threepay_c64'].get('mariadbd'), 3)} / {_fmt(cpu['floor_c64'].get('mariadbd'), 3)} / "
                     f"{_fmt(ratio['pair64_ms'], 3)}", both(1),
                     f"{_fmt(cpu['threepay_c64'].get('responder'), 3)} / "
                     f"{_fmt(cpu['floor_c64'].get('scancode_floor'), 3)}", both(2),
                     f"{_fmt(p50('threepay_c1'), 2)} / {_fmt(p50('floor_c1'), 2)} / {_fmt(p50('hello_c1'), 3)}; "
                     f"{_fmt((entry.get('minimal_c1') or {}).get('ms_per_pair_per_client'), 3)}", both(4),
                     "yes" if ratio["reconciled"] else "NO"])
    rows.append(["median", "", "", " / ".join(_fmt(_median(r[(1, k)] for r in ratios), 2) for k in ("threepay", "floor")),
                 "", " / ".join(_fmt(_median(r[(2, k)] for r in ratios), 2) for k in ("threepay", "floor")),
                 "", " / ".join(_fmt(_median(r[(4, k)] for r in ratios), 2) for k in ("threepay", "floor")), ""])
    return header, rows


ROUND_C1_INTRO = ("goal 4's runs of each round: with one request in flight the processes work in turn, so the sum "
                  "of their CPU per request is most of the p50; front end: ThreePay's responder, or bench/scancode-floor")


def round_c1_rows(data):
    """Goal 4's side of the paired rounds: at c1 every process works in turn for the one request in flight, so its
    CPU per request adds up to most of the wall time. Per round, ThreePay's and the floor's CPU per request by
    process beside their p50."""
    rounds = (data.get("rounds") or {}).get("rounds") or []
    if not rounds:
        return None
    header = ["round", "run", "front end", "mariadbd", "nginx", "sandbox", "sum of CPU ms", "p50 ms",
              "p50 − sum"]
    rows = []
    for entry in rounds:
        for key, label, own in (("threepay_c1", "ThreePay", "responder"),
                                ("floor_c1", "without rules", "scancode_floor")):
            run = entry.get(key) or {}
            cpu = run.get("cpu_ms_per_request") or {}
            parts = [cpu.get(own), cpu.get("mariadbd"), cpu.get("nginx"), cpu.get("sandbox")]
            total = sum(parts) if None not in parts else None
            p50 = (run.get("latency_ms") or {}).get("p50")
            rows.append([str(entry["round"]), label] + [_fmt(part, 3) for part in parts]
                        + [_fmt(total, 3), _fmt(p50, 2), _fmt(p50 - total if None not in (p50, total) else None, 2)])
    return header, rows


def rounds_intro(data):
    rounds = data["rounds"]
    return (f"{len(rounds['rounds'])} rounds after the points, each of ThreePay's ScanCode, the ScanCode without rules "
            f"and the minimal durable pair at c64, then the same three and the FastCGI hello at c1, "
            f"{rounds['seconds']} s each; even rounds run them in the reverse order. Each round's ratios divide by the "
            "floors of that round (the RSA figures are the run's), so that both sides of a ratio are measured within "
            "a minute of each other; the goals' rows give their medians.")


def evaluate_goals(data):
    """Goals 1-4 of the performance issue, each a ratio of a ScanCode figure to a floor of the same run."""
    floor = data.get("floor") or {}
    entry = point(data, *GOAL_POINT)
    cpu = entry["median"]["cpu_ms_per_request"] if entry else {}
    pairs, calls = floor.get("minimal_pairs") or [], floor.get("procedure_calls") or []
    one = floor.get("rsa2048_one_core") or {}
    goals = []

    # Goal 1: mariadbd CPU per ScanCode against the minimal durable pair at the same concurrency.
    pair64 = (_by_concurrency(pairs, GOAL_POINT[1]) or {}).get("mariadbd_cpu_ms_per_pair")
    value = cpu["mariadbd"] / pair64 if cpu.get("mariadbd") is not None and pair64 else None
    goals.append(_goal(1, "mariadbd CPU per ScanCode (c64, 0 ms) ÷ minimal durable pair (c64) ≤ 1.3", value, "<=",
                       f"{_fmt(cpu.get('mariadbd'), 3)} ms ÷ {_fmt(pair64, 3)} ms"))
    for call in calls:
        pair = (_by_concurrency(pairs, call["concurrency"]) or {}).get("mariadbd_cpu_ms_per_pair")
        proc = call.get("mariadbd_cpu_ms_per_pair")
        goals.append(_goal(1, f"mariadbd CPU per Begin + QrIssued (CALL floor, c{call['concurrency']}) ÷ minimal "
                              f"durable pair (c{call['concurrency']}) ≤ 1.3",
                           proc / pair if proc and pair else None, "<=", f"{_fmt(proc, 3)} ms ÷ {_fmt(pair, 3)} ms"))
        wrapped = (_by_concurrency(floor.get("procedure_floor_pairs"), call["concurrency"]) or {}) \
            .get("mariadbd_cpu_ms_per_pair")
        goals.append(_floor_row(1, f"floor: procedure floor (the minimal pair inside two CALLs, "
                                   f"c{call['concurrency']}) ÷ minimal durable pair (c{call['concurrency']})",
                                wrapped / pair if wrapped and pair else None,
                                f"{_fmt(wrapped, 3)} ms ÷ {_fmt(pair, 3)} ms; Begin + QrIssued ÷ procedure floor "
                                f"{_fmt(proc / wrapped if proc and wrapped else None, 2)}"))

    # The ScanCode without rules (bench/scancode-floor) at c64: what its procedure floor costs mariadbd when it
    # runs under a ScanCode's load (its CALLs in the text protocol, between the gateway's round trips).
    bare = _by_concurrency(floor.get("scancode_floor"), GOAL_POINT[1])
    bare_cpu = bare["cpu_ms_per_request"] if bare else {}
    bare_db = bare_cpu.get("mariadbd")
    if bare:
        goals.append(_floor_row(1, "floor: mariadbd CPU per ScanCode without rules (bench/scancode-floor, c64) ÷ "
                                   "minimal durable pair (c64)",
                                bare_db / pair64 if bare_db and pair64 else None,
                                f"{_fmt(bare_db, 3)} ms ÷ {_fmt(pair64, 3)} ms; ThreePay's mariadbd per ScanCode ÷ "
                                f"this floor {_fmt(cpu['mariadbd'] / bare_db if bare_db and cpu.get('mariadbd') else None, 2)}"))
    goals += round_goal_rows(data, 1)

    # Goal 2: the responder's CPU against the one thing it cannot skip, a signature and a verification.
    crypto = 1000 / one["sign_per_s"] + 1000 / one["verify_per_s"] \
        if one.get("sign_per_s") and one.get("verify_per_s") else None
    value = cpu["responder"] / crypto if cpu.get("responder") is not None and crypto else None
    goals.append(_goal(2, "responder CPU per ScanCode (c64, 0 ms) ÷ one RSA-2048 sign + verify on one core ≤ 1.6",
                       value, "<=", f"{_fmt(cpu.get('responder'), 3)} ms ÷ {_fmt(crypto, 3)} ms"))
    # Its floor: the crypto plus the responder's cheapest request, the health route (one FastCGI trip, one
    # procedure CALL, one envelope). A ScanCode does all of that and more: a second CALL, the gateway's HTTP
    # round trip, the request's body and the gateway's answer to read.
    health = ((floor.get("health") or {}).get("cpu_ms_per_request") or {}).get("responder")
    least = crypto + health if crypto and health is not None else None
    goals.append(_floor_row(2, "floor: (sign + verify + the responder's CPU per health request, "
                               f"c{(data.get('settings') or {}).get('health_concurrency', '?')}) ÷ (sign + verify)",
                            least / crypto if least else None,
                            f"({_fmt(crypto, 3)} + {_fmt(health, 3)} ms) ÷ {_fmt(crypto, 3)} ms; what a ScanCode "
                            f"adds to it: {_fmt(cpu['responder'] - least if least and cpu.get('responder') else None, 3)}"
                            f" ms"))
    # The ScanCode without rules: a ScanCode's trips and crypto on the same C libraries, without ThreePay.
    bare_responder = bare_cpu.get("scancode_floor")
    if bare:
        goals.append(_floor_row(2, "floor: CPU per ScanCode without rules (bench/scancode-floor, c64) ÷ (sign + verify)",
                                bare_responder / crypto if bare_responder and crypto else None,
                                f"{_fmt(bare_responder, 3)} ms ÷ {_fmt(crypto, 3)} ms; ThreePay's responder ÷ this "
                                f"floor {_fmt(cpu['responder'] / bare_responder if bare_responder and cpu.get('responder') else None, 2)}"))
    goals += round_goal_rows(data, 2)

    # Goal 3: capacity with the gateway off this box, against the baseline's.
    now = baseline_figures(data)
    base = data.get("baseline")
    value, detail = None, "no c64 / 0 ms point or no RSA floor in this run" if now is None else "no baseline"
    # A baseline measured on this machine in this run is compared as it is; another day's report (another
    # machine, perhaps) per one-core signing rate of each box.
    same_box = bool(base and base.get("this_run"))

    def against_baseline(per_s, sign_per_s):
        """A capacity ÷ the baseline's: as they are from this machine, else each per its box's one-core sign/s."""
        if same_box:
            return per_s / base["capacity_per_s"]
        return (per_s / sign_per_s) / (base["capacity_per_s"] / base["sign_per_s_one_core"]) if sign_per_s else None

    if now and base:
        norm_now = now["capacity_per_s"] / now["sign_per_s_one_core"]
        norm_base = base["capacity_per_s"] / base["sign_per_s_one_core"]
        plain = now["capacity_per_s"] / base["capacity_per_s"]
        value = against_baseline(now["capacity_per_s"], now["sign_per_s_one_core"])
        source = (f"commit {(base.get('commit') or '?')[:7]}, measured in this run: {_baseline_measurements(base)}"
                  if same_box else base["report"])
        detail = (f"{_fmt(now['capacity_per_s'], 0)} ScanCode/s here ({now['cpus']} cores ÷ "
                  f"{_fmt(now['cpu_ms_total'], 3)} ms) beside the baseline's {_fmt(base['capacity_per_s'], 0)} "
                  f"ScanCode/s ({base['cpus']} cores ÷ {_fmt(base['cpu_ms_total'], 3)} ms, {source}); "
                  + (f"per one-core sign/s, {norm_now / norm_base:.2f}×" if same_box else
                     f"per one-core sign/s: {norm_now:.4f} here ({_fmt(now['sign_per_s_one_core'], 0)} sign/s) "
                     f"against {norm_base:.4f} ({_fmt(base['sign_per_s_one_core'], 0)} sign/s); unnormalised ratio "
                     f"{plain:.2f}×"))
    label = ("capacity with the gateway off this box ÷ the baseline's on this box ≥ 2" if same_box else
             "capacity with the gateway off this box ÷ baseline's, both ÷ one-core sign/s ≥ 2")
    goals.append(_goal(3, label, value, ">=", detail))
    # Its floor: the capacity of the ScanCode without rules (its own CPU in the responder's place), against the
    # same baseline the same way.
    cores = (data.get("machine") or {}).get("cpus")
    bare_per_s, bare_ms = capacity(dict(bare_cpu, responder=bare_responder), cores) if bare else (None, None)
    if bare:
        goals.append(_floor_row(3, "floor: capacity of the ScanCode without rules (bench/scancode-floor, c64) ÷ the "
                                   "baseline's, as above",
                                against_baseline(bare_per_s, one.get("sign_per_s")) if bare_per_s and base else None,
                                f"{_fmt(bare_per_s, 0)} ScanCode/s ({cores} cores ÷ "
                                f"{_fmt(bare_ms, 3)} ms: scancode-floor {_fmt(bare_responder, 3)} + mariadbd "
                                f"{_fmt(bare_db, 3)} + nginx {_fmt(bare_cpu.get('nginx'), 3)})", ">="))

    # Goal 4: latency at c1 against the sum of its floors.
    c1, c16 = point(data, 0, 1), point(data, 0, 16)
    hello1 = _by_concurrency(floor.get("fastcgi_hello"), 1)
    pair1 = (_by_concurrency(pairs, 1) or {}).get("ms_per_pair_per_client")
    p50 = c1["median"]["latency_ms"]["p50"] if c1 else None
    sign_ms = 1000 / one["sign_per_s"] if one.get("sign_per_s") else None
    hello_p50 = hello1["latency_ms"]["p50"] if hello1 else None
    floors = sign_ms + pair1 + hello_p50 if None not in (sign_ms, pair1, hello_p50) else None
    latencies = "; ".join(
        f"c{c}: p50 {_fmt(e['median']['latency_ms']['p50'], 2)} ms, p99 {_fmt(e['median']['latency_ms']['p99'], 2)} ms"
        for c, e in ((1, c1), (16, c16)) if e)
    # At c1 every step waits for the one before, the sandbox's own work (which the floors leave out: it stands
    # in for Alipay's machines) included.
    gateway = c1["median"]["cpu_ms_per_request"].get("sandbox") if c1 else None
    without = (f"; the sandbox's CPU per ScanCode at c1 is {_fmt(gateway, 3)} ms of it, and p50 less that is "
               f"{(p50 - gateway) / floors:.2f}× the floors") if None not in (p50, gateway, floors) else ""
    goals.append(_goal(4, "ScanCode p50 at c1, 0 ms ÷ (sign + 2 minimal durable commits + FastCGI hello p50, c1) ≤ 1.5",
                       p50 / floors if p50 is not None and floors else None, "<=",
                       f"{_fmt(p50, 2)} ms ÷ ({_fmt(sign_ms, 3)} + 2 × {_fmt(pair1 / 2 if pair1 else None, 3)} + "
                       f"{_fmt(hello_p50, 3)} = {_fmt(floors, 3)} ms){without}; "
                       f"{latencies or 'no 0 ms points at c1 or c16'}"))
    # Its floor: the ScanCode without rules at c1, against the same floors (it has the same gateway trip, and the
    # same sandbox behind it).
    bare1 = _by_concurrency(floor.get("scancode_floor"), 1)
    if bare1:
        bare_p50 = bare1["latency_ms"]["p50"]
        goals.append(_floor_row(4, "floor: ScanCode without rules (bench/scancode-floor) p50 at c1 ÷ the same floors",
                                bare_p50 / floors if bare_p50 and floors else None,
                                f"{_fmt(bare_p50, 2)} ms ÷ {_fmt(floors, 3)} ms; ThreePay's p50 ÷ this floor's "
                                f"{_fmt(p50 / bare_p50 if p50 and bare_p50 else None, 2)}"))
    goals += round_goal_rows(data, 4)
    return goals


def goal_lines(data):
    goals = data.get("goals") or evaluate_goals(data)
    return [f"{g['status'].upper():<12} goal {g['goal']}: {g['label']}: "
            f"{'–' if g['value'] is None else format(g['value'], '.2f')}  ({g['detail']})" for g in goals]


# Above this share of the CPUs used by processes outside the stack and wrk during a point, the run was not quiet.
QUIET_OTHERS_PCT = 5


def machine_note(data):
    """Whether the machine was quiet during the points: the "others" share of its CPUs, lowest to highest."""
    others = sorted(e["median"]["cpu_ms_per_request"].get("others_busy_pct") for e in data.get("points", [])
                    if e["median"]["cpu_ms_per_request"].get("others_busy_pct") is not None)
    if not others:
        return None
    quiet = others[-1] <= QUIET_OTHERS_PCT
    middle = others[len(others) // 2]
    text = (f"The machine was {'quiet' if quiet else 'NOT quiet'}: processes outside the stack and wrk used "
            f"{_fmt(others[0])}–{_fmt(others[-1])} % of its CPUs during the points (median {_fmt(middle)} %; load "
            f"average at the start {data['machine'].get('load_average_at_start')}).")
    if not quiet:
        text += (" Throughput and latency moved with that load; CPU per request moves less. Compare with a run on "
                 "an idle machine before drawing conclusions.")
    return text


def headline(data):
    """The report's headline: capacity with the gateway off this box, beside the baseline's."""
    now, base = baseline_figures(data), data.get("baseline")
    if now is None:
        return None
    text = (f"Capacity with the gateway off this box: {_fmt(now['capacity_per_s'], 0)} ScanCode/s "
            f"({now['cpus']} cores ÷ responder + mariadbd + nginx {_fmt(now['cpu_ms_total'], 3)} ms CPU per ScanCode "
            f"at c64, 0 ms)")
    if base and base.get("this_run"):
        when = (f"just before and again after ({_fmt(base['before']['capacity_per_s'], 0)} and "
                f"{_fmt(base['after']['capacity_per_s'], 0)} ScanCode/s)" if base.get("after") else "just before")
        text += (f"; baseline {_fmt(base['capacity_per_s'], 0)} ScanCode/s ({_fmt(base['cpu_ms_total'], 3)} ms), "
                 f"commit {(base.get('commit') or '?')[:7]} measured on this machine {when}: "
                 f"{now['capacity_per_s'] / base['capacity_per_s']:.2f}×")
    elif base:
        text += (f"; baseline {_fmt(base['capacity_per_s'], 0)} ScanCode/s ({base['report']}, another box: compare "
                 "them by goal 3's ratio)")
    return text


def hostile_rows(data):
    """The normal request, then each hostile body: responder CPU and client time per request, and both as ratios
    to the normal request's."""
    hostile = data.get("hostile")
    if not hostile:
        return None
    header = ["body", "bytes", "answers", "requests", "responder CPU ms/req", "× normal", "ms/req", "× normal",
              "p99 ms"]
    normal = hostile["normal"]
    answers = lambda entry: ", ".join(f"{k}: {v}" for k, v in sorted(entry["answers"].items()))  # noqa: E731
    rows = [["normal ScanCode, JSON (database and gateway)", "–", answers(normal), _fmt(normal["requests"]),
             _fmt(normal["responder_cpu_ms_per_request"], 3), "1", _fmt(normal["ms_per_request"], 3), "1",
             _fmt(normal["p99_ms"], 2)]]
    for kind in hostile["kinds"]:
        shown = answers(kind) + ("" if kind["as_expected"] else f" (expected {kind['expected']} only)")
        if kind["records"]:
            shown += f", {kind['records']} RECORDS WRITTEN"
        rows.append([kind["label"], _fmt(kind["bytes"]), shown, _fmt(kind["requests"]),
                     _fmt(kind["responder_cpu_ms_per_request"], 3), _fmt(kind["cpu_ratio"], 2),
                     _fmt(kind["ms_per_request"], 3), _fmt(kind["time_ratio"], 2), _fmt(kind["p99_ms"], 2)])
    return header, rows


def hostile_intro(data):
    hostile = data["hostile"]
    normal = hostile["normal"]
    return (f"One client, requests one after another through nginx for {hostile['seconds']} s per line. Each hostile "
            f"body is the largest of its kind the responder reads in full (under the {hostile['body_limit']:,}-byte "
            "body limit, at the caps of 64 attributes per XML element, 1,000 elements, 256 members, values or "
            "fields, depth 32) and lacks the amount, so it is read whole and answered 1002 without the database; "
            "the probe's body is refused at its 65th attribute (1001). Ratios are to the normal request "
            f"({normal['ok']} answered OK, {normal['records']} records).")


# How perf names the stack's processes (comm is cut to 15 characters) and what a library's share means.
PROFILE_PROCESSES = {"threepay": "responder", "threepay-sandbo": "sandbox", "mariadbd": "mariadbd",
                     "nginx": "nginx", "wrk": "wrk", "scancode-floor": "scancode-floor"}
# perf names a sample by its thread: the responder's background threads name themselves threepay-bg-n (one per
# THREEPAY_CALLBACK_POSTERS).
RESPONDER_THREAD_PREFIX = "threepay-bg-"


def profile_process(comm):
    """The stack's process a perf sample's thread name stands for ("others" outside the stack)."""
    return "responder" if comm.startswith(RESPONDER_THREAD_PREFIX) else PROFILE_PROCESSES.get(comm, "others")


def floor_profile(data):
    """The profile of the ScanCode without rules (bench/scancode-floor at c64), when the run made one."""
    run = _by_concurrency((data.get("floor") or {}).get("scancode_floor"), PROFILE_CONCURRENCY)
    return (run or {}).get("profile")


def profile_rows(data, prof=None):
    """Shares of all CPU samples during a profile run (the ScanCode's unless `prof` is given), by process, then
    by library within it."""
    prof = prof or data.get("profile")
    if not prof or not prof.get("shares"):
        return None
    by_process = {}
    for share in prof["shares"]:
        name = profile_process(share["process"])
        by_process.setdefault(name, []).append(share)
    header = ["process", "share of CPU", "of it: largest libraries"]
    rows = []
    for name, shares in sorted(by_process.items(), key=lambda item: -sum(s["percent"] for s in item[1])):
        total = sum(s["percent"] for s in shares)
        libraries = {}
        for share in shares:
            library = "kernel" if share["library"].startswith("[kernel") else share["library"]
            libraries[library] = libraries.get(library, 0) + share["percent"]
        top = sorted(libraries.items(), key=lambda item: -item[1])[:4]
        rows.append([name, f"{total:.1f} %", ", ".join(f"{lib} {pct:.1f} %" for lib, pct in top)])
    return header, rows


def floor_profile_intro(data):
    prof = floor_profile(data)
    return (f"`perf record -a` for {prof['record_seconds']} s during the ScanCode without rules at "
            f"c{prof['concurrency']} with {prof['gateway_latency_ms']} ms gateway latency "
            f"({_fmt(prof['requests_per_s'], 0)} req/s), as above: what is left of a ScanCode when nothing of "
            "ThreePay runs, only the C libraries it is built on.")


def profile_intro(data):
    prof = data["profile"]
    return (f"`perf record -a` for {prof['record_seconds']} s during ScanCode at c{prof['concurrency']} with "
            f"{prof['gateway_latency_ms']} ms gateway latency ({_fmt(prof['requests_per_s'], 0)} req/s, reconciled "
            f"{'exact' if prof['reconciled_exact'] else 'NOT exact'}); samples of 0.5 % and more, by process and "
            "library. libcrypto in the responder and the sandbox is RSA signing; mariadbd is the procedures.")


def _text_table(header, rows):
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)] if rows else [len(h) for h in header]
    line = lambda cells: "  ".join(str(c).rjust(w) for c, w in zip(cells, widths))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out)


def table(data):
    """The plain-text summary printed at the end of a run."""
    parts = []
    if headline(data):
        parts += [headline(data), ""]
    if machine_note(data):
        parts += [machine_note(data), ""]
    parts.append("ScanCode (medians of %d × %d s after %d s warm-up)" % (
        data["settings"]["repetitions"], data["settings"]["seconds_per_point"], data["settings"]["warmup_seconds"]))
    parts.append(_text_table(*point_rows(data)))
    parts.append("\nCPU per request by process (medians)")
    parts.append(_text_table(*cpu_rows(data)))
    rows = hostile_rows(data)
    if rows:
        parts.append("\nHostile bodies against a normal request (" + hostile_intro(data) + ")")
        parts.append(_text_table(*rows))
    rows = profile_rows(data)
    if rows:
        parts.append("\nWhere the CPU goes (" + profile_intro(data) + ")")
        parts.append(_text_table(*rows))
    floor_prof = floor_profile(data)
    rows = profile_rows(data, floor_prof) if floor_prof else None
    if rows:
        parts.append("\nWhere the CPU goes in the ScanCode without rules (" + floor_profile_intro(data) + ")")
        parts.append(_text_table(*rows))
    parts.append("\nFloor")
    parts += ["  " + line for line in floor_lines(data)]
    rows = round_rows(data)
    if rows:
        parts.append("\nPaired rounds (" + rounds_intro(data) + ")")
        parts.append(_text_table(*rows))
        parts.append("\nPaired rounds at c1, CPU per request by process (" + ROUND_C1_INTRO + ")")
        parts.append(_text_table(*round_c1_rows(data)))
    parts.append("\nGoals (ratios to the floor of this run)")
    parts += ["  " + line for line in goal_lines(data)]
    parts.append("\nTargets")
    for target in data.get("targets") or evaluate_targets(data):
        parts.append(f"  {target['status']:<12} {target['target']}  (measured: {_fmt(target['value'])})")
    return "\n".join(parts)


def markdown(data):
    settings, machine = data["settings"], data["machine"]
    versions = machine["versions"]
    out = [f"# ThreePay ScanCode benchmark — {data['started_at']}", ""]
    cluster = settings.get("cluster")
    if cluster:
        out += [f"**Cluster** (`BENCH_CLUSTER=1`, scripts/cluster.sh): {cluster['responders']} responders behind one "
                f"nginx upstream, a Galera cluster of {cluster['nodes']} nodes, all on this one machine. This measures "
                "what the cluster costs (replication, certification, causal reads), not how it scales: every "
                "process shares the same cores. \"responder\" and \"mariadbd\" add up every responder and node.", ""]
    if not settings.get("issue_defaults"):
        out += ["**Custom settings** (not the issue's method: 20 s × 3 repetitions, 5 s warm-up, "
                "c1/16/64/256 × 0/50 ms): numbers are indicative only.", ""]
    if headline(data):
        out += [f"**{headline(data)}**", ""]
    if machine_note(data):
        out += [machine_note(data), ""]
    out += ["## Goals", "", "Each goal is a ratio of a ScanCode figure to a floor measured in the same run "
            "(bench/README.md, \"Goals\").", "", "| goal | ratio | status | figures |", "|---|---:|---|---|"]
    for goal in data.get("goals") or evaluate_goals(data):
        out.append(f"| {goal['goal']}: {goal['label']} | "
                   f"{'–' if goal['value'] is None else format(goal['value'], '.2f')} | {goal['status']} | "
                   f"{goal['detail']} |")
    out += ["", "## Targets", "", "| target | measured | status |", "|---|---:|---|"]
    for target in data.get("targets") or evaluate_targets(data):
        out.append(f"| {target['target']} | {_fmt(target['value'])} | {target['status']} |")
    out += ["", "## ScanCode", "",
            f"Medians of {settings['repetitions']} repetitions × {settings['seconds_per_point']} s, each point after "
            f"a {settings['warmup_seconds']} s warm-up; errors and errcode≠0 are totals over the repetitions, RSS is "
            "the highest peak. CPU is per answered request; \"stack\" adds responder, sandbox, mariadbd, nginx and wrk.",
            "", _md_table(*point_rows(data)), "", "### CPU per request by process", "",
            "\"of it others\": the share of the machine's CPU used by processes outside the stack and wrk "
            "during the point (other users of a shared machine); above a few percent the point is noisy.", "",
            _md_table(*cpu_rows(data)),
            "", "### Reconciliation (every repetition)", "",
            "ok answers = records of answered bills (all QR_ISSUED); all records = sandbox trades (same "
            "out_trade_no set, one precreate each). Bills in flight when wrk stopped are listed by number and "
            "counted apart.", "", _md_table(*reconciliation_rows(data)), ""]
    failures = {}
    for entry in data.get("points", []):
        for rep in entry["repetitions"]:
            for key, count in rep["failures"].items():
                failures[key] = failures.get(key, 0) + count
    if failures:
        out += ["Failed answers by HTTP status / errcode: "
                + ", ".join(f"{k}: {v}" for k, v in sorted(failures.items())), ""]
    out += ["## Floor", ""] + [f"- {line}" for line in floor_lines(data)] + [""]
    rows = round_rows(data)
    if rows:
        out += ["## Paired rounds", "", rounds_intro(data), "", _md_table(*rows), "", "### At c1, CPU per request by "
                "process", "", ROUND_C1_INTRO + ".", "", _md_table(*round_c1_rows(data)), ""]
    rows = hostile_rows(data)
    if rows:
        out += ["## Hostile bodies against a normal request", "", hostile_intro(data), "", _md_table(*rows), ""]
    rows = profile_rows(data)
    if rows:
        out += ["## Where the CPU goes", "", profile_intro(data), "", _md_table(*rows), ""]
    floor_prof = floor_profile(data)
    rows = profile_rows(data, floor_prof) if floor_prof else None
    if rows:
        out += ["## Where the CPU goes in the ScanCode without rules", "", floor_profile_intro(data), "",
                _md_table(*rows), ""]
    out += ["## Machine and versions", "",
            f"- CPU: {machine['cpu_model']} × {machine['cpus']}; memory {machine['memory_mb']} MB; "
            f"{machine['os']}, kernel {machine['kernel']}; load average at start {machine['load_average_at_start']}",
            f"- ThreePay commit {versions.get('threepay_commit')} (working tree not checked), build "
            f"{settings['build_config']}",
            f"- {versions.get('swift')}", f"- {versions.get('nginx')}", f"- MariaDB {versions.get('mariadb')} "
            f"({', '.join(f'{k}={v}' for k, v in machine['mariadb_settings'].items())})",
            f"- {versions.get('openssl')}", f"- {versions.get('wrk')}",
            f"- {versions.get('libfcgi')}, {versions.get('libcurl')}, {versions.get('libmariadb')}, "
            f"python {versions.get('python')}",
            "", "## Settings", "",
            f"- responder workers {settings['responder_workers']} (gateway seats "
            f"{settings.get('gateway_concurrency', '3/4 of the workers')}, busy wait "
            f"{settings.get('busy_wait_ms', 1000)} ms), sandbox workers {settings['sandbox_workers']}, "
            f"wrk threads {settings['wrk_threads']} (timeout {settings['wrk_timeout_s']} s), port {settings['http_port']}",
            f"- floor: {settings['floor_seconds']} s per measurement, health at c{settings['health_concurrency']}, "
            f"CALLs and minimal pairs at concurrency {settings['call_concurrency']}, FastCGI hello at "
            f"c{settings.get('hello_concurrency')} ({settings.get('hello_threads')} threads)",
            f"- nginx → responder: "
            + (f"fastcgi_keep_conn on, upstream keepalive {settings.get('upstream_keepalive')} per nginx worker"
               if settings.get("keep_conn") else "a new connection per request (fastcgi_keep_conn off)"),
            f"- environment: {settings['environment'] or '(issue defaults)'}",
            *([f"- paired rounds: {settings['rounds'] or 'none (BENCH_ROUNDS=0 or BENCH_FLOOR=0)'}"
               + (f", {settings['round_seconds']} s per run" if settings["rounds"] else "")] if "rounds" in settings
              else []),
            f"- responder lifetime peak RSS {data.get('responder_lifetime_peak_rss_mb')} MB; raw wrk output in "
            f"{data.get('raw_dir')} (not committed)", ""]
    return "\n".join(out)


def main(argv):
    import signal
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends quietly
    as_markdown = "--markdown" in argv
    paths = [a for a in argv if not a.startswith("--")]
    if len(paths) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with open(paths[0]) as handle:
        data = json.load(handle)
    print(markdown(data) if as_markdown else table(data))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

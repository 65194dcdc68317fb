"""The hostile-body line of ThreePay's benchmark (python3 standard library only; run by bench/bench.py).

Each kind of hostile body is built as large as the responder still reads it in full: just under the body
limit (64 KiB), at the caps of `DecodingLimits` (64 attributes per XML element, 1,000 elements per XML
document, 256 members per object, values per array and fields per form, depth 32). Each carries a bill
without its amount, so it is read whole and then refused by validation (1002) without touching the database
or the gateway: what it costs is the reading. The probe's body (5,400 attributes on the XML root, which cost
160 ms before the readers were made linear) is measured too; it is refused at the 65th attribute (1001).

One client sends each kind for a few seconds, one request after another on a kept-alive connection through
nginx, after a normal ScanCode (JSON, a new bill each time, the whole path: database and gateway) has been
measured the same way. The responder's CPU (from /proc) and the client's time per request are reported, and
their ratios to the normal request's.
"""

import http.client
import json
import os
import statistics
import struct
import time

SCANCODE = "/api/3Pay/AliPay/ScanCode"
CLK_TCK = os.sysconf("SC_CLK_TCK")
# Every valid member but the amount: such a body is read in full, then answered 1002 (paymentvalue required).
NO_AMOUNT = [("billnum", None), ("billtype", "1"), ("body", "Bench ticket"), ("paytype", "01")]


def _members(billnum):
    return [(name, billnum if value is None else value) for name, value in NO_AMOUNT]


def _fill(head, piece, tail, limit, count=None):
    """head + as many pieces (piece(i) for i = 0, 1, …) as fit under `limit` bytes with tail, at most `count`."""
    parts, size, index = [head], len(head) + len(tail), 0
    while count is None or index < count:
        next_piece = piece(index)
        if size + len(next_piece) > limit:
            break
        parts.append(next_piece)
        size += len(next_piece)
        index += 1
    parts.append(tail)
    return b"".join(parts)


def xml_attributes(billnum, limit):
    """Members, then empty elements each with the 64 attributes an element may have, up to the body limit."""
    attributes = "".join(f' a{i}="x"' for i in range(64))
    head = "<AliScanCodeParm>" + "".join(f"<{n}>{v}</{n}>" for n, v in _members(billnum))
    return _fill(head.encode(), lambda i: f"<u{attributes}/>".encode(), b"</AliScanCodeParm>", limit, count=995)


def xml_probe(billnum, limit):
    """The issue's probe: 5,400 attributes on the root (53 KB), now refused at the 65th."""
    attributes = "".join(f' a{i}="x"' for i in range(5400))
    members = "".join(f"<{n}>{v}</{n}>" for n, v in _members(billnum))
    return f"<AliScanCodeParm{attributes}>{members}</AliScanCodeParm>".encode()


def json_members(billnum, limit):
    """Root members, then objects of 256 members each (the most an object may hold), up to the body limit."""
    inner = "{" + ",".join(f'"u{i}":1' for i in range(256)) + "}"
    head = "{" + ",".join(f'"{n}":"{v}"' for n, v in _members(billnum))
    return _fill(head.encode(), lambda i: f',"x{i}":{inner}'.encode(), b"}", limit, count=256 - len(NO_AMOUNT))


def json_depth(billnum, limit):
    """Root members, then arrays of towers 32 levels deep (the root is level 1), up to the body limit."""
    tower = "[" * 30 + "]" * 30
    head = "{" + ",".join(f'"{n}":"{v}"' for n, v in _members(billnum))

    def member(index):
        return f',"x{index}":[' + ",".join([tower] * 256) + "]"

    body = _fill(head.encode(), lambda i: member(i).encode(), b"", limit - 1)
    # The rest of the room: one more array with as many towers as fit.
    room = limit - len(body) - len(',"y":[]}')
    count = max(0, min(256, (room + 1) // (len(tower) + 1)))
    return body + (',"y":[' + ",".join([tower] * count) + "]}").encode()


def form_fields(billnum, limit):
    """The 256 fields a form may hold, values percent-encoded UTF-8 filling the body limit."""
    head = "&".join(f"{n}={v.replace(' ', '+')}" for n, v in _members(billnum))
    fields = 256 - len(NO_AMOUNT)
    escape = "%E9%97%A8"
    per_field = (limit - len(head) - fields * len("&u000=")) // fields
    value = escape * (per_field // len(escape))
    return (head + "".join(f"&u{i}={value}" for i in range(fields))).encode()


def _bson_document(elements):
    body = b"".join(elements)
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


def _bson_string(key, text):
    data = text.encode()
    return b"\x02" + key.encode() + b"\x00" + struct.pack("<i", len(data) + 1) + data + b"\x00"


def _bson_int32(key, value):
    return b"\x10" + key.encode() + b"\x00" + struct.pack("<i", value)


def bson_size(billnum, limit):
    """Members, then embedded documents of 256 int32 members each, as large as the body limit allows."""
    members = [_bson_string(n, v) for n, v in _members(billnum)]
    inner = _bson_document([_bson_int32(f"u{i}", 1) for i in range(256)])
    room = limit - len(_bson_document(members))
    embedded = [b"\x03" + f"x{i}".encode() + b"\x00" + inner for i in range(256 - len(members))]
    while embedded and sum(map(len, embedded)) > room:
        embedded.pop()
    return _bson_document(members + embedded)


# (key, label, Content-Type, builder, expected errcode)
KINDS = [
    ("xml_attributes", "XML, 64 attributes on each of ~100 elements", "application/xml", xml_attributes, "1002"),
    ("json_members", "JSON, objects of 256 members", "application/json", json_members, "1002"),
    ("form_fields", "form, 256 fields of escaped UTF-8", "application/x-www-form-urlencoded", form_fields, "1002"),
    ("json_depth", "JSON, arrays of towers 32 deep", "application/json", json_depth, "1002"),
    ("bson_size", "BSON, documents of 256 members", "application/bson", bson_size, "1002"),
    ("xml_probe", "XML, the probe's 5,400 root attributes", "application/xml", xml_probe, "1001"),
]


def _normal_body(billnum, index):
    fen = (index * 7919) % 9999 + 1
    return json.dumps({"billnum": billnum, "billtype": "1", "body": "Bench ticket", "paytype": "01",
                       "paymentvalue": f"{fen // 100}.{fen % 100:02d}"}).encode()


def _cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _run(port, responder, seconds, next_request):
    """Sends next_request(i) → (Content-Type, body) one after another for `seconds`; what it cost."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times, errcodes = [], {}
    cpu_before = _cpu_ticks(responder)
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        content_type, body = next_request(len(times))
        sent = time.monotonic()
        connection.request("POST", SCANCODE, body, {"Content-Type": content_type, "Accept": "application/json"})
        answer = connection.getresponse()
        answer.read()
        times.append(time.monotonic() - sent)
        code = f"{answer.status}/{answer.getheader('X-ThreePay-Errcode')}"
        errcodes[code] = errcodes.get(code, 0) + 1
    cpu = (_cpu_ticks(responder) - cpu_before) / CLK_TCK
    connection.close()
    ordered = sorted(times)
    return {
        "requests": len(times),
        "answers": errcodes,
        "responder_cpu_ms_per_request": round(cpu * 1000 / len(times), 4),
        "ms_per_request": round(statistics.mean(times) * 1000, 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 3),
    }


def measure(port, responder, seconds, token, limit, count_records, log):
    """The normal request, then every hostile kind; each entry carries its ratios to the normal request."""
    prefix = f"N{token}"
    log(f"hostile bodies: a normal ScanCode, one client, {seconds} s")
    normal = _run(port, responder, seconds,
                  lambda i: ("application/json", _normal_body(f"{prefix}{i}", i)))
    normal["records"] = count_records(prefix)
    normal["ok"] = normal["answers"].get("200/0", 0)
    results = {"seconds": seconds, "body_limit": limit, "normal": normal, "kinds": []}
    for index, (key, label, content_type, build, expected) in enumerate(KINDS):
        billnum = f"H{token}{index}"
        body = build(billnum, limit)
        log(f"hostile bodies: {label} ({len(body):,} bytes), one client, {seconds} s")
        entry = _run(port, responder, seconds, lambda i: (content_type, body))
        entry.update({
            "key": key, "label": label, "content_type": content_type, "bytes": len(body),
            "expected": f"200/{expected}",
            "as_expected": set(entry["answers"]) == {f"200/{expected}"},
            "records": count_records(billnum),
            "cpu_ratio": _ratio(entry["responder_cpu_ms_per_request"], normal["responder_cpu_ms_per_request"]),
            "time_ratio": _ratio(entry["ms_per_request"], normal["ms_per_request"]),
        })
        results["kinds"].append(entry)
    return results


def _ratio(value, base):
    return round(value / base, 3) if base else None

#!/usr/bin/env python3
"""Writes ThreePay's BSON fixtures with PyMongo's `bson` package (a BSON implementation independent of the
libbson that ThreePay uses). Run it through scripts/make-bson-fixtures.sh, which installs PyMongo into a
throw-away virtual environment.

- "requests": request bodies encoded by PyMongo, with what ThreePay must read from them: each member's
  text, the amount in fen when the bill is valid, or the errcode and a piece of the errmsg when it is not.
- "answers": envelopes as PyMongo encodes them (errcode int32, errmsg string or null, tag an embedded
  document or null, members in JSON's order); ThreePay's writer must produce the same bytes.

The two byte vectors of the legacy-compatibility notes (section 7) are checked first: PyMongo must
reproduce them, which shows these fixtures are made the way the original Json.NET BsonWriter wrote.

It also writes nginx/errors/<errcode>.bson, the BSON form of each envelope nginx answers with itself, from
the JSON file beside it (EdgeEnvelopeTests checks that each is what ThreePay writes).
"""

import datetime
import json
import sys
from pathlib import Path

import bson
import pymongo
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.son import SON

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "Tests" / "ContentNegotiationTests" / "Fixtures" / "bson-vectors.json"
NGINX_ERRORS = REPO / "nginx" / "errors"

LEGACY_SUCCESS = (
    "59000000 10 657272636f646500 00000000 02 6572726d736700 03000000 4f4b00 03 74616700 33000000 02 62696c6c6e756d00 "
    "03000000 423100 02 6175746f696400 03000000 343200 02 636f646575726c00 02000000 7500 00 00"
)
LEGACY_ERROR = "24000000 10 657272636f646500 01000000 02 6572726d736700 01000000 00 0a 74616700 00"


def encode(pairs):
    """One document with the members in the given order (SON keeps the order; it cannot repeat a key, see
    `with_repeats`)."""
    return bson.encode(SON(pairs))


def with_repeats(pairs):
    """A document whose members may repeat a key: each member is encoded alone and the element bytes are
    concatenated under one length (PyMongo itself never writes a repeated key)."""
    elements = b"".join(bson.encode(SON([pair]))[4:-1] for pair in pairs)
    return (len(elements) + 5).to_bytes(4, "little") + elements + b"\x00"


def bill(**changes):
    members = [("billnum", "B1"), ("billtype", "2"), ("body", "门票"), ("paytype", "01"), ("paymentvalue", 5.0)]
    members = [(name, changes.pop(name, value)) for name, value in members]
    return members + list(changes.items())


def request(name, body, fields=None, fen=None, errcode=0, message=None, schema="scancode"):
    case = {"name": name, "schema": schema, "bson": body.hex(), "errcode": errcode}
    if fields is not None:
        case["fields"] = fields
    if fen is not None:
        case["fen"] = fen
    if message is not None:
        case["message"] = message
    return case


def requests():
    base = {"billnum": "B1", "billtype": "2", "body": "门票", "paytype": "01"}
    return [
        request("double 0.1 + 0.2 is 0.30", encode(bill(paymentvalue=0.1 + 0.2)), {**base, "paymentvalue": "0.3"}, fen=30),
        request("double 19.99", encode(bill(paymentvalue=19.99)), {"paymentvalue": "19.99"}, fen=1999),
        request("double 100000000.0 (the maximum)", encode(bill(paymentvalue=100000000.0)), {"paymentvalue": "100000000"}, fen=10000000000),
        request("double 0.005 is refused, not rounded", encode(bill(paymentvalue=0.005)), {"paymentvalue": "0.005"},
                errcode=1002, message="at most 2 decimal places"),
        request("double 1e-20 is refused", encode(bill(paymentvalue=1e-20)), {"paymentvalue": "1E-20"},
                errcode=1002, message="at most 2 decimal places"),
        request("double NaN", encode(bill(paymentvalue=float("nan"))), {"paymentvalue": "NaN"},
                errcode=1002, message="The value 'NaN' is not valid for paymentvalue."),
        request("int32 amount", encode(bill(paymentvalue=5)), {"paymentvalue": "5"}, fen=500),
        request("int64 amount", encode(bill(paymentvalue=Int64(12))), {"paymentvalue": "12"}, fen=1200),
        request("negative int32 amount", encode(bill(paymentvalue=-1)), errcode=1002, message="must be greater than 0"),
        request("string amount with thousands separator", encode(bill(paymentvalue=" 1,000.50 ")),
                {"paymentvalue": " 1,000.50 "}, fen=100050),
        request("boolean amount", encode(bill(paymentvalue=True)), {"paymentvalue": "True"},
                errcode=1002, message="The value 'True' is not valid for paymentvalue."),
        request("null amount", encode(bill(paymentvalue=None)), errcode=1002, message="The paymentvalue field is required."),
        request("missing amount", encode([m for m in bill() if m[0] != "paymentvalue"]),
                errcode=1002, message="The paymentvalue field is required."),
        request("Decimal128 amount is refused as Json.NET refused it", encode(bill(paymentvalue=Decimal128("5.00"))),
                errcode=1001, message="Decimal128"),
        request("Decimal128 inside an unknown member", encode(bill(extra=SON([("a", [Decimal128("1")])]))),
                errcode=1001, message="Decimal128"),
        request("names bind case-insensitively", encode([("BillNum", "B2"), ("BILLTYPE", "3"), ("Body", "x"),
                                                         ("PayType", "02"), ("PaymentValue", 7)]),
                {"billnum": "B2", "billtype": "3", "body": "x", "paytype": "02", "paymentvalue": "7"}, fen=700),
        request("the last repeated member wins, case variants included",
                with_repeats(bill() + [("paymentvalue", 1), ("PaymentValue", 2), ("billnum", "first"), ("BILLNUM", "B9")]),
                {"billnum": "B9", "paymentvalue": "2"}, fen=200),
        request("a later null clears a member", with_repeats(bill() + [("billnum", None)]),
                errcode=1002, message="The billnum field is required."),
        request("unknown members of every kind are ignored",
                encode(bill(x=SON([("y", [1, "a", None, 2.5])]), when=datetime.datetime(2024, 1, 1),
                            oid=bson.ObjectId(b"0123456789ab"), blob=bson.Binary(b"\x00\x01"), flag=False)),
                base, fen=500),
        request("numbers and booleans feed text members", encode(bill(billnum=12345, body=True, detail=1e20, paytype=Int64(1))),
                {"billnum": "12345", "body": "True", "detail": "1E+20", "paytype": "1"}, fen=500),
        request("a document for a member is refused", encode(bill(billnum=SON([("a", "b")]))),
                errcode=1001, message="the member 'billnum' must be a string or a number, not an embedded document."),
        request("an array for a member is refused", encode(bill(body=["a"])),
                errcode=1001, message="the member 'body' must be a string or a number, not an array."),
        request("a date for a member is refused", encode(bill(billnum=datetime.datetime(2024, 1, 1))),
                errcode=1001, message="not a value of BSON type 0x09."),
        request("an empty document", encode([]), errcode=1002, message="The billnum field is required."),
        request("non-ASCII and control characters in text", encode(bill(body="门票 😀\t\u3000", detail="a\rb")),
                {"body": "门票 😀\t\u3000", "detail": "a\rb"}, fen=500),
        request("query by autoid as int64", encode([("autoid", Int64(42))]), {"autoid": "42"}, schema="query"),
        request("query by autoid as double", encode([("autoid", 42.0)]), {"autoid": "42"}, schema="query"),
        request("query by billtype and billnum", encode([("billtype", 2), ("BillNum", "B1")]),
                {"billtype": "2", "billnum": "B1"}, schema="query"),
    ]


def answer(name, errcode, errmsg, tag):
    """`tag` is None or a list of (name, value-or-None) in JSON's member order."""
    # A Python int within 32 bits is written as int32, as the envelope's errcode must be.
    document = SON([("errcode", errcode), ("errmsg", errmsg), ("tag", None if tag is None else SON(tag))])
    return {
        "name": name, "errcode": errcode, "errmsg": errmsg,
        "tag": None if tag is None else [[key, value] for key, value in tag],
        "bson": bson.encode(document).hex(),
    }


def answers():
    scan = lambda billnum, autoid, codeurl: [("billnum", billnum), ("autoid", autoid), ("codeurl", codeurl)]
    query = [("billnum", "门票B1"), ("billtype", "2"), ("autoid", "42"), ("status", "paid"), ("outtradeno", "TP1"),
             ("tradeno", "2024"), ("amount", "5.00"), ("paytime", "2024-06-01 12:00:00"), ("codeurl", None)]
    return [
        answer("legacy success vector", 0, "OK", scan("B1", "42", "u")),
        answer("legacy error vector", 1, "", None),
        answer("validation failure naming no bill", 1002, "The billnum field is required.", None),
        answer("validation failure echoing the bill", 1002, "The paytype field is required.", scan("B7", None, None)),
        answer("issued QR code", 0, "OK", scan("20180101001", "1024", "https://qr.alipay.com/bax03431ljhokirwl38f00a7")),
        answer("query answer with every member", 0, "OK", query),
        answer("null errmsg and a negative errcode", -2, None, None),
        answer("text with NUL, controls, quotes and emoji", 5000, 'a\x00b "c" \\ \n 中文 😀', scan("", "", "\u2028")),
    ]


def main():
    success = bson.encode(SON([("errcode", 0), ("errmsg", "OK"), ("tag", SON([("billnum", "B1"), ("autoid", "42"), ("codeurl", "u")]))]))
    error = bson.encode(SON([("errcode", 1), ("errmsg", ""), ("tag", None)]))
    for made, legacy in [(success, LEGACY_SUCCESS), (error, LEGACY_ERROR)]:
        if made.hex() != legacy.replace(" ", ""):
            sys.exit(f"PyMongo does not reproduce the legacy vector:\n  {made.hex()}\n  {legacy}")
    for case in requests():
        bson.decode(bytes.fromhex(case["bson"]))  # every request is a document PyMongo reads back
    fixtures = {
        "generator": f"PyMongo {pymongo.version} bson (C extension: {bson.has_c()}), scripts/make-bson-fixtures.py",
        "requests": requests(),
        "answers": answers(),
    }
    for source in sorted(NGINX_ERRORS.glob("*.json")):
        envelope = json.loads(source.read_text())
        assert list(envelope) == ["errcode", "errmsg", "tag"] and envelope["tag"] is None, source
        document = SON([("errcode", envelope["errcode"]), ("errmsg", envelope["errmsg"]), ("tag", None)])
        source.with_suffix(".bson").write_bytes(bson.encode(document))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixtures, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(REPO)}: {len(fixtures['requests'])} requests, {len(fixtures['answers'])} answers")


if __name__ == "__main__":
    main()

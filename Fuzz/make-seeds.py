#!/usr/bin/env python3
"""Writes the seed corpora in Fuzz/corpus/<target>/ from the unit tests' inputs, the Alipay fixtures
(Tests/AlipayTests/Fixtures/alipay-vectors.json), the BSON fixtures (Tests/ContentNegotiationTests/Fixtures/
bson-vectors.json) and the legacy API's seed samples.

Each seed starts with the target's selector byte (see the target's entry file). Run from anywhere;
existing seed folders are replaced.
"""
import hashlib
import json
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "Fuzz" / "corpus"
VECTORS = json.loads((ROOT / "Tests/AlipayTests/Fixtures/alipay-vectors.json").read_text())
BSON_VECTORS = json.loads((ROOT / "Tests/ContentNegotiationTests/Fixtures/bson-vectors.json").read_text())

NS = "http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer.Tour.V5.Parm.Pay"

# Indices into `contentTypes` in Fuzz/Targets/body-decoders/BodyDecodersFuzz.swift.
JSON, TEXT_JSON, JSON_UTF8, JSON_GBK, JSON_UTF16, JSON_UTF16BE, JSON_GB18030, ANY = range(8)
XML, TEXT_XML, XML_UTF8, XML_GB2312, XML_UTF16LE, XML_UTF32, XML_BIG5, XML_LATIN1 = range(8, 16)
FORM, FORM_UTF8, FORM_GBK, FORM_CP936, FORM_LATIN1, FORM_SJIS = range(16, 22)
BSON = 27


def u16le(text):
    return text.encode("utf-16-le")


def body_decoder_seeds():
    sample_json = (
        '{\n  "billnum": "B20180101001",\n  "billtype": "2",\n  "body": "sample string 3",\n'
        '  "paytype": "01",\n  "paymentvalue": 5.0,\n  "detail": "sample string 6",\n'
        '  "clientip": "10.0.0.8",\n  "cardno": "sample string 8"\n}'
    ).encode()
    members = (
        "<billnum>B20180101001</billnum><billtype>7</billtype><body>sample string 3</body><cardno>C8</cardno>"
        "<clientip>202.96.128.68</clientip><detail>sample string 6</detail><paymentvalue>5</paymentvalue>"
        "<paytype>01</paytype>"
    )
    sample_xml = (
        f'<AliScanCodeParm xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="{NS}">{members}</AliScanCodeParm>'
    ).encode()
    gbk_json = b'{"billnum":"B1","billtype":"1","body":"' + "门票".encode("gbk") + b'","paytype":"01","paymentvalue":"0.01"}'
    gbk_xml = (
        b'<?xml version="1.0" encoding="GB2312"?><AliScanCodeParm><body>' + "门票".encode("gbk")
        + b"</body><billnum>B1</billnum></AliScanCodeParm>"
    )
    tricky_xml = (
        '<AliScanCodeParm xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><BillNum>wrong case</BillNum>'
        '<billnum> x </billnum><body/><paytype i:nil="true"/><detail><![CDATA[<a & b>]]></detail>'
        "<cardno>a&lt;&#x4E2D;&#25991;&amp;&quot;&apos;</cardno><clientip xmlns=\"urn:other\">1.2.3.4</clientip>"
        "<unknown><deep><er/></deep></unknown><!-- c --><?pi x?></AliScanCodeParm>"
    ).encode()
    doctype = b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><AliScanCodeParm><body>&x;</body></AliScanCodeParm>'
    form = b"billnum=20180101001&billtype=2&body=%E9%97%A8%E7%A5%A8&paytype=01&paymentvalue=0.01&clientip=10.0.0.8"
    bson_requests = {case["name"]: bytes.fromhex(case["bson"]) for case in BSON_VECTORS["requests"]}
    return {
        "bson-double": bytes([BSON]) + bson_requests["double 0.1 + 0.2 is 0.30"],
        "bson-decimal128": bytes([BSON]) + bson_requests["Decimal128 inside an unknown member"],
        "bson-repeats": bytes([BSON]) + bson_requests["the last repeated member wins, case variants included"],
        "bson-kinds": bytes([BSON]) + bson_requests["unknown members of every kind are ignored"],
        "tight-bson": bytes([0x40 | BSON]) + bson_requests["numbers and booleans feed text members"],
        "json-sample": bytes([JSON]) + sample_json,
        "json-escapes": bytes([JSON_UTF8]) + rb'{"detail":"\ud83d\ude00 \u00e9\/","paymentvalue":1e-1,"billnum":12345,"x":{"a":[1,2]}}',
        "json-gbk": bytes([JSON_GBK]) + gbk_json,
        "json-gb18030": bytes([JSON_GB18030]) + b'{"body":"' + bytes([0x81, 0x30, 0x8B, 0x37]) + b'"}',
        "json-utf16-bom": bytes([JSON]) + b"\xff\xfe" + u16le('{"body":"中","paymentvalue":"88.88"}'),
        "json-utf16-nobom": bytes([JSON_UTF16]) + u16le('{"body":"中"}'),
        "json-utf8-bom": bytes([ANY]) + b"\xef\xbb\xbf" + b'{"body":"x"}',
        "json-deep": bytes([JSON]) + b'{"a":' * 20 + b"1" + b"}" * 20,
        "xml-sample": bytes([TEXT_XML]) + sample_xml,
        "xml-tricky": bytes([XML]) + tricky_xml,
        "xml-gb2312": bytes([XML_GB2312]) + gbk_xml,
        "xml-utf16": bytes([XML_UTF16LE]) + u16le(f'<?xml version="1.0" encoding="utf-16"?><AliScanCodeParm><body>中</body></AliScanCodeParm>'),
        "xml-doctype": bytes([XML_UTF8]) + doctype,
        "form-sample": bytes([FORM_UTF8]) + form,
        "form-gbk": bytes([FORM_GBK]) + b"body=%C3%C5%C6%B1&detail=" + bytes([0xD6, 0xD0, 0xCE, 0xC4]) + b"&paymentvalue=5e2",
        "form-odd": bytes([FORM]) + b"BillNum=a+b&billnum=second&paytype=&paytype=01&body=100%&detail=%zz%4&cardno=x%2By&parm[billtype]=1",
        "form-latin1": bytes([FORM_LATIN1]) + b"body=caf\xe9&paymentvalue=1%2C000",
        "tight-json": bytes([0x40 | JSON]) + b'{"billnum":"0123456789","a":[[[[1]]]]}',
        "custom-type": b"\x80" + b"application/json; charset=windows-1252\n" + b'{"body":"caf\xe9"}',
        "custom-type-xml": b"\x80" + b"text/xml; charset=\"utf-8//IGNORE\"\n" + b"<AliScanCodeParm/>",
        "negotiate-java": b"\xc0" + b"text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2\napplication/xml\nXMLHttpRequest",
        "negotiate-browser": b"\xc0" + b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\n\n",
        "negotiate-bson": b"\xc4" + b"application/bson, application/xml;q=0.1\napplication/json\n",
    }


def alipay_response_seeds():
    methods = {"precreate": 0, "query": 1, "cancel": 2, "close": 3, "refund": 4, "refund_query": 5}
    seeds = {}
    for name, vector in VECTORS["responses"].items():
        method = next((index for key, index in sorted(methods.items(), key=lambda item: -len(item[0]))
                       if name.startswith(key)), 0)
        body = vector["response_body"].encode()
        seeds[f"extract-{name}"] = bytes([method]) + body
        seeds[f"client-{name}"] = bytes([0x80 | method]) + body
        # The node alone, unsigned: mode 3 signs it, so the client reads the fields of a verified reply.
        unsigned = '{"%s":%s}' % (vector["node_name"], vector["signed_node"])
        seeds[f"resign-{name}"] = bytes([0xC0 | method]) + unsigned.encode()
    return seeds


def notification_seeds():
    body = VECTORS["notification"]["form_body"].encode()
    unsigned = b"&".join(part for part in body.split(b"&") if not part.startswith((b"sign=", b"sign_type=")))
    return {
        "verify-vector": b"\x00" + body,
        "verify-duplicate": b"\x00" + body + b"&total_amount=88.88",
        "sign-vector-fields": b"\x80" + unsigned,
        "sign-with-empty": b"\x81" + unsigned + b"&passback_params=",
    }


def sandbox_seeds():
    seeds = {}
    for name, vector in VECTORS["requests"].items():
        form = vector["form_body"].encode()
        seeds[f"gateway-{name}"] = b"\x00" + b"charset=utf-8&method=" + vector["method"].encode() + b"\x00" + form
        seeds[f"roundtrip-{name}"] = b"\x80" + form
        biz = vector["params"].get("biz_content")
        if biz:
            seeds[f"biz-{name}"] = b"\x40" + biz.encode()
    seeds["biz-options"] = b"\x40" + (
        b'{"out_trade_no":"T_1","total_amount":"100000000","timeout_express":"15d",'
        b'"query_options":["fund_bill_list"],"trade_no":123,"body":null,"x":[true,false,-0.5e+3,"\\u4e2d"]}'
    )
    return seeds


def write(target, seeds):
    folder = CORPUS / target
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, data in sorted(seeds.items()):
        (folder / name).write_bytes(data)
    digest = hashlib.sha1(b"".join(seeds[name] for name in sorted(seeds))).hexdigest()[:12]
    print(f"{target}: {len(seeds)} seeds, {sum(map(len, seeds.values()))} bytes ({digest})")


if __name__ == "__main__":
    write("body-decoders", body_decoder_seeds())
    write("alipay-response", alipay_response_seeds())
    write("alipay-notification", notification_seeds())
    write("sandbox-form", sandbox_seeds())

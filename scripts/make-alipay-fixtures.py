#!/usr/bin/env python3
"""Generate ThreePay's Alipay test fixtures: throw-away keys and SDK-made signing vectors.

Keys come from the `openssl` CLI (2048-bit RSA, TEST ONLY). Signatures come from Alipay's
official Python SDK, alipay-sdk-python 3.7.1411 (`alipay.aop.api.util.SignatureUtils`):
get_sign_content builds the canonical string, sign_with_rsa2 signs it (the SDK wants a PKCS#1
body), verify_with_rsa checks responses and notifications. The Swift tests must reproduce every
value byte for byte.

Usage:  python3 scripts/make-alipay-fixtures.py [--new-keys]
Existing key files are reused unless --new-keys is given, so reruns only refresh the vectors.
When ../shared/testvectors exists (relative to the repository root) the SDK is also run over
those vectors' inputs and must reproduce their signatures, proving that it is used correctly.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote, quote_plus

try:
    from alipay.aop.api.util.SignatureUtils import get_sign_content, sign_with_rsa2, verify_with_rsa
    from alipay.aop.api.AlipayClientConfig import AlipayClientConfig
    from alipay.aop.api.DefaultAlipayClient import DefaultAlipayClient
    from alipay.aop.api.constant.CommonConstants import THREAD_LOCAL
except ImportError:
    sys.exit("alipay-sdk-python is missing: python3 -m pip install alipay-sdk-python==3.7.1411")

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "Tests" / "AlipayTests" / "Fixtures"
SHARED_VECTORS = REPO / ".." / "shared" / "testvectors"

APP_ID = "2021000000000042"
OUT_TRADE_NO = "TP20240601120000000001"
TRADE_NO = "2024060122001446880000004242"


# ----------------------------------------------------------------------------------------------
# Keys (openssl CLI)

def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def pem_body(path):
    """The base64 body of a PEM file on one line (what Alipay's key tool shows)."""
    lines = Path(path).read_text().strip().splitlines()
    return "".join(line for line in lines if not line.startswith("-----"))


def make_key_pair(prefix, fresh):
    """<prefix>_private_pkcs1.pem / _pkcs8.pem / .oneline.txt files plus the public key forms."""
    pkcs1 = FIXTURES / f"{prefix}_private_pkcs1.pem"
    if fresh or not pkcs1.exists():
        openssl("genrsa", "-traditional", "-out", str(pkcs1), "2048")
    openssl("pkcs8", "-topk8", "-nocrypt", "-in", str(pkcs1), "-out", str(FIXTURES / f"{prefix}_private_pkcs8.pem"))
    openssl("rsa", "-in", str(pkcs1), "-pubout", "-out", str(FIXTURES / f"{prefix}_public.pem"))
    openssl("rsa", "-in", str(pkcs1), "-RSAPublicKey_out", "-out", str(FIXTURES / f"{prefix}_public_pkcs1.pem"))
    for name in (f"{prefix}_private_pkcs1", f"{prefix}_private_pkcs8", f"{prefix}_public"):
        (FIXTURES / f"{name}.oneline.txt").write_text(pem_body(FIXTURES / f"{name}.pem"))


def make_unusable_keys(fresh):
    """Keys the Swift code must refuse: EC (PKCS#8 and SEC1), 1024-bit RSA, RSA-PSS, encrypted."""
    wanted = {
        "bad_ec_private_pkcs8.pem": lambda p: openssl(
            "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", p),
        "bad_rsa1024_private_pkcs1.pem": lambda p: openssl("genrsa", "-traditional", "-out", p, "1024"),
        "bad_rsa_pss_private.pem": lambda p: openssl(
            "genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048", "-out", p),
    }
    for name, make in wanted.items():
        if fresh or not (FIXTURES / name).exists():
            make(str(FIXTURES / name))
    ec = str(FIXTURES / "bad_ec_private_pkcs8.pem")
    openssl("ec", "-in", ec, "-out", str(FIXTURES / "bad_ec_private_sec1.pem"))
    openssl("ec", "-in", ec, "-pubout", "-out", str(FIXTURES / "bad_ec_public.pem"))
    rsa1024 = str(FIXTURES / "bad_rsa1024_private_pkcs1.pem")
    openssl("rsa", "-in", rsa1024, "-pubout", "-out", str(FIXTURES / "bad_rsa1024_public.pem"))
    openssl("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:fixture-only",
            "-in", str(FIXTURES / "app_private_pkcs1.pem"), "-out", str(FIXTURES / "bad_encrypted_private_pkcs8.pem"))


# ----------------------------------------------------------------------------------------------
# Signing with the official SDK

def biz_json(fields):
    """Compact JSON with sorted keys and raw UTF-8, as the official SDK writes biz_model."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def form_encode(pairs, plus_for_space=False):
    """application/x-www-form-urlencoded; everything but A-Z a-z 0-9 - _ . ~ is percent-encoded."""
    enc = (lambda v: quote_plus(v, safe="")) if plus_for_space else (lambda v: quote(v, safe=""))
    return "&".join(f"{enc(k)}={enc(v)}" for k, v in pairs)


def request_vector(app_pkcs1_body, method, timestamp, biz, extra):
    params = {
        "app_id": APP_ID,
        "method": method,
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": timestamp,
        "version": "1.0",
        "biz_content": biz_json(biz),
        **extra,
    }
    content = get_sign_content(params)
    sign = sign_with_rsa2(app_pkcs1_body, content, "utf-8")
    sent = dict(params, sign=sign)
    return {
        "method": method,
        "params": params,
        "string_to_sign": content,
        "sign": sign,
        # Our client sends every parameter in the body, sorted by name.
        "form_body": form_encode(sorted(sent.items())),
    }


def response_vector(alipay_pkcs1_body, alipay_public_body, node_name, node_text, signed=True, spaced=False):
    """A gateway reply whose node text is kept byte for byte (with its \\/ escapes) and signed."""
    json.loads(node_text)  # the hand-written node must be valid JSON
    vector = {"node_name": node_name, "signed_node": node_text}
    if signed:
        sign = sign_with_rsa2(alipay_pkcs1_body, node_text, "utf-8")
        assert verify_with_rsa(alipay_public_body, node_text.encode(), sign)
        vector["sign"] = sign
        if spaced:
            body = '{ "%s" :  %s ,\n "sign" : "%s" }' % (node_name, node_text, sign)
        else:
            body = '{"%s":%s,"sign":"%s"}' % (node_name, node_text, sign)
    else:
        body = '{"%s":%s}' % (node_name, node_text)
    vector["response_body"] = body
    return vector


def check_sdk_parser_accepts(alipay_public_body, vector):
    """The official client's own response parser verifies and returns the same node text."""
    config = AlipayClientConfig()
    config.app_id = APP_ID
    config.alipay_public_key = alipay_public_body
    client = DefaultAlipayClient(config)
    THREAD_LOCAL.logger, THREAD_LOCAL.uuid = None, "fixture"  # normally set by execute()
    parsed = client._DefaultAlipayClient__parse_response(vector["response_body"].encode())
    assert parsed == vector["signed_node"], vector["node_name"]


def rejects(public_body, message, sign):
    try:
        return not verify_with_rsa(public_body, message.encode(), sign)
    except Exception:
        return True


def notification_vector(alipay_pkcs1_body, alipay_public_body):
    fields = {
        "notify_time": "2024-06-01 12:01:16",
        "notify_type": "trade_status_sync",
        "notify_id": "2024060100222120116000000000004242",
        "app_id": APP_ID,
        "auth_app_id": APP_ID,
        "charset": "utf-8",
        "version": "1.0",
        "trade_no": TRADE_NO,
        "out_trade_no": OUT_TRADE_NO,
        "trade_status": "TRADE_SUCCESS",
        "subject": "测试商品-扫码支付",
        "body": "门店 A&B=1+1 50%",
        "passback_params": "order%2F42 x",
        "buyer_id": "2088102177846880",
        "buyer_logon_id": "159****5620",
        "seller_id": "2088102177840000",
        "total_amount": "88.88",
        "receipt_amount": "88.88",
        "invoice_amount": "88.88",
        "buyer_pay_amount": "88.88",
        "point_amount": "0.00",
        "gmt_create": "2024-06-01 12:01:10",
        "gmt_payment": "2024-06-01 12:01:15",
        "fund_bill_list": '[{"amount":"88.88","fundChannel":"ALIPAYACCOUNT"}]',
    }
    content = get_sign_content(fields)
    sign = sign_with_rsa2(alipay_pkcs1_body, content, "utf-8")
    assert verify_with_rsa(alipay_public_body, content.encode(), sign)
    tampered = content.replace("total_amount=88.88", "total_amount=0.01")
    assert rejects(alipay_public_body, tampered, sign)
    sent = list(fields.items()) + [("sign_type", "RSA2"), ("sign", sign)]
    random.Random(42).shuffle(sent)  # Alipay does not sort its form fields
    return {
        "fields": fields,
        "string_to_verify": content,
        "sign": sign,
        # Encoded as browsers and Alipay do: space as '+', everything else reserved as %XX.
        "form_body": form_encode(sent, plus_for_space=True),
    }


# ----------------------------------------------------------------------------------------------
# Cross-check against the shared reference vectors

def check_shared_vectors():
    manifest = SHARED_VECTORS / "alipay-sign.json"
    if not manifest.exists():
        print("shared vectors not found; SDK cross-check skipped")
        return
    vectors = json.loads(manifest.read_text())["vectors"]
    app_body = pem_body(SHARED_VECTORS / "app_private_pkcs1.pem")
    alipay_body = pem_body(SHARED_VECTORS / "alipay_private_pkcs1.pem")
    alipay_public = pem_body(SHARED_VECTORS / "alipay_public.pem")
    for name in ("request_precreate", "request_query_isv"):
        vector = vectors[name]
        content = get_sign_content(vector["params"])
        assert content == vector["string_to_sign"], name
        assert sign_with_rsa2(app_body, content, "utf-8") == vector["sign"], name
    response = vectors["sync_response_precreate"]
    assert verify_with_rsa(alipay_public, response["signed_substring"].encode(), response["sign"])
    assert rejects(alipay_public, response["signed_substring"].replace("\\/", "/"), response["sign"])
    notify = vectors["notify_trade_success"]
    received = {k: v for k, v in notify["params_received"].items() if k not in ("sign", "sign_type")}
    content = get_sign_content(received)
    assert content == notify["string_to_verify"]
    assert sign_with_rsa2(alipay_body, content, "utf-8") == notify["sign"]
    print("shared vectors reproduced by alipay-sdk-python 3.7.1411")


# ----------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-keys", action="store_true", help="regenerate every key pair")
    args = parser.parse_args()
    FIXTURES.mkdir(parents=True, exist_ok=True)
    check_shared_vectors()

    make_key_pair("app", args.new_keys)
    make_key_pair("alipay", args.new_keys)
    make_unusable_keys(args.new_keys)
    app_body = (FIXTURES / "app_private_pkcs1.oneline.txt").read_text()
    alipay_body = (FIXTURES / "alipay_private_pkcs1.oneline.txt").read_text()
    alipay_public = (FIXTURES / "alipay_public.oneline.txt").read_text()
    app_public = (FIXTURES / "app_public.oneline.txt").read_text()

    precreate = request_vector(
        app_body, "alipay.trade.precreate", "2024-06-01 12:00:00",
        {
            "out_trade_no": OUT_TRADE_NO,
            "total_amount": "88.88",
            "subject": "测试商品-扫码支付",
            "body": 'Bean "A" \\ 1/2\tend',
            "timeout_express": "15m",
            "qr_code_timeout_express": "10m",
        },
        {"notify_url": "https://pay.example.com/api/3Pay/AliPay/Notify"},
    )
    query = request_vector(
        app_body, "alipay.trade.query", "2024-06-01 12:05:00",
        {"out_trade_no": OUT_TRADE_NO},
        {"app_auth_token": "202406BBdummyAppAuthToken0042"},
    )
    for vector in (precreate, query):
        assert verify_with_rsa(app_public, vector["string_to_sign"].encode(), vector["sign"])

    def reply(name, node, **options):
        return response_vector(alipay_body, alipay_public, name, node, **options)

    responses = {
        "precreate_success": reply(
            "alipay_trade_precreate_response",
            '{"code":"10000","msg":"Success","out_trade_no":"%s",'
            '"qr_code":"https:\\/\\/qr.alipay.com\\/bax03431ljhokirwl38f00a7"}' % OUT_TRADE_NO),
        "precreate_spaced": reply(
            "alipay_trade_precreate_response",
            '{ "code" : "10000", "msg":"Success", "out_trade_no":"%s",\n'
            '  "qr_code":"https:\\/\\/qr.alipay.com\\/bax03431ljhokirwl38f00a7" }' % OUT_TRADE_NO,
            spaced=True),
        "precreate_unsigned_success": reply(
            "alipay_trade_precreate_response",
            '{"code":"10000","msg":"Success","out_trade_no":"%s","qr_code":"https:\\/\\/qr.alipay.com\\/x"}'
            % OUT_TRADE_NO, signed=False),
        "query_success": reply(
            "alipay_trade_query_response",
            '{"code":"10000","msg":"Success","buyer_logon_id":"159****5620","buyer_pay_amount":"88.88",'
            '"buyer_user_id":"2088101117955611","invoice_amount":"88.88","out_trade_no":"%s",'
            '"point_amount":"0.00","receipt_amount":"88.88","send_pay_date":"2024-06-01 12:01:15",'
            '"store_name":"门店 {\\"A\\"} \\/ }\\\\","total_amount":"88.88","trade_no":"%s",'
            '"trade_status":"TRADE_SUCCESS"}' % (OUT_TRADE_NO, TRADE_NO)),
        "query_not_exist": reply(
            "alipay_trade_query_response",
            '{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在",'
            '"out_trade_no":"%s"}' % OUT_TRADE_NO),
        "error_response_unsigned": reply(
            "error_response",
            '{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"验签出错"}',
            signed=False),
        "cancel_success": reply(
            "alipay_trade_cancel_response",
            '{"code":"10000","msg":"Success","action":"close","out_trade_no":"%s","retry_flag":"N",'
            '"trade_no":"%s"}' % (OUT_TRADE_NO, TRADE_NO)),
        "cancel_service_unavailable": reply(
            "alipay_trade_cancel_response",
            '{"code":"20000","msg":"Service Currently Unavailable","sub_code":"isp.unknow-error",'
            '"sub_msg":"系统繁忙"}'),
        "close_success": reply(
            "alipay_trade_close_response",
            '{"code":"10000","msg":"Success","out_trade_no":"%s","trade_no":"%s"}' % (OUT_TRADE_NO, TRADE_NO)),
        "refund_success": reply(
            "alipay_trade_refund_response",
            '{"code":"10000","msg":"Success","buyer_logon_id":"159****5620","buyer_user_id":"2088101117955611",'
            '"fund_change":"Y","gmt_refund_pay":"2024-06-01 13:00:00","out_trade_no":"%s","refund_fee":"10.00",'
            '"send_back_fee":"10.00","trade_no":"%s"}' % (OUT_TRADE_NO, TRADE_NO)),
        "refund_system_error": reply(
            "alipay_trade_refund_response",
            '{"code":"40004","msg":"Business Failed","sub_code":"ACQ.SYSTEM_ERROR","sub_msg":"系统错误"}'),
        "refund_query_success": reply(
            "alipay_trade_fastpay_refund_query_response",
            '{"code":"10000","msg":"Success","out_request_no":"R20240601000001","out_trade_no":"%s",'
            '"refund_amount":"10.00","refund_status":"REFUND_SUCCESS","total_amount":"88.88","trade_no":"%s"}'
            % (OUT_TRADE_NO, TRADE_NO)),
    }
    for vector in responses.values():
        if "sign" not in vector:
            continue
        check_sdk_parser_accepts(alipay_public, vector)
        assert rejects(alipay_public, vector["signed_node"].replace("\\/", "/"), vector["sign"]) \
            or "\\/" not in vector["signed_node"]
        assert rejects(alipay_public, vector["signed_node"].replace('"10000"', '"10001"'), vector["sign"]) \
            or '"10000"' not in vector["signed_node"]

    out = {
        "_warning": "TEST KEYS ONLY. Throw-away keys made by scripts/make-alipay-fixtures.py; never use them for real.",
        "generated_by": "alipay-sdk-python 3.7.1411: SignatureUtils.get_sign_content, sign_with_rsa2, verify_with_rsa; "
                        "responses also accepted by DefaultAlipayClient's own response parser",
        "app_id": APP_ID,
        "keys": {
            "app": "app_private_pkcs1.pem (also _pkcs8.pem, .oneline.txt bodies); app_public.pem",
            "alipay": "stand-in Alipay key pair: alipay_private_*.pem signs responses/notifications; alipay_public.pem",
            "bad_*": "keys that must be refused: EC (PKCS#8, SEC1, public), 1024-bit RSA, RSA-PSS, encrypted PKCS#8",
        },
        "requests": {"precreate": precreate, "query_isv": query},
        "responses": responses,
        "notification": notification_vector(alipay_body, alipay_public),
    }
    (FIXTURES / "alipay-vectors.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {FIXTURES.relative_to(REPO)}/alipay-vectors.json and key files")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpus of the fuzz targets: valid inputs, built from the
specifications (MQTT 3.1.1 packets by hand, keys with the openssl command,
MCUboot images from tests/ota/, OTA messages from doc/ota-protocol.md).

    python3 tests/fuzz/gen_corpus.py [tests/fuzz/corpus [GROUP...]]

GROUP is mqtt, keys, ota_image, ota_protocol or pkcs11_template (default:
all). The seeds
of attest_verify are real SDK tokens, written by the gen_attest_seeds
program of the posix-fuzz build (see doc/testing.md).

Seeds are named seed-*; files named crash-* are regression inputs from
crashes found and must be kept. Keys are generated afresh on every run, so
re-running changes the key seeds (they stay valid)."""
import os
import struct
import subprocess
import sys
import tempfile

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def varint(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def s(b):
    if isinstance(b, str):
        b = b.encode()
    return struct.pack(">H", len(b)) + b


def pkt(first, body):
    return bytes([first]) + varint(len(body)) + body


def mqtt_seeds():
    client = {
        "connack": pkt(0x20, b"\x00\x00"),
        "connack-sp": pkt(0x20, b"\x01\x00"),
        "connack-refused": pkt(0x20, b"\x00\x05"),
        "publish-qos0": pkt(0x30, s("a/b") + b"hello"),
        "publish-qos1": pkt(0x32, s("sensors/t") + b"\x00\x01" + b"21.5"),
        "publish-qos2-dup-retain": pkt(0x3D, s("x/\xc3\xa9") + b"\x12\x34" + b"payload"),
        "publish-empty-payload": pkt(0x31, s("t")),
        "publish-200": pkt(0x30, s("big") + bytes(range(200))),
        "puback": pkt(0x40, b"\x00\x07"),
        "pubrec": pkt(0x50, b"\x00\x07"),
        "pubrel": pkt(0x62, b"\x00\x07"),
        "pubcomp": pkt(0x70, b"\x00\x07"),
        "suback": pkt(0x90, b"\x00\x02\x00\x01\x02\x80"),
        "unsuback": pkt(0xB0, b"\x00\x03"),
        "pingresp": pkt(0xD0, b""),
        "fixed-header-4": bytes([0x30, 0xFF, 0xFF, 0xFF, 0x7F]),
    }
    for k, v in client.items():
        put("mqtt_client", k, v)

    connect_hdr = s("MQTT") + b"\x04"
    server = {
        "connect-min": pkt(0x10, connect_hdr + b"\x02\x00\x3c" + s("")),
        "connect-id": pkt(0x10, connect_hdr + b"\x02\x00\x3c" + s("dev-1")),
        "connect-will-user-pass": pkt(
            0x10, connect_hdr + bytes([0x02 | 0x04 | 0x08 | 0x20 | 0x40 | 0x80]) + b"\x00\x0a"
            + s("dev-2") + s("will/t") + s(b"\x00\x01bye") + s("user") + s(b"pw\x00")),
        "connect-level3": pkt(0x10, s("MQIsdp") + b"\x03\x02\x00\x3c" + s("old")),
        "publish-qos1": pkt(0x32, s("up/t") + b"\x00\x09" + b"{\"v\":1}"),
        "puback": pkt(0x40, b"\x00\x09"),
        "pubrec": pkt(0x50, b"\x00\x09"),
        "pubrel": pkt(0x62, b"\x00\x09"),
        "pubcomp": pkt(0x70, b"\x00\x09"),
        "subscribe": pkt(0x82, b"\x00\x0a" + s("a/+/c") + b"\x01" + s("#") + b"\x00" + s("$SYS/x") + b"\x02"),
        "unsubscribe": pkt(0xA2, b"\x00\x0b" + s("a/+/c") + s("d/#")),
        "pingreq": pkt(0xC0, b""),
        "disconnect": pkt(0xE0, b""),
    }
    for k, v in server.items():
        put("mqtt_server", k, v)

    # mqtt_stream: first byte picks the chunk size (1..64) the broker writes in.
    stream = {
        "publish-qos0": bytes([7]) + pkt(0x30, s("a/b") + b"hi"),
        "publish-qos1-qos2": bytes([3]) + pkt(0x32, s("t") + b"\x00\x01x") + pkt(0x34, s("t") + b"\x00\x02y")
        + pkt(0x62, b"\x00\x02"),
        "pingresp-puback": bytes([0]) + pkt(0xD0, b"") + pkt(0x40, b"\x00\x05"),
        "publish-big": bytes([63]) + pkt(0x30, s("big") + bytes(range(256)) * 8),
        "suback-unsuback": bytes([1]) + pkt(0x90, b"\x00\x01\x00") + pkt(0xB0, b"\x00\x02"),
    }
    for k, v in stream.items():
        put("mqtt_stream", k, v)

    topics = {
        "plain": b"a/b/c\xffa/b/c",
        "plus": b"a/+/c\xffa/x/c",
        "hash": b"a/#\xffa/b/c/d",
        "sys": b"+/x\xff$SYS/x",
        "empty-levels": b"/+/\xff//",
        "utf8": b"\xc3\xa9/+\xff\xc3\xa9/\xe2\x82\xac",
        "bad-wildcard": b"a/b#\xffa/b",
    }
    for k, v in topics.items():
        put("mqtt_topic", k, v)


def openssl(*args, stdin=None):
    return subprocess.run(["openssl", *args], check=True, capture_output=True, input=stdin).stdout


def key_seeds():
    with tempfile.TemporaryDirectory() as tmp:
        keys = {}
        for name, gen in (("p256", ["ecparam", "-name", "prime256v1", "-genkey", "-noout"]),
                          ("p384", ["ecparam", "-name", "secp384r1", "-genkey", "-noout"]),
                          ("rsa2048", ["genrsa", "2048"])):
            keys[name] = openssl(*gen)  # SEC1 or PKCS#1 PEM (traditional form)
        for name, sec1_or_pkcs1 in keys.items():
            path = os.path.join(tmp, name + ".pem")
            with open(path, "wb") as f:
                f.write(sec1_or_pkcs1)
            kind = "rsa" if name.startswith("rsa") else "ec"
            trad_der = openssl(kind, "-in", path, "-outform", "DER")
            pkcs8_pem = openssl("pkcs8", "-topk8", "-nocrypt", "-in", path)
            pkcs8_der = openssl("pkcs8", "-topk8", "-nocrypt", "-in", path, "-outform", "DER")
            pub_pem = openssl("pkey", "-in", path, "-pubout")
            pub_der = openssl("pkey", "-in", path, "-pubout", "-outform", "DER")
            trad = "sec1" if kind == "ec" else "pkcs1"
            variants = {
                f"{name}-{trad}.pem": sec1_or_pkcs1, f"{name}-{trad}.der": trad_der,
                f"{name}-pkcs8.pem": pkcs8_pem, f"{name}-pkcs8.der": pkcs8_der,
                f"{name}-pub.pem": pub_pem, f"{name}-pub.der": pub_der,
            }
            for vname, data in variants.items():
                put("key_der", vname, data)
                # key_import: first byte bit 0 = public, bit 1 = persistent
                sel = 1 if "-pub" in vname else 0
                put("key_import", vname, bytes([sel]) + data)
                put("key_import", "persistent-" + vname, bytes([sel | 2]) + data)
            if name == "p256":
                cert = openssl("req", "-new", "-x509", "-key", path, "-subj", "/CN=fuzz", "-days", "1",
                               "-outform", "DER")
                put("key_der", "p256-cert.der", cert)
                scalar = None
                # The private scalar for a store record: the SEC1 DER's OCTET STRING.
                i = trad_der.index(b"\x04\x20")
                scalar = trad_der[i + 2:i + 34]
                pub_point = pub_der[-65:]
                record_seeds(scalar, pub_point, cert)


REC_MAGIC = 0x534B4943


def record(obj_class, key_type, obj_id, usage, bits, label, value):
    return struct.pack("<IBBBBIIII", REC_MAGIC, 1, obj_class, key_type, len(label), obj_id, usage, bits,
                       len(value)) + label + value


def record_seeds(scalar, point, cert):
    put("keystore_record", "private-p256", record(1, 1, 5, 0x3, 256, b"device", scalar))
    put("keystore_record", "public-p256", record(2, 1, 6, 0x2, 256, b"peer", point))
    put("keystore_record", "psk", record(3, 6, 7, 0x4, 128, b"psk", bytes(range(16))))
    put("keystore_record", "certificate", record(4, 0, 8, 0, 0, b"cert", cert))
    put("keystore_record", "data", record(5, 0, 9, 0, 0, b"", b"opaque"))


HERE = os.path.dirname(os.path.abspath(__file__))
OTA_VECTORS = os.path.join(HERE, "..", "ota")


def ota_image_seeds():
    """The imgtool vectors behind the 3-byte prefix of fuzz_ota_image.c:
    chunk-size seed (2 bytes), then the mode (bits 0-1 zero: also streamed
    through iot_ota_write; bits 2-7: which read fails, 0 none)."""
    for name in ("imgtool-1.2.3+4-sc7.bin", "imgtool-2.0.0.bin"):
        with open(os.path.join(OTA_VECTORS, name), "rb") as f:
            img = f.read()
        base = name[:-4]
        put("ota_image", base + "-stream", b"\x00\x01\x00" + img)
        put("ota_image", base + "-stream-big-chunks", b"\xa5\x5a\x00" + img)
        put("ota_image", base + "-memory", b"\x00\x00\x01" + img)
        put("ota_image", base + "-read-fails", b"\x00\x00\x0d" + img)


def ota_job(job_id, size, version, sha, image_id, component=1):
    major, minor, rev, build = version
    return (b"OTAJ" + struct.pack("<BBHIIBBHI", 1, component, 0, job_id, size, major, minor, rev,
                                  build) + sha + bytes([len(image_id)]) + image_id)


def ota_record(job_id, size, version, sha, component=1, phase=1, reason=0):
    major, minor, rev, build = version
    return (struct.pack("<IBBBBIIBBHI", 0x4741544F, 1, component, phase, reason, job_id, size,
                        major, minor, rev, build) + sha)


def ota_protocol_seeds():
    """doc/ota-protocol.md: job notifications, block messages, job records."""
    sha = bytes(range(32))
    put("ota_protocol", "job", ota_job(7, 4180, (2, 0, 0, 0), sha, b"fw-2.0.0.bin"))
    put("ota_protocol", "job-no-image-id", ota_job(1, 1, (1, 2, 3, 4), sha, b"", component=0))
    put("ota_protocol", "job-longest-image-id", ota_job(0xFFFFFFFF, 0xFFFFFFFF, (255, 255, 65535,
                        0xFFFFFFFF), sha, b"i" * 64))
    put("ota_protocol", "block-first", struct.pack("<II", 7, 0) + bytes(range(256)) * 12)
    put("ota_protocol", "block-last", struct.pack("<II", 7, 4096) + bytes(84))
    put("ota_protocol", "record-downloading", ota_record(7, 4180, (2, 0, 0, 0), sha))
    put("ota_protocol", "record-failed", ota_record(9, 100, (3, 1, 0, 0), sha, component=0, phase=7,
                                                    reason=7))


# fuzz_pkcs11_template.c: attribute types by their index in k_types.
P11 = {name: i for i, name in enumerate((
    "CLASS", "TOKEN", "PRIVATE", "LABEL", "APPLICATION", "VALUE", "OBJECT_ID", "CERTIFICATE_TYPE",
    "ISSUER", "SERIAL_NUMBER", "TRUSTED", "CERTIFICATE_CATEGORY", "KEY_TYPE", "SUBJECT", "ID",
    "SENSITIVE", "ENCRYPT", "DECRYPT", "WRAP", "UNWRAP", "SIGN", "VERIFY", "DERIVE", "START_DATE",
    "END_DATE", "MODULUS", "MODULUS_BITS", "PUBLIC_EXPONENT", "VALUE_LEN", "EXTRACTABLE", "LOCAL",
    "NEVER_EXTRACTABLE", "ALWAYS_SENSITIVE", "MODIFIABLE", "COPYABLE", "DESTROYABLE", "EC_PARAMS",
    "EC_POINT", "ALWAYS_AUTHENTICATE", "PUBLIC_KEY_INFO", "ALLOWED_MECHANISMS"))}
P256_OID = bytes.fromhex("06082a8648ce3d030107")


def p11_attr(name, value=b"", null=False, length=None):
    n = len(value) if length is None else length
    head = bytes([P11[name]])
    if null:
        return head + bytes([0xFF, n])
    if n >= 0xFE:
        return head + bytes([0xFE]) + struct.pack("<H", n) + value
    return head + bytes([n]) + value


def p11_ulong(v):
    return struct.pack("<Q", v)  # CK_ULONG on the 64-bit hosts the fuzzer runs on


def p11_op(op, attrs, which=None):
    out = bytes([op]) + (bytes([which]) if which is not None else b"") + bytes([len(attrs)])
    return out + b"".join(attrs)


def pkcs11_template_seeds():
    """Operations of fuzz_pkcs11_template.c: 0 create, 1 find, 2 get (object index, then
    lengths only). Objects 0-4 are the target's own: certificate, data, secret key, public
    key, private key."""
    with open(os.path.join(HERE, "corpus", "key_der", "seed-p256-cert.der"), "rb") as f:
        cert = f.read()
    with open(os.path.join(HERE, "corpus", "key_der", "seed-p256-pub.der"), "rb") as f:
        point = f.read()[-65:]
    create_cert = p11_op(0, [p11_attr("CLASS", p11_ulong(1)), p11_attr("CERTIFICATE_TYPE", p11_ulong(0)),
                             p11_attr("LABEL", b"fz-cert"), p11_attr("VALUE", cert)])
    put("pkcs11_template", "create-certificate", create_cert + p11_op(2, [
        p11_attr("SUBJECT", length=200), p11_attr("ISSUER", length=200),
        p11_attr("SERIAL_NUMBER", length=40), p11_attr("VALUE", null=True)], which=5))
    put("pkcs11_template", "create-data", p11_op(0, [
        p11_attr("CLASS", p11_ulong(0)), p11_attr("LABEL", b"fz-data"), p11_attr("VALUE", b"x=1"),
        p11_attr("PRIVATE", b"\x00")]))
    put("pkcs11_template", "create-ec-public", p11_op(0, [
        p11_attr("CLASS", p11_ulong(2)), p11_attr("KEY_TYPE", p11_ulong(3)),
        p11_attr("EC_PARAMS", P256_OID), p11_attr("EC_POINT", b"\x04\x41" + point),
        p11_attr("LABEL", b"fz-pub"), p11_attr("VERIFY", b"\x01")]))
    put("pkcs11_template", "create-ec-private", p11_op(0, [
        p11_attr("CLASS", p11_ulong(3)), p11_attr("KEY_TYPE", p11_ulong(3)),
        p11_attr("EC_PARAMS", P256_OID), p11_attr("VALUE", bytes(range(1, 33))),
        p11_attr("LABEL", b"fz-priv"), p11_attr("SIGN", b"\x01"), p11_attr("ID", b"\x07")]))
    put("pkcs11_template", "create-secret", p11_op(0, [
        p11_attr("CLASS", p11_ulong(4)), p11_attr("KEY_TYPE", p11_ulong(0x10)),
        p11_attr("VALUE", bytes(16)), p11_attr("LABEL", b"fz-psk")]))
    put("pkcs11_template", "find", p11_op(1, [p11_attr("CLASS", p11_ulong(1))]) +
        p11_op(1, [p11_attr("LABEL", b"pair"), p11_attr("TOKEN", b"\x01")]) +
        p11_op(1, [p11_attr("ID", b"\xa1\xb2")]) + p11_op(1, []))
    put("pkcs11_template", "get-every-object", b"".join(
        p11_op(2, [p11_attr("CLASS", length=8), p11_attr("LABEL", length=64), p11_attr("VALUE", length=16),
                   p11_attr("EC_POINT", null=True), p11_attr("KEY_TYPE", length=8),
                   p11_attr("ALLOWED_MECHANISMS", length=64), p11_attr("PUBLIC_KEY_INFO", length=128)],
               which=i) for i in range(5)))
    # The key store's outer check accepts this certificate; its TBSCertificate has no
    # issuer or subject (C_CreateObject must refuse it; it used to store it).
    hollow = bytes.fromhex("300d3003020101300306012a030100")
    put("pkcs11_template", "certificate-without-subject", p11_op(0, [
        p11_attr("CLASS", p11_ulong(1)), p11_attr("CERTIFICATE_TYPE", p11_ulong(0)),
        p11_attr("LABEL", b"hollow"), p11_attr("VALUE", hollow)]) + p11_op(2, [
        p11_attr("SUBJECT", length=64)], which=5))


if __name__ == "__main__":
    groups = sys.argv[2:] or ["mqtt", "keys", "ota_image", "ota_protocol", "pkcs11_template"]
    if "mqtt" in groups:
        mqtt_seeds()
    if "keys" in groups:
        key_seeds()
    if "ota_image" in groups:
        ota_image_seeds()
    if "ota_protocol" in groups:
        ota_protocol_seeds()
    if "pkcs11_template" in groups:
        pkcs11_template_seeds()


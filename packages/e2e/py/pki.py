"""Issues the e2e PKI the way cert-manager does from charts/nautobot-mtls, into Kubernetes-Secret-shaped folders.

Usage: python pki.py < spec.json

spec: {"out": "<dir>", "certs": [{"name", "cn", "issuer": "<name>|self", "ca": bool, "dns": [...], "ips": [...],
       "usages": ["server auth"|"client auth"], "days": int, "notBeforeDays": int, "serial": int?}
       | {"name", "existing": {"crt": "<pem file>", "key": "<pem file>"}}]}
An "existing" entry loads a CA issued elsewhere (the kind tier: cert-manager's CA, read on the global side) so later
entries can name it as their issuer; its folder gets tls.crt and ca.crt only, never a copy of its key.
Certificates are issued in order; an issuer must come before what it signs. Each folder gets tls.crt, tls.key and
ca.crt (the issuing CA's certificate, as cert-manager's CA issuer writes it; a self-signed CA's ca.crt is itself).
Keys are ECDSA P-256 in PKCS#1/SEC1 form ("EC PRIVATE KEY"), like cert-manager's `encoding: PKCS1`.
Prints a JSON summary (names, serials, subjects) - never key material.
"""

import datetime
import ipaddress
import json
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

USAGES = {"server auth": ExtendedKeyUsageOID.SERVER_AUTH, "client auth": ExtendedKeyUsageOID.CLIENT_AUTH}


def write(path, data, mode):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def issue(spec, issued):
    key = ec.generate_private_key(ec.SECP384R1() if spec.get("curve") == "P-384" else ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, spec["cn"])])
    now = datetime.datetime.now(datetime.timezone.utc)
    not_before = now + datetime.timedelta(days=spec.get("notBeforeDays", 0)) - datetime.timedelta(minutes=5)
    not_after = not_before + datetime.timedelta(days=spec.get("days", 1095))
    if spec["issuer"] == "self":
        issuer_cert, issuer_key, issuer_name = None, key, name
    else:
        issuer_cert, issuer_key = issued[spec["issuer"]]
        issuer_name = issuer_cert.subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(spec.get("serial") or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()), critical=False
        )
    if spec.get("ca"):
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        # cert-manager's CA certificate: digital signature, cert sign, CRL sign.
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # cert-manager's default key usages for a leaf: digital signature, key encipherment.
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=True, data_encipherment=False,
                key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        usages = [USAGES[u] for u in spec.get("usages", [])]
        if usages:
            builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    sans = [x509.DNSName(d) for d in spec.get("dns", [])] + [
        x509.IPAddress(ipaddress.ip_address(i)) for i in spec.get("ips", [])
    ]
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    cert = builder.sign(issuer_key, hashes.SHA256())
    issued[spec["name"]] = (cert, key)
    return cert, key, issuer_cert or cert


def load(files):
    """A certificate and its private key from PEM files; the key must belong to the certificate."""
    with open(files["crt"], "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    with open(files["key"], "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    if cert.public_key().public_numbers() != key.public_key().public_numbers():
        raise SystemExit(f"pki.py: the key in {files['key']} does not belong to the certificate in {files['crt']}")
    return cert, key


def main():
    spec = json.load(sys.stdin)
    out = spec["out"]
    issued, summary = {}, []
    for c in spec["certs"]:
        folder = os.path.join(out, c["name"])
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if "existing" in c:
            cert, key = load(c["existing"])
            issued[c["name"]] = (cert, key)
            ca = cert
        else:
            cert, key, ca = issue(c, issued)
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
            )
            write(os.path.join(folder, "tls.key"), pem, 0o600)
        write(os.path.join(folder, "tls.crt"), cert.public_bytes(serialization.Encoding.PEM), 0o644)
        write(os.path.join(folder, "ca.crt"), ca.public_bytes(serialization.Encoding.PEM), 0o644)
        summary.append(
            {
                "name": c["name"],
                "subject": cert.subject.rfc4514_string(),
                "issuer": cert.issuer.rfc4514_string(),
                "serial": format(cert.serial_number, "X"),
                "notAfter": cert.not_valid_after_utc.isoformat(),
            }
        )
    json.dump(summary, sys.stdout)


if __name__ == "__main__":
    main()

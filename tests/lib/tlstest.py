"""tests/lib/tlstest.py - TLS helpers for the black-box tests: a
self-signed certificate made with the openssl command, a client context
that verifies nothing, and the shared libraries a program links."""
import os
import re
import ssl
import subprocess


def self_signed(openssl, directory, cn, days=2):
    """Make an RSA key and a self-signed certificate for CN cn in
    directory with the openssl command at path openssl.  Returns
    (openssl's exit code, key path, certificate path)."""
    key = os.path.join(directory, "key.pem")
    cert = os.path.join(directory, "cert.pem")
    p = subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", key, "-out", cert,
                        "-days", str(days), "-subj", "/CN=" + cn],
                       capture_output=True)
    return p.returncode, key, cert


def write_pem(dest, *parts, mode=0o600):
    """Write the files parts (certificate, key, ...) one after the other
    to dest and chmod it to mode."""
    with open(dest, "wb") as out:
        for part in parts:
            with open(part, "rb") as f:
                out.write(f.read())
    os.chmod(dest, mode)


def client_ctx():
    """An ssl client context that checks neither name nor chain."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def needed(path):
    """The DT_NEEDED shared libraries of the ELF file path (readelf -d)."""
    p = subprocess.run(["readelf", "-d", path], capture_output=True,
                       text=True)
    return re.findall(r"\(NEEDED\).*\[(.*)\]", p.stdout)

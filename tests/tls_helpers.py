"""Certificates for tests, made with openssl: a CA and a server certificate it signed."""

import subprocess
from pathlib import Path


def openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def make_ca(directory: Path, name: str = "ca") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    openssl(
        *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2"),
        *("-subj", f"/CN=test {name}", "-keyout", f"{name}.key", "-out", f"{name}.pem"),
        *("-addext", "basicConstraints=critical,CA:TRUE"),
        *("-addext", "keyUsage=critical,keyCertSign,cRLSign"),
        cwd=directory,
    )
    return directory / f"{name}.pem"


def make_server_cert(directory: Path, ca: str = "ca", name: str = "server") -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1 and localhost, signed by ``ca``."""
    openssl(
        *("req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-subj", "/CN=localhost"),
        *("-keyout", f"{name}.key", "-out", f"{name}.csr"),
        cwd=directory,
    )
    (directory / f"{name}.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
    )
    openssl(
        *("x509", "-req", "-sha256", "-days", "2", "-in", f"{name}.csr"),
        *("-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial"),
        *("-extfile", f"{name}.ext", "-out", f"{name}.pem"),
        cwd=directory,
    )
    return directory / f"{name}.pem", directory / f"{name}.key"

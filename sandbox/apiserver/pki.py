"""The sandbox's own certificate authority, made at start: serving, client and signing keys.

Like k3s, the server generates a CA, signs its serving certificate (127.0.0.1, localhost and the
in-cluster names of the `kubernetes` Service) and an admin client certificate in the group
`system:masters`, and keeps a separate key that signs ServiceAccount tokens. Every key is
ECDSA P-256, which is quick to make (the sandbox starts in well under a second).
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import pathlib
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_NAMES = (
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)
SERVER_IPS = ("127.0.0.1", "10.43.0.1")
VALIDITY = datetime.timedelta(days=365)


@dataclasses.dataclass(frozen=True)
class Credential:
    """A certificate and its private key, both PEM."""

    cert: bytes
    key: bytes


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _name(common: str, orgs: tuple[str, ...] = ()) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    return x509.Name([*parts, x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
    )


class Authority:
    """A CA that signs the server's and the clients' certificates."""

    def __init__(self) -> None:
        """A new self-signed CA."""
        self._key = _key()
        self.name = _name(f"sandbox-ca@{int(datetime.datetime.now(datetime.UTC).timestamp())}")
        cert = (
            _builder(self.name, self.name, self._key)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .sign(self._key, hashes.SHA256())
        )
        self.cert_pem = cert.public_bytes(serialization.Encoding.PEM)

    def _sign(
        self, subject: x509.Name, usage: x509.ObjectIdentifier, names: list[x509.GeneralName]
    ) -> Credential:
        key = _key()
        builder = (
            _builder(subject, self.name, key)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(self._key, hashes.SHA256())
        return Credential(cert.public_bytes(serialization.Encoding.PEM), _pem_key(key))

    def serving(self) -> Credential:
        """The API server's certificate: 127.0.0.1, localhost and the `kubernetes` Service."""
        names: list[x509.GeneralName] = [x509.DNSName(n) for n in SERVER_NAMES]
        names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in SERVER_IPS]
        return self._sign(_name("kube-apiserver"), ExtendedKeyUsageOID.SERVER_AUTH, names)

    def client(self, user: str, groups: tuple[str, ...] = ()) -> Credential:
        """A client certificate: the user is its CN, its groups the O entries."""
        return self._sign(_name(user, groups), ExtendedKeyUsageOID.CLIENT_AUTH, [])


@dataclasses.dataclass(frozen=True)
class PKI:
    """What one server run uses: the CA, its serving and client credentials, the token key."""

    ca: bytes
    serving: Credential
    admin: Credential  # the kubeconfig's user: system:admin in system:masters
    node: Credential  # the controllers and the kubelet inside the sandbox
    token_key: ec.EllipticCurvePrivateKey  # signs ServiceAccount tokens (ES256)

    @classmethod
    def generate(cls) -> PKI:
        """A fresh CA and every credential signed by it."""
        authority = Authority()
        return cls(
            ca=authority.cert_pem,
            serving=authority.serving(),
            admin=authority.client("system:admin", ("system:masters",)),
            node=authority.client("system:sandbox-node", ("system:masters",)),
            token_key=_key(),
        )

    def write(self, folder: pathlib.Path) -> None:
        """Put the CA and the serving credential in folder (0700; keys 0600)."""
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        for name, data in (
            ("ca.crt", self.ca),
            ("server.crt", self.serving.cert),
            ("server.key", self.serving.key),
            ("node.crt", self.node.cert),
            ("node.key", self.node.key),
        ):
            path = folder / name
            path.write_bytes(data)
            path.chmod(0o600 if name.endswith(".key") else 0o644)

    def server_context(self, folder: pathlib.Path) -> ssl.SSLContext:
        """TLS for the server; client certificates signed by the CA are checked when sent."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(folder / "server.crt", folder / "server.key")
        context.load_verify_locations(cadata=self.ca.decode())
        context.verify_mode = ssl.CERT_OPTIONAL
        context.set_alpn_protocols(["http/1.1"])
        return context

    def node_context(self, folder: pathlib.Path) -> ssl.SSLContext:
        """TLS for the sandbox's own clients: trust the CA, present the node certificate."""
        context = ssl.create_default_context(cadata=self.ca.decode())
        context.load_cert_chain(folder / "node.crt", folder / "node.key")
        return context

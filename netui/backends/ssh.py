"""Commands over SSH with paramiko: one reused connection per host, strict host keys.

Traps handled here (see ../../docs/ssh.md):
- paramiko's SSHConfig ignores `Include`; we inline included files before parsing.
- ProxyJump is not applied by paramiko: we connect to each jump host and open a
  `direct-tcpip` channel to the next hop, passed as the socket of the next connection.
- Unknown host keys are refused with the fingerprint and the command that accepts it;
  never added silently.
- `set_keepalive` does not notice a dead peer; every channel gets a deadline instead.
- Non-root users run commands through `sudo -n`, so a password prompt fails at once.
"""

from __future__ import annotations

import base64
import glob
import hashlib
import os
import re
import secrets
import select
import shlex
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko

from netui.backends.base import (
    ERR_CAP,
    OUTPUT_CAP,
    Backend,
    CommandResult,
    CommandTimeout,
    HostError,
    OutputTooLarge,
    Stream,
    Unreachable,
    too_large,
)
from netui.model.envfile import HostAddress, SshSettings

_LINE_CAP = 64 * 1024  # a streamed line (traceroute, nft monitor) is cut here
_INCLUDE = re.compile(r"^\s*Include\s+(.+?)\s*$", re.IGNORECASE)


def fingerprint(key: paramiko.PKey) -> str:
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


class UnknownHostKey(Unreachable):
    def __init__(self, host: str, hostname: str, key: paramiko.PKey, known_hosts: str) -> None:
        self.hostname = hostname
        self.key = key
        self.known_hosts = known_hosts
        super().__init__(
            host,
            f"refusing unknown host key of {hostname}: {key.get_name()} {fingerprint(key)} is not in {known_hosts}. "
            f"If that fingerprint is right, accept it with `netui trust {host}`.",
        )


class ChangedHostKey(Unreachable):
    pass


class _Refuse(paramiko.MissingHostKeyPolicy):
    def __init__(self, host: str, known_hosts: str) -> None:
        self.host = host
        self.known_hosts = known_hosts

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        raise UnknownHostKey(self.host, hostname, key, self.known_hosts)


def _expand_includes(path: Path, depth: int = 0) -> str:
    """The config text with every `Include` replaced by the files it names (OpenSSH's rules:
    relative paths are relative to ~/.ssh, globs allowed, 16 levels at most)."""
    if depth > 16:
        return ""
    try:
        text = path.read_text()
    except OSError:
        return ""
    out = []
    for line in text.splitlines():
        m = _INCLUDE.match(line)
        if not m:
            out.append(line)
            continue
        for pattern in shlex.split(m.group(1)):
            pattern = os.path.expanduser(pattern)
            if not os.path.isabs(pattern):
                pattern = os.path.join(os.path.expanduser("~/.ssh"), pattern)
            for inc in sorted(glob.glob(pattern)):
                out.append(_expand_includes(Path(inc), depth + 1))
    return "\n".join(out)


def load_ssh_config(path: str | None) -> paramiko.SSHConfig:
    p = Path(os.path.expanduser(path or "~/.ssh/config"))
    return paramiko.SSHConfig.from_text(_expand_includes(p)) if p.exists() else paramiko.SSHConfig()


@dataclass(frozen=True)
class Target:
    """Where one SSH hop really goes after ~/.ssh/config has been applied."""

    alias: str
    hostname: str
    port: int
    user: str
    identities: tuple[str, ...]
    proxy_jump: tuple[str, ...]
    known_hosts: str


def resolve(
    alias: str,
    user: str | None,
    port: int | None,
    settings: SshSettings,
    config: paramiko.SSHConfig,
) -> Target:
    c: dict[str, Any] = config.lookup(alias)
    identities = []
    if settings.identity:
        identities.append(os.path.expanduser(settings.identity))
    identities += [os.path.expanduser(p) for p in c.get("identityfile", [])]
    pj = c.get("proxyjump")
    jumps = tuple(j.strip() for j in pj.split(",")) if pj and pj.lower() != "none" else ()
    known = (
        settings.known_hosts
        or (c.get("userknownhostsfile", "").split() or [None])[0]
        or "~/.ssh/known_hosts"
    )
    return Target(
        alias=alias,
        hostname=c.get("hostname", alias),
        port=int(port or c.get("port", 22)),
        user=user or c.get("user") or "root",
        identities=tuple(identities),
        proxy_jump=jumps,
        known_hosts=os.path.expanduser(known),
    )


def _parse_hop(hop: str) -> tuple[str | None, str, int | None]:
    """`[user@]host[:port]` of a ProxyJump entry."""
    if hop.startswith("ssh://"):
        hop = hop[6:]
    user = None
    if "@" in hop:
        user, hop = hop.rsplit("@", 1)
    port = None
    if hop.count(":") == 1:
        hop, p = hop.split(":")
        port = int(p)
    return user, hop, port


class _ChannelStream(Stream):
    def __init__(self, channel: paramiko.Channel) -> None:
        self.channel = channel

    def lines(self) -> Iterator[str]:
        buf = b""
        while True:
            try:
                chunk = self.channel.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                yield line[:_LINE_CAP].decode(errors="replace")
            if len(buf) > _LINE_CAP:  # a line without end: what is past the cap is dropped
                yield buf[:_LINE_CAP].decode(errors="replace")
                buf = b""
        if buf:
            yield buf.decode(errors="replace")

    def cancel(self) -> None:
        # Closing the channel sends the remote side EOF/SIGPIPE; traceroute and nft monitor exit.
        self.channel.close()


class _Shell:
    """A `/bin/sh` kept running on the host, fed commands on its stdin.

    Every exec over SSH is a new session: sshd forks, runs the login shell, and bash run by sshd
    reads ~/.bashrc first — on the lab's machine that alone costs ~90 ms of CPU per command
    (pyenv's init), on a real host some milliseconds to much more. The kept shell pays it once
    per connection. Each command runs in a subshell (no state leaks between commands), its input
    as a quoted here-document, and ends with a marker carrying its exit status on stdout and
    one on stderr (a random token: no output can fake it)."""

    def __init__(self, chan: paramiko.Channel, host: str, timeout: float) -> None:
        self.chan = chan
        self.host = host
        self.out = bytearray()
        self.err = bytearray()
        self.alive = True
        # what the login shell's start-up files print (a banner, a warning) is not output
        token = secrets.token_hex(8)
        ready = f"__NETUI_READY_{token}\n".encode()
        self.chan.sendall(b"printf '__NETUI_READY_%s\\n' " + token.encode() + b"\n")
        self._until(lambda: ready in self.out, time.monotonic() + timeout)
        self.out = self.out[self.out.index(ready) + len(ready) :]
        self.err.clear()

    @staticmethod
    def carries(stdin: bytes | None) -> bool:
        """Input a here-document passes through unchanged: text ending in a newline."""
        if stdin is None:
            return True
        return stdin.endswith(b"\n") and b"\0" not in stdin and b"__NETUI_" not in stdin

    def run(
        self, line: str, stdin: bytes | None, deadline: float, limit: int = OUTPUT_CAP
    ) -> tuple[int, bytes, bytes]:
        token = secrets.token_hex(8)
        end = f"__NETUI_END_{token}"
        if stdin is None:
            script = f"( {line} ) </dev/null\n".encode()
        else:
            doc = f"__NETUI_IN_{token}"
            script = f"( {line} ) <<'{doc}'\n".encode() + stdin + f"{doc}\n".encode()
        script += (
            f"__netui_rc=$?; printf '\\n{end} %d\\n' \"$__netui_rc\"; printf '\\n{end}\\n' >&2\n"
        ).encode()
        self.chan.sendall(script)
        out_mark = re.compile(rb"\n" + end.encode() + rb" (\d+)\n")
        err_mark = f"\n{end}\n".encode()
        # where the next look for each mark starts: each byte is searched about once, not on
        # every chunk (a host printing 200 MB made that quadratic)
        seen = [0, 0]
        found: list[re.Match[bytes] | None] = [None]
        back = len(end) + 32

        def done() -> bool:
            if found[0] is None:
                found[0] = out_mark.search(self.out, max(0, seen[0] - back))
                seen[0] = len(self.out)
            if found[0] is None:
                return False
            at = self.err.find(err_mark, max(0, seen[1] - back))
            seen[1] = len(self.err)
            return at >= 0

        self._until(done, deadline, limit)
        m = found[0]
        assert m is not None
        out, rc = bytes(self.out[: m.start()]), int(m.group(1))
        self.out = self.out[m.end() :]
        cut = self.err.index(err_mark)
        err = bytes(self.err[:cut])
        self.err = self.err[cut + len(err_mark) :]
        return rc, out, err

    def _until(self, done: Any, deadline: float, limit: int = OUTPUT_CAP) -> None:
        fd = self.chan.fileno()
        while not done():
            # the deadline and the cap hold however fast the host prints
            left = deadline - time.monotonic()
            if left <= 0:
                self.alive = False
                raise CommandTimeout(self.host, "the remote shell did not answer in time")
            if len(self.out) > limit:
                self.alive = False
                raise OutputTooLarge(self.host, "too much output")
            if self.chan.recv_ready():
                self.out += self.chan.recv(65536)
            elif self.chan.recv_stderr_ready():
                chunk = self.chan.recv_stderr(65536)
                if len(self.err) < ERR_CAP:
                    self.err += chunk
            elif self.chan.eof_received or self.chan.closed:
                self.alive = False
                raise EOFError("the remote shell ended")
            else:
                select.select([fd], [], [], min(left, 0.5))

    def close(self) -> None:
        self.alive = False
        self.chan.close()


class SshBackend(Backend):
    def __init__(
        self, address: HostAddress, settings: SshSettings, config: paramiko.SSHConfig | None = None
    ) -> None:
        self.host = address.name
        self.address = address.uri
        self.settings = settings
        self.config = config if config is not None else load_ssh_config(settings.config)
        assert address.hostname is not None
        self.target = resolve(address.hostname, address.user, address.port, settings, self.config)
        self.sudo = address.sudo and self.target.user != "root"
        self._client: paramiko.SSHClient | None = None
        self._jumps: list[paramiko.SSHClient] = []
        self._lock = threading.Lock()
        # one `sh` kept running per host: a command sent to it skips the session set-up and the
        # login shell's start-up files that every exec pays (see _Shell); one command at a time
        self._shell: _Shell | None = None
        self._shell_lock = threading.Lock()

    # --- connection ---------------------------------------------------------------------------

    def _connect_one(self, target: Target, sock: Any = None) -> paramiko.SSHClient:
        client = paramiko.SSHClient()
        revoked: set[str] = set()
        if os.path.exists(target.known_hosts):
            try:
                revoked = load_known_hosts(client.get_host_keys(), target.known_hosts)
            except (OSError, paramiko.SSHException, ValueError) as e:
                raise Unreachable(
                    self.host, f"cannot read known_hosts {target.known_hosts}: {e}"
                ) from None
        client.set_missing_host_key_policy(_Refuse(self.host, target.known_hosts))
        timeout = self.settings.connect_timeout
        keys = [k for k in target.identities if os.path.exists(k)]
        try:
            client.connect(
                target.hostname,
                port=target.port,
                username=target.user,
                # paramiko takes a list of key files; its type stubs say one
                key_filename=keys or None,  # type: ignore[arg-type]
                look_for_keys=not keys,
                allow_agent=True,
                timeout=timeout,
                banner_timeout=timeout,
                auth_timeout=timeout,
                channel_timeout=timeout,
                sock=sock,
            )
        except UnknownHostKey:
            client.close()
            raise
        except paramiko.BadHostKeyException as e:
            client.close()
            raise ChangedHostKey(
                self.host,
                f"the host key of {target.hostname} CHANGED: got {fingerprint(e.key)}, {target.known_hosts} expects "
                f"{fingerprint(e.expected_key)}. Someone may be intercepting; check before you remove the old line.",
            ) from None
        except paramiko.AuthenticationException:
            client.close()
            tried = ", ".join(keys) or "the SSH agent and default keys"
            raise Unreachable(
                self.host, f"{target.user}@{target.hostname} refused our keys ({tried})"
            ) from None
        except TimeoutError:
            client.close()
            raise Unreachable(
                self.host, f"{target.hostname}:{target.port} did not answer within {timeout:g} s"
            ) from None
        except (OSError, paramiko.SSHException, EOFError) as e:
            client.close()
            raise Unreachable(
                self.host,
                f"cannot connect to {target.hostname}:{target.port}: {e or type(e).__name__}",
            ) from None
        transport = client.get_transport()
        key = transport.get_remote_server_key() if transport else None
        if key is not None and key.get_base64() in revoked:
            client.close()
            raise ChangedHostKey(
                self.host,
                f"the host key of {target.hostname} ({fingerprint(key)}) is marked @revoked in "
                f"{target.known_hosts}: refusing to talk to it",
            )
        return client

    def _connect(self) -> paramiko.SSHClient:
        sock = None
        for hop in self.target.proxy_jump:
            user, host, port = _parse_hop(hop)
            jt = resolve(host, user, port, self.settings, self.config)
            jclient = self._connect_one(jt, sock)
            self._jumps.append(jclient)
            transport = jclient.get_transport()
            assert transport is not None
            nxt = self.target if hop == self.target.proxy_jump[-1] else None
            dest_host, dest_port = (nxt.hostname, nxt.port) if nxt else self._next_hop(hop)
            try:
                sock = transport.open_channel(
                    "direct-tcpip",
                    (dest_host, dest_port),
                    ("", 0),
                    timeout=self.settings.connect_timeout,
                )
            except (paramiko.SSHException, OSError) as e:
                raise Unreachable(
                    self.host,
                    f"jump host {jt.hostname} could not open a tunnel to {dest_host}:{dest_port}: {e}",
                ) from None
        return self._connect_one(self.target, sock)

    def _next_hop(self, hop: str) -> tuple[str, int]:
        i = self.target.proxy_jump.index(hop)
        user, host, port = _parse_hop(self.target.proxy_jump[i + 1])
        t = resolve(host, user, port, self.settings, self.config)
        return t.hostname, t.port

    def client(self) -> paramiko.SSHClient:
        with self._lock:
            if self._client is not None:
                t = self._client.get_transport()
                if t is not None and t.is_active():
                    return self._client
                self._drop()
            try:
                self._client = self._connect()
            except BaseException:
                # a hop that failed leaves the jump connections before it open: close them,
                # or every poll retry leaks one connection per jump host
                self._drop()
                raise
            return self._client

    def _drop(self) -> None:
        if self._shell is not None:
            self._shell.close()
            self._shell = None
        if self._client is not None:
            self._client.close()
        for j in reversed(self._jumps):
            j.close()
        self._client, self._jumps = None, []

    def close(self) -> None:
        with self._lock:
            self._drop()

    # --- commands -----------------------------------------------------------------------------

    def command_line(self, argv: Sequence[str]) -> str:
        line = shlex.join(argv)
        return f"sudo -n -- {line}" if self.sudo else line

    def _open(self, argv: Sequence[str], timeout: float) -> paramiko.Channel:
        return self._session(self.command_line(argv), timeout)

    def _session(self, line: str, timeout: float) -> paramiko.Channel:
        """A new session on the kept connection, running `line`."""
        client = self.client()
        transport = client.get_transport()
        if transport is None:
            raise Unreachable(self.host, "the SSH connection closed")
        try:
            chan = transport.open_session(timeout=timeout)
            chan.settimeout(min(timeout, 1.0))
            chan.exec_command(line)
        except (paramiko.SSHException, OSError, EOFError) as e:
            self.close()
            raise Unreachable(
                self.host, f"the SSH connection failed: {e or type(e).__name__}"
            ) from None
        return chan

    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: bytes | None = None,
        timeout: float = 30.0,
        limit: int = OUTPUT_CAP,
    ) -> CommandResult:
        # The kept shell when it is free and the input can travel as a here-document; else a
        # session of its own (a second command at the same time, binary input).
        if _Shell.carries(stdin) and self._shell_lock.acquire(blocking=False):
            try:
                result = self._run_in_shell(argv, stdin, timeout, limit)
            finally:
                self._shell_lock.release()
        else:
            result = self._run_exec(argv, stdin, timeout, limit)
        if (
            self.sudo
            and result.returncode != 0
            and b"sudo:" in result.stderr
            and b"password" in result.stderr
        ):
            raise HostError(
                self.host,
                f"sudo asks {self.target.user} for a password; netui runs `sudo -n` and never types one. "
                f"Give {self.target.user} NOPASSWD sudo, or connect as root.",
            )
        return result

    def _run_in_shell(
        self, argv: Sequence[str], stdin: bytes | None, timeout: float, limit: int
    ) -> CommandResult:
        start = time.monotonic()
        try:
            if self._shell is None or not self._shell.alive:
                self._shell = _Shell(self._open_shell(timeout), self.host, timeout)
            rc, out, err = self._shell.run(self.command_line(argv), stdin, start + timeout, limit)
        except OutputTooLarge:
            self._discard_shell()
            raise too_large(self.host, argv, limit) from None
        except CommandTimeout as e:
            self._discard_shell()  # whatever still runs there goes with its session
            raise CommandTimeout(
                self.host, f"`{shlex.join(argv)[:80]}` did not finish within {timeout:g} s"
            ) from e
        except (paramiko.SSHException, OSError, EOFError) as e:
            self.close()
            raise Unreachable(
                self.host, f"the SSH connection broke: {e or type(e).__name__}"
            ) from None
        return CommandResult(tuple(argv), rc, out, err, time.monotonic() - start)

    def _open_shell(self, timeout: float) -> paramiko.Channel:
        return self._session("exec /bin/sh", timeout)

    def _discard_shell(self) -> None:
        if self._shell is not None:
            self._shell.close()
            self._shell = None

    def _run_exec(
        self, argv: Sequence[str], stdin: bytes | None, timeout: float, limit: int
    ) -> CommandResult:
        start = time.monotonic()
        deadline = start + timeout
        chan = self._open(argv, timeout)
        try:
            if stdin is not None:
                chan.sendall(stdin)
            chan.shutdown_write()
            out, err = bytearray(), bytearray()
            # fileno() makes paramiko signal a pipe whenever stdout or stderr data (or EOF) arrives.
            fd = chan.fileno()
            while True:
                # the deadline and the cap hold however fast the host prints
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CommandTimeout(
                        self.host,
                        f"`{shlex.join(argv)[:80]}` did not finish within {timeout:g} s",
                    )
                if len(out) > limit:
                    raise too_large(self.host, argv, limit)
                if chan.recv_ready():
                    out += chan.recv(65536)
                elif chan.recv_stderr_ready():
                    chunk = chan.recv_stderr(65536)
                    if len(err) < ERR_CAP:
                        err += chunk
                elif chan.eof_received and chan.exit_status_ready():
                    break
                else:
                    ready, _, _ = select.select([fd], [], [], min(left, 0.5))
                    if ready and chan.eof_received:
                        time.sleep(0.001)  # EOF keeps the pipe readable until the exit status lands
            rc = chan.recv_exit_status()
        except (paramiko.SSHException, OSError, EOFError) as e:
            self.close()
            raise Unreachable(
                self.host, f"the SSH connection broke: {e or type(e).__name__}"
            ) from None
        finally:
            chan.close()
        return CommandResult(tuple(argv), rc, bytes(out), bytes(err), time.monotonic() - start)

    def stream(self, argv: Sequence[str]) -> Stream:
        chan = self._open(argv, self.settings.connect_timeout)
        chan.shutdown_write()
        return _ChannelStream(chan)


def accept_host_key(address: HostAddress, settings: SshSettings) -> tuple[str, paramiko.PKey, str]:
    """Fetch the host key of an SSH host (through its ProxyJump, if any) without trusting it.
    Returns (known_hosts entry name, key, known_hosts path) for the caller to show and save."""
    backend = SshBackend(address, settings)
    try:
        backend.client()
    except UnknownHostKey as e:
        t = backend.target
        name = t.hostname if t.port == 22 else f"[{t.hostname}]:{t.port}"
        return name, e.key, e.known_hosts
    finally:
        backend.close()
    raise HostError(address.name, "its host key is already known")


def load_known_hosts(keys: paramiko.HostKeys, path: str) -> set[str]:
    """known_hosts into `keys`, as OpenSSH reads it: `@revoked` lines name keys to refuse (their
    base64 is returned), `@cert-authority` lines are skipped (netui does not do certificates);
    paramiko's own loader fails on both."""
    revoked: set[str] = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("@"):
                marker, _, rest = line.partition(" ")
                fields = rest.split()
                if marker == "@revoked" and len(fields) >= 3:
                    revoked.add(fields[2])
                continue
            try:
                entry = paramiko.hostkeys.HostKeyEntry.from_line(line)
            except (paramiko.SSHException, ValueError, paramiko.hostkeys.InvalidHostKey):
                continue  # a line OpenSSH would also ignore
            if entry is not None:
                for name in entry.hostnames:
                    keys.add(name, entry.key.get_name(), entry.key)
    return revoked


def save_host_key(name: str, key: paramiko.PKey, known_hosts: str) -> None:
    path = Path(known_hosts)
    # ~/.ssh as OpenSSH wants it: 0700 when netui makes it
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with path.open("a") as f:
        f.write(f"{name} {key.get_name()} {key.get_base64()}\n")
    os.chmod(path, 0o600)

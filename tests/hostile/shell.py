"""What a pasted reproduction would run: the script executed by bash with every command stubbed out.

`bash -n` says the script parses; that is not enough to say that none of
its commands came from the gateway's bytes. So the script also runs, in
`env -i` with PATH pointing nowhere, with the five commands a reproduction
may use (curl, python3, printf, base64, sleep) replaced by shell functions
that only write down their arguments. Anything else it would start lands in
`command_not_found_handle` and is written down too; a DEBUG trap notes every
top-level simple command as bash is about to run it.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Call", "Replay", "replay", "ALLOWED"]

#: the commands a reproduction is made of
ALLOWED = ("curl", "python3", "printf", "base64", "sleep")

PRELUDE = r"""
set +o history
log_call() { builtin printf '%s\0' CALL "$1" "$(( $# - 1 ))" "${@:2}" >> "$CALLS"; }
curl() { log_call curl "$@"; builtin printf '%s' "$FAKE_ANSWER"; }
python3() { log_call python3 "$@"; builtin printf '%s\n' "$FAKE_ID"; }
printf() { log_call printf "$@"; }
base64() { log_call base64 "$@"; }
sleep() { log_call sleep "$@"; }
command_not_found_handle() { log_call NOT-FOUND "$@"; return 127; }
trap 'builtin printf "%s\0" "$BASH_COMMAND" >> "$COMMANDS"' DEBUG
"""


@dataclass
class Call:
    name: str
    args: list[str]


@dataclass
class Replay:
    syntax_ok: bool
    syntax_error: str
    calls: list[Call]
    #: every top-level simple command bash ran, as written in the script
    commands: list[str]
    #: files the script left in its working directory (it should leave none)
    created: list[str]

    def named(self, name: str) -> list[Call]:
        return [call for call in self.calls if call.name == name]


def _calls(data: bytes) -> list[Call]:
    parts = data.split(b"\0")
    calls, index = [], 0
    while index + 2 < len(parts) and parts[index] == b"CALL":
        name, count = parts[index + 1].decode(), int(parts[index + 2])
        args = [part.decode("utf-8", "surrogateescape") for part in parts[index + 3:index + 3 + count]]
        calls.append(Call(name, args))
        index += 3 + count
    return calls


def replay(script: str, folder: Path, *, fake_answer: str = "", fake_id: str = "") -> Replay:
    """Parse `script` with `bash -n`, then run it with every command stubbed (in `folder`, from an empty environment)."""
    bash = shutil.which("bash") or "/bin/bash"
    path = folder / "reproduction.sh"
    path.write_text(script, encoding="utf-8")
    check = subprocess.run([bash, "-n", str(path)], capture_output=True, text=True, timeout=30)
    work = folder / "cwd"
    work.mkdir(exist_ok=True)
    calls, commands = folder / "calls.bin", folder / "commands.bin"
    env = {"PATH": str(folder / "no-such-dir"), "HOME": str(work), "CALLS": str(calls), "COMMANDS": str(commands),
           "FAKE_ANSWER": fake_answer, "FAKE_ID": fake_id, "LC_ALL": "C.UTF-8"}
    subprocess.run([bash, "--norc", "--noprofile", "-c", PRELUDE + f'\nsource "{path}"\n'], cwd=work, env=env,
                   capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    found = _calls(calls.read_bytes()) if calls.exists() else []
    ran = [c.decode("utf-8", "surrogateescape") for c in commands.read_bytes().split(b"\0") if c] if commands.exists() else []
    return Replay(check.returncode == 0, check.stderr, found, ran, sorted(p.name for p in work.iterdir()))

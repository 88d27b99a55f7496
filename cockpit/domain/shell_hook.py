"""The start-up files of ``cockpit shell``: the user's own rc file, then a hook that hands each command line to the
cockpit through a FIFO (a pipe: the line is never written to disk).

A record is three NUL-terminated fields: the exit status, the working directory the command started in (where it
was typed: ``cd /tmp && make`` is recorded in the folder before), the command line as typed. The
files hold no secret and no environment value: only the FIFO's path and the incident's reference.

bash: ``PROMPT_COMMAND`` runs before each prompt; ``history 1`` gives the line just run, and its number tells a new
command from an empty Enter. Duplicate suppression (``ignoredups``, ``erasedups``) is switched off so a repeated
command is recorded again; ``ignorespace``, if the user set it, still keeps a line typed with a leading space out of
the record (and out of the history, as they asked).
zsh: ``preexec`` keeps the line, ``precmd`` sends it with the status.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from cockpit.textsafe import is_number_text

SHELLS = ("bash", "zsh")


@dataclass(frozen=True)
class Record:
    line: str
    cwd: str
    status: int | None


def shell_name(path: str) -> str:
    """bash or zsh from ``$SHELL``; anything else (fish, sh, nothing) falls back to bash."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return name if name in SHELLS else "bash"


def bash_rc(fifo: str, ref: str) -> str:
    return f"""# Incident Cockpit: `cockpit shell {ref}` records each command line (removed when the shell ends).
[ -f ~/.bashrc ] && . ~/.bashrc
__cockpit_fifo={shlex.quote(fifo)}
__cockpit_seen=
HISTCONTROL=${{HISTCONTROL//ignoreboth/ignorespace}}
HISTCONTROL=${{HISTCONTROL//ignoredups/}}
HISTCONTROL=${{HISTCONTROL//erasedups/}}
set -o history
__cockpit_record() {{
  local __cockpit_status=$? __cockpit_last
  __cockpit_last=$(HISTTIMEFORMAT= builtin history 1)
  if [[ $__cockpit_last =~ ^\\ *([0-9]+)\\*?\\ \\ (.*)$ ]]; then
    if [[ -n $__cockpit_seen && ${{BASH_REMATCH[1]}} != "$__cockpit_seen" ]]; then
      builtin printf '%s\\0%s\\0%s\\0' "$__cockpit_status" "$__cockpit_pwd" "${{BASH_REMATCH[2]}}" >> "$__cockpit_fifo"
    fi
    __cockpit_seen=${{BASH_REMATCH[1]}}
  else
    __cockpit_seen=${{__cockpit_seen:-0}}
  fi
  __cockpit_pwd=$PWD  # where the next command is typed, so where it starts
  return $__cockpit_status
}}
PROMPT_COMMAND="__cockpit_record${{PROMPT_COMMAND:+;$PROMPT_COMMAND}}"
PS1={shlex.quote(f"(rec {ref}) ")}"$PS1"
"""


def zsh_rc(fifo: str, ref: str, user_dir: str) -> dict[str, str]:
    """The files of a ``ZDOTDIR``: .zshenv and .zshrc source the user's own, then the hooks are added."""
    home = shlex.quote(user_dir)
    return {
        ".zshenv": f"[ -f {home}/.zshenv ] && ZDOTDIR={home} . {home}/.zshenv\n",
        ".zshrc": f"""# Incident Cockpit: `cockpit shell {ref}` records each command line (removed when the shell ends).
__cockpit_here=$ZDOTDIR
ZDOTDIR={home}
[ -f {home}/.zshrc ] && . {home}/.zshrc
__cockpit_fifo={shlex.quote(fifo)}
__cockpit_preexec() {{ __cockpit_line=$1; __cockpit_pwd=$PWD }}
__cockpit_precmd() {{
  local __cockpit_status=$?
  if [[ -n ${{__cockpit_line+x}} ]]; then
    builtin print -rn -- "$__cockpit_status"$'\\0'"$__cockpit_pwd"$'\\0'"$__cockpit_line"$'\\0' >> "$__cockpit_fifo"
    unset __cockpit_line
  fi
  return $__cockpit_status
}}
preexec_functions=(__cockpit_preexec $preexec_functions)
precmd_functions=(__cockpit_precmd $precmd_functions)
PS1={shlex.quote(f"(rec {ref}) ")}"$PS1"
""",
    }


class RecordReader:
    """Splits the FIFO's bytes into records; a partial record waits for the rest."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, chunk: bytes) -> list[Record]:
        fields = (self._pending + chunk).split(b"\0")
        self._pending = fields.pop()  # after the last NUL: the start of the next field, or nothing
        records: list[Record] = []
        while len(fields) >= 3:
            status, cwd, line = (f.decode("utf-8", errors="replace") for f in fields[:3])
            del fields[:3]
            records.append(Record(line, cwd, int(status) if is_number_text(status) and len(status) < 6 else None))
        self._pending = b"\0".join([*fields, self._pending]) if fields else self._pending
        return records

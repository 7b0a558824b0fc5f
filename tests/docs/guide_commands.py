#!/usr/bin/env python3
"""Checks that every command of a guide is run by the scripts it names.

Each ```sh block of the guide follows a comment
    <!-- exercised: path/a.sh path/b.sh -->
naming the scripts (relative to the repository) that run its commands.
Every command of the block (lines joined at a trailing backslash, split at
|, &&, || and ;) must appear in one of them with the same shape: the same
program (by its file name, wherever it lives), the same subcommand for
programs that have them, every option the guide gives, the libpfring
prefix of an interface name (host:, pcap:), make's -C directory, targets
and variable names, and the file name of what cat and ls read. Values
(VM and interface names, paths, sizes) may differ. In a script, the
program may follow a test helper's words ("check DESC insmod ...") or sit
inside $(...) or sh -c '...'; scripts/vm/run.sh [options] -- ARGS counts as the patched
QEMU (qemu-system-x86_64-vnplug) run with ARGS, which is what it does.

A block may instead follow <!-- not run: REASON -->: its commands are
listed as "# not run (REASON): ..." and counted apart, never as passed.

Prints one TAP line per command ("ok N - ..." / "not ok N - ..."), then
"# guide: N commands in M blocks". Exits 1 if any command is not found, if
a block names no script or a script that does not exist, or if the guide
has no block at all.

    tests/docs/guide_commands.py docs/operators-guide.md [ROOT]
"""
import os
import re
import shlex
import sys

SUBCOMMANDS = {"vnplug-virt", "virsh", "dkms", "systemctl", "systemd-analyze",
               "apt-get", "ip", "vnplug-tool", "git"}
READERS = {"cat", "ls"}
PREFIX_RE = re.compile(r"^([a-z]+):")


def logical_lines(text):
    """Lines of a shell text, joined at trailing backslashes."""
    out, cur = [], ""
    for line in text.splitlines():
        if line.rstrip().endswith("\\"):
            cur += line.rstrip()[:-1] + " "
            continue
        out.append(cur + line)
        cur = ""
    if cur:
        out.append(cur)
    return out


def commands(line):
    """Simple commands of a line, each a list of words (quotes removed)."""
    line = line.split(" #", 1)[0] if not line.lstrip().startswith("#") else ""
    try:
        lex = shlex.shlex(line, posix=True, punctuation_chars="|&;<>()")
        lex.whitespace_split = True
        lex.commenters = ""
        words = list(lex)
    except ValueError:
        return []
    cmds, cur, skip_next = [], [], False
    for w in words:
        if skip_next:
            skip_next = False
            continue
        if w in ("|", "||", "&&", ";", "&", "(", ")"):
            if cur:
                cmds.append(cur)
            cur = []
        elif w in (">", ">>", "<", "2>", "2>&1", ">&"):
            skip_next = True
        elif re.fullmatch(r"[0-9]*[<>]+&?[0-9]*", w):
            skip_next = not re.search(r"&[0-9]$", w)
        else:
            cur.append(w)
    if cur:
        cmds.append(cur)
    return cmds


def program(words):
    """Index and name of the program of a command (after env, sudo, exec,
    timeout, ip netns exec NS, VAR=value), or (None, None)."""
    i = 0
    while i < len(words):
        w = words[i]
        base = os.path.basename(w.rstrip('"'))
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", w):
            i += 1
        elif base in ("sudo", "exec", "env", "command", "nohup", "eval"):
            i += 1
        elif base == "timeout":
            i += 2
        elif base == "ip" and words[i + 1:i + 3] == ["netns", "exec"]:
            i += 4
        elif base == "in_ns":
            i += 2
        else:
            return i, base
    return None, None


def shape(words):
    """What must be the same in the guide and in a script."""
    i, prog = program(words)
    if prog is None:
        return None
    args = words[i + 1:]
    need = set()
    if prog in SUBCOMMANDS:
        sub = [a for a in args if not a.startswith("-")]
        if sub:
            need.add(("word", sub[0]))
            if prog == "ip" and len(sub) > 1:
                need.add(("word", sub[1]))
    for j, a in enumerate(args):
        if a.startswith("-") and len(a) > 1 and not re.fullmatch(r"-[0-9.]+", a):
            need.add(("word", a.split("=", 1)[0] + ("=" if "=" in a and a.startswith("--") else "")))
        m = PREFIX_RE.match(a)
        if m and m.group(1) in ("host", "pcap", "packet", "pfring", "multi"):
            need.add(("prefix", m.group(1) + ":"))
    if prog == "make":
        for j, a in enumerate(args):
            if a == "-C" and j + 1 < len(args):
                need.add(("base", os.path.basename(args[j + 1].rstrip("/"))))
            elif re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", a):
                need.add(("var", a.split("=", 1)[0] + "="))
            elif not a.startswith("-") and "/" not in a and (j == 0 or args[j - 1] != "-C"):
                need.add(("word", a))
    if prog in READERS:
        for a in args:
            if not a.startswith("-"):
                need.add(("base", os.path.basename(a.rstrip("/"))))
    return prog, frozenset(need)


def matches(prog, need, words):
    i, p = program(words)
    if p != prog:
        return False
    args = words[i + 1:]
    plain = set()
    for a in args:
        plain.add(a)
        if a.startswith("-"):
            plain.add(a.split("=", 1)[0] + ("=" if "=" in a and a.startswith("--") else ""))
    for kind, v in need:
        if kind == "word" and v not in plain:
            return False
        if kind == "prefix" and not any(v in a for a in args):
            return False
        if kind == "base" and not any(os.path.basename(a.rstrip("/")) == v or
                                      a.rstrip("/").endswith("/" + v) for a in args):
            return False
        if kind == "var" and not any(a.startswith(v) for a in args):
            return False
    return True


def substitutions(word):
    """The texts of the $(...) in a word, outermost first."""
    out, i = [], word.find("$(")
    while i >= 0:
        depth, j = 0, i + 1
        while j < len(word):
            if word[j] == "(":
                depth += 1
            elif word[j] == ")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        inner = word[i + 2:j]
        out.append(inner)
        out.extend(substitutions(inner))
        i = word.find("$(", j)
    return out


def script_commands(path):
    """Every simple command of a script, each as the list of its words
    from every position a program may start at."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    out = []
    pending = [line.strip() for line in logical_lines(text)]
    while pending:
        for words in commands(pending.pop()):
            for j, w in enumerate(words):
                pending.extend(substitutions(w))
                if j >= 2 and words[j - 1] == "-c" and \
                        os.path.basename(words[j - 2]) in ("sh", "bash"):
                    pending.append(w)
            if "--" in words and any(os.path.basename(w) == "run.sh" for w in words):
                k = words.index("--")
                out.append(["qemu-system-x86_64-vnplug"] + words[k + 1:])
            out.extend(words[k:] for k in range(len(words)))
    return out


def blocks(guide):
    """(line, scripts, commands) of each ```sh block."""
    with open(guide, encoding="utf-8") as f:
        lines = f.read().splitlines()
    res, scripts, i = [], None, 0
    while i < len(lines):
        m = re.match(r"<!--\s*exercised:\s*(.*?)\s*-->", lines[i])
        n = re.match(r"<!--\s*not run:\s*(.*?)\s*-->", lines[i])
        if m:
            scripts = m.group(1).split()
        elif n:
            scripts = "not run: " + n.group(1)
        elif lines[i].strip() == "```sh":
            start, body = i + 1, []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            res.append((start, scripts, body))
            scripts = None
        i += 1
    return res


def main():
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    guide = sys.argv[1]
    root = sys.argv[2] if len(sys.argv) > 2 else os.getcwd()
    n = bad = skipped = 0
    found = blocks(guide)
    for start, scripts, body in found:
        if isinstance(scripts, str):
            for line in logical_lines("\n".join(body)):
                for words in commands(line.strip()):
                    skipped += 1
                    print(f"# {scripts[:7]} ({scripts[9:]}): {' '.join(words)}")
            continue
        if not scripts:
            n += 1
            bad += 1
            print(f"not ok {n} - block at line {start} names no script (<!-- exercised: ... -->)")
            continue
        pool, missing = [], []
        for s in scripts:
            p = os.path.join(root, s)
            if os.path.isfile(p):
                pool.extend(script_commands(p))
            else:
                missing.append(s)
        if missing:
            n += 1
            bad += 1
            print(f"not ok {n} - block at line {start} names missing scripts: {' '.join(missing)}")
        for line in logical_lines("\n".join(body)):
            for words in commands(line.strip()):
                sh = shape(words)
                if sh is None:
                    continue
                prog, need = sh
                n += 1
                cmd = " ".join(words)
                if any(matches(prog, need, w) for w in pool):
                    print(f"ok {n} - {cmd}")
                else:
                    bad += 1
                    want = " ".join(sorted(v for _, v in need))
                    print(f"not ok {n} - {cmd}: no '{prog} {want}' in {' '.join(scripts)}")
    print(f"# guide: {n} commands checked, {skipped} not run, in {len(found)} blocks")
    if not found:
        print("not ok 1 - the guide has no ```sh block")
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The README's screenshots, made from a rehearsal (Øv med 25 elever).

Starts the release binary on a free port with a fresh data folder, drives a rehearsal of
the built-in set "7-klasse-alkohol" over the WebSocket protocol (docs/protocol.md) as a
facilitator would, and has headless Chromium photograph the console, the projector and a
phone at each step into docs/screenshots/.

Needs: `cargo build --release`, Debian's `chromium`, and Python's `websockets`
(`pip install websockets`). Run from the repository: `python3 scripts/screenshots.py`.
"""

import asyncio
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "docs", "screenshots")
BINARY = os.path.join(ROOT, "target", "release", "pejling")
PORT = 8299


def shoot(url, name, width, height, mobile=False):
    """A screenshot of `url` after its scripts ran, at `width`×`height`."""
    with tempfile.TemporaryDirectory() as profile:
        args = [
            "chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--no-first-run", "--hide-scrollbars",
            f"--user-data-dir={profile}", f"--window-size={width},{height}",
            "--virtual-time-budget=4000",
            f"--screenshot={os.path.join(OUT, name)}", url,
        ]
        if mobile:
            args.insert(1, "--force-device-scale-factor=1")
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(name)


async def rehearse(send, until, base, token, final):
    """One rehearsal photographed step by step; returns the pattern it ended with."""
    await send({"type": "create_session", "set_id": "7-klasse-alkohol",
                "label": "Øvelse", "rehearsal": True})
    state = await until(lambda m: m["type"] == "session_state")
    code = state["session"]["code"]
    screen = f"{base}/screen/{code}#token={token}"
    shoot(screen, "screen-lobby.png", 1280, 720)

    async def all_answered(question_id):
        await until(lambda m: m["type"] == "tally" and m.get("question")
                    and m["question"]["question_id"] == question_id
                    and m["question"]["answered"] >= 25)

    # The own question, then the guesses about it.
    await send({"type": "control", "action": "open"})
    first = await until(lambda m: m["type"] == "session_state")
    await all_answered(first["current"]["id"])
    await send({"type": "control", "action": "next"})
    second = await until(lambda m: m["type"] == "session_state" and m["current"]["index"] == 1)
    await all_answered(second["current"]["id"])
    shoot(screen, "screen-guessing.png", 1280, 720)
    await send({"type": "control", "action": "close"})
    for step, name in [(1, "guesses"), (2, "actual"), (3, "comparison")]:
        await send({"type": "control", "action": "reveal"})
        await until(lambda m: m["type"] == "session_state" and m["reveal_step"] == step)
        tally = await until(lambda m: m["type"] == "tally" and m.get("question")
                            and (m["question"].get("reveal") or {}).get("step") == step)
        shoot(screen, f"screen-{name}.png", 1280, 720)
    pattern = tally["question"]["reveal"].get("pattern")
    if pattern == "Social overdrivelse" or final:
        # A phone joins last, so the projector's counts above are the 25 pupils'.
        await send({"type": "control", "action": "next"})
        await until(lambda m: m["type"] == "session_state" and m["current"]["index"] == 2)
        shoot(f"{base}/j/{code}", "phone-question.png", 360, 640, mobile=True)
    await send({"type": "control", "action": "end"})
    await until(lambda m: m["type"] == "session_state" and m["phase"] == "ended")
    return pattern


async def main():
    import websockets

    os.makedirs(OUT, exist_ok=True)
    data = tempfile.mkdtemp()
    server = subprocess.Popen(
        [BINARY, "serve", "--no-browser", "--bind", "127.0.0.1", "--port", str(PORT),
         "--data", os.path.join(data, "pejling.db")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    token = None
    for line in server.stdout:
        if "#token=" in line:
            token = line.split("#token=")[1].strip()
        if "Lytter på" in line:
            break
    base = f"http://127.0.0.1:{PORT}"
    try:
        shoot(f"{base}/host#token={token}", "console-first-run.png", 1366, 768)
        ws = await websockets.connect(f"ws://127.0.0.1:{PORT}/ws")

        async def send(message):
            await ws.send(json.dumps(message))

        async def until(predicate):
            while True:
                message = json.loads(await ws.recv())
                if predicate(message):
                    return message

        await send({"type": "host", "version": 2, "host_token": token})
        await until(lambda m: m["type"] == "welcome")
        # A rehearsal's answers are random; the pictures show a run with the usual
        # finding (the class overestimates), trying a few rehearsals until one does.
        for attempt in range(10):
            pattern = await rehearse(send, until, base, token, final=attempt == 9)
            if pattern == "Social overdrivelse" or attempt == 9:
                break
        await ws.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    if not os.path.exists(BINARY):
        sys.exit("build the release binary first: cargo build --release")
    asyncio.run(main())
